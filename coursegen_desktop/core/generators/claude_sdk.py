"""The anthropic SDK, imported on first use and only once.

`import anthropic` costs about a second, so nothing imports it before a Claude call is made.
Two threads importing it at the same moment (a job starting while Settings lists the models) can
see a half-initialised package ("has no attribute AsyncAnthropic"): the first import, including
the SDK's lazily loaded resources, happens under a lock.
"""

from __future__ import annotations

import threading
from types import ModuleType

_lock = threading.Lock()


def sdk() -> ModuleType:
    with _lock:
        import anthropic
        import anthropic.resources  # noqa: F401 - the lazily loaded half, loaded now under the lock

    return anthropic
