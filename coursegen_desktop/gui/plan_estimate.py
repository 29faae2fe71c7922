"""The new-course form's price tag: "≈ 14 calls · $0.21–0.34 · 2–4 min", kept current as the form changes.

Changes are debounced (one estimate per pause in typing), and the estimate itself runs in the job
engine: it reads the material files and, with a key set, asks the API to count their tokens
(`core.plan`; never a Messages call), so the window never loads the SDK. Results of an older form
state are dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import GeneratorKind
from coursegen_desktop.gui.new_course_form import AskEngine, NewCourseForm

log = logging.getLogger(__name__)

DEBOUNCE_MS = 400


class PlanEstimate(QObject):
    """Keeps `form.planLabel` current; `runs` counts the estimates started (for tests)."""

    def __init__(self, form: NewCourseForm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self._ask_engine: AskEngine | None = None
        self.runs = 0
        self._latest = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        form.changed.connect(self._timer.start)
        form.planLabel.setToolTip("What the course will cost and how long it takes, estimated from its size and your past jobs; no API call is made to estimate it.")

    def set_engine(self, ask_engine: AskEngine) -> None:
        """Estimate through the job engine (it learns from the history of past jobs)."""
        self._ask_engine = ask_engine
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
        if (request.generator == GeneratorKind.OFFLINE and not request.material) or self._ask_engine is None:
            self.form.planLabel.setText("")
            return
        self.runs += 1
        self._latest = number = self.runs
        self.form.planLabel.setText(self.form.planLabel.text() or "Estimating…")
        self._ask_engine("plan", lambda reply: self._show(number, reply), request=request.model_dump(mode="json"))

    def _show(self, number: int, reply: dict[str, Any]) -> None:
        if number != self._latest:
            return
        if not reply.get("ok"):
            log.info("estimating the course failed: %s", reply.get("error"))
        self.form.planLabel.setText(str(reply.get("label") or "") if reply.get("ok") else "")
