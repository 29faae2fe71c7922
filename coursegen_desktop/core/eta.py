"""An honest time-left estimate, measured by `coursegen stats` (median error at 25/50/75 %).

1. **Learned**: seconds per unit of work of every step, per generator *and model*, from the
   last finished jobs (`step_timings`). A unit of the lessons and quizzes steps is a *round* of
   concurrent requests, not a lesson: 12 lessons at concurrency 4 take 1 + 3 rounds (the first
   lesson is written alone to warm the prompt cache). The quizzes step learns from the quizzes
   it really waited for (those written during the lessons are not its work).
2. **Live**: how fast this job goes compared with what was learned, per kind of work (streamed
   lesson text, structured answers, local work), shrunk towards the history while there is
   little evidence. In the lessons step, finished lessons set the pace (the bar's share of
   streamed text assumes a lesson length); elsewhere the live extrapolation (time in the step /
   share done) weighs more as the step proceeds.
3. **Steady**: the estimate may rise only as far as the evidence since the last estimate goes
   (the share of the job's run time that has just passed, plus any retry wait announced), so
   it never leaps at a step boundary. It is None ("estimating…") until it means something: with
   history for this generator once the material is read, without it once a lesson is written.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.steps import STEP_NAMES
from coursegen_desktop.core.store import Store

# Rough seconds per unit for a first job, before the history has anything to say.
DEFAULT_SECONDS_PER_UNIT: dict[str, dict[str, float]] = {
    "claude": {"prepare": 0.5, "outline": 20, "lessons": 30, "quizzes": 12, "exam": 40, "review": 0.2, "save": 0.2},
    "offline": {"prepare": 0.3, "outline": 0.3, "lessons": 0.05, "quizzes": 0.05, "exam": 0.1, "review": 0.1, "save": 0.1},
}
HISTORY_JOBS = 20  # how many recent jobs the learned rates come from
SAME_MODEL_MIN = 2  # jobs with the same model needed before they alone set a step's rate
PRIOR_SHARE = 0.05  # how much expected work the history is worth against this job's own pace
STEP_ENTRY_S = 0.05  # progress reported this soon after a step starts was done before it


def work_units(step: str, units: int, concurrency: int, parallel: bool) -> float:
    """Units of wall-clock work: rounds of concurrent requests for lessons and quizzes."""
    if units <= 0:
        return 0.0
    if not parallel or concurrency <= 1:
        return float(units)
    if step == "lessons":
        return 1 + math.ceil((units - 1) / concurrency)  # the cache warm-up lesson goes alone
    if step == "quizzes":
        return float(math.ceil(units / concurrency))
    return float(units)


def learned_rates(store: Store, generator: str, model: str | None) -> dict[str, float]:
    """Median seconds per work unit of each step over the recent jobs of this generator,
    from the jobs of the same model where there are enough of them. An unreadable history
    gives no rates (the estimate then waits for this job's own evidence), never an error."""
    try:
        rows = store.read(
            """SELECT st.job_id, st.step, st.units, st.seconds,
                      CASE WHEN json_valid(j.request_json) THEN json_extract(j.request_json, '$.concurrency') END,
                      CASE WHEN json_valid(j.request_json) THEN json_extract(j.request_json, '$.model') END
               FROM step_timings st JOIN jobs j ON j.id = st.job_id
               WHERE st.generator = ? AND st.units > 0 ORDER BY st.recorded_at DESC LIMIT ?""",
            (generator, HISTORY_JOBS * len(STEP_NAMES) * 2),
        )
    except CourseGenError:
        return {}
    parallel = generator != "offline"
    every: dict[str, list[float]] = {}
    same: dict[str, list[float]] = {}
    for _job, step, units, seconds, concurrency, job_model in rows:
        rate = seconds / work_units(step, units, int(concurrency) if isinstance(concurrency, int) else 1, parallel)
        if len(every.setdefault(step, [])) < HISTORY_JOBS:
            every[step].append(rate)
        if model and generator != "offline" and job_model == model and len(same.setdefault(step, [])) < HISTORY_JOBS:
            same[step].append(rate)
    return {
        step: statistics.median(same[step] if len(same.get(step, ())) >= SAME_MODEL_MIN else values)
        for step, values in every.items()
    }


# Steps alike in what they wait for: a job's pace in one predicts the others of its kind.
# Lessons stream long text; outline, quizzes and exam are structured (tool) answers; the rest is
# local work on this machine.
KINDS = {"lessons": "text", "outline": "tool", "quizzes": "tool", "exam": "tool", "prepare": "local", "review": "local", "save": "local"}


class EtaEstimator:
    def __init__(
        self,
        generator: str,
        units: dict[str, int],
        learned: dict[str, float],
        *,
        concurrency: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.units = units
        self.concurrency = concurrency
        self.parallel = generator != "offline"
        self.has_history = bool(learned)
        defaults = DEFAULT_SECONDS_PER_UNIT.get(generator, DEFAULT_SECONDS_PER_UNIT["claude"])
        self.per_unit = {step: learned.get(step, defaults[step]) for step in STEP_NAMES}
        self._clock = clock
        self._started = clock()
        self._done: dict[str, list[float]] = {kind: [0.0, 0.0] for kind in set(KINDS.values())}  # kind: [expected, actual]
        self._step = STEP_NAMES[0]
        self._step_started = self._started
        self._entry_fraction = 0.0
        self._lessons_done = 0
        self._lesson_times: list[float] = []  # when each lesson of the running lessons step finished
        self._shown: tuple[float, float] | None = None  # (when, seconds) of the last estimate
        self._allowance = 0.0  # seconds the estimate may rise by at once (announced retry waits)

    def expected(self, step: str, units: float | None = None) -> float:
        """Seconds the step should take at the learned pace (for `units`, default all of it)."""
        count = self.units.get(step, 1) if units is None else units
        return self.per_unit[step] * work_units(step, math.ceil(count), self.concurrency, self.parallel)

    def step_started(self, step: str) -> None:
        self._step, self._step_started, self._entry_fraction = step, self._clock(), 0.0
        self._lesson_times = []

    def step_finished(self, step: str, seconds: float, units_done: int) -> None:
        if units_done:
            evidence = self._done[KINDS[step]]
            evidence[0] += self.expected(step, units_done)
            evidence[1] += seconds

    def lesson_done(self) -> None:
        self._lessons_done += 1
        if self._step == "lessons":
            self._lesson_times.append(self._clock() - self._step_started)

    def retrying(self, delay_s: float) -> None:
        """A request waits `delay_s` before it is tried again: the estimate may rise by that."""
        self._allowance += max(0.0, delay_s)

    @property
    def meaningful(self) -> bool:
        finished = sum(actual for _expected, actual in self._done.values())
        if self.has_history:
            return self._step != STEP_NAMES[0] or finished > 0
        return self._lessons_done > 0 or finished >= 5

    def remaining(self, step_fraction: float) -> float | None:
        """Seconds left, or None ("estimating…") while there is no basis for a figure."""
        now = self._clock()
        in_step = now - self._step_started
        fraction = min(max(step_fraction, 0.0), 1.0)
        if in_step < STEP_ENTRY_S:
            self._entry_fraction = max(self._entry_fraction, fraction)
        if not self.meaningful:
            return None
        if self._step == "lessons" and self._lesson_times:
            current, evidence = self._lessons_left(in_step)
        else:
            current, evidence = self._step_left(in_step, fraction)
        later = sum(self.expected(step) * self._pace(KINDS[step], evidence) for step in STEP_NAMES[STEP_NAMES.index(self._step) + 1 :])
        return self._steady(max(0.0, current + later), now)

    def _step_left(self, in_step: float, fraction: float) -> tuple[float, tuple[str, float, float]]:
        """Seconds left in the current step from its share done, and the step's own evidence
        (kind, expected, actual) so far."""
        entry = self._entry_fraction
        # Share of this step's own work done since it started (quizzes may start half written).
        done = min(max((fraction - entry) / (1 - entry), 0.0), 1.0) if entry < 1 else 1.0
        kind = KINDS[self._step]
        evidence = (kind, self.expected(self._step, self.units.get(self._step, 1) * (1 - entry)) * done, in_step)
        modelled = self.expected(self._step, self.units.get(self._step, 1) * (1 - fraction)) * self._pace(kind, evidence) if fraction < 1 else 0.0
        if done > 0.05 and in_step > 0.5:
            live = in_step * (1 - done) / done
            return done * live + (1 - done) * modelled, evidence
        return modelled, evidence

    def _lessons_left(self, in_step: float) -> tuple[float, tuple[str, float, float]]:
        """Lessons: finished lessons are the firm evidence (the share of text streamed assumes
        a lesson length); pace = time to the last finished lesson per round of them."""
        pending = max(1, round(self.units.get("lessons", 1) * (1 - self._entry_fraction)))
        done = min(len(self._lesson_times), pending)
        rounds_done = work_units("lessons", done, self.concurrency, self.parallel)
        rounds_total = work_units("lessons", pending, self.concurrency, self.parallel)
        last = self._lesson_times[-1]
        evidence = ("text", self.per_unit["lessons"] * rounds_done, last)
        live = max(0.0, last / rounds_done * rounds_total - in_step)
        modelled = max(0.0, self.per_unit["lessons"] * rounds_total * self._pace("text", evidence) - in_step)
        share = rounds_done / rounds_total
        return share * live + (1 - share) * modelled, evidence

    def _pace(self, kind: str, current: tuple[str, float, float]) -> float:
        """How much slower (>1) or faster (<1) than the history this job does work of `kind`:
        from its finished steps of that kind (and the running step, `current`), else from all of
        its work; shrunk towards 1 by a prior worth a small share of the job's expected time."""
        expected, actual = self._done[kind]
        if current[0] == kind:
            expected, actual = expected + current[1], actual + current[2]
        if expected <= 0:
            expected = sum(e for e, _a in self._done.values()) + current[1]
            actual = sum(a for _e, a in self._done.values()) + current[2]
        prior = PRIOR_SHARE * sum(self.expected(step) for step in STEP_NAMES) if self.has_history else 0.0
        if expected + prior <= 0 or actual <= 0:
            return 1.0
        return min(max((actual + prior) / (expected + prior), 0.02), 50.0)

    def _steady(self, estimate: float, now: float) -> float:
        """Never rise by more than the evidence since the last estimate warrants."""
        if self._shown is not None:
            when, shown = self._shown
            passed = max(0.0, now - when)
            ceiling = shown + passed * shown / max(now - self._started, 1.0) + self._allowance
            estimate = min(estimate, ceiling)
        self._allowance = 0.0
        self._shown = (now, estimate)
        return estimate
