"""MetricThreshold: MLflow's semantics for absolute, relative and baseline-relative gates."""

from __future__ import annotations

import pytest

from mlnb.analysis.thresholds import MetricThreshold, html_table, validate
from mlnb.errors import InvalidParameter


def test_threshold_direction() -> None:
    up = MetricThreshold(threshold=0.8, greater_is_better=True)
    down = MetricThreshold(threshold=0.3, greater_is_better=False)
    assert up.check(0.8) == [] and up.check(0.79)
    assert down.check(0.3) == [] and down.check(0.31)


def test_relative_change_uses_the_baseline_magnitude() -> None:
    gate = MetricThreshold(min_relative_change=0.1, greater_is_better=True)
    assert gate.check(1.1, 1.0) == [] and gate.check(1.09, 1.0)
    # negative baseline (an R² below 0): the bound is -0.5 + 0.05, not -0.5 * 1.1
    assert gate.check(-0.45, -0.5) == [] and gate.check(-0.46, -0.5)
    # zero baseline: strictly better
    assert gate.check(1e-9, 0.0) == [] and gate.check(0.0, 0.0)


def test_absolute_change_lower_is_better() -> None:
    gate = MetricThreshold(min_absolute_change=0.05, greater_is_better=False)
    assert gate.check(0.45, 0.5) == [] and gate.check(0.46, 0.5)


def test_missing_values_fail() -> None:
    gate = MetricThreshold(threshold=1, min_absolute_change=1, greater_is_better=True)
    assert gate.check(None) == ["metric missing"]
    assert "baseline metric missing" in gate.check(2, None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 1},
        {"threshold": "high", "greater_is_better": True},
        {"min_absolute_change": 0, "greater_is_better": True},
        {"min_relative_change": 1.5, "greater_is_better": True},
    ],
)
def test_invalid_gates_are_refused(kwargs) -> None:
    with pytest.raises(InvalidParameter):
        MetricThreshold(**kwargs)


def test_failure_messages_read_like_tables_and_near_misses_in_full() -> None:
    from mlnb.analysis.thresholds import table, validate

    gate = MetricThreshold(threshold=0.8, greater_is_better=True)
    assert gate.check(0.7123456) == ["value 0.7123 >= threshold 0.8 is false"]
    # 0.79996 would read 0.8: shown in full, or the message would contradict itself
    assert gate.check(0.79996) == ["value 0.79996 >= threshold 0.8 is false"]
    near = MetricThreshold(min_absolute_change=0.05, greater_is_better=False)
    assert near.check(0.46, 0.5) == ["value 0.46 <= 0.45 (baseline 0.5 - 0.05) is false"]
    rows = table(
        validate({"f1": 0.845188}, {"f1": MetricThreshold(threshold=0.9, greater_is_better=True)}, None)
    )
    assert "0.8452" in rows and "0.845188" not in rows.split("FAIL")[0]


def test_gate_table_escapes_names_and_marks_missing_values() -> None:
    gates = {"<b>f1</b>": MetricThreshold(threshold=0.8, greater_is_better=True)}
    page = html_table(validate({"<b>f1</b>": 0.5}, gates, None))
    assert "<b>f1</b>" not in page and "<td>&lt;b&gt;f1&lt;/b&gt;</td>" in page
    assert "<td>0.5</td><td>-</td><td>&gt;= 0.8</td>" in page  # no baseline: a dash, not a blank
    assert "FAIL: value 0.5 &gt;= threshold 0.8 is false</td>" in page
