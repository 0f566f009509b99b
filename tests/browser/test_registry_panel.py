"""The registry panel in a real JupyterLab: move an alias with the panel's buttons; the panel
reads well (axe-core, contrast of the chosen row) in the light, dark and high-contrast themes."""

from __future__ import annotations

import json
import re

from _contrast import install, text_contrast

XSS = "<img src=x onerror=alert(1)>"

SETUP = f"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
import mlnb
mlnb.set_experiment("browser-registry")
rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3)); y = (X[:, 0] > 0).astype(int)
for i, C in enumerate([0.1, 1.0]):
    with mlnb.start_run(run_name=f"lr-C{{C}}") as run:
        model = LogisticRegression(C=C).fit(X, y)
        mlnb.log_metric("accuracy", model.score(X, y))
        mlnb.log_metric("logloss", log_loss(y, model.predict_proba(X)))
        info = mlnb.log_model(model, "model")
    mlnb.register_model(info.model_uri, "churn", description={XSS!r} if i == 1 else "baseline")
mlnb.set_registered_model_alias("churn", "champion", 1)
"""
SHOW = "rp = mlnb.registry_panel('churn')\nrp"
# the stored metrics of each version, through the shared Python formatting rules
NUMBERS = """
import json
from mlnb.display.format import number
numbers = {
    v.version: {k: number(x) for k, x in mlnb.get_run(v.run_id).data.metrics.items()}
    for v in mlnb.search_model_versions("name = 'churn'")
}
print("NUMBERS" + json.dumps(numbers))
"""
READ = 'print("CHAMPION", mlnb.get_model_version_by_alias("churn", "champion").version)'
BUTTONS = [
    "refresh",
    "save model description",
    "set / move alias",
    "delete alias",
    "transition stage",
    "archive version",
    "save version description",
]


def _printed(page, marker: str) -> str:
    out = page.locator(".jp-OutputArea-output", has_text=re.compile(marker)).first
    out.wait_for()
    return re.search(marker + r"(.*)", out.inner_text()).group(1)


def _check_theme(lab, panel, theme: str) -> None:
    page = lab.page
    lab.set_theme(theme)
    assert lab.axe(".mlnb-registry-panel") == [], theme

    # the chosen row: every text in it (run name, short id, metrics, time) contrasts with its
    # background (dark theme before: white text on a light blue)
    cells = text_contrast(page, ".mlnb-version-row.mlnb-chosen td, .mlnb-version-row.mlnb-chosen .mlnb-dim")
    assert cells
    for cell in cells:
        assert cell["ratio"] >= 4.5, (theme, cell)

    # timeline bars keep 3:1 against the page background; their labels are the theme's text colour
    install(page)
    strokes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.mlnb-period rect')).map((r) => ({
            stroke: getComputedStyle(r).stroke,
            ratio: window.mlnbContrast(getComputedStyle(r).stroke, window.mlnbThemeColour('--jp-layout-color0')),
        }))"""
    )
    assert len(strokes) == 2
    for bar in strokes:
        assert bar["ratio"] >= 3, (theme, bar)
    label_fill = page.evaluate("() => getComputedStyle(document.querySelector('.mlnb-period text')).fill")
    assert label_fill == page.evaluate("() => window.mlnbThemeColour('--jp-ui-font-color1')")

    # every button shows its whole label (no "save model de...")
    for name in BUTTONS:
        button = panel.get_by_role("button", name=name)
        width = button.evaluate("(b) => [b.scrollWidth, b.clientWidth]")
        assert width[0] <= width[1] + 1, (theme, name, width)

    panel.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    lab.screenshot(f"registry-panel-{theme.split()[-1].lower()}", panel)


def test_registry_panel_moves_an_alias_and_reads_well_in_every_theme(lab):
    path = lab.write_notebook("registry.ipynb", [SETUP, SHOW, NUMBERS, READ])
    lab.open_notebook(path)
    lab.run_all()
    page = lab.page
    panel = page.locator(".mlnb-registry-panel")
    panel.wait_for()
    page.locator('.mlnb-version-row[data-version="1"] .mlnb-alias[data-alias="champion"]').wait_for()
    # the hostile description is text
    page.locator(".mlnb-desc", has_text=XSS).wait_for()
    assert page.locator('.mlnb-registry-root img[src="x"]').count() == 0

    # every metric cell reads as mlnb.display.format.number of the stored value
    numbers = json.loads(_printed(page, "NUMBERS"))
    assert len(numbers) == 2
    for version, metrics in numbers.items():
        row = page.locator(f'.mlnb-version-row[data-version="{version}"]')
        for key, text in metrics.items():
            assert row.locator(f'td.mlnb-metric[data-metric="{key}"]').inner_text() == text
    assert any(len(t) > 2 for m in numbers.values() for t in m.values())  # not only round numbers

    # pick version 2 in the table, then move @champion to it with the button
    page.locator('.mlnb-version-row[data-version="2"]').click()
    page.locator('.mlnb-version-row.mlnb-chosen[data-version="2"]').wait_for()
    panel.get_by_role("button", name="set / move alias").click()
    page.locator(".mlnb-registry-msg", has_text="@champion -> churn v2 (was v1)").wait_for()
    page.locator('.mlnb-version-row[data-version="2"] .mlnb-alias[data-alias="champion"]').wait_for()
    page.locator('.mlnb-period.mlnb-current[data-alias="champion"][data-version="2"]').wait_for()
    assert page.locator('.mlnb-period[data-alias="champion"]').count() == 2  # v1 then v2
    assert page.locator(".mlnb-version-row.mlnb-chosen").get_attribute("data-version") == "2"

    for theme in ("light", "dark", "JupyterLab Dark High Contrast"):
        _check_theme(lab, panel, theme)
    lab.set_theme("light")

    # the kernel sees the move
    lab.run_cell(3)
    assert _printed(page, "CHAMPION ").strip() == "2"
    assert lab.dialogs == [] and lab.page_errors == []
