"""The compare panel's static plots: default axes, single-value scales, PNG output, escaping."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import numpy as np
import pytest

import mlnb
from mlnb.widgets._compare_data import Column, RunTable, _text_column
from mlnb.widgets._compare_plots_static import default_axes, range_scale, static_plots
from mlnb.widgets.compare import compare

HOSTILE = "<b>x</b>"


def _runs(spec: list[dict]) -> None:
    for item in spec:
        with mlnb.start_run(run_name=item["name"]):
            mlnb.log_params(item["params"])
            for key, value in item["metrics"].items():
                mlnb.log_metric(key, value)
    mlnb.flush()


@pytest.fixture
def table(store):
    mlnb.set_experiment("static-plots")
    _runs(
        [
            {"name": "a", "params": {"C": 0.1, "model": "lr", "seed": 1}, "metrics": {"acc": 0.7, "f1": 0.5}},
            {"name": "b", "params": {"C": 1.0, "model": "rf", "seed": 1}, "metrics": {"acc": 0.9, "f1": 0.6}},
            {"name": "c", "params": {"C": 10, "model": "lr", "seed": 1}, "metrics": {"acc": 0.8}},
        ]
    )
    return compare().table


def _png(html: str) -> bytes:
    found = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert found, html[:300]
    return base64.b64decode(found.group(1))


def test_default_axes_are_differing_params_then_the_first_visible_metric(table):
    columns = ["metrics.f1", "metrics.acc", "params.model", "params.C", "params.seed"]
    assert default_axes(table, columns) == (["params.model", "params.C", "metrics.f1"], "metrics.f1")
    # no metric among the visible columns: the table's first metric
    assert default_axes(table, ["params.C"]) == (["params.C", "params.model", "metrics.acc"], "metrics.acc")


def test_static_plots_is_a_png_with_a_caption(table):
    html = static_plots(table, ["metrics.f1", "metrics.acc", "params.C", "params.model"])
    assert _png(html).startswith(b"\x89PNG\r\n\x1a\n")
    assert 'alt="parallel coordinates of params.C, params.model, metrics.f1"' in html
    # run c lacks f1: it is drawn on the missing band, and the caption says so
    assert (
        "all 3 runs, coloured by f1; runs without a value pass through the \u201cmissing\u201d band" in html
    )


def test_static_plots_samples_past_max_runs_and_says_so(table):
    html = static_plots(table, ["metrics.acc"], max_runs=2)
    assert "all 3 runs, coloured by acc (2 lines drawn, an even sample)" in html
    assert _png(html)


def test_static_plots_without_differing_params_says_why(store):
    mlnb.set_experiment("static-plots-flat")
    _runs([{"name": n, "params": {"seed": 1}, "metrics": {"acc": 0.5}} for n in ("a", "b")])
    html = static_plots(compare().table, ["metrics.acc"])
    assert "<img" not in html
    assert "no param differs among the 2 runs" in html


def test_static_plots_escapes_keys_and_values():
    # the store refuses such keys; a table read from elsewhere (an MLflow store) may not
    table = RunTable(run_ids=["r1", "r2"], names=["a", "b"], status=["FINISHED"] * 2)
    table.columns[f"params.{HOSTILE}"] = _text_column(f"params.{HOSTILE}", "param", ["<i>1</i>", "<i>2</i>"])
    table.columns[f"metrics.{HOSTILE}"] = Column(
        f"metrics.{HOSTILE}", "metric", text=[0.1, 0.2], num=np.array([0.1, 0.2])
    )
    html = static_plots(table, [f"metrics.{HOSTILE}"])
    assert _png(html)
    assert HOSTILE not in html and "<i>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0.9, 0.9, (0.855, 0.945, [0.9])),
        (1.0, 1.0, (0.95, 1.0, [1.0])),  # a metric in [0, 1] never padded past 1
        (0.0, 0.0, (0.0, 0.5, [0.0])),  # ... nor below 0
        (-4.0, -4.0, (-4.2, -3.8, [-4.0])),
        (0.0, 1.0, (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])),
    ],
)
def test_range_scale_single_values_are_sane(lo, hi, expected):
    assert range_scale(lo, hi) == expected


def test_importing_the_static_plots_does_not_import_matplotlib():
    code = "import sys, mlnb.widgets._compare_plots_static; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_log_axes_only_where_values_crowd_the_low_end():
    from mlnb.widgets._compare_plots_static import _axis

    grid = Column("params.C", "param", num=np.array([0.01, 0.1, 1.0, 10.0, 0.1, 1.0]))
    uniform = Column("metrics.m", "metric", num=np.linspace(0.0001, 1.0, 50))
    rows = np.arange(6)
    c = _axis("params.C", grid, rows)
    assert c.log and [label for _, label in c.ticks] == ["0.01", "0.1", "1", "10"]
    assert not _axis("metrics.m", uniform, np.arange(50)).log
