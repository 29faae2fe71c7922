"""Event appends per second to the history store, as the pipeline does them (one commit each),
and how long the history query takes with many jobs. JSON on stdout and in results/store.json."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursegen_desktop.core.events import Progress, TopicStarted  # noqa: E402
from coursegen_desktop.core.models import make_request  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402

EVENTS = 5000
JOBS = 5000


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        job = store.create_job(make_request(topic="Benchmark"))
        started = time.perf_counter()
        for seq in range(1, EVENTS + 1):
            if seq % 10:
                store.append_event(Progress(job_id=job.id, seq=seq, percent=seq / EVENTS * 100, message="Writing", preview="x" * 800))
            else:
                store.append_event(TopicStarted(job_id=job.id, seq=seq, lesson_id="m1l1", module_id="m1", title="T", index=1, total=9))
        append_s = time.perf_counter() - started

        started = time.perf_counter()
        replayed = store.events(job.id)
        replay_s = time.perf_counter() - started
        assert len(replayed) == EVENTS

        request = make_request(topic="History row")
        for _ in range(JOBS):
            store.create_job(request)
        started = time.perf_counter()
        for _ in range(20):
            store.list_jobs(limit=200)
        list_ms = (time.perf_counter() - started) / 20 * 1000
        store.close()
    result = {
        "events": EVENTS,
        "event_appends_per_s": round(EVENTS / append_s),
        "replay_5000_events_ms": round(replay_s * 1000, 1),
        "jobs_in_history": JOBS + 1,
        "list_newest_200_jobs_ms": round(list_ms, 2),
    }
    out = Path(__file__).with_name("results") / "store.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
