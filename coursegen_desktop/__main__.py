"""`python -m coursegen_desktop` starts the desktop app (`--engine`: the job engine)."""

from coursegen_desktop.launch import main

if __name__ == "__main__":  # not when a child process of the engine imports this module again
    raise SystemExit(main())
