"""What the history shows: a filter (`HistoryQuery`) and newest-first pages of jobs.

The window never loads the whole history: it asks for one page at a time as the table scrolls,
each page continuing after the last row of the previous one (keyset paging on
`(created_at, id)`, so a page costs the same at row 40,000 as at row 0). The filter runs in
SQL; `HistoryQuery.matches` says the same thing in Python, for a job added while the window
shows a filtered history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coursegen_desktop.core.models import JobRecord, JobStatus

PAGE_SIZE = 200


def fold(text: str | None) -> str:
    """Case-insensitive form for matching (SQLite's own LIKE folds ASCII only: 'Ä' != 'ä')."""
    return (text or "").casefold()


@dataclass(frozen=True)
class HistoryQuery:
    """Jobs whose topic or course title contain every word of `text`, with this status, created
    in [since, until)."""

    text: str = ""
    status: JobStatus | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def words(self) -> list[str]:
        return fold(self.text).split()

    def matches(self, record: JobRecord) -> bool:
        haystack = fold(f"{record.topic} {record.course_title or ''}")
        return (
            all(word in haystack for word in self.words)
            and (self.status is None or record.status == self.status)
            and (self.since is None or record.created_at >= self.since)
            and (self.until is None or record.created_at < self.until)
        )

    def where(self) -> tuple[str, list[object]]:
        """The SQL condition (over `jobs`) and its parameters; needs the `fold` SQL function."""
        terms: list[str] = []
        params: list[object] = []
        for word in self.words:
            terms.append("instr(fold(topic || ' ' || coalesce(course_title, '')), ?) > 0")
            params.append(word)
        if self.status is not None:
            terms.append("status = ?")
            params.append(self.status.value)
        if self.since is not None:
            terms.append("created_at >= ?")
            params.append(self.since.timestamp())
        if self.until is not None:
            terms.append("created_at < ?")
            params.append(self.until.timestamp())
        return " AND ".join(terms) or "1", params


@dataclass(frozen=True)
class PageCursor:
    """Where the next page starts: just after this row in newest-first order."""

    created_at: float
    job_id: str


@dataclass(frozen=True)
class HistoryPage:
    records: list[JobRecord]
    next: PageCursor | None  # None: this was the last page
