"""Promotion gates: pass moves the alias, failure refuses with a table, conditions parse strictly."""

from __future__ import annotations

import pytest

import mlnb
from mlnb.errors import InvalidParameter, ValidationFailed
from mlnb.registry.gates import parse_condition, parse_gate

GATE = {"metrics.roc_auc": ">= 0.8", "metrics.f1": "not worse than current"}


@pytest.fixture
def champion(log_candidate) -> None:
    """churn v1 (f1 0.70, roc_auc 0.85) holds @champion."""
    mlnb.register_model(log_candidate(f1=0.70, roc_auc=0.85, log_loss=0.40), "churn")
    mlnb.set_registered_model_alias("churn", "champion", 1)


def test_gate_pass_moves_alias_and_records_history(champion, log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.75, roc_auc=0.86, log_loss=0.35), "churn")
    result = mlnb.promote(
        "churn", 2, gate=GATE | {"metrics.log_loss": "not worse than current (lower is better)"}
    )
    assert result.promoted and result.passed and result.current_version == 1
    assert [c.metric for c in result.checks] == ["roc_auc", "f1", "log_loss"]
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 2
    assert list(mlnb.get_alias_history("churn", "champion")["version"]) == [1, 2]
    assert "candidate v2" in result.table() and "current v1" in result.table()
    assert "<table>" in result._repr_html_()
    assert list(result.to_frame()["passed"]) == [True, True, True]


def test_gate_failure_refuses_with_a_table(champion, log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.65, roc_auc=0.79), "churn")
    with pytest.raises(ValidationFailed) as info:
        mlnb.promote("churn", 2, gate=GATE)
    message = str(info.value)
    assert "2 of 2 gate conditions failed" in message and "still points at version 1" in message
    lines = message.splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    assert "condition" in header and "candidate v2" in header and "current v1" in header
    assert any("metrics.roc_auc" in ln and "0.79" in ln and "FAIL (needs >= 0.8)" in ln for ln in lines)
    assert any(
        "metrics.f1" in ln and "0.65" in ln and "0.7" in ln and "FAIL (needs >= 0.7)" in ln for ln in lines
    )
    result = info.value.result  # type: ignore[attr-defined]
    assert not result.promoted and len(result.failures) == 2
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 1
    assert list(mlnb.get_alias_history("churn", "champion")["version"]) == [1]


def test_gate_table_reads_like_every_table_but_a_near_miss_shows_in_full(champion, log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.845188, roc_auc=0.79995), "churn")
    result = mlnb.promote(
        "churn", 2, gate={"metrics.f1": ">= 0.7", "metrics.roc_auc": ">= 0.8"}, dry_run=True
    )
    f1 = next(line for line in result.table().splitlines() if "metrics.f1" in line)
    auc = next(line for line in result.table().splitlines() if "metrics.roc_auc" in line)
    assert "0.8452" in f1 and "0.845188" not in f1  # four significant digits, as everywhere
    # 0.79995 rounds to 0.8: the failure shows both values in full so that it explains itself
    assert "0.79995" in auc and "FAIL (needs >= 0.8)" in auc


def test_missing_or_nan_candidate_metric_fails(champion, log_candidate) -> None:
    mlnb.register_model(log_candidate(roc_auc=float("nan")), "churn")
    result = mlnb.promote("churn", 2, gate=GATE, dry_run=True)
    notes = {c.metric: (c.passed, c.note) for c in result.checks}
    assert notes == {
        "roc_auc": (False, "candidate metric NaN"),
        "f1": (False, "candidate metric not logged"),
    }
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 1


def test_first_promotion_has_nothing_to_be_worse_than(log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.5, roc_auc=0.9), "churn")
    result = mlnb.promote("churn", "1", alias="prod", gate=["metrics.f1 better than current", "roc_auc>=0.8"])
    assert result.promoted and result.current_version is None
    assert result.checks[0].note == "no current version to compare"
    assert mlnb.get_model_version_by_alias("churn", "prod").version == 1


def test_tolerance_around_current(champion, log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.695, roc_auc=0.85), "churn")
    assert mlnb.promote("churn", 2, gate={"f1": ">= current - 0.01"}, dry_run=True).passed
    assert not mlnb.promote("churn", 2, gate={"f1": ">= current + 0.01"}, dry_run=True).passed
    assert not mlnb.promote("churn", 2, gate={"f1": "better than current"}, dry_run=True).passed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (">= 0.8", (">=", False, 0.8)),
        ("<0.3", ("<", False, 0.3)),
        ("= 1", ("==", False, 1.0)),
        ("not worse than current", (">=", True, 0.0)),
        ("Better than current", (">", True, 0.0)),
        ("not worse than current (lower is better)", ("<=", True, 0.0)),
        ("better than current (lower is better)", ("<", True, 0.0)),
        (">= current - 0.02", (">=", True, -0.02)),
        ("<= current+1e-3", ("<=", True, 0.001)),
    ],
)
def test_conditions_parse(text: str, expected: tuple[str, bool, float]) -> None:
    cond = parse_condition(text)
    assert (cond.op, cond.current, cond.offset) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "0.8", ">= x", "worse than current", ">= current * 2", "=> 0.8", "> 1; drop"]
)
def test_bad_conditions_are_refused(text: str) -> None:
    with pytest.raises(InvalidParameter, match="not understood"):
        parse_condition(text)


def test_gate_text_and_keys(champion) -> None:
    assert parse_gate("metrics.f1>=0.8") == ("metrics.f1", ">=0.8")
    assert parse_gate("metrics.f1 not worse than current") == ("metrics.f1", "not worse than current")
    with pytest.raises(InvalidParameter):
        parse_gate("just words")
    with pytest.raises(InvalidParameter, match="metrics only"):
        mlnb.promote("churn", 1, gate={"params.C": ">= 1"})


def test_repromoting_the_holder_passes_and_says_so(champion) -> None:
    result = mlnb.promote("churn", 1, gate=GATE)
    assert result.promoted and result.current_version == 1
    assert result.checks[1].note == "candidate already holds the alias"
    assert list(mlnb.get_alias_history("churn", "champion")["version"]) == [1]


def test_html_table_escapes_conditions(champion) -> None:
    html = mlnb.promote("churn", 1, gate={"metrics.log_loss": "<= current"}, dry_run=True)._repr_html_()
    assert "<td>&lt;= current</td>" in html and "<= current" not in html
