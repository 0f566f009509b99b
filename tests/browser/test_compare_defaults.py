"""The compare panel's first look in a real JupyterLab, light and dark: default columns, a search
CV folded under its parent, the column chooser, the choice kept across re-runs, axe-clean."""

from __future__ import annotations

import json
import re

SETUP = """
import time
import mlnb
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

mlnb.set_experiment("first-look")
def run(name, params, metrics, tags=None):
    with mlnb.start_run(run_name=name):
        mlnb.log_params(params)
        mlnb.log_metrics(metrics)
        if tags:
            mlnb.set_tags(tags)
    time.sleep(0.02)

run("lr", {"model": "lr", "C": 0.1, "seed": 1}, {"acc": 0.71, "loss": 0.6}, {"team": "churn"})
run("rf", {"model": "rf", "depth": 3, "seed": 1}, {"acc": 0.845188}, {"team": "churn"})
try:
    with mlnb.start_run(run_name="broken"):
        mlnb.log_params({"model": "lr", "C": 5, "seed": 1})
        raise ValueError("diverged")
except ValueError:
    pass
time.sleep(0.02)
X, y = load_iris(return_X_y=True)
mlnb.sklearn.autolog(log_models=False)
search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1, 10]}, cv=3).fit(X, y)
mlnb.sklearn.autolog(disable=True)
time.sleep(0.02)
run("late", {"model": "lr", "seed": 1}, {"f1": 0.5})
mlnb.flush()
"""
SHOW = "panel = mlnb.compare()\npanel"
DEFAULTS = "import json\nprint('DEFAULTS', json.dumps(panel.view.default_columns))"

HEADER = (
    "() => [...document.querySelectorAll('.mlnb-compare-root .mlnb-th[data-key]')].map(t => t.dataset.key)"
)
ROWS = "() => [...document.querySelectorAll('.mlnb-compare-root .mlnb-tr')].map(r => r.dataset.depth)"


def _header(page) -> list[str]:
    return page.evaluate(HEADER)


def _wait_header(page, predicate_js: str) -> None:
    page.wait_for_function(f"() => {{ const keys = ({HEADER})(); return {predicate_js}; }}")


def _defaults(lab) -> list[str]:
    out = lab.page.locator(".jp-OutputArea-output", has_text="DEFAULTS").first
    out.wait_for()
    return json.loads(re.search(r"DEFAULTS (\[.*\])", out.inner_text()).group(1))


def test_compare_first_look_defaults_chooser_and_persistence(lab):
    path = lab.write_notebook("first-look.ipynb", [SETUP, SHOW, DEFAULTS])
    lab.open_notebook(path)
    lab.run_all(timeout=180)
    page = lab.page
    root = page.locator(".mlnb-compare-root")
    root.wait_for()
    page.locator(".mlnb-tr").first.wait_for()
    defaults = _defaults(lab)

    # -- default header: name, status, metrics (most recent first), differing params only --------
    header = _header(page)
    assert header == ["run_name", "status", *defaults, "start_time", "duration"]
    data_keys = header[2:-2]
    kinds = [k.split(".")[0] for k in data_keys]
    assert kinds == sorted(kinds, key=["metrics", "params"].index)
    assert data_keys[0] == "metrics.f1"  # logged last
    assert {"params.C", "params.depth", "params.model"} <= set(data_keys)
    assert "params.max_iter" not in data_keys and "params.solver" not in data_keys  # constant
    assert not any(k.startswith("tags.") for k in data_keys)
    caption = page.locator(".mlnb-compare-root .mlnb-caption")
    assert caption.inner_text().startswith("9 runs (5 rows;")

    # -- the failed run is marked; numbers read as everywhere else --------------------------------
    failed = page.locator(".mlnb-tr.mlnb-failed")
    assert failed.count() == 1
    assert failed.locator(".mlnb-status-failed").inner_text() == "FAILED"
    assert page.locator(".mlnb-compare-root .mlnb-td", has_text="0.8452").count() == 1
    assert page.locator(".mlnb-compare-root .mlnb-td", has_text="0.845188").count() == 0
    best = page.locator(".mlnb-tr .mlnb-td.mlnb-best")  # the best value of the primary metric
    assert best.count() == 1 and best.inner_text() == "0.5"

    # -- the search CV is one row, collapsed; it expands to its 4 children and collapses again ----
    assert page.evaluate(ROWS) == ["0"] * 5
    toggle = page.locator(".mlnb-disclosure")
    assert toggle.count() == 1 and toggle.get_attribute("aria-expanded") == "false"
    parent_row = page.locator(".mlnb-tr", has=toggle)
    assert "4 runs \u00b7 best:" in parent_row.inner_text()
    assert parent_row.locator(".mlnb-name-text").bounding_box()["width"] > 30  # the name is readable
    # the children's metrics (mean_test_score ...) read on the parent row from its best child
    assert parent_row.locator(".mlnb-from-child").count() >= 1
    toggle.click()
    page.wait_for_function(f"() => ({ROWS})().length === 9")
    depths = page.evaluate(ROWS)
    assert depths.count("1") == 4
    first_child = depths.index("1")
    assert depths[first_child : first_child + 4] == ["1"] * 4  # listed right under the parent
    assert page.locator(".mlnb-disclosure").get_attribute("aria-expanded") == "true"
    lab.screenshot("light-expanded", root)
    page.locator(".mlnb-disclosure").click()
    page.wait_for_function(f"() => ({ROWS})().length === 5")

    # -- the chooser: grouped, searchable, counts ----------------------------------------------------
    chooser_toggle = page.locator(".mlnb-chooser-toggle")
    assert chooser_toggle.get_attribute("aria-expanded") == "false"
    chooser_toggle.click()
    chooser = page.locator(".mlnb-chooser")
    chooser.wait_for()
    groups = page.locator(".mlnb-chooser-group")
    assert [groups.nth(i).get_attribute("data-group") for i in range(3)] == ["metrics", "params", "tags"]
    tags_legend = page.locator('.mlnb-chooser-group[data-group="tags"] legend').inner_text()
    assert re.fullmatch(r"tags \(0 of \d+ shown\)", tags_legend)  # tags: none by default
    search = page.get_by_label("search columns")
    search.fill("test_sc")
    page.wait_for_function("() => [...document.querySelectorAll('.mlnb-chooser-item input')].length === 3")
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.mlnb-chooser-item input')].map(i => i.dataset.key)"
    )
    assert sorted(shown) == ["metrics.mean_test_score", "metrics.rank_test_score", "metrics.std_test_score"]
    assert "3 of" in page.locator('.mlnb-chooser-group[data-group="metrics"] legend').inner_text()
    assert page.locator('.mlnb-chooser-group[data-group="params"]').inner_text().endswith("no match")
    search.fill("team")
    page.get_by_label("team", exact=True).check()
    _wait_header(page, "keys.includes('tags.team')")
    assert _header(page)[-3] == "tags.team"  # tags after params
    lab.screenshot("light-chooser", root)
    assert lab.axe(".mlnb-compare") == []

    # -- the choice survives re-running the cell (a new panel of the same experiment) ------------
    lab.run_cell(1)
    page.wait_for_function("() => document.querySelectorAll('.mlnb-compare-root').length === 1")
    _wait_header(page, "keys.includes('tags.team')")
    assert _header(page) == ["run_name", "status", *defaults, "tags.team", "start_time", "duration"]

    # -- reset: back to the defaults, and the saved choice is gone -------------------------------
    page.locator(".mlnb-chooser-toggle").click()
    page.get_by_role("button", name="reset").click()
    _wait_header(page, "!keys.includes('tags.team')")
    assert _header(page) == ["run_name", "status", *defaults, "start_time", "duration"]
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('mlnb.compare.columns:'))"
    )
    assert stored == []
    lab.run_cell(1)
    page.wait_for_function("() => document.querySelectorAll('.mlnb-compare-root').length === 1")
    page.locator(".mlnb-tr").first.wait_for()
    assert _header(page) == ["run_name", "status", *defaults, "start_time", "duration"]

    # -- "all metrics" and "differing params" ----------------------------------------------------
    page.locator(".mlnb-chooser-toggle").click()
    page.get_by_role("button", name="differing params").click()
    page.get_by_role("button", name="all metrics").click()
    _wait_header(page, "keys.length > 4")
    assert _header(page) == ["run_name", "status", *defaults, "start_time", "duration"]

    # -- light and dark: screenshots, and axe-core finds no violation ----------------------------
    lab.screenshot("light", root)
    assert lab.axe(".mlnb-compare") == []
    lab.set_theme("dark")
    page.locator(".mlnb-disclosure").click()
    page.wait_for_function(f"() => ({ROWS})().length === 9")
    lab.screenshot("dark", root)
    assert lab.axe(".mlnb-compare") == []
    assert lab.page_errors == [] and lab.dialogs == []
    lab.set_theme("light")
