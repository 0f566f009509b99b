"""The registry panel in a real JupyterLab: move an alias with the panel's buttons."""

from __future__ import annotations

import re

XSS = "<img src=x onerror=alert(1)>"

SETUP = f"""
import numpy as np
from sklearn.linear_model import LogisticRegression
import mlnb
mlnb.set_experiment("browser-registry")
rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3)); y = (X[:, 0] > 0).astype(int)
for i, C in enumerate([0.1, 1.0]):
    with mlnb.start_run(run_name=f"lr-C{{C}}") as run:
        model = LogisticRegression(C=C).fit(X, y)
        mlnb.log_metric("accuracy", model.score(X, y))
        info = mlnb.log_model(model, "model")
    mlnb.register_model(info.model_uri, "churn", description={XSS!r} if i == 1 else "baseline")
mlnb.set_registered_model_alias("churn", "champion", 1)
"""
SHOW = "rp = mlnb.registry_panel('churn')\nrp"
READ = 'print("CHAMPION", mlnb.get_model_version_by_alias("churn", "champion").version)'


def test_registry_panel_moves_an_alias(lab):
    path = lab.write_notebook("registry.ipynb", [SETUP, SHOW, READ])
    lab.open_notebook(path)
    lab.run_all()
    page = lab.page
    panel = page.locator(".mlnb-registry-panel")
    panel.wait_for()
    page.locator('.mlnb-version-row[data-version="1"] .mlnb-alias[data-alias="champion"]').wait_for()
    # the hostile description is text
    page.locator(".mlnb-desc", has_text=XSS).wait_for()
    assert page.locator('.mlnb-registry-root img[src="x"]').count() == 0

    # pick version 2 in the table, then move @champion to it with the button
    page.locator('.mlnb-version-row[data-version="2"]').click()
    page.locator('.mlnb-version-row.mlnb-chosen[data-version="2"]').wait_for()
    panel.get_by_role("button", name="set / move alias").click()
    page.locator(".mlnb-registry-msg", has_text="@champion -> churn v2 (was v1)").wait_for()
    page.locator('.mlnb-version-row[data-version="2"] .mlnb-alias[data-alias="champion"]').wait_for()
    page.locator('.mlnb-period.mlnb-current[data-alias="champion"][data-version="2"]').wait_for()
    assert page.locator('.mlnb-period[data-alias="champion"]').count() == 2  # v1 then v2
    panel.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    lab.screenshot("registry-panel", panel)

    # the kernel sees the move
    lab.run_cell(2)
    out = page.locator(".jp-OutputArea-output", has_text=re.compile(r"CHAMPION 2")).first
    out.wait_for()
    assert "CHAMPION 2" in out.inner_text()
    assert lab.dialogs == [] and lab.page_errors == []
