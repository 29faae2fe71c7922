"""The history is read in newest-first pages, filtered in SQL, on an index made for it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coursegen_desktop.core.history import HistoryQuery
from coursegen_desktop.core.models import JobStatus, make_request
from coursegen_desktop.core.store import Store
from tests.helpers import big_history


def _all_pages(store: Store, query: HistoryQuery | None = None, limit: int = 7) -> list[str]:
    ids, cursor = [], None
    while True:
        page = store.history_page(query, cursor, limit)
        assert len(page.records) <= limit
        ids += [record.id for record in page.records]
        if page.next is None:
            return ids
        cursor = page.next


def test_pages_reach_every_job_once_newest_first_even_with_equal_times() -> None:
    store = Store.open()
    big_history.fill(store, 40)
    with store._write() as conn:  # five jobs created in the same instant (a bulk import, a coarse clock)
        conn.execute("UPDATE jobs SET created_at = 1000.0 WHERE id IN (?, ?, ?, ?, ?)", [big_history.job_id(n) for n in range(10, 15)])
    ids = _all_pages(store)
    assert len(ids) == len(set(ids)) == 40
    assert ids[0] == big_history.job_id(40) and ids[-5:] == sorted(big_history.job_id(n) for n in range(10, 15))[::-1]
    assert ids == [record.id for record in store.list_jobs(limit=100)]


def test_the_filter_runs_in_sql_and_agrees_with_matches() -> None:
    store = Store.open()
    big_history.fill(store, 60)
    unicode_job = store.create_job(make_request(topic="Ärzte und Straßen"))
    newest = datetime.now(timezone.utc)
    queries = [
        HistoryQuery(text="topic 4"),  # every word: 4, 14, 24, 34, 40..49, 54
        HistoryQuery(text="TOPIC 5", status=JobStatus.FAILED),
        HistoryQuery(text="ärzte"),
        HistoryQuery(text="strassen"),  # casefold: ß is ss
        HistoryQuery(status=JobStatus.QUEUED),
        HistoryQuery(since=newest - timedelta(minutes=5)),
        HistoryQuery(until=newest - timedelta(minutes=1, seconds=30)),
    ]
    everything = store.list_jobs(limit=1000)
    for query in queries:
        found = _all_pages(store, query)
        assert found == [record.id for record in everything if query.matches(record)], query
    assert len(_all_pages(store, queries[0])) == 15
    assert _all_pages(store, queries[2]) == _all_pages(store, queries[3]) == [unicode_job.id]
    assert _all_pages(store, HistoryQuery(text="no such words")) == []


def test_pages_and_filters_use_the_covering_history_index() -> None:
    store = Store.open()
    for query in (HistoryQuery(), HistoryQuery(text="x", status=JobStatus.FAILED)):
        where, params = query.where()
        plan = " ".join(
            row[-1] for row in store._conn.execute(f"EXPLAIN QUERY PLAN SELECT id, created_at FROM jobs WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 5", params)
        )
        assert "COVERING INDEX jobs_history" in plan and "TEMP B-TREE" not in plan, plan
