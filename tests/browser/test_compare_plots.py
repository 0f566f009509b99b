"""The compare panel's plots in a real JupyterLab, light and dark: default axes, missing band,
single-value axes, captions, an empty scatter that says why, and axe-core on the panel."""

from __future__ import annotations

import json

SETUP = """
import mlnb
mlnb.set_experiment("browser-compare-plots")
ids = []
for i in range(6):
    with mlnb.start_run(run_name=f"run-{i}") as run:
        mlnb.log_params({"C": [0.1, 1, 10][i % 3], "model": ["rf", "lr"][i % 2], "seed": 0})
        mlnb.log_metric("f1", 0.5 + i / 20)
        if i != 5:
            mlnb.log_metric("auc", 0.9)  # one value for every run that has it; run-5 lacks it
        ids.append(run.info.run_id)
mlnb.flush()
"""
# the axes trait empty means "automatic"; the table shows auc first, so auc is the primary metric
SHOW = """
panel = mlnb.compare()
panel.view.columns = ["metrics.auc", "metrics.f1", "params.C", "params.model", "params.seed"]
panel.view.axes = []
panel
"""
F1_FIRST = 'panel.view.columns = ["metrics.f1", "metrics.auc", "params.C", "params.model"]'
SELECT_LACKING = "panel.select([ids[5]])"
# the plot tabs, their controls and the plots (the table above them is checked by its own tests)
PLOT_PARTS = ".mlnb-compare .mlnb-tabs, .mlnb-compare .mlnb-plot-controls, .mlnb-compare .mlnb-plot"


def _axis(page, key: str) -> dict:
    return page.evaluate(
        """(key) => { const r = document.querySelector(`.mlnb-pc-axis[data-key="${key}"]`);
                      return { ...r.dataset }; }""",
        key,
    )


def _drawn_at(page) -> str:
    return page.evaluate("() => document.querySelector('.mlnb-compare-root').dataset.plotDrawnAt || ''")


def test_compare_plots_defaults_missing_band_captions_and_themes(lab):
    path = lab.write_notebook("plots.ipynb", [SETUP, SHOW, F1_FIRST, SELECT_LACKING])
    lab.open_notebook(path)
    lab.run_cell(0)
    lab.run_cell(1)
    page = lab.page
    pc = page.locator(".mlnb-pc")
    pc.wait_for()
    # automatic axes: the params that differ (not the constant seed), then the primary metric
    page.wait_for_function(
        "() => document.querySelector('.mlnb-pc')?.dataset.axes === "
        + json.dumps(json.dumps(["params.C", "params.model", "metrics.auc"]).replace(" ", ""))
    )
    assert pc.get_attribute("data-primary") == "metrics.auc"
    assert pc.get_attribute("data-auto") == "true"
    assert pc.get_attribute("data-lines") == "6"
    # the run without auc is drawn through the missing band of the auc axis, not dropped
    auc = _axis(page, "metrics.auc")
    assert auc["missing"] == "1"
    assert page.locator('.mlnb-missing-band[data-key="metrics.auc"]').count() == 1
    assert page.locator('.mlnb-missing-band[data-key="params.C"]').count() == 0
    # one value: one tick at it and a small range around it (never 0.35 .. 1.35)
    assert json.loads(auc["ticks"]) == ["0.9"]
    assert (float(auc["lo"]), float(auc["hi"])) == (0.855, 0.945)
    c_axis = _axis(page, "params.C")
    assert c_axis["log"] == "true" and json.loads(c_axis["ticks"]) == ["0.1", "1", "10"]
    assert json.loads(_axis(page, "params.model")["ticks"]) == ["lr", "rf"]
    caption = page.locator(".mlnb-plot-caption")
    assert caption.inner_text().startswith("all 6 runs, coloured by auc")
    assert "missing" in caption.inner_text()
    assert page.evaluate("() => document.querySelector('.mlnb-legend-title').firstChild.textContent") == "auc"
    # the plot tabs say which one is shown
    assert page.locator('.mlnb-tab[data-plot="parallel"]').get_attribute("aria-pressed") == "true"
    assert page.locator('.mlnb-tab[data-plot="scatter"]').get_attribute("aria-pressed") == "false"

    root = page.locator(".mlnb-compare-root")
    for theme in ("light", "JupyterLab Dark High Contrast", "dark"):
        before = _drawn_at(page)
        lab.set_theme(theme)
        if theme != "light":  # the canvas is drawn again with the new theme's colours
            page.wait_for_function(
                "(b) => document.querySelector('.mlnb-compare-root').dataset.plotDrawnAt !== b", arg=before
            )
        root.scroll_into_view_if_needed()
        assert lab.axe(PLOT_PARTS) == [], theme
        lab.screenshot(f"parallel-{theme.split()[-1].lower()}", root)

    # the table shows f1 first: the automatic axes follow, f1 is the primary metric now
    lab.run_cell(2)
    page.wait_for_function("() => document.querySelector('.mlnb-pc')?.dataset.primary === 'metrics.f1'")
    assert json.loads(pc.get_attribute("data-axes")) == ["params.C", "params.model", "metrics.f1"]
    f1 = _axis(page, "metrics.f1")
    assert f1["missing"] == "0" and json.loads(f1["ticks"])[::5] == ["0.5", "0.75"]
    assert page.locator(".mlnb-plot-caption").inner_text().startswith("all 6 runs, coloured by f1")

    # scatter of auc against C: the run lacking auc is counted, not silently dropped
    page.locator('.mlnb-tab[data-plot="scatter"]').click()
    page.locator('select[data-trait="scatter_x"]').select_option("params.C")
    page.locator('select[data-trait="scatter_y"]').select_option("metrics.auc")
    page.wait_for_function(
        "() => document.querySelector('.mlnb-plot-caption')?.textContent"
        ".includes('1 run lacks metrics.auc and is not drawn')"
    )
    assert page.locator(".mlnb-plot-caption").inner_text().startswith("all 6 runs")
    assert page.locator(".mlnb-layer").get_attribute("data-points") == "5"
    assert page.locator('.mlnb-tab[data-plot="scatter"]').get_attribute("aria-pressed") == "true"
    assert lab.axe(PLOT_PARTS) == []
    lab.screenshot("scatter-dark", root)

    # select only that run: the scatter says why it is empty instead of drawing a blank frame
    lab.run_cell(3)
    page.locator(".mlnb-plot-empty", has_text="no run has both metrics.auc and params.C").wait_for()
    assert page.locator(".mlnb-plot-caption").inner_text() == "1 selected run"
    lab.set_theme("light")
    assert lab.axe(PLOT_PARTS) == []
    lab.screenshot("scatter-empty-light", root)
    assert lab.page_errors == []
