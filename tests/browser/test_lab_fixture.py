"""The shared ``lab`` fixture itself: a notebook opens, its kernel runs cells, output shows."""

from __future__ import annotations


def test_notebook_runs_cells_and_shows_output(lab):
    path = lab.write_notebook("fixture.ipynb", ["x = 6 * 7", "print('answer', x)"])
    lab.open_notebook(path)
    lab.run_all()
    lab.page.get_by_text("answer 42").wait_for()
    assert lab.session(path)["kernel"]["execution_state"] in {"idle", "busy"}
    # the news toast is disabled: no notification asks about news
    assert lab.page.get_by_text("official Jupyter news").count() == 0
    lab.screenshot("fixture")
    assert lab.page_errors == []
