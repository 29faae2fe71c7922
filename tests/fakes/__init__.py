"""Test doubles that speak real wire protocols (`messages_api`: the Anthropic Messages API; `openai_api`: an OpenAI-compatible server)."""

from tests.fakes.messages_api import DEFAULT_KEY, DEFAULT_MODELS, Fault, FakeMessagesAPI, RecordedRequest, Sloppy
from tests.fakes.openai_api import DEFAULT_LOCAL_MODELS, FakeOpenAIAPI

__all__ = ["DEFAULT_KEY", "DEFAULT_LOCAL_MODELS", "DEFAULT_MODELS", "FakeOpenAIAPI", "Fault", "FakeMessagesAPI", "RecordedRequest", "Sloppy"]
