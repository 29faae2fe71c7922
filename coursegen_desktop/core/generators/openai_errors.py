"""Failures of an OpenAI-compatible server: which are retried, and the sentence for each.

Local servers fail differently from a hosted API: the usual trouble is a server that is not
running (connection refused), a model that was never pulled (404), or a server that does not
support a request option (400). Each gets one sentence that names the server and what to do.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.retry import Failure, network_reason, retry_after_seconds, short


class ServerError(Exception):
    """An HTTP error answer (or an `error` object inside the stream)."""

    def __init__(self, status: int, message: str, headers: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message, self.headers = status, message, headers or {}


class StreamCut(Exception):
    """The stream ended without a finish reason or `[DONE]`."""


class ModeRejected(Exception):
    """The server refused how a structured answer was asked for (json_schema, tools): the
    generator then asks the next way. Not a Failure: it never reaches the retry loop's user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_MODEL_MISSING = re.compile(r"\bmodel\b.{0,80}\b(not found|does not exist|not available|unknown|no such)|\bpull\b|not found.{0,40}\bmodel\b", re.I)


def error_message(payload: Any, fallback: str) -> str:
    """The message of an OpenAI-style (`{"error": {"message"}}`) or Ollama-style (`{"error": "…"}`) error."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or fallback)
    if isinstance(error, str):
        return error
    return fallback


def model_missing(error: ServerError) -> bool:
    return error.status == 404 or bool(_MODEL_MISSING.search(error.message))


def classify(exc: Exception, model: str, base_url: str) -> Failure | None:
    """How to handle a failed request; None for exceptions that are bugs (or ModeRejected)."""
    where = short(base_url, 80)
    unreachable = f"Could not reach the model server at {where}; start it (for Ollama: `ollama serve`), then Resume."
    network = CourseGenError(ErrorKind.NETWORK, unreachable, resumable=True)
    if isinstance(exc, StreamCut):
        return Failure(True, "Connection lost", network)
    if isinstance(exc, httpx2.TimeoutException):
        error = CourseGenError(ErrorKind.NETWORK, f"The model server at {where} did not answer in time; check it is running, then Resume.", resumable=True)
        return Failure(True, "The model server did not answer in time", error)
    if isinstance(exc, httpx2.TransportError):
        refused = network_reason(exc) != "the connection failed"
        return Failure(True, "Could not reach the model server" if refused else "Connection lost", network)
    if isinstance(exc, ValueError) and not isinstance(exc, ModeRejected):  # a chunk that is not JSON
        error = CourseGenError(ErrorKind.INVALID_OUTPUT, f"The model server at {where} kept sending garbled answers; Resume the job to try again.")
        return Failure(True, "The answer arrived garbled", error)
    if not isinstance(exc, ServerError):
        return None
    status = exc.status
    if status in (401, 403):
        message = f"The model server at {where} rejected the API key; check it in Settings (or OPENAI_API_KEY) and try again."
        return Failure(False, "", CourseGenError(ErrorKind.AUTH, message, resumable=True))
    if model_missing(exc):
        message = (
            f"The model '{short(model, 60)}' is not available at {where}; choose one the server lists in Settings "
            f"(for Ollama: `ollama pull {short(model, 60)}`), and check the address ends in /v1."
        )
        return Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))
    if status == 429:
        error = CourseGenError(ErrorKind.RATE_LIMIT, f"The model server at {where} kept refusing requests as too many; lower Concurrency, then Resume.", resumable=True)
        return Failure(True, "Rate limited by the model server", error, retry_after_seconds(exc.headers))
    if status >= 500 or status in (408, 409):
        error = CourseGenError(ErrorKind.SERVER, f"The model server at {where} kept failing ({short(exc.message, 100)}); check it, then Resume.", resumable=True)
        return Failure(True, "The model server had an error", error, retry_after_seconds(exc.headers))
    message = f"The model server refused the request ({short(exc.message) or f'status {status}'}); check the model and settings, then try again."
    return Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))
