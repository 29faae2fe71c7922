"""Real file-system faults for the fault matrix, run inside a private mount namespace.

`unshare -rm python -m tests.reliability.fs_fault_child disk-full MOUNT FREE_KB MATERIAL` mounts a
small tmpfs at MOUNT (visible only to this process and its children), fills it until FREE_KB are
left, runs `coursegen generate`, frees the space, runs `coursegen resume`, and prints one JSON
object with both runs and the saved parts after each. `read-only FOLDER ARGS…` bind-mounts FOLDER
read-only over itself and runs `coursegen ARGS…` there. Neither needs root: a user namespace
maps the caller to root inside it only, and both mounts vanish when the process exits.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "coursegen_desktop.cli"]


def _run(args: list[str], env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    return {"args": args, "code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def _parts(db: Path, job_id: str) -> dict[str, str]:
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT kind, key, body FROM parts WHERE job_id = ?", (job_id,)).fetchall()
    return {f"{kind}/{key}": body for kind, key, body in rows}


def disk_full(mount: Path, free_kb: int, material: str) -> dict[str, object]:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    data = mount / "data"
    env = {**os.environ, "COURSEGEN_DATA_DIR": str(data)}
    _run(["jobs"], env)  # the empty history exists before the disk fills up
    filler = mount / "filler"
    stats = os.statvfs(mount)
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - free_kb * 1024))
    first = _run(["generate", "Photosynthesis", "--offline", "--material", material, "--json"], env)
    job_id = json.loads(str(first["stdout"]).splitlines()[0])["job_id"]
    filler.unlink()  # the user frees some space
    after_failure = _parts(data / "history.sqlite3", job_id)
    second = _run(["resume", job_id, "--json"], env)
    return {"job_id": job_id, "first": first, "after_failure": after_failure, "second": second, "after_resume": _parts(data / "history.sqlite3", job_id)}


def read_only(folder: Path, args: list[str]) -> dict[str, object]:
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(folder), str(folder)], check=True)
    probe = folder / ".probe"
    try:
        probe.write_text("x")
        writable = True
    except OSError:
        writable = False
    return {"really_read_only": not writable, **_run(args, dict(os.environ))}


def main() -> None:
    mode = sys.argv[1]
    if mode == "disk-full":
        result = disk_full(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif mode == "read-only":
        result = read_only(Path(sys.argv[2]), sys.argv[3:])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
