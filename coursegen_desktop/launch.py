"""The desktop entry point: `coursegen-desktop` opens the window, `coursegen-desktop --engine`
runs the job engine. The engine flag is checked before anything imports Qt: the engine is
started from the app's own executable (a PyInstaller bundle has no separate Python)."""

from __future__ import annotations

import sys

from coursegen_desktop.engine.address import ENGINE_FLAG


def main() -> int:
    if sys.argv[1:2] == [ENGINE_FLAG]:
        from coursegen_desktop.engine.main import main as engine_main

        return engine_main()
    from coursegen_desktop.gui.app import main as app_main

    return app_main()
