"""The app's preferences (QSettings, an INI file in the data folder beside the history).

Keeping the file in the data folder means `COURSEGEN_DATA_DIR` isolates everything at once
(tests, the self-test, screenshots) and the user finds all of CourseGen's state in one place.
The API key is never stored here: it lives in `core.secrets` (keychain or private config file).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from coursegen_desktop.core import paths
from coursegen_desktop.core.models import DEFAULT_MODEL
from coursegen_desktop.core.study_config import DEFAULT_NEW_PER_DAY, DEFAULT_RETENTION, StudyConfig

from coursegen_desktop.core.models import DEFAULT_MODEL, GeneratorKind, default_local_base_url

DEFAULT_MAX_JOBS = 2
PROVIDER_ANTHROPIC = "anthropic"
PROVIDER_LOCAL = GeneratorKind.OPENAI_COMPATIBLE.value
DEFAULT_LESSON_CONCURRENCY = 4


class Settings:
    """Typed access to the few preferences the GUI keeps."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings(str(paths.data_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def _int(self, key: str, default: int, low: int, high: int) -> int:
        try:
            value = int(self.q.value(key, default))
        except (TypeError, ValueError):
            value = default
        return min(max(value, low), high)

    @property
    def max_jobs(self) -> int:
        """How many jobs run at once (the rest wait in the queue)."""
        return self._int("jobs/max_running", DEFAULT_MAX_JOBS, 1, 8)

    @max_jobs.setter
    def max_jobs(self, value: int) -> None:
        self.q.setValue("jobs/max_running", int(value))

    @property
    def lesson_concurrency(self) -> int:
        """How many lessons of one job are written at once."""
        return self._int("jobs/lessons_at_once", DEFAULT_LESSON_CONCURRENCY, 1, 16)

    @lesson_concurrency.setter
    def lesson_concurrency(self, value: int) -> None:
        self.q.setValue("jobs/lessons_at_once", int(value))

    @property
    def default_model(self) -> str:
        return str(self.q.value("generation/model", DEFAULT_MODEL) or DEFAULT_MODEL)

    @default_model.setter
    def default_model(self, value: str) -> None:
        self.q.setValue("generation/model", value)

    @property
    def study(self) -> StudyConfig:
        """Desired retention and new cards per day (the CLI reads the same keys: `study.load_config`)."""
        try:
            retention = float(self.q.value("study/desired_retention", DEFAULT_RETENTION))
        except (TypeError, ValueError):
            retention = DEFAULT_RETENTION
        return StudyConfig(retention, self._int("study/new_cards_per_day", DEFAULT_NEW_PER_DAY, 0, 9999)).clamped()

    @study.setter
    def study(self, config: StudyConfig) -> None:
        config = config.clamped()
        self.q.setValue("study/desired_retention", round(config.desired_retention, 2))
        self.q.setValue("study/new_cards_per_day", config.new_per_day)

    # -- who writes the courses: Claude, or a local OpenAI-compatible server ------------------------

    @property
    def provider(self) -> str:
        """"anthropic" or "openai-compatible": which generator new courses use by default."""
        value = str(self.q.value("generation/provider", PROVIDER_ANTHROPIC) or PROVIDER_ANTHROPIC)
        return value if value in (PROVIDER_ANTHROPIC, PROVIDER_LOCAL) else PROVIDER_ANTHROPIC

    @provider.setter
    def provider(self, value: str) -> None:
        self.q.setValue("generation/provider", value)

    @property
    def local_base_url(self) -> str:
        """The OpenAI-compatible server (never holds the key, which lives in core.secrets)."""
        return str(self.q.value("local/base_url", "") or "") or default_local_base_url()

    @local_base_url.setter
    def local_base_url(self, value: str) -> None:
        self.q.setValue("local/base_url", value)

    @property
    def local_model(self) -> str:
        return str(self.q.value("local/model", "") or "")

    @local_model.setter
    def local_model(self, value: str) -> None:
        self.q.setValue("local/model", value)

    def bytes_value(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_value(self, key: str, value: object) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()
