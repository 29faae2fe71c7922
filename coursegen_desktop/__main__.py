"""`python -m coursegen_desktop` starts the desktop app."""

from coursegen_desktop.gui.app import main

raise SystemExit(main())
