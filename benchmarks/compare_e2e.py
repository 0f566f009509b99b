"""End to end: ``mlnb.compare()`` in a real JupyterLab in headless Chromium (run by bench_compare).

Not collected by the test suite: ``bench_compare.py --browser`` runs it with pytest, loading the
browser fixtures of ``tests/browser/conftest.py`` as a plugin. The store to open comes from
``MLNB_BENCH_STORE``; the figures go as JSON to ``MLNB_BENCH_OUT``.

Each figure is measured on the page's own clock: from the moment the cell's execution is requested
until the first animation frame in which the compare panel shows a table with metric columns AND a
drawn parallel-coordinates plot (``data-plot-drawn-at`` set by the plot), for the first view (the
most recent 1,000 runs) and for all runs (after the front end's ``load_all``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

WATCH = """() => {
    const before = document.querySelectorAll('.mlnb-compare-root').length;
    window.__mlnbE2E = { start: performance.now() };
    const seen = window.__mlnbE2E;
    const tick = () => {
        const roots = [...document.querySelectorAll('.mlnb-compare-root')];
        const root = roots.length > before ? roots[roots.length - 1] : null;
        const now = performance.now();
        if (root && seen.view === undefined) seen.view = Number(root.dataset.firstAt || root.dataset.completeAt);
        if (root && root.dataset.plotDrawnAt && Number(root.dataset.plotDrawnAt) > seen.start
            && root.querySelector('.mlnb-pc')
            && root.querySelector('.mlnb-th[data-key^="metrics."]')
            && root.querySelector('.mlnb-tr')) {
            if (seen.first === undefined) {
                seen.first = now;
                seen.firstRows = Number(root.dataset.rows);
                seen.firstRenderMs = Number(root.dataset.renderMs);
            }
            if (root.dataset.complete === 'true' && Number(root.dataset.completeAt) > seen.start) {
                seen.all = now;
                seen.allRows = Number(root.dataset.rows);
                seen.renderMs = Number(root.dataset.renderMs);
                seen.plotMs = Number(root.dataset.plotMs);
                seen.lines = Number(root.querySelector('.mlnb-pc').dataset.lines);
                return;
            }
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def _measure(lab, index: int) -> dict:
    page = lab.page
    page.evaluate(WATCH)
    lab.command("notebook:run-cell", wait=False)
    page.wait_for_function("() => window.__mlnbE2E.all !== undefined", timeout=180_000, polling=200)
    seen = page.evaluate("() => window.__mlnbE2E")
    return {
        "view_ms": seen["view"] - seen["start"],
        "first_render_ms": seen["firstRenderMs"],
        "first_ms": seen["first"] - seen["start"],
        "first_rows": seen["firstRows"],
        "all_ms": seen["all"] - seen["start"],
        "all_rows": seen["allRows"],
        "render_ms": seen["renderMs"],
        "plot_ms": seen["plotMs"],
        "lines": seen["lines"],
    }


def test_compare_end_to_end(lab):
    store = os.environ["MLNB_BENCH_STORE"]
    setup = f"import os\nos.environ['MLNB_STORE'] = {store!r}"
    show = "import mlnb\npanel = mlnb.compare(experiment='bench-compare')\npanel"
    # the drawn part alone: what the panel costs without the static fallback computed at display
    view_only = "panel = mlnb.compare(experiment='bench-compare')\npanel.view"
    path = lab.write_notebook("bench.ipynb", [setup, show, show, view_only])
    lab.open_notebook(path)
    lab.run_cell(0)
    out = {}
    for name, index in (("cold", 1), ("warm", 2), ("view_only", 3)):
        lab.select_cell(index)
        out[name] = _measure(lab, index)
        lab.wait_kernel_idle(path)
    lab.screenshot("compare-e2e", lab.page.locator(".mlnb-compare-root").last)
    Path(os.environ["MLNB_BENCH_OUT"]).write_text(json.dumps(out))
    assert lab.page_errors == []
