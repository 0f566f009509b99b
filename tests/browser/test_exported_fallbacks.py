"""Every panel's static version is really visible where widgets cannot render, and hidden where they do.

1. Each tutorial notebook is executed once (nbclient, widget state saved, as JupyterLab and
   ``jupyter nbconvert --execute`` save it), exported with nbconvert's default HTML template and
   opened offline in Chromium: every panel's static version must be on screen (non-zero box, a
   table or an image that loaded), with no blank box where the widget was and no page-wide
   horizontal scrolling.
2. In a live JupyterLab each panel shows exactly one version (the live widget; its static
   sibling hidden) after running the cell, after re-running it and after reloading the page;
   with a new kernel that lacks the widgets, the static version shows instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# the panels each tutorial displays, in order (a tutorial that stops showing one fails here)
EXPECTED = {
    "01-quickstart": [],
    "02-compare-and-registry": ["compare", "registry"],
    "03-explain-evaluate-drift": ["explain"],
    "04-churn-course": ["compare", "explain", "registry"],
}
# what the static version of each panel must contain to be useful
CONTENT = {"compare": "table tbody tr", "registry": "table tbody tr", "explain": "img"}


def _execute_and_export(source: Path, out_dir: Path) -> tuple[Any, Path]:
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(source, as_version=4)
    saved = os.environ.get("MLNB_STORE")
    os.environ["MLNB_STORE"] = str(out_dir / ".mlnb")  # the kernel inherits it: a fresh store
    try:
        nbclient.NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,  # as JupyterLab saves it: nbconvert then prefers widget views
            resources={"metadata": {"path": str(out_dir)}},
        ).execute()
    finally:
        if saved is None:
            os.environ.pop("MLNB_STORE", None)
        else:
            os.environ["MLNB_STORE"] = saved
    html, _ = HTMLExporter().from_notebook_node(nb)  # default template: lab
    target = out_dir / f"{source.stem}.html"
    target.write_text(html, encoding="utf-8")
    return nb, target


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def exported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Any, Path]:
    """(name, executed notebook, its HTML export): each tutorial executed once per session."""
    source: Path = request.param
    nb, html = _execute_and_export(source, tmp_path_factory.mktemp(source.stem))
    return source.stem, nb, html


def _panel_outputs(nb: Any) -> list[tuple[str, Any, Any]]:
    """(kind, static output, live output) of every panel the executed notebook displayed."""
    found = []
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for i, out in enumerate(outputs):
            kind = out.get("metadata", {}).get("mlnb", {}).get("fallback")
            if kind:
                live = outputs[i + 1] if i + 1 < len(outputs) else None
                found.append((kind, out, live))
    return found


def test_exported_notebook_shows_every_panels_static_version(exported, browser):
    name, nb, html_path = exported
    panels = _panel_outputs(nb)
    assert [kind for kind, _, _ in panels] == EXPECTED[name]
    assert "widgets" in nb.metadata or not panels  # the state was saved: the case that used to go blank
    for kind, static, live in panels:
        assert WIDGET_VIEW not in static.data, f"{kind}: the static output must not carry the widget view"
        assert live is not None and WIDGET_VIEW in live.data and "text/html" not in live.data

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    # a reader offline (or on a host that strips scripts): no CDN, no widget manager
    page.route("http*://**", lambda route: route.abort())
    try:
        page.goto(html_path.as_uri(), wait_until="load")
        fallbacks = page.locator(".jp-OutputArea-output .mlnb-fallback")
        assert fallbacks.count() == len(panels)
        for i, (kind, _, _) in enumerate(panels):
            box = fallbacks.nth(i)
            assert f"mlnb-fallback-{kind}" in (box.get_attribute("class") or "")
            box.scroll_into_view_if_needed()
            assert box.is_visible(), f"{name}: the static {kind} panel is not visible"
            rect = box.bounding_box()
            assert rect is not None and rect["width"] > 200 and rect["height"] > 50, (kind, rect)
            content = box.locator(CONTENT[kind])
            assert content.count() > 0 and content.first.is_visible(), (
                f"{name}: {kind} shows no {CONTENT[kind]}"
            )
            # every image loaded (a data: URI) and fits the output's width
            for img in box.locator("img").all():
                size = img.evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
                assert size[0] > 0, f"{name}: an image of the {kind} panel did not load"
                assert size[1] <= rect["width"] + 1
            # no blank box where the widget was: the widget's output takes (almost) no room
            widget_out = box.locator(
                "xpath=ancestor::div[contains(@class,'jp-OutputArea-child')][1]"
                "/following-sibling::div[1]//div[contains(@class,'jupyter-widgets')]"
            )
            assert widget_out.count() == 1, (
                f"{name}: the live {kind} output does not follow its static version"
            )
            assert (widget_out.bounding_box() or {"height": 0})["height"] < 8
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            box.screenshot(path=str(ARTIFACTS / f"exported-{name}-{i}-{kind}.png"))
        # wide tables scroll inside their own box; the page itself never scrolls sideways
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
        assert page.locator(".mlnb-fallback script").count() == 0
    finally:
        context.close()


# -- live JupyterLab ------------------------------------------------------------------------
SETUP = """
import numpy as np
from sklearn.linear_model import LogisticRegression
import mlnb

mlnb.set_experiment("fallbacks")
df = mlnb.datasets.travel_churn(n_rows=200)
X = df[["Age", "ServicesOpted"]].astype(float)
y = df["Target"]
for i, C in enumerate([0.1, 1.0, 10.0]):
    with mlnb.start_run(run_name="$a^2$ costs $5" if i == 0 else f"run-{i}"):
        model = LogisticRegression(C=C).fit(X, y)
        mlnb.log_params({"C": C, "note": "x" * 60})
        mlnb.log_metric("acc", float(model.score(X, y)))
        info = mlnb.log_model(model, "model")
mlnb.register_model(info.model_uri, "churn")
"""
PANEL_CELLS = {
    1: ("compare", "cmp = mlnb.compare()\ncmp", '[data-mlnb-live="compare"]'),
    2: ("registry", "display(mlnb.registry_panel('churn'))", '[data-mlnb-live="registry"]'),
    3: ("explain", "mlnb.explain(model, X, run=False)", '[data-mlnb-live="explain"]'),
}


def _versions(lab: Any) -> dict[int, dict[str, Any]]:
    """Per panel cell: its static outputs (count, visible) and its live widget (count, visible)."""
    return lab.page.evaluate(
        """(cells) => {
            const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const all = nb.querySelectorAll('.jp-Cell');
            const seen = (e) => !!e && e.getClientRects().length > 0 && e.getBoundingClientRect().height > 0;
            const out = {};
            for (const [i, kind, live] of cells) {
                const cell = all[i];
                const statics = [...cell.querySelectorAll('.mlnb-fallback-' + kind)];
                const lives = [...cell.querySelectorAll(live)];
                out[i] = { statics: statics.length, staticVisible: statics.filter(seen).length,
                           lives: lives.length, liveVisible: lives.filter(seen).length,
                           text: cell.querySelector('.jp-OutputArea')?.textContent.slice(0, 200) ?? '' };
            }
            return out;
        }""",
        [[i, kind, live] for i, (kind, _, live) in PANEL_CELLS.items()],
    )


def _wait_one_live_version(lab: Any, cells: list[int]) -> None:
    lab.page.wait_for_function(
        """(cells) => {
            const all = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell');
            return cells.every(([i, kind, live]) => {
                const c = all[i];
                const s = c?.querySelector('.mlnb-fallback-' + kind);
                const l = c?.querySelector(live);
                return s && l && l.getBoundingClientRect().height > 0 && s.getClientRects().length === 0;
            });
        }""",
        arg=[[i, *PANEL_CELLS[i][::2]] for i in cells],
        timeout=60_000,
    )


def _assert_one_live_version(lab: Any, cells: list[int], when: str) -> None:
    _wait_one_live_version(lab, cells)
    state = _versions(lab)
    for i in cells:
        kind = PANEL_CELLS[i][0]
        got = state[str(i)] if str(i) in state else state[i]
        assert got["statics"] == 1 and got["lives"] == 1, f"{when}: {kind} cell has {got}"
        assert got["staticVisible"] == 0 and got["liveVisible"] == 1, f"{when}: {kind} cell shows {got}"


def test_live_lab_shows_each_panel_once(lab):
    path = lab.write_notebook("fallbacks.ipynb", [SETUP, *(src for _, src, _ in PANEL_CELLS.values())])
    lab.open_notebook(path)
    lab.run_all(timeout=180)
    cells = list(PANEL_CELLS)
    _assert_one_live_version(lab, cells, "after running")
    # the hidden static output is the one right before the live widget, in the same cell
    hidden = lab.page.locator(".jp-OutputArea-child[data-mlnb-fallback-hidden]")
    assert hidden.count() == len(cells)
    lab.screenshot("live-panels")

    # re-running a panel cell replaces its two outputs: still one static (hidden) and one live
    lab.run_cell(1)
    lab.run_cell(2)
    _assert_one_live_version(lab, cells, "after re-running")

    # reload the page with the saved notebook: the kernel still holds the widgets
    lab.command("docmanager:save")
    lab.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )
    lab.page.reload()
    lab.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    lab.page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    _assert_one_live_version(lab, cells, "after reloading")

    # closing a panel removes its live view: its static version is what remains
    lab.page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        ".requestExecute({ code: 'cmp.close()' }).done"
    )
    lab.page.wait_for_function(
        """() => {
            const c = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[1];
            const s = c.querySelector('.mlnb-fallback-compare');
            return s && s.getBoundingClientRect().height > 0 && !c.querySelector('[data-mlnb-live]');
        }""",
        timeout=30_000,
    )
    _assert_one_live_version(lab, [2, 3], "after closing the compare panel")

    # a new kernel has none of the widgets: each panel's static version shows instead
    lab.command("kernelmenu:restart", wait=False)
    lab.page.locator(".jp-Dialog .jp-mod-accept").click()
    lab.wait_kernel_idle(path)
    lab.page.reload()
    lab.page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    lab.wait_kernel_idle(path)
    lab.page.wait_for_function(
        """(n) => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .mlnb-fallback')]
                 .filter((e) => e.getBoundingClientRect().height > 0).length === n""",
        arg=len(cells),
        timeout=60_000,
    )
    state = _versions(lab)
    for i in cells:
        got = state[str(i)] if str(i) in state else state[i]
        assert got["staticVisible"] == 1 and got["liveVisible"] == 0, f"without widgets: {got}"
    # a run name with dollar signs stays text (MathJax typesets the rest of the page)
    static_compare = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .mlnb-fallback-compare")
    static_compare.get_by_text("$a^2$ costs $5").wait_for()
    assert static_compare.locator("mjx-container, .MathJax").count() == 0
    lab.screenshot("static-panels-after-restart")


# -- the front-end helper in each host's output DOM ---------------------------------------
HOSTS = """
<div id="lab" class="jp-Notebook">
  <div class="jp-Cell"><div class="jp-OutputArea">
    <div class="jp-OutputArea-child"><div class="jp-OutputArea-output">
      <div class="mlnb-fallback mlnb-fallback-compare">earlier cell's static</div></div></div>
  </div></div>
  <div class="jp-Cell"><div class="jp-OutputArea">
    <div class="jp-OutputArea-child" id="lab-static"><div class="jp-OutputArea-output">
      <div class="mlnb-fallback mlnb-fallback-compare">static</div></div></div>
    <div class="jp-OutputArea-child"><div class="jp-OutputArea-output">
      <div class="widget-vbox"><div class="widget-hbox">controls</div><div id="lab-live">live</div></div>
    </div></div>
  </div></div>
  <div class="jp-Cell"><div class="jp-OutputArea">
    <div class="jp-OutputArea-child"><div class="jp-OutputArea-output"><div id="lab-alone">a panel
      displayed inside another widget: no static sibling</div></div></div>
  </div></div>
</div>
<div id="classic" class="cell"><div class="output_wrapper"><div class="output">
  <div class="output_area" id="classic-static"><div class="output_subarea">
    <div class="mlnb-fallback mlnb-fallback-registry">static</div></div></div>
  <div class="output_area"><div class="output_subarea jupyter-widgets"><div id="classic-live">live</div></div></div>
</div></div></div>
<div id="vscode" class="cell_container">
  <div class="output_container" id="vscode-static"><div class="output">
    <div class="mlnb-fallback mlnb-fallback-explain">static</div></div></div>
  <div class="output_container"><div class="output"><div><div id="vscode-live">live</div></div></div></div>
</div>
<div id="other"><section><div class="mlnb-fallback mlnb-fallback-explain">another kind</div></section>
  <section><div id="other-live">live</div></section></div>
"""


@pytest.fixture(scope="module")
def helper_js() -> str:
    import subprocess

    esbuild = ROOT / "labextension" / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        pytest.fail(f"{esbuild} is missing: install the lab extension's dev dependencies (jlpm)")
    return subprocess.run(
        [
            str(esbuild),
            str(ROOT / "labextension/src/widgets/fallback.ts"),
            "--bundle",
            "--format=iife",
            "--global-name=mlnbFallback",
            "--log-level=warning",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_helper_hides_only_its_own_static_sibling_in_each_host(browser, helper_js):
    page = browser.new_page()
    try:
        page.set_content(f"<html><body>{HOSTS}</body></html>")
        page.add_script_tag(content=helper_js)
        hidden = page.evaluate(
            """() => {
                const H = window.mlnbFallback;
                const live = [['lab-live', 'compare'], ['lab-alone', 'compare'], ['classic-live', 'registry'],
                              ['vscode-live', 'explain'], ['other-live', 'compare']];
                for (const [id, kind] of live) H.hideStaticFallback(document.getElementById(id), kind);
                return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(
                    [...document.querySelectorAll('[data-mlnb-fallback-hidden]')].map((e) => e.id)))));
            }"""
        )
        # each host's static output (the whole output, prompt included) is hidden; the earlier
        # cell's static, a panel without a sibling and a static of another kind are left alone
        assert sorted(hidden) == ["classic-static", "lab-static", "vscode-static"]
        assert page.locator("#lab-static").is_hidden()
        assert page.get_by_text("earlier cell's static").is_visible()
        assert page.get_by_text("another kind").is_visible()
        # the live view leaves the page (its panel closed): the static version shows again
        page.evaluate("() => document.getElementById('lab-live').remove()")
        page.locator("#lab-static").wait_for(state="visible", timeout=5_000)
        assert page.locator("#lab-static").get_attribute("data-mlnb-fallback-hidden") is None
    finally:
        page.close()
