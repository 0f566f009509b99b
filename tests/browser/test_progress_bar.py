"""A long step's progress bar in a real JupyterLab: an ipywidgets bar with its label while the
step runs (JupyterLab's requests carry the cell id), gone from the output once it ends."""

from __future__ import annotations

CELL = """
import os, time
os.environ["MLNB_PROGRESS_DELAY"] = "0"
from mlnb.display.progress import progress
with progress(4, "SHAP values", unit="row") as bar:
    for _ in range(4):
        time.sleep(1.5)
        bar.update()
print("step finished")
"""


def test_progress_bar_shows_while_running_then_leaves_nothing(lab):
    path = lab.write_notebook("progress.ipynb", [CELL])
    lab.open_notebook(path)
    lab.select_cell(0)
    lab.command("notebook:run-cell", wait=False)
    page = lab.page
    output = page.locator(".jp-Cell").first.locator(".jp-OutputArea")
    bar = output.locator(".widget-hprogress").first
    bar.wait_for(timeout=60_000)
    label = output.locator("div.widget-label").first
    page.wait_for_function(
        "(el) => /^SHAP values: [1-3] of 4 rows · /.test(el.textContent)",
        arg=label.element_handle(),
        timeout=30_000,
    )
    lab.screenshot("progress-bar-running", output)
    output.get_by_text("step finished").wait_for(timeout=60_000)
    page.wait_for_function(
        "(el) => el.querySelectorAll('.widget-hprogress, .widget-label').length === 0",
        arg=output.element_handle(),
        timeout=10_000,
    )
    assert output.inner_text().strip() == "step finished"
    assert lab.page_errors == []
