"""Where the Claude API key is, and where a new one would go: for the window's banner and Settings.

Looking it up may import the keychain library and wait on the system keychain, so it runs off the
GUI thread: in the job engine at start-up, on the background pool in Settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from coursegen_desktop.core import secrets


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


def key_status_dict() -> dict[str, object]:
    """`key_status()` as the engine sends it."""
    return asdict(key_status())
