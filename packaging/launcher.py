"""Entry script for the PyInstaller bundle: the desktop app, its job engine (`--engine`, checked
first, before Qt is imported), or `coursegen` when called by that name."""

import multiprocessing
import os
import sys

# The engine runs the offline generator in a spawned child process: in the bundle that child is
# this executable again, and freeze_support() serves it (and exits) before anything else runs.
multiprocessing.freeze_support()

if sys.argv[1:2] == ["--engine"]:
    from coursegen_desktop.engine.main import main
elif os.path.basename(sys.argv[0]).lower().startswith("coursegen-cli") or (len(sys.argv) > 1 and sys.argv[1] == "--cli"):
    if len(sys.argv) > 1 and sys.argv[1] == "--cli":
        del sys.argv[1]
    from coursegen_desktop.cli import main
else:
    from coursegen_desktop.gui.app import main

raise SystemExit(main())
