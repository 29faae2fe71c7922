"""The learner's study preferences, apart from the scheduler so reading them costs no import
of `fsrs` (the window reads them at start-up; the CLI reads the same INI keys without Qt)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_RETENTION = 0.9
DEFAULT_NEW_PER_DAY = 20
RETENTION_RANGE = (0.70, 0.99)
NEW_PER_DAY_RANGE = (0, 9999)


@dataclass(frozen=True)
class StudyConfig:
    """The learner's two study preferences (Settings → Study)."""

    desired_retention: float = DEFAULT_RETENTION
    new_per_day: int = DEFAULT_NEW_PER_DAY

    def clamped(self) -> StudyConfig:
        low, high = RETENTION_RANGE
        return StudyConfig(min(max(float(self.desired_retention), low), high), min(max(int(self.new_per_day), 0), NEW_PER_DAY_RANGE[1]))


def load_config(data_dir: Path) -> StudyConfig:
    """The study preferences from the app's settings file (for the CLI, which has no Qt)."""
    import configparser  # here: the window reads its settings through Qt and never needs it

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(data_dir / "settings.ini", encoding="utf-8")
        section = parser["study"] if parser.has_section("study") else {}
        return StudyConfig(
            float(section.get("desired_retention", DEFAULT_RETENTION)),
            int(float(section.get("new_cards_per_day", DEFAULT_NEW_PER_DAY))),
        ).clamped()
    except (configparser.Error, ValueError, OSError, UnicodeDecodeError):
        log.warning("the study settings could not be read; using the defaults", exc_info=True)
        return StudyConfig()
