"""The seven steps of a job and their share of the progress bar (DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    start: float  # percent of the bar where the step begins
    end: float  # percent where it ends

    @property
    def index(self) -> int:
        return STEP_NAMES.index(self.name)

    def at(self, fraction: float) -> float:
        """The bar's percent when this step is `fraction` (0..1) done."""
        fraction = min(max(fraction, 0.0), 1.0)
        return self.start + (self.end - self.start) * fraction


STEPS: tuple[Step, ...] = (
    Step("prepare", "Prepare material", 0, 5),
    Step("outline", "Plan the outline", 5, 15),
    Step("lessons", "Write the lessons", 15, 70),
    Step("quizzes", "Write module quizzes", 70, 82),
    Step("exam", "Practice exam and flashcards", 82, 90),
    Step("review", "Review and repair", 90, 97),
    Step("save", "Save the course", 97, 100),
)
STEP_NAMES: tuple[str, ...] = tuple(step.name for step in STEPS)
STEP_BY_NAME: dict[str, Step] = {step.name: step for step in STEPS}
