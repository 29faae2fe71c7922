"""The GUI's door to the Claude side of core: where the API key is kept.

Checking a key and listing models need the `anthropic` SDK (about a second and 90 MiB): the job
engine does both (`JobManager.call("check_key" | "models")`), so the window never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from coursegen_desktop.core import paths, secrets
from coursegen_desktop.core.models import KNOWN_MODELS

FALLBACK_MODELS = KNOWN_MODELS
OFFLINE_LABEL = "Offline (from your material)"


@dataclass(frozen=True)
class KeyStatus:
    """Where the key is and where a new one would go, for the banner and Settings."""

    has_key: bool
    location: str | None  # "system keychain", "config file", "environment variable …" or None
    keychain_available: bool
    config_dir: str | None

    def describe(self) -> str:
        if not self.has_key:
            return "No API key is saved yet."
        if self.location == secrets.CONFIG_FILE and self.config_dir:
            return f"A key is saved in the config file in {self.config_dir}."
        return f"A key is saved in the {self.location}." if self.location else "A key is saved."

    def storage_note(self) -> str:
        if self.keychain_available:
            return "New keys are kept in your system keychain."
        if self.config_dir:
            return (
                "No system keychain is available, so a new key is kept in a private file "
                f"(readable only by you) in {self.config_dir}. You can also set ANTHROPIC_API_KEY instead."
            )
        return "No system keychain is available and saving keys is turned off here; set ANTHROPIC_API_KEY instead."


def key_status() -> KeyStatus:
    """Look the key up (keychain access can block: call it off the GUI thread)."""
    location = secrets.key_location()
    available = secrets.keychain_available()
    folder = secrets.config_dir()
    return KeyStatus(location is not None, location, bool(available), str(folder) if folder else None)


def data_folder() -> str:
    return str(paths.data_dir())
