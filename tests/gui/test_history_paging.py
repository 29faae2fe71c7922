"""A 50,000-job history: the table reads it page by page as it scrolls, the filter runs in SQL
on a worker thread, and any old job can be found and opened."""

from __future__ import annotations

from coursegen_desktop.core.history import PAGE_SIZE
from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui.history_model import STATUS, TOPIC, JobRole
from tests.gui.conftest import close_window, open_window
from tests.helpers import big_history
from tests.helpers.course_factory import make_course

JOBS = 50_000


def test_job_40000_of_50000_is_found_by_filter_and_opened(qtbot, factory) -> None:  # noqa: ANN001
    store = Store.open()
    big_history.fill(store, JOBS)
    wanted = big_history.job_id(40_000)
    store.save_course(wanted, make_course())
    store.close()

    window = open_window(qtbot, factory)
    try:
        model, view = window.history_model, window.historyView
        assert model.rowCount() == PAGE_SIZE  # only the first page is read at start
        assert model.index(0, TOPIC).data() == big_history.topic(JOBS)  # newest first
        assert model.canFetchMore()

        with qtbot.waitSignal(model.page_loaded, timeout=5000):
            view.scrollToBottom()  # the view asks the model for more when it reaches the end
        assert model.rowCount() == 2 * PAGE_SIZE
        assert model.index(PAGE_SIZE, TOPIC).data() == big_history.topic(JOBS - PAGE_SIZE)

        qtbot.keyClicks(window.filterEdit, "topic 40000")
        qtbot.waitUntil(lambda: model.rowCount() == 1 and model.index(0, 0).data(JobRole).id == wanted, timeout=5000)
        assert not model.canFetchMore()
        view.selectRow(0)
        window.history.openAction.trigger()
        course_view = window.courseView
        qtbot.waitUntil(lambda: course_view.job_id == wanted and course_view.outlineTree.topLevelItemCount() > 0, timeout=5000)

        window.filterEdit.clear()
        window.history.statusCombo.setCurrentIndex(window.history.statusCombo.findData(JobStatus.FAILED))
        qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE and not model.loading, timeout=5000)
        assert {model.index(row, STATUS).data() for row in range(model.rowCount())} == {"Failed"}
        assert model.index(0, TOPIC).data() == big_history.topic(49_998)
    finally:
        close_window(qtbot, window)


def test_a_new_job_goes_on_top_only_when_the_filter_selects_it(qtbot, window, material) -> None:  # noqa: ANN001
    from tests.gui.test_generate_flow import _start_job

    model = window.history_model
    qtbot.keyClicks(window.filterEdit, "volcanoes")
    qtbot.waitUntil(lambda: model.query.text == "volcanoes" and not model.loading, timeout=5000)
    dialog = _start_job(qtbot, window, material, topic="Photosynthesis")
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED and not window.job_manager.active_count, timeout=10_000)
    assert model.rowCount() == 0
    window.filterEdit.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.index(0, STATUS).data() == "Completed", timeout=5000)
    dialog.close()
