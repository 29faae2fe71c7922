"""`python -m coursegen_desktop` starts the desktop app (`--engine`: the job engine)."""

from coursegen_desktop.launch import main

raise SystemExit(main())
