"""The new-course form's price tag: "≈ 14 calls · $0.21–0.34 · 2–4 min", kept current as the form changes.

Changes are debounced (one estimate per pause in typing), and the estimate itself runs on the
background pool: it reads the material files and, with a key set, asks the API to count their
tokens (`core.plan`; never a Messages call). Results of an older form state are dropped.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import CourseRequest, GeneratorKind
from coursegen_desktop.core.plan import Plan, plan_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.new_course_form import NewCourseForm

log = logging.getLogger(__name__)

DEBOUNCE_MS = 400


def estimate(request: CourseRequest, store: Store | None) -> Plan:
    """The plan for the form's request (blocking: runs on the background pool)."""
    from coursegen_desktop.core.secrets import get_api_key

    key = get_api_key() if request.generator == GeneratorKind.CLAUDE else None
    return plan_request(request, store, api_key=key)


class PlanEstimate(QObject):
    """Keeps `form.planLabel` current; `runs` counts the estimates started (for tests)."""

    def __init__(self, form: NewCourseForm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.store: Store | None = None
        self.runs = 0
        self._latest = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        form.changed.connect(self._timer.start)
        form.planLabel.setToolTip("What the course will cost and how long it takes, estimated from its size and your past jobs; no API call is made to estimate it.")

    def set_store(self, store: Store) -> None:
        """With the history open, estimates learn from past jobs."""
        self.store = store
        self._timer.start()

    def refresh(self) -> None:
        if self.form.checking:  # material still being read: try again after the next pause
            self._timer.start()
            return
        try:
            request = self.form.build_request()
        except CourseGenError:
            self.form.planLabel.setText("")
            return
        if request.generator == GeneratorKind.OFFLINE and not request.material:
            self.form.planLabel.setText("")
            return
        self.runs += 1
        self._latest = number = self.runs
        self.form.planLabel.setText(self.form.planLabel.text() or "Estimating…")
        tasks.run_in_background(
            estimate, request, self.store,
            on_done=lambda plan: self._show(number, plan), on_error=lambda error: self._failed(number, error), owner=self.form,
        )

    def _show(self, number: int, plan: Plan) -> None:
        if number == self._latest:
            self.form.planLabel.setText(plan.label())

    def _failed(self, number: int, error: Exception) -> None:
        if number != self._latest:
            return
        if not isinstance(error, CourseGenError):
            log.warning("estimating the course failed", exc_info=error)
        self.form.planLabel.setText("")
