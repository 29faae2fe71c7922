"""Test and benchmark helpers for a real engine process: its pid, and shutting it down."""

from __future__ import annotations

import time
from pathlib import Path

from coursegen_desktop.engine.address import endpoint_file
from coursegen_desktop.engine.client import EngineConnection, EngineUnavailable


def engine_pid(data_dir: Path) -> int | None:
    """The pid of the engine serving `data_dir`, or None when none answers."""
    try:
        connection = EngineConnection.open(data_dir)
    except OSError:
        return None
    try:
        return int(connection.request("ping")["pid"])
    except EngineUnavailable:
        return None
    finally:
        connection.close()


def shut_down_engine(data_dir: Path, timeout_s: float = 15.0) -> None:
    """Ask the data folder's engine to stop its jobs and exit; wait until its socket is gone."""
    path = endpoint_file(data_dir)
    if not path.exists():
        return
    try:
        connection = EngineConnection.open(data_dir)
    except OSError:
        return  # a socket left by a killed engine: nothing listens
    try:
        connection.request("shutdown")
    except EngineUnavailable:
        pass
    finally:
        connection.close()
    deadline = time.monotonic() + timeout_s
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
