"""Which API failures are retried, and the one sentence the user sees for each."""

from __future__ import annotations

import re

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.claude_sdk import sdk
from coursegen_desktop.core.generators.retry import Failure, network_reason, retry_after_seconds, short

AUTH_MESSAGE = "The API key was rejected; check it in Settings (or ANTHROPIC_API_KEY) and try again."
NO_KEY_MESSAGE = "No Anthropic API key is set; add one in Settings (or set ANTHROPIC_API_KEY), then Resume."
NETWORK_MESSAGE = "Network unavailable — Resume when you are back online."


class StreamCut(Exception):
    """The stream ended without `message_stop` (a proxy or the network dropped it)."""


_UNKNOWN_MODEL = re.compile(r"\bmodel\b.{0,80}\b(not found|does not exist|invalid|unknown|not available)|\b(invalid|unknown) model\b", re.I)


def classify(exc: Exception, model: str) -> Failure | None:
    """How to handle a failed request; None for exceptions that are bugs, not API failures."""
    anthropic = sdk()
    import httpx2

    network = CourseGenError(ErrorKind.NETWORK, NETWORK_MESSAGE, resumable=True)
    if isinstance(exc, StreamCut):
        return Failure(True, "Connection lost", network)
    if isinstance(exc, (anthropic.APITimeoutError, httpx2.TimeoutException)):
        return Failure(True, "The API did not answer in time", network)
    if isinstance(exc, httpx2.TransportError):
        return Failure(True, "Connection lost", network)
    if isinstance(exc, anthropic.APIConnectionError):
        reachable = network_reason(exc) == "the connection failed"
        return Failure(True, "Connection lost" if reachable else "Could not reach the API", network)
    if isinstance(exc, ValueError) and str(exc).startswith("Unable to parse tool parameter JSON"):
        return Failure(True, "Claude's answer arrived garbled", CourseGenError(ErrorKind.INVALID_OUTPUT, "Claude's answers kept arriving garbled; Resume the job to try again."))
    if not isinstance(exc, anthropic.APIStatusError):
        return None

    status, kind = exc.status_code, str(exc.type or "")
    detail = str(exc.api_message or "")
    wait = retry_after_seconds(exc.response.headers) if status >= 400 else None
    if kind == "overloaded_error" or status == 529:
        error = CourseGenError(ErrorKind.OVERLOADED, "Claude is overloaded right now; Resume the job in a few minutes.", resumable=True)
        return Failure(True, "Claude is overloaded", error, wait)
    if kind == "rate_limit_error" or status == 429:
        error = CourseGenError(
            ErrorKind.RATE_LIMIT, "The API kept refusing requests because of your rate limit; lower Concurrency or wait a minute, then Resume.", resumable=True
        )
        return Failure(True, "Rate limited by the API", error, wait)
    if status in (401, 403) or kind in ("authentication_error", "permission_error"):
        return Failure(False, "", CourseGenError(ErrorKind.AUTH, AUTH_MESSAGE, resumable=True))
    if status == 402 or kind == "billing_error" or "credit balance" in detail.lower():
        message = "Your Anthropic account has run out of credit; add credit in the Anthropic Console, then Resume."
        return Failure(False, "", CourseGenError(ErrorKind.BILLING, message, resumable=True))
    if status == 404 or kind == "not_found_error" or (status == 400 and _UNKNOWN_MODEL.search(detail)):
        return Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, f"The model '{short(model, 60)}' is not available; choose another model."))
    if status == 413 or kind == "request_too_large":
        message = "The study material is too large to send in one request; remove some files and try again."
        return Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))
    if status < 300 or status in (408, 409) or status >= 500 or kind in ("api_error", "timeout_error"):
        reason = "The API is temporarily unavailable" if status == 503 else "The API had a temporary error"
        error = CourseGenError(ErrorKind.SERVER, "The API kept failing with server errors; Resume the job in a few minutes.", resumable=True)
        return Failure(True, reason, error, wait)
    message = f"The API refused the request ({short(detail) or f'status {status}'}); check the model and settings, then try again."
    return Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))
