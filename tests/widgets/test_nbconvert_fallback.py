"""A notebook executed in a real kernel and converted to HTML shows the panels' static fallback.

The notebook is executed the way JupyterLab saves it, WITH widget state: that is when nbconvert
prefers the widget view over anything else in the same output, so the static version must be an
output of its own (see mlnb/widgets/_fallback.py).  tests/browser/test_exported_fallbacks.py
looks at the exported HTML of every tutorial notebook in Chromium.
"""

from __future__ import annotations

import re

import pytest

XSS = "<img src=x onerror=alert(1)>"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

CELLS = [
    f"""
import mlnb
mlnb.set_experiment("nbconvert")
for i, C in enumerate([0.1, 1.0, 10.0]):
    with mlnb.start_run(run_name={XSS!r} if i == 0 else f"run-{{i}}"):
        mlnb.log_params({{"C": C, "model": "lr" if i else "rf"}})
        mlnb.log_metric("acc", 0.7 + i / 10)
        mlnb.log_text("flavors: {{}}\\n", "model/MLmodel")
        last = mlnb.active_run().info.run_id
mlnb.register_model(f"runs:/{{last}}/model", "churn")
""",
    "mlnb.compare()",
    "mlnb.registry_panel('churn')",
]


@pytest.mark.slow
def test_nbconvert_html_of_an_executed_notebook_contains_the_static_tables(tmp_path, monkeypatch):
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    monkeypatch.setenv("MLNB_STORE", str(tmp_path / ".mlnb"))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    assert nb.metadata["widgets"][WIDGET_STATE]["state"], "the widget state was saved with the notebook"
    for cell, kind in ((nb.cells[1], "compare"), (nb.cells[2], "registry")):
        static, live = cell.outputs  # the static version, then the live widget: two outputs
        assert WIDGET_VIEW not in static.data and "text/html" in static.data
        assert static.metadata["mlnb"]["fallback"] == kind
        assert f"mlnb-fallback-{kind}" in static.data["text/html"]
        assert "<script" not in static.data["text/html"].lower()
        assert set(live.data) == {WIDGET_VIEW, "text/plain"}  # nothing the viewer could prefer to it
        assert live.data[WIDGET_VIEW]["model_id"] in nb.metadata["widgets"][WIDGET_STATE]["state"]
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count('class="mlnb-static"') >= 2  # the runs table and the versions table
    assert "mlnb compare: 3 runs" in html
    assert "registered model churn" in html
    assert html.count("data:image/png;base64,") >= 2  # the parallel-coordinates plot and the alias history
    # the saved widget state (a JSON data block, never parsed as HTML) holds the raw run name
    outside_state = re.sub(
        r'<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>', "", html, flags=re.S
    )
    assert XSS not in outside_state
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
