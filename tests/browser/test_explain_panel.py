"""The explain panel in a real JupyterLab: bar and beeswarm drawn, class/row/feature choosers
live, numbers by the shared format rules, readable (axe-core) in the light, dark and high-contrast themes."""

from __future__ import annotations

import json
import re

from _contrast import install

SETUP = """
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
import mlnb

df = mlnb.datasets.travel_churn(n_rows=300)
X, y = df.drop(columns="Target"), df["Target"]
y3 = np.where(y == 1, "churn", np.where(X["FrequentFlyer"] == "Yes", "flyer", "<b>stay</b>"))
pre = ColumnTransformer([
    ("num", StandardScaler(), ["Age", "ServicesOpted"]),
    ("cat", OneHotEncoder(), ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]),
])
pipe = Pipeline([("pre", pre), ("clf", RandomForestClassifier(n_estimators=20, random_state=0))]).fit(X, y3)
"""
SHOW = "e = mlnb.explain(pipe, X, run=False)\ne"
# the importances the panel was given, through the shared Python formatting rules
READ = """
import json
from mlnb.display.format import number
panel_state = e.panel()
payload = panel_state.payload
print('CLASSES', [o['name'] for o in payload['outputs']])
shown = payload['outputs'][payload['default_output']]['importance']
print('BARS' + json.dumps(sorted(number(v) for v in sorted(shown, reverse=True)[:12])))
"""


def _printed(page, marker: str) -> str:
    out = page.locator(".jp-OutputArea-output", has_text=re.compile(marker)).first
    out.wait_for()
    return re.search(marker + r"(.*)", out.inner_text()).group(1)


def test_explain_panel_renders_bar_and_beeswarm(lab):
    path = lab.write_notebook("explain.ipynb", [SETUP, SHOW, READ])
    lab.open_notebook(path)
    lab.run_all()
    page = lab.page
    root = page.locator(".mlnb-explain").first
    root.wait_for(timeout=60_000)
    bar = root.locator("svg.mlnb-explain-bar")
    swarm = root.locator("svg.mlnb-explain-beeswarm")
    bar.wait_for()
    swarm.wait_for()
    assert bar.is_visible() and swarm.is_visible()
    assert bar.locator("rect").count() == 12  # one bar per feature (12 after one-hot encoding)
    assert swarm.locator("circle").count() == 12 * 300  # every row, every feature
    assert root.locator("svg.mlnb-explain-waterfall").is_visible()
    assert root.locator("svg.mlnb-explain-dependence circle").count() == 300
    assert "300 rows · 12 features" in root.locator(".mlnb-explain-controls").inner_text()

    # the bar values read as mlnb.display.format.number of the importances the panel was given
    expected = json.loads(_printed(page, "BARS"))
    assert sorted(bar.locator("text.mlnb-value").all_text_contents()) == expected
    assert any(len(t) > 3 for t in expected)

    # the class chooser lists the classes as text (the HTML-looking one is not markup)
    options = root.locator("select.mlnb-explain-class option").all_text_contents()
    assert options == ["<b>stay</b>", "churn", "flyer"]
    assert root.locator("b").count() == 0
    # choosing another class redraws the bars (other importances, printed next to them)
    before = bar.text_content()
    root.locator("select.mlnb-explain-class").select_option(label="flyer")
    page.wait_for_function(
        "(t) => document.querySelector('svg.mlnb-explain-bar').textContent !== t", arg=before
    )
    # choosing a row redraws the waterfall title
    root.locator("select.mlnb-explain-row").select_option("5")
    root.get_by_text("Waterfall · row 5").wait_for()

    for theme in ("light", "dark", "JupyterLab Dark High Contrast"):
        lab.set_theme(theme)
        assert lab.axe(".mlnb-explain") == [], theme
        install(page)
        # plot text is the theme's text colour; the SHAP colours keep 3:1 against the page
        fill = bar.locator("text").first.evaluate("(t) => getComputedStyle(t).fill")
        assert fill == page.evaluate("() => window.mlnbThemeColour('--jp-ui-font-color1')"), theme
        ratios = page.evaluate(
            """() => ['.mlnb-shap-pos', '.mlnb-shap-neg'].map((s) => window.mlnbContrast(
                   getComputedStyle(document.querySelector('.mlnb-explain ' + s)).fill,
                   window.mlnbThemeColour('--jp-layout-color1')))"""
        )
        assert min(ratios) >= 3, (theme, ratios)
        root.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        lab.screenshot(f"explain-panel-{theme.split()[-1].lower()}", root)
    lab.set_theme("light")
    assert lab.page_errors == []
