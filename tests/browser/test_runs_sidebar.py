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
    # while a run is live the sidebar polls every second, and slows down again after
    assert _panel(lab).get_attribute("data-poll-ms") == "1000"
    slow.locator(".mlnb-status-finished").wait_for(timeout=30_000)
    lab.page.wait_for_function("() => document.querySelector('#mlnb-runs-panel').dataset.pollMs === '3000'")

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
    outputs = lab.cell_outputs(lab.cell_sources().index(compare))
    assert all(o["output_type"] != "error" for o in outputs), outputs

    # the card's "Compare earlier runs" inserts a compare of this cell's runs below the card
    card.locator(".mlnb-card-compare").click()
    lab.page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.widgets[2]
                 .model.sharedModel.getSource().includes('mlnb.compare(experiment=')"""
    )
    outputs = lab.cell_outputs(2)
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


LONG_KEY = "estimator__min_samples_leaf_max"  # 31 characters
SEARCHABLE = f"""with mlnb.start_run(run_name="rf-forest", notebook=__session__, tags={{"model": "forest"}}):
    mlnb.log_params({{"{LONG_KEY}": "3", "n_estimators": "100", "criterion.split_rule.name": "gini"}})
    mlnb.log_metric("acc", 0.91)
    mlnb.log_metric("validation.roc_auc_weighted_mean", 0.8)
with mlnb.start_run(run_name="logreg", notebook=__session__, tags={{"note": "Grid of C"}}):
    mlnb.log_metric("acc", 0.71)
mlnb.start_run(run_name="broken", notebook=__session__)
mlnb.end_run("FAILED")"""


def _names(lab) -> list[str]:
    return _panel(lab).locator(".mlnb-run .mlnb-run-name").all_inner_texts()


def _search(lab, text: str) -> None:
    seq = _panel(lab).get_attribute("data-render-seq") or "0"
    search = _panel(lab).locator(".mlnb-search")
    search.fill(text)
    search.press("Enter")
    if text.startswith("metrics.acc >") and not text[-1].isdigit():
        return  # an error: no list is drawn
    lab.page.wait_for_function(
        "seq => document.querySelector('#mlnb-runs-panel').dataset.renderSeq !== seq", arg=seq
    )


def _assert_accessible(lab, theme: str, what: str) -> None:
    violations = lab.axe("#mlnb-runs-panel")
    lab.screenshot(f"{what}-{theme}", _panel(lab))
    assert violations == [], violations


def test_search_detail_widths_and_themes(lab):
    path = lab.write_notebook("search.ipynb", ["%load_ext mlnb\nimport mlnb", SEARCHABLE])
    lab.open_notebook(path)
    _open_sidebar(lab)
    lab.run_cell(0)
    lab.run_cell(1)
    _run_row(lab, "broken").locator(".mlnb-status-failed").wait_for(timeout=30_000)
    panel = _panel(lab)
    assert panel.locator(".mlnb-search").get_attribute("placeholder") == (
        "Search runs: name, tag, or metrics.acc > 0.8"
    )
    assert panel.locator(".mlnb-count").inner_text() == "3 runs"
    assert panel.locator(".mlnb-more").is_hidden()  # every run is listed

    # plain text: a run name, then a tag value, case-insensitively
    _search(lab, "RF")
    assert _names(lab) == ["rf-forest"]
    assert panel.locator(".mlnb-count").inner_text() == "1 run"
    _search(lab, "grid")
    assert _names(lab) == ["logreg"]
    _search(lab, "no such run")
    assert _names(lab) == []
    assert "No run name or tag contains" in panel.locator(".mlnb-message").inner_text()
    # a filter is still a filter
    _search(lab, "metrics.acc > 0.8")
    assert _names(lab) == ["rf-forest"]
    _search(lab, "attributes.status = 'FAILED'")
    assert _names(lab) == ["broken"]
    # a mistyped filter says what is wrong, under the search box
    _search(lab, "metrics.acc >")
    error = panel.locator(".mlnb-search-error")
    error.wait_for()
    assert "expected a number" in error.inner_text()
    assert panel.locator(".mlnb-search").get_attribute("aria-invalid") == "true"
    _search(lab, "")
    assert error.is_hidden()
    assert sorted(_names(lab)) == ["broken", "logreg", "rf-forest"]
    _assert_accessible(lab, "light", "list")

    # the detail's key column is wide enough to read a long key in one or two lines
    _run_row(lab, "rf-forest").locator(".mlnb-run-name").click()
    detail = panel.locator(".mlnb-detail")
    key = detail.locator(".mlnb-params dt", has_text=LONG_KEY[:10])
    key.wait_for()
    box = key.bounding_box()
    assert box is not None and box["width"] >= 100, box
    line = float(key.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 16"))
    assert box["height"] <= 4.5 * line, box  # a few lines at word boundaries, not one per 3 characters
    value = detail.locator(".mlnb-params dd").first
    assert (
        "monospace" in value.evaluate("el => getComputedStyle(el).fontFamily").lower()
        or value.evaluate("el => getComputedStyle(el).fontFamily")
        == detail.evaluate(
            "el => getComputedStyle(document.body).getPropertyValue('--jp-code-font-family')"
        ).strip()
    )
    # the metrics' key column has the same room next to the sparkline column
    metric_key = detail.locator(".mlnb-metrics dt", has_text="validation.")
    assert (metric_key.bounding_box() or {"width": 0})["width"] >= 100
    assert "·" in detail.locator(".mlnb-detail-meta").inner_text()  # start · duration
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", detail.locator(".mlnb-detail-meta").inner_text())
    _assert_accessible(lab, "light", "detail")

    # dark theme: nothing stays white, and axe finds nothing in the detail or the list
    lab.set_theme("dark")
    _assert_accessible(lab, "dark", "detail")
    detail.locator(".mlnb-back").click()
    panel.locator(".mlnb-run").first.wait_for()
    white = "rgb(255, 255, 255)"
    for sel in (".mlnb-scope", ".mlnb-search", ".mlnb-compare", ".mlnb-refresh", ".mlnb-run .mlnb-status"):
        background = panel.locator(sel).first.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background != white, (sel, background)
    assert "jp-Button" in (panel.locator(".mlnb-compare").get_attribute("class") or "")
    _run_row(lab, "logreg").locator(".mlnb-select").check()
    assert panel.locator(".mlnb-compare").inner_text() == "Compare 1 run"
    _assert_accessible(lab, "dark", "list")
    lab.set_theme("light")
    assert lab.page_errors == []


MANY = """store = mlnb.get_store()
exp = store.create_experiment("many")
parent = None
for i in range(3000):
    if i % 10 == 0:
        parent = None
    rid = store.create_run(exp, run_name=f"run-{i}", start_time=1_700_000_000_000 + i * 1000,
                           parent_run_id=parent).run_id
    if i % 10 == 0:
        parent = rid
    store.log_batch(rid, metrics=[Metric("acc", i / 3000, 0, 0)], params={"i": str(i)}, tags={})
store.flush()"""


def test_virtual_list_of_many_runs(lab):
    path = lab.write_notebook(
        "many.ipynb", ["%load_ext mlnb\nimport mlnb\nfrom mlnb.entities import Metric", MANY]
    )
    lab.open_notebook(path)
    lab.run_cell(0)
    lab.run_cell(1)
    _open_sidebar(lab)
    panel = _panel(lab)
    panel.locator(".mlnb-scope option", has_text="Experiment: many").wait_for(state="attached")
    panel.locator(".mlnb-scope").select_option(label="Experiment: many")
    lab.page.wait_for_function("() => document.querySelector('#mlnb-runs-panel').dataset.rows === '3000'")
    assert panel.locator(".mlnb-count").inner_text() == "3,000 runs"
    # only what is in view (and a margin) is in the DOM
    drawn = panel.locator(".mlnb-run").count()
    assert 5 < drawn < 120, drawn
    # newest parent first, its children right after it, indented
    names = _names(lab)
    # (runs come newest first, children too)
    assert names[:3] == ["run-2990", "run-2999", "run-2998"], names[:3]
    assert "mlnb-child" in (_run_row(lab, "run-2991").get_attribute("class") or "")
    assert "mlnb-child" not in (_run_row(lab, "run-2990").get_attribute("class") or "")

    # scrolled to the end: the oldest group is drawn, in order
    runs = panel.locator(".mlnb-runs")
    runs.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    _run_row(lab, "run-9").wait_for()
    names = _names(lab)
    assert names[-10:] == ["run-0", *(f"run-{i}" for i in range(9, 0, -1))], names[-10:]
    assert _run_row(lab, "run-2990").count() == 0

    # half way: a consecutive slice around the middle, each parent before its children
    runs.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    lab.page.wait_for_function(
        "() => !document.querySelector('#mlnb-runs-panel .mlnb-run[data-run-id] .mlnb-run-name')"
        ".textContent.match(/^run-[0-9]$/)"
    )
    lab.page.wait_for_timeout(200)
    numbers = [int(n.split("-")[1]) for n in _names(lab)]
    assert 1000 < numbers[len(numbers) // 2] < 2000, numbers
    groups = [
        numbers[i : i + 10]
        for i in range(numbers.index(next(n for n in numbers if n % 10 == 0)), len(numbers) - 10, 10)
    ]
    for group in groups:
        assert group == [group[0], *range(group[0] + 9, group[0], -1)], group
    # a row drawn after scrolling still opens its run
    name = _names(lab)[len(numbers) // 2]
    _run_row(lab, name).locator(".mlnb-run-name").click()
    assert panel.locator(".mlnb-detail .mlnb-detail-name").inner_text() == name
    render_ms = int(panel.get_attribute("data-render-ms") or "0")
    assert render_ms > 0
    lab.screenshot("virtual-list", panel)
    assert lab.page_errors == []
