"""The desktop GUI (PySide6): a thin layer of views and controllers over `coursegen_desktop.core`.

Nothing here calls a generator, reads a file or runs a long query on the GUI thread: jobs run in
the engine process (`jobs.py` follows them), short reads on a small thread pool (`tasks.py`).
"""

import PySide6.QtCore  # noqa: E402,F401 - loads shiboken's import hook, which the next lines tame


def _skip_pyside_feature_scan() -> None:
    """PySide6's `from __feature__ import …` support reads the source of every module imported
    after it, looking for the word "PySide6", and keeps all of it in `linecache`: about 13 MiB
    and some start-up time in this app, which uses no `__feature__`. Skip the scan (the hook
    then treats our modules as not using features, which is true)."""
    try:
        import shibokensupport.feature as feature  # type: ignore[import-not-found]
    except ImportError:
        return
    if hasattr(feature, "_mod_uses_pyside"):
        feature._mod_uses_pyside = lambda module: False


_skip_pyside_feature_scan()
