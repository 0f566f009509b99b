"""The JupyterLab extension in a real lab: Runs sidebar, run card renderer, %%track toggle."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat

XSS = "<img src=x onerror=alert(1)>"
DOCS = Path(__file__).resolve().parents[2] / "docs"

TRACKED = """%%track -n first
from sklearn.linear_model import LogisticRegression
C = 0.5
clf = LogisticRegression(C=C).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
mlnb.log_metric("accuracy", 0.9)
for step in range(5):
    mlnb.log_metric("loss", 1 / (step + 1), step=step)
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([3, 1, 2])"""


REGISTER = """first = mlnb.search_runs(filter_string="attributes.run_name = 'first'").run_id[0]
mlnb.register_model(f"runs:/{first}/clf", "churn")
mlnb.set_registered_model_alias("churn", "champion", 1)
with mlnb.start_run(run_name="elsewhere"):  # no notebook: only in the experiment's list
    pass"""


def _panel(lab):
    return lab.page.locator("#mlnb-runs-panel")


def _open_sidebar(lab) -> None:
    lab.command("mlnb:show-runs")
    _panel(lab).wait_for(state="visible")


def _run_row(lab, name: str):
    return _panel(lab).locator(".mlnb-run", has=lab.page.locator(".mlnb-run-name", has_text=name))


def test_tracked_cell_appears_in_the_sidebar_with_detail_and_actions(lab):
    path = lab.write_notebook(
        "train.ipynb",
        [
            "%load_ext mlnb\nimport mlnb",
            TRACKED,
            f"with mlnb.start_run(run_name={XSS!r}, notebook=__session__):\n"
            "    mlnb.log_metric('accuracy', 0.5)\n"
            "    with mlnb.start_run(run_name='child', nested=True, notebook=__session__):\n"
            "        pass",
            "x = 1",
            "%%track -n slow\nimport time\ntime.sleep(8)\nmlnb.log_metric('done', 1.0)",
            REGISTER,
        ],
    )
    lab.open_notebook(path)
    _open_sidebar(lab)
    assert lab.has_command("mlnb:toggle-track")

    lab.run_cell(0)
    lab.run_cell(1)
    # the run shows up without any reload, with its status and key metric
    row = _run_row(lab, "first")
    row.wait_for(timeout=30_000)
    row.locator(".mlnb-status-finished").wait_for()
    assert "accuracy" in row.inner_text() and "0.9" in row.inner_text()
    # grouped under the cell that produced it
    assert _panel(lab).locator(".mlnb-group-title").first.inner_text() == "Cell 2 · %%track -n first"

    # the run card is drawn by our MIME renderer (not the HTML fallback)
    card = lab.page.locator(".jp-Cell").nth(1).locator(".mlnb-RunCard .mlnb-card")
    card.wait_for()
    assert card.locator(".mlnb-card-name").inner_text() == "first"
    assert "accuracy" in card.locator(".mlnb-card-metrics").inner_text()
    assert "runs:/" in card.locator(".mlnb-card-models").inner_text()
    assert card.locator("img.mlnb-card-figure").count() >= 1

    # a hostile run name is shown as text in the sidebar and in the card
    lab.run_cell(2)
    hostile = _run_row(lab, "onerror")
    hostile.wait_for(timeout=30_000)
    assert hostile.locator(".mlnb-run-name").inner_text() == XSS
    assert lab.page.locator("img[src='x']").count() == 0
    # a child run is listed right below its parent, indented
    child = _run_row(lab, "child")
    child.wait_for()
    assert "mlnb-child" in (child.get_attribute("class") or "")
    names = _panel(lab).locator(".mlnb-run-name").all_inner_texts()
    assert names[names.index(XSS) + 1] == "child"
    # live update: a run shows as RUNNING while its cell runs, then FINISHED, without a reload
    lab.select_cell(4)
    lab.command("notebook:run-cell", wait=False)
    slow = _run_row(lab, "slow")
    slow.locator(".mlnb-status-running").wait_for(timeout=30_000)
    slow.locator(".mlnb-status-finished").wait_for(timeout=30_000)

    # the Models section lists registered models, versions and aliases
    lab.wait_cells_done(allow_errors=True)
    lab.run_cell(5)
    _panel(lab).locator(".mlnb-models-section > summary").click()
    registered = _panel(lab).locator(".mlnb-registered-model[data-model='churn']")
    registered.wait_for()
    assert "@champion → v1" in registered.inner_text()
    assert "models:/churn/1" in registered.inner_text()
    lab.screenshot("sidebar-and-card")
    lab.page.locator(".jp-Cell").nth(1).locator(".mlnb-card").evaluate(
        "el => el.scrollIntoView({block: 'start'})"
    )
    lab.page.wait_for_timeout(300)
    shot = lab.screenshot("readme")
    if os.environ.get("MLNB_UPDATE_DOCS") == "1":  # refresh the README's picture on purpose only
        shutil.copyfile(shot, DOCS / "runs-sidebar.png")

    # the search box uses the query language
    search = _panel(lab).locator(".mlnb-search")
    search.fill("metrics.accuracy > 0.7")
    search.press("Enter")
    lab.page.wait_for_function("() => document.querySelectorAll('#mlnb-runs-panel .mlnb-run').length === 1")
    assert _run_row(lab, "first").count() == 1
    search.fill("metrics.accuracy >>> 1")
    search.press("Enter")
    _panel(lab).locator(".mlnb-search-error").wait_for()
    search.fill("")
    search.press("Enter")
    _run_row(lab, "onerror").wait_for()

    # switch to every run of the experiment: runs from outside this notebook show up too
    assert _run_row(lab, "elsewhere").count() == 0
    _panel(lab).locator(".mlnb-scope").select_option(label="Experiment: Default")
    _run_row(lab, "elsewhere").wait_for()
    assert _panel(lab).locator(".mlnb-group-title").count() == 0
    _panel(lab).locator(".mlnb-scope").select_option(label="This notebook")
    _panel(lab).locator(".mlnb-group-title").first.wait_for()

    # detail view: params, metrics, models with URIs
    _run_row(lab, "first").locator(".mlnb-run-name").click()
    detail = _panel(lab).locator(".mlnb-detail")
    detail.locator(".mlnb-params").wait_for()
    assert re.search(r"C\s+0\.5", detail.locator(".mlnb-params").inner_text())
    assert "accuracy" in detail.locator(".mlnb-metrics").inner_text()
    # the figure is fetched through the artifact route and shown from a blob: URL
    lab.page.wait_for_function(
        """() => [...document.querySelectorAll('#mlnb-runs-panel .mlnb-figures img')]
                 .some(img => img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0)"""
    )
    # a metric logged at several steps gets a sparkline of its history
    detail.locator(".mlnb-metrics .mlnb-sparkline").wait_for()
    assert detail.locator(".mlnb-metrics .mlnb-sparkline").count() == 1
    uri = detail.locator(".mlnb-models .mlnb-model-uri").first.inner_text()
    assert re.fullmatch(r"runs:/[0-9a-f]{32}/clf", uri), uri
    lab.screenshot("detail")

    # "Go to cell" selects the producing cell; "Insert load_model" adds a cell below it
    lab.select_cell(3)
    detail.locator(".mlnb-jump-to-cell").click()
    assert lab.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex") == 1
    detail.locator(".mlnb-insert-load-model").click()
    sources = lab.cell_sources()
    assert sources[2] == f'import mlnb\n\nmodel = mlnb.load_model("{uri}")\nmodel'
    lab.run_cell(2)
    out = lab.page.locator(".jp-Cell").nth(2).locator(".jp-OutputArea-output")
    out.first.wait_for()
    assert "LogisticRegression" in out.first.inner_text()

    # back to the list, select both runs, open compare
    detail.locator(".mlnb-back").click()
    for name in ("first", "onerror"):
        _run_row(lab, name).locator(".mlnb-select").check()
    _panel(lab).locator(".mlnb-compare").click()
    lab.page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .some(c => c.model.sharedModel.getSource().includes('mlnb.compare(['))"""
    )
    compare = next(s for s in lab.cell_sources() if "mlnb.compare([" in s)
    assert len(re.findall(r'"[0-9a-f]{32}"', compare)) == 2
    # ... and runs it: the compare panel's output arrives without an error
    outputs = lab.page.wait_for_function(
        """() => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets
                .find(c => c.model.sharedModel.getSource().includes('mlnb.compare(['));
            const outs = cell.model.outputs.toJSON();
            return cell.model.executionCount && outs.length ? outs : null;
        }""",
        timeout=60_000,
    ).json_value()
    assert all(o["output_type"] != "error" for o in outputs), outputs

    # the card's "Compare earlier runs" inserts a compare of this cell's runs below the card
    card.locator(".mlnb-card-compare").click()
    lab.page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.widgets[2]
                 .model.sharedModel.getSource().includes('mlnb.compare(experiment=')"""
    )
    outputs = lab.page.wait_for_function(
        """() => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets[2];
            const outs = cell.model.outputs.toJSON();
            return cell.model.executionCount && outs.length ? outs : null;
        }""",
        timeout=60_000,
    ).json_value()
    assert all(o["output_type"] != "error" for o in outputs), outputs
    assert lab.dialogs == [] and lab.page_errors == []


def test_track_toggle_button_and_command(lab):
    path = lab.write_notebook("toggle.ipynb", ["x = 1", "y = 2"])
    lab.open_notebook(path)
    lab.select_cell(1)
    button = lab.page.locator(".jp-NotebookPanel-toolbar .mlnb-track-button")
    button.click()
    assert lab.cell_sources()[1] == "%%track\ny = 2"
    button.click()
    assert lab.cell_sources()[1] == "y = 2"
    lab.select_cell(0)
    lab.command("mlnb:toggle-track")
    assert lab.cell_sources() == ["%%track\nx = 1", "y = 2"]
    # the active cell's own toolbar has the toggle too
    lab.page.locator(".jp-Cell").nth(0).locator(".jp-cell-toolbar [data-command='mlnb:toggle-track']").click()
    assert lab.cell_sources() == ["x = 1", "y = 2"]
    # the command is in the palette
    lab.command("apputils:activate-command-palette")
    lab.page.keyboard.type("Toggle %%track")
    lab.page.locator(".lm-CommandPalette-item", has_text="Toggle %%track on the active cell").wait_for()
    lab.screenshot("toggle")


def _card_payload(name: str) -> dict:
    return {
        "version": 1,
        "run_id": "0123456789abcdef0123456789abcdef",
        "run_name": name,
        "experiment_id": "1",
        "experiment_name": "<b>exp</b>",
        "status": "FAILED",
        "start_time": 1_700_000_000_000,
        "end_time": 1_700_000_001_500,
        "duration_ms": 1500,
        "params": [{"key": "C", "value": "<script>alert(2)</script>"}],
        "metrics": [
            {"key": "accuracy", "value": 0.75, "previous": 0.7, "delta": 0.05},
            {"key": "loss", "value": None, "previous": None, "delta": None},
        ],
        "models": [{"name": "clf", "uri": "runs:/0123456789abcdef0123456789abcdef/clf", "flavor": "sklearn"}],
        "figures": [
            {"path": "bad.png", "png": 'x" onerror="alert(3)'},
            {
                "path": "dot.png",
                "png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
            },
        ],
        "error": {"type": "ValueError", "message": "<img src=y onerror=alert(4)>"},
        "source": {"notebook": "/tmp/a.ipynb", "cell_id": "abc", "code_hash": "0" * 64},
        "store": "/tmp/.mlnb",
        "compare": {"filter": "tags.`mlnb.cell` = 'x'", "experiment_id": "1"},
    }


def test_run_card_renders_from_saved_output_without_running(lab):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("# output saved by an earlier session")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.mlnb.run+json": _card_payload(XSS),
                "text/html": "<div class='fallback'>fallback html</div>",
                "text/plain": "mlnb run",
            },
        )
    ]
    nb.cells.append(cell)
    nbformat.write(nb, lab.dir / "saved.ipynb")
    lab.goto(f"{lab.rel}/saved.ipynb")
    card = lab.page.locator(".mlnb-RunCard .mlnb-card")
    card.wait_for(timeout=60_000)
    assert card.locator(".mlnb-card-name").inner_text() == XSS
    assert "<script>alert(2)</script>" in card.locator(".mlnb-card-params").inner_text()
    assert "<img src=y onerror=alert(4)>" in card.locator(".mlnb-card-error").inner_text()
    assert card.locator(".mlnb-status-failed").count() == 1
    assert "+0.05" in card.locator(".mlnb-card-metrics").inner_text()
    # only the well-formed PNG is shown; the hostile "png" never becomes an attribute
    assert card.locator("img.mlnb-card-figure").count() == 1
    assert lab.page.locator(".fallback").count() == 0
    assert lab.page.locator("script:has-text('alert(2)')").count() == 0
    lab.screenshot("saved-card")
    assert lab.dialogs == [] and lab.page_errors == []


def test_sidebar_explains_empty_states(lab):
    lab.goto()
    _open_sidebar(lab)
    _panel(lab).get_by_text("Open a notebook to see its runs").wait_for()
    path = lab.write_notebook("empty.ipynb", ["1 + 1"])
    lab.open_notebook(path)
    _open_sidebar(lab)
    _panel(lab).get_by_text("No mlnb store here yet").wait_for()
    assert _panel(lab).locator(".mlnb-run").count() == 0
    assert not (lab.dir / ".mlnb").exists()  # looking never creates a store
