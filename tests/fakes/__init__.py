"""Test doubles that speak real wire protocols (see `messages_api` for the Messages API fake)."""

from tests.fakes.messages_api import DEFAULT_KEY, DEFAULT_MODELS, Fault, FakeMessagesAPI, RecordedRequest, Sloppy

__all__ = ["DEFAULT_KEY", "DEFAULT_MODELS", "Fault", "FakeMessagesAPI", "RecordedRequest", "Sloppy"]
