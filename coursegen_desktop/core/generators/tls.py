"""One TLS context for every HTTP client of the process.

Building one loads the CA certificates: about 17 ms of CPU with the interpreter lock held. Each
job makes its own client (a client belongs to its job's event loop), so four jobs starting at once
paid that four times over, in the engine, just as their first events were due. A context is
safe to share between threads and loops; the engine builds it while warming up.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context() -> ssl.SSLContext:
    import httpx2

    return httpx2.create_ssl_context()  # the certificates and settings httpx2 would choose itself
