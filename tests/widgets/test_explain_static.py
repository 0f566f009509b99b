"""The explain panel's Python side: its static HTML and repr read by the shared format rules."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

import mlnb
from mlnb.display import format as fmt
from mlnb.widgets.explain import ExplainPanel


def _explanation(store, rows: int = 40):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["<b>age</b>", "income", "tenure"])
    y = 3.3333 * X["<b>age</b>"] - 0.123456 * X["income"] + rng.normal(scale=0.1, size=rows)
    return mlnb.explain(Ridge().fit(X, y), X, run=False)


def test_static_html_numbers_and_counts_follow_the_format_rules(store):
    e = _explanation(store)
    html = e._repr_mimebundle_()["text/html"]
    assert "40 rows · 3 features" in html
    shown = [unescape(m) for m in re.findall(r"<li>(.*?)</li>", html)]
    expected = [f"{k}: {fmt.number(float(v))}" for k, v in e.importance().head(5).items()]
    assert shown == expected and shown[0].startswith("<b>age</b>: ")
    assert "<b>age</b>" not in html  # the feature name is text, not markup
    assert all(re.fullmatch(r".*: -?[\d.]+(e-?\d+)?", s) for s in shown)
    assert 'alt="' in html.replace("'", '"')  # the plots say what they are


def test_one_row_reads_singular_and_repr_uses_the_number_rule(store):
    e = _explanation(store, rows=1)
    assert "1 row · 3 features" in e._repr_mimebundle_()["text/html"]
    top = e.importance().head(3)
    assert f"{top.index[0]}={fmt.number(float(top.iloc[0]))}" in repr(e)


def test_panel_carries_the_payload_the_front_end_formats(store):
    e = _explanation(store)
    panel = ExplainPanel(e)
    assert panel.payload["features"] == ["<b>age</b>", "income", "tenure"]
    assert panel.feature == 0  # the most important feature opens the dependence plot
