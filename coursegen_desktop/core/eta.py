"""An honest time-left estimate: seconds per unit of work learned from past jobs, corrected by
how fast this job is actually going. Returns None until there is something to base it on."""

from __future__ import annotations

import time

from coursegen_desktop.core.steps import STEP_NAMES

# Rough seconds per unit for a first job, before the history has anything to say.
DEFAULT_SECONDS_PER_UNIT: dict[str, dict[str, float]] = {
    "claude": {"prepare": 0.5, "outline": 20, "lessons": 12, "quizzes": 10, "exam": 30, "review": 0.2, "save": 0.2},
    "offline": {"prepare": 0.3, "outline": 0.3, "lessons": 0.05, "quizzes": 0.05, "exam": 0.1, "review": 0.1, "save": 0.1},
}


class EtaEstimator:
    def __init__(self, generator: str, units: dict[str, int], learned: dict[str, float]) -> None:
        self.units = units
        self.has_history = bool(learned)
        defaults = DEFAULT_SECONDS_PER_UNIT.get(generator, DEFAULT_SECONDS_PER_UNIT["claude"])
        self.per_unit = {step: learned.get(step, defaults[step]) for step in STEP_NAMES}
        self._expected_done = 0.0  # seconds the finished work "should" have taken
        self._actual_done = 0.0  # seconds it did take
        self._step = STEP_NAMES[0]
        self._step_started = time.monotonic()
        self._lessons_done = 0

    def step_started(self, step: str) -> None:
        self._step, self._step_started = step, time.monotonic()

    def step_finished(self, step: str, seconds: float, units_done: int) -> None:
        if units_done:
            self._expected_done += self.per_unit[step] * units_done
            self._actual_done += seconds

    def lesson_done(self) -> None:
        self._lessons_done += 1

    def remaining(self, step_fraction: float) -> float | None:
        """Seconds left, or None while neither history nor this job gives a basis."""
        if not self.has_history and self._lessons_done == 0 and self._actual_done < 5:
            return None
        current = STEP_NAMES.index(self._step)
        elapsed_in_step = time.monotonic() - self._step_started
        step_total = self.per_unit[self._step] * self.units.get(self._step, 1)
        if step_fraction > 0.05 and elapsed_in_step > 1.0:
            current_left = elapsed_in_step * (1 - step_fraction) / step_fraction
        else:
            current_left = step_total * (1 - step_fraction) * self._speed()
        later = sum(self.per_unit[step] * self.units.get(step, 1) for step in STEP_NAMES[current + 1 :])
        return max(0.0, current_left + later * self._speed())

    def _speed(self) -> float:
        """How much slower (>1) or faster (<1) this job runs than expected, within sane bounds."""
        if self._expected_done <= 0 or self._actual_done <= 0:
            return 1.0
        return min(max(self._actual_done / self._expected_done, 0.25), 4.0)
