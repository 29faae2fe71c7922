"""The packaged bundle builds and passes its own self-test (the smoke test for installers)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None, reason="PyInstaller is not installed, so the bundle cannot be built")
def test_bundle_builds_and_self_test_passes(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR", "--distpath", str(dist),
         "--workpath", str(work), str(ROOT / "packaging" / "coursegen.spec")],
        capture_output=True, text=True, timeout=500,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    executable = dist / "coursegen-desktop" / "coursegen-desktop"
    assert executable.exists()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "COURSEGEN_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([str(executable), "--self-test"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK self-test:")
    cli = subprocess.run([str(executable), "--cli", "jobs", "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert cli.returncode == 0 and cli.stdout.strip().startswith("["), cli.stderr
    assert not (dist / "coursegen-desktop" / "_internal" / "PySide6" / "Qt" / "translations").exists()
    # The Analytics view's charts: QtCharts and the OpenGL libraries it links are bundled.
    internal = dist / "coursegen-desktop" / "_internal" / "PySide6"
    assert list(internal.glob("QtCharts*")) and list((internal / "Qt" / "lib").glob("libQt6Charts.so*"))
    assert list((internal / "Qt" / "lib").glob("libQt6OpenGLWidgets.so*"))
    stats = subprocess.run([str(executable), "--cli", "stats", "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert stats.returncode == 0 and '"success_rate"' in stats.stdout, stats.stderr
