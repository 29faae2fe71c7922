"""Where the bundled resources (icons, sample material) are, in a checkout or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """resources/ of a source checkout, or of a PyInstaller bundle (sys._MEIPASS)."""
    bundle = getattr(sys, "_MEIPASS", None)
    here = Path(__file__).resolve()
    candidates = ([Path(bundle) / "resources"] if bundle else []) + [here.parents[2] / "resources", here.parents[1] / "resources"]
    return next((path for path in candidates if path.is_dir()), candidates[-1])


def sample_material() -> list[Path]:
    """The sample study material shipped with the app (for a first try without a key)."""
    folder = resources_dir() / "samples"
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and not path.name.startswith("."))
