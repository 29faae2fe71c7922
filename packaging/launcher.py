"""Entry script for the PyInstaller bundle: the desktop app, its job engine (`--engine`, checked
first, before Qt is imported), or `coursegen` when called by that name."""

import os
import sys

if sys.argv[1:2] == ["--engine"]:
    from coursegen_desktop.engine.main import main
elif os.path.basename(sys.argv[0]).lower().startswith("coursegen-cli") or (len(sys.argv) > 1 and sys.argv[1] == "--cli"):
    if len(sys.argv) > 1 and sys.argv[1] == "--cli":
        del sys.argv[1]
    from coursegen_desktop.cli import main
else:
    from coursegen_desktop.gui.app import main

raise SystemExit(main())
