"""The engine process: every job of the desktop app runs here, outside the window's process.

Job threads in the window's process share its interpreter lock, so a streaming or CPU-bound job
froze the window for a tenth of a second and more. The engine (pure Python, no Qt) owns the
queue, the concurrency limit, the generators, the SDK and the store writes; windows talk to it
over a local socket in JSON Lines (`protocol.py`). It outlives the windows that started it and
exits by itself once it is idle with no window attached.

    window ── JobManager ── JobWorker (QThread) ══ socket ══ engine: server.py → runner.py → core.pipeline
"""
