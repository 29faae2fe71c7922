"""The desktop GUI (PySide6): a thin layer of views and controllers over `coursegen_desktop.core`.

Nothing here calls a generator, reads a file or runs a long query on the GUI thread: jobs run on
worker QThreads (`jobs.py`), short reads on a small thread pool (`tasks.py`).
"""
