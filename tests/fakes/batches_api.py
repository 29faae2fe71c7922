"""Message Batches on the Messages API fake: `/v1/messages/batches` create, retrieve, results
(JSONL, in shuffled order like the real API), cancel, with scripted delays, errors and expiry.

    api = FakeBatchesAPI(batch_seconds=0.2)     # a batch ends 0.2 s after it was created
    api.batch_outcome("lesson", "errored")      # the next lesson request in a batch errors
    api.batch_outcome("-l0", "errored", times=2)  # the first lesson of a job, in two batches
    api.batch_outcome("quiz", "expired", times=2)

Each request of a batch is answered as the same request sent to `/v1/messages` would be (the
same schema-driven builder, usage and cache accounting). `batched` lists every (batch id,
custom_id, params) ever submitted, so a test can check that no part was requested twice. Request
kinds are read from the params as for streamed requests (outline, lesson, quiz, exam, flashcards).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.messages_api import Fault, FakeMessagesAPI, RecordedRequest, _content_for, _Handler, _kind_of, _message, _whole

_BATCH = re.compile(r"^/v1/messages/batches/(?P<id>[A-Za-z0-9_]+)(?P<rest>/results|/cancel)?$")


@dataclass
class FakeBatch:
    id: str
    requests: list[dict[str, Any]]
    created: float
    ends_at: float
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    outcomes: dict[str, str] = field(default_factory=dict)  # custom_id → errored / expired
    cancelled: bool = False
    results: list[dict[str, Any]] | None = None

    def ended(self) -> bool:
        return self.cancelled or time.monotonic() >= self.ends_at


class FakeBatchesAPI(FakeMessagesAPI):
    """`FakeMessagesAPI` that also serves Message Batches."""

    def __init__(self, *, batch_seconds: float = 0.0, **options: Any) -> None:
        super().__init__(**options)
        self.batch_seconds = batch_seconds
        self.batches: dict[str, FakeBatch] = {}
        self.batched: list[tuple[str, str, dict[str, Any]]] = []
        self._outcomes: list[list[Any]] = []  # [kind, outcome, times_left]
        self._batch_lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _BatchHandler

    def _kind(self, path: str, body: dict[str, Any] | None) -> str:
        return "batches" if path.startswith("/v1/messages/batches") else super()._kind(path, body)

    def batch_outcome(self, kind: str, outcome: str, *, times: int = 1) -> None:
        """The next `times` batch requests of `kind` (or whose custom_id ends with it, e.g. "-l0")
        end as `outcome` ("errored" or "expired")."""
        with self._batch_lock:
            self._outcomes.append([kind, outcome, times])

    def custom_ids(self) -> list[str]:
        return [custom_id for _, custom_id, _ in self.batched]

    def _create(self, body: dict[str, Any]) -> FakeBatch:
        requests = list(body.get("requests") or [])
        batch = FakeBatch(f"msgbatch_{uuid.uuid4().hex[:24]}", requests, time.monotonic(), time.monotonic() + self.batch_seconds)
        with self._batch_lock:
            for request in requests:
                self.batched.append((batch.id, request["custom_id"], request["params"]))
                kind = _kind_of("/v1/messages", request["params"])
                for entry in self._outcomes:
                    if entry[2] > 0 and (entry[0] in (kind, "any") or request["custom_id"].endswith(entry[0])):
                        entry[2] -= 1
                        batch.outcomes[request["custom_id"]] = entry[1]
                        break
            self.batches[batch.id] = batch
        return batch

    def _results(self, batch: FakeBatch) -> list[dict[str, Any]]:
        if batch.results is None:
            lines = []
            for request in batch.requests:
                custom_id, params = request["custom_id"], request["params"]
                outcome = "canceled" if batch.cancelled else batch.outcomes.get(custom_id, "succeeded")
                if outcome == "succeeded":
                    lines.append({"custom_id": custom_id, "result": {"type": "succeeded", "message": self._message_for(params)}})
                elif outcome == "errored":
                    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "Scripted error"}}
                    lines.append({"custom_id": custom_id, "result": {"type": "errored", "error": error}})
                else:
                    lines.append({"custom_id": custom_id, "result": {"type": outcome}})
            random.shuffle(lines)  # results come in any order
            batch.results = lines
        return batch.results

    def _message_for(self, params: dict[str, Any]) -> dict[str, Any]:
        usage, hashes = self._usage_for(params)
        block, pieces = _content_for(params, self, None)
        usage["output_tokens"] = max(1, sum(len(p) for p in pieces) // 4)
        self._publish_cache(hashes)
        stop = "tool_use" if block["type"] == "tool_use" else "end_turn"
        return _message(f"msg_fake_{uuid.uuid4().hex[:20]}", params, usage, [_whole(block, pieces)], stop)

    def _describe(self, batch: FakeBatch) -> dict[str, Any]:
        ended = batch.ended()
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for line in self._results(batch):
                counts[line["result"]["type"]] += 1
        else:
            counts["processing"] = len(batch.requests)
        stamp = batch.created_at.isoformat().replace("+00:00", "Z")
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else ("canceling" if batch.cancelled else "in_progress"),
            "request_counts": counts,
            "created_at": stamp,
            "expires_at": (batch.created_at + timedelta(hours=24)).isoformat().replace("+00:00", "Z"),
            "ended_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z") if ended else None,
            "cancel_initiated_at": stamp if batch.cancelled else None,
            "archived_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }


class _BatchHandler(_Handler):
    def do_GET(self) -> None:
        match = _BATCH.match(self.path.split("?")[0])
        if not match:
            return super().do_GET()
        api: FakeBatchesAPI = self.server.api  # type: ignore[assignment]
        record = api._record(self, None)
        try:
            self._batch_route(api, record, match, None)
        finally:
            record.ended = time.monotonic()

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        match = _BATCH.match(path)
        if path != "/v1/messages/batches" and not match:
            return super().do_POST()
        api: FakeBatchesAPI = self.server.api  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        record = api._record(self, body)
        try:
            self._batch_route(api, record, match, body)
        finally:
            record.ended = time.monotonic()

    def _batch_route(self, api: FakeBatchesAPI, record: RecordedRequest, match: re.Match[str] | None, body: dict[str, Any] | None) -> None:
        fault = record.fault = api._take_fault(record.number, record.kind)
        if not api._authorised(self):
            return self._send_error(record, Fault.unauthorized())
        if fault is not None and fault.status:
            return self._send_error(record, fault)
        if match is None:  # create
            requests = (body or {}).get("requests") or []
            ids = [r.get("custom_id", "") for r in requests]
            if not requests or len(set(ids)) != len(ids) or not all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids):
                return self._send_error(record, Fault.bad_request("requests: custom_id values must be unique, 1-64 of [A-Za-z0-9_-]"))
            return self._send_json(record, 200, api._describe(api._create(body or {})))
        batch = api.batches.get(match["id"])
        if batch is None:
            return self._send_error(record, Fault(404, "not_found_error", f"No batch {match['id']}"))
        if match["rest"] == "/cancel":
            batch.cancelled = True
            return self._send_json(record, 200, api._describe(batch))
        if match["rest"] == "/results":
            if not batch.ended():
                return self._send_error(record, Fault(404, "not_found_error", "Results are not available yet"))
            data = "".join(json.dumps(line) + "\n" for line in api._results(batch)).encode()
            record.status = 200
            self.send_response(200)
            self.send_header("Content-Type", "application/binary")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self._write(data)
            return None
        return self._send_json(record, 200, api._describe(batch))
