"""Build the one-folder bundle in a temporary folder and check it runs: the smoke test for installers.

    make package-check        (CI runs it after `make test`)

It was a test in the suite, but a PyInstaller build takes minutes on two cores and checks the
packaging, not the app's behaviour, so it lives beside the packaging it checks. Exit 0 when the
bundle builds, passes `--self-test` (its job running in the engine process the bundle starts), answers `--cli jobs --json`, and leaves out Qt's
translations (the lean spec); otherwise one line says what failed, and exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fail(what: str, output: str = "") -> int:
    print(f"bundle check FAILED: {what}", file=sys.stderr)
    if output:
        print(output[-3000:], file=sys.stderr)
    return 1


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="coursegen-bundle-") as folder:
        tmp = Path(folder)
        dist, work = tmp / "dist", tmp / "work"
        started = time.monotonic()
        build = subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR", "--distpath", str(dist),
             "--workpath", str(work), str(ROOT / "packaging" / "coursegen.spec")],
            capture_output=True, text=True, timeout=900,
        )
        if build.returncode != 0:
            return fail("PyInstaller could not build the bundle", build.stderr)
        built_s = time.monotonic() - started
        bundle = dist / "coursegen-desktop"
        executable = bundle / "coursegen-desktop"
        if not executable.exists():
            return fail(f"{executable} is missing after the build")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "COURSEGEN_DATA_DIR": str(tmp / "data")}
        result = subprocess.run([str(executable), "--self-test"], capture_output=True, text=True, timeout=120, env=env)
        if result.returncode != 0 or not result.stdout.startswith("OK self-test:"):
            return fail("the bundle's --self-test did not pass", result.stdout + result.stderr)
        if "(in the engine process)" not in result.stdout:  # `coursegen-desktop --engine` must start from the bundle
            return fail("the bundle's self-test job did not run in the engine process", result.stdout + result.stderr)
        if "offline generator in a child process" not in result.stdout:  # multiprocessing must work in the bundle
            return fail("the bundle's engine did not run the offline generator in a child process", result.stdout + result.stderr)
        cli = subprocess.run([str(executable), "--cli", "jobs", "--json"], capture_output=True, text=True, timeout=60, env=env)
        if cli.returncode != 0 or not cli.stdout.strip().startswith("["):
            return fail("the bundle's --cli jobs --json did not answer with JSON", cli.stdout + cli.stderr)
        if (bundle / "_internal" / "PySide6" / "Qt" / "translations").exists():
            return fail("Qt's translations are in the bundle; the lean spec should leave them out")
        pyside = bundle / "_internal" / "PySide6"  # the Analytics view's charts and the OpenGL libraries they link
        if not (list(pyside.glob("QtCharts*")) and list((pyside / "Qt" / "lib").glob("libQt6Charts.so*")) and list((pyside / "Qt" / "lib").glob("libQt6OpenGLWidgets.so*"))):
            return fail("QtCharts (the Analytics view's charts) is missing from the bundle")
        stats = subprocess.run([str(executable), "--cli", "stats", "--json"], capture_output=True, text=True, timeout=60, env=env)
        if stats.returncode != 0 or '"success_rate"' not in stats.stdout:
            return fail("the bundle's --cli stats --json did not answer", stats.stdout + stats.stderr)
        print(f"bundle check OK: built in {built_s:.0f} s; {result.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
