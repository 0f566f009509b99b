"""A notebook executed in a real kernel and converted to HTML shows the panels' static fallback."""

from __future__ import annotations

import pytest

XSS = "<img src=x onerror=alert(1)>"

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
    # JupyterLab does not save widget state by default: neither does this run
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count('class="mlnb-static"') >= 2  # the runs table and the versions table
    assert "mlnb compare: 3 runs" in html
    assert "registered model churn" in html
    assert html.count("data:image/png;base64,") >= 3
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
