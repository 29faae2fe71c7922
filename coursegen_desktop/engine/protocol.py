"""The engine's wire format: JSON Lines over a local socket.

Client → engine, one object per line: `{"cmd": NAME, "id": N, ...arguments}`.
Engine → client, one object per line, either
  * a reply to command N: `{"reply": N, "ok": true, ...}` or `{"reply": N, "ok": false, "error": SENTENCE, "kind": KIND}`,
  * a job event, exactly the core event JSON the CLI prints with `--json` (it has a `"type"`),
  * an announcement to watching windows: `{"announce": "job", "job_id": ID, "topic": TOPIC}` (another
    client queued a job) or `{"announce": "queue", "job_ids": [...]}` (the waiting order changed).

Commands: `ping`, `submit` (job_id, request, max_running, queued_at), `resume` (job_id, max_running, queued_at), `attach` (job_id, after_seq),
`cancel` (job_id), `pause` (job_id: nothing new starts, what is in flight is saved), `stop` (mode "interrupt"|"cancel": every job), `configure` (max_running),
`reorder` (job_ids: the waiting order), `run_next` (job_id), `jobs`, `watch`, `key_status`, `check_key` (key),
`models`, `plan` (request: the estimate of calls, tokens, cost and time), `check_material` (path: read
one material file as a job will; the new-course form's check), `batch_submit` (requests: bulk courses
in Message Batches), `batch_poll`, `shutdown`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 16 * 1024 * 1024  # a lesson with its text stays far below this


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a protocol line must be a JSON object")
    return value


def is_event(message: dict[str, Any]) -> bool:
    return "type" in message and "job_id" in message
