"""Where the API keys live (Anthropic's, and the optional one of an OpenAI-compatible server),
and how to keep them out of every message and log.

Each key is an `Account`. Lookup order: its environment variable (`ANTHROPIC_API_KEY`,
`OPENAI_API_KEY`), then the OS keychain (only when a
real backend is present: headless Linux has none, and the plaintext `keyrings.alt` backends
are no safer than our file), then `credentials.json` (mode 0600 in a 0700 folder) in the user's
config folder. Tests set `COURSEGEN_NO_KEYRING=1`, which skips the keychain and also the file
unless `COURSEGEN_CONFIG_DIR` points somewhere (a temporary folder), so a test can never read
or overwrite the developer's real key.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursegen_desktop.core.errors import BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.paths import APP_DIR_NAME

log = logging.getLogger(__name__)

ENV_VAR = "ANTHROPIC_API_KEY"
SERVICE = "coursegen-desktop"
USERNAME = "anthropic-api-key"
CREDENTIALS_FILE = "credentials.json"

KEYCHAIN = "system keychain"
CONFIG_FILE = "config file"
ENVIRONMENT = "environment variable ANTHROPIC_API_KEY"


@dataclass(frozen=True)
class Account:
    """One key: where it is looked up and stored."""

    env_var: str
    username: str  # in the keychain, under SERVICE
    file_field: str  # in credentials.json

    @property
    def environment(self) -> str:
        return f"environment variable {self.env_var}"


ANTHROPIC = Account(ENV_VAR, USERNAME, "anthropic_api_key")
OPENAI_COMPATIBLE = Account("OPENAI_API_KEY", "openai-compatible-api-key", "openai_api_key")

_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}")
_OTHER_KEY_PATTERN = re.compile(r"\bsk-(?!ant-)[A-Za-z0-9_\-]{16,}")


class Secret:
    """A string that never shows itself in `repr`, `str`, f-strings or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def redact(text: str, *secrets: Secret | str | None) -> str:
    """`text` with the given secrets, and anything shaped like an Anthropic key, blotted out."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 6:
            text = text.replace(value, "[redacted]")
    return _OTHER_KEY_PATTERN.sub("sk-[redacted]", _KEY_PATTERN.sub("sk-ant-[redacted]", text))


# ---------------------------------------------------------------------------------------------
# Public API


def get_api_key(account: Account = ANTHROPIC) -> str | None:
    """The key to use, or None when the user has not set one anywhere."""
    env = os.environ.get(account.env_var, "").strip()
    if env:
        return env
    backend = _keyring()
    if backend is not None:
        try:
            value = backend.get_password(SERVICE, account.username)
        except Exception as exc:  # KeyringError, or a D-Bus/Keychain failure underneath it
            log.warning("The system keychain could not be read (%s); trying the config file.", type(exc).__name__)
        else:
            if value:
                return value
    return _read_file(account)


def key_location(account: Account = ANTHROPIC) -> str | None:
    """Where `get_api_key` finds the key, for the Settings dialog ("system keychain", …)."""
    if os.environ.get(account.env_var, "").strip():
        return account.environment
    backend = _keyring()
    if backend is not None:
        try:
            if backend.get_password(SERVICE, account.username):
                return KEYCHAIN
        except Exception:
            pass
    return CONFIG_FILE if _read_file(account) else None


def set_api_key(key: str, account: Account = ANTHROPIC) -> str:
    """Store `key` in the keychain, else in the config file; returns where it went."""
    key = key.strip()
    if not key or len(key) > 500 or any(ch.isspace() for ch in key):
        where = "the Anthropic Console" if account == ANTHROPIC else "your model server's settings"
        raise BadInput(f"That does not look like an API key; copy it again from {where}.")
    backend = _keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, account.username, key)
        except Exception as exc:
            log.warning("The system keychain refused the key (%s); using the config file.", type(exc).__name__)
        else:
            _delete_file(account)
            log.info("API key saved in the %s.", KEYCHAIN)
            return KEYCHAIN
    path = _credentials_path()
    if path is None:
        raise CourseGenError(
            ErrorKind.STORAGE,
            f"Saving keys is turned off here (COURSEGEN_NO_KEYRING); set {account.env_var} instead.",
            resumable=False,
        )
    _write_file(path, account, key)
    log.info("API key saved in the %s %s.", CONFIG_FILE, path)
    return CONFIG_FILE


def keychain_available() -> bool:
    """Whether `set_api_key` would use a real system keychain (for the Settings dialog's hint)."""
    return _keyring() is not None


def delete_api_key(account: Account = ANTHROPIC) -> None:
    """Forget the stored key (keychain and file). The environment variable is the user's own."""
    backend = _keyring()
    if backend is not None:
        try:
            backend.delete_password(SERVICE, account.username)
        except Exception:
            pass  # nothing stored there, or the keychain is locked: the file is still removed
    _delete_file(account)


# ---------------------------------------------------------------------------------------------
# Backends


def _keychain_disabled() -> bool:
    return os.environ.get("COURSEGEN_NO_KEYRING", "").strip() not in ("", "0")


def _keyring() -> Any | None:
    """The keyring backend if it is a real, secure one; None otherwise (or when disabled)."""
    if _keychain_disabled():
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or float(getattr(backend, "priority", 0)) < 1:
            return None
        return backend
    except Exception as exc:
        log.info("No usable system keychain (%s).", type(exc).__name__)
        return None


def config_dir() -> Path | None:
    """The folder for `credentials.json`, or None when file storage is disabled (tests)."""
    override = os.environ.get("COURSEGEN_CONFIG_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    if _keychain_disabled():
        return None
    import platformdirs

    return platformdirs.user_config_path(APP_DIR_NAME, appauthor=False)


def _credentials_path() -> Path | None:
    folder = config_dir()
    return folder / CREDENTIALS_FILE if folder is not None else None


def _read_fields() -> dict[str, Any]:
    path = _credentials_path()
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("The credentials file %s cannot be read (%s); ignoring it.", path, type(exc).__name__)
        return {}
    return data if isinstance(data, dict) else {}


def _read_file(account: Account) -> str | None:
    value = _read_fields().get(account.file_field)
    return (value.strip() or None) if isinstance(value, str) else None


def _write_file(path: Path, account: Account, key: str | None) -> None:
    """Set (or, with None, remove) one account's key in the file, keeping the others. Written
    atomically with owner-only permissions from the first byte (no chmod race); removed when
    no key is left in it."""
    fields = {k: v for k, v in _read_fields().items() if k != account.file_field}
    if key is not None:
        fields[account.file_field] = key
    if not fields:
        path.unlink(missing_ok=True)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(fields, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise CourseGenError(
            ErrorKind.STORAGE,
            f"The key could not be saved in {path.parent} ({exc.strerror or type(exc).__name__}); "
            f"set {account.env_var} instead.",
            resumable=False,
        ) from None


def _delete_file(account: Account) -> None:
    path = _credentials_path()
    if path is not None and path.exists():
        try:
            _write_file(path, account, None)
        except (OSError, CourseGenError) as exc:
            log.warning("The key could not be removed from %s (%s).", path, type(exc).__name__)
