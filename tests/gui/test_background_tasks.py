"""The window's background pool over a long session: reading the history again and again (history
pages, progress windows, courses) must not pile up open files until the app can open no more."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")
def test_many_background_reads_keep_the_open_files_bounded(qtbot, data_dir: Path) -> None:  # noqa: ANN001
    store = Store.open(data_dir)
    job = store.create_job(make_request(topic="Tides"))
    results: list[str] = []

    def read_many(count: int) -> int:
        """Run `count` history reads on the pool; the number of open files afterwards."""
        results.clear()
        for _ in range(count):
            tasks.run_in_background(store.get_job, job.id, on_done=lambda record: results.append(record.topic))
        qtbot.waitUntil(lambda: len(results) == count, timeout=20_000)
        return len(os.listdir("/proc/self/fd"))

    before = read_many(20)  # the pool's threads and their connections exist now
    after = read_many(300)
    store.close()
    assert results == ["Tides"] * 300
    assert after - before <= 2  # it was 600 more: two files per task
