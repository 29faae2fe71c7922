"""The GUI's door to the Claude side of core: where the API key is kept.

Checking a key and listing models need the `anthropic` SDK (about a second and 90 MiB), and the
keychain library costs the window ~20 MiB: the job engine answers the start-up key lookup, the
key check and the model list (`JobManager.call("key_status" | "check_key" | "models")`). Settings
reads and saves keys here, off the GUI thread.
"""

from __future__ import annotations

from coursegen_desktop.core import paths
from coursegen_desktop.core.key_status import KeyStatus, key_status  # noqa: F401 - the GUI's names for them
from coursegen_desktop.core.models import KNOWN_MODELS

FALLBACK_MODELS = KNOWN_MODELS
OFFLINE_LABEL = "Offline (from your material)"


def data_folder() -> str:
    return str(paths.data_dir())
