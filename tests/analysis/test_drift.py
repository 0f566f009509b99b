"""mlnb.drift / check_drift: per-column tests, dataset verdict, data quality, profile parity."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import mlnb
from mlnb.datasets import travel_churn
from mlnb.flavors.profile import build_profile


def test_same_distribution_false_positive_rate_within_the_level() -> None:
    # 30 independent pairs of samples of one distribution, 7 columns each, tests at level 0.05
    flags, dataset_flags, tests = 0, 0, 0
    for seed in range(30):
        report = mlnb.drift(
            travel_churn(400, seed=2 * seed + 100), travel_churn(400, seed=2 * seed + 101), run=False
        )
        flags += len(report.drifted_columns)
        dataset_flags += report.dataset_drift
        tests += len(report.columns)
    level = 0.05
    # one-sided binomial bound: the observed rate may exceed the level by 3 standard errors
    assert flags / tests <= level + 3 * math.sqrt(level * (1 - level) / tests)
    assert dataset_flags == 0


def test_large_samples_use_distances_without_false_alarms() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {"x": rng.normal(size=3000), "c": rng.choice(list("abcd"), 3000), "b": rng.random(3000) < 0.3}
    )
    cur = pd.DataFrame(
        {"x": rng.normal(size=2000), "c": rng.choice(list("abcd"), 2000), "b": rng.random(2000) < 0.3}
    )
    report = mlnb.drift(ref, cur, run=False)
    assert {c.column: c.test for c in report.columns} == {
        "x": "wasserstein",
        "c": "jensenshannon",
        "b": "jensenshannon",
    }
    assert report.drifted_columns == []
    shifted = cur.assign(x=cur["x"] + 0.5)
    assert mlnb.drift(ref, shifted, run=False).drifted_columns == ["x"]


def test_shifted_column_and_new_category_are_detected() -> None:
    ref, cur = travel_churn(700, seed=1), travel_churn(700, seed=2)
    cur["ServicesOpted"] = np.minimum(cur["ServicesOpted"] + 1, 6)
    cur.loc[:80, "FrequentFlyer"] = "Sometimes"
    report = mlnb.drift(ref, cur, run=False)
    assert set(report.drifted_columns) == {"ServicesOpted", "FrequentFlyer"}
    tests = {c.column: c.test for c in report.columns}
    assert (
        tests["ServicesOpted"] == "ks"
        and tests["FrequentFlyer"] == "chi2"
        and tests["BookedHotelOrNot"] == "z"
    )
    new = [q for q in report.quality if q.check == "new_categories"]
    assert new and new[0].column == "FrequentFlyer" and new[0].count == 81 and "Sometimes" in new[0].detail


def test_data_quality_checks() -> None:
    ref = travel_churn(500, seed=1)
    cur = travel_churn(500, seed=2).drop(columns="Target")
    cur["Age"] = cur["Age"].astype("float64")
    cur.loc[:99, "Age"] = np.nan
    cur.loc[100:104, "Age"] = 90.0
    report = mlnb.drift(ref, cur, run=False)
    checks = {(q.column, q.check): q for q in report.quality}
    assert checks[("Age", "missing_values")].count == 100
    assert checks[("Age", "out_of_range")].count == 5
    assert ("Target", "missing_column") in checks


def test_dataset_drift_uses_the_share_threshold() -> None:
    ref, cur = travel_churn(700, seed=1), travel_churn(700, seed=2)
    cur["Age"] += 4
    cur["ServicesOpted"] = 7 - cur["ServicesOpted"]
    report = mlnb.drift(ref, cur, run=False)
    assert len(report.drifted_columns) == 2 and not report.dataset_drift
    assert mlnb.drift(ref, cur, drift_share=0.25, run=False).dataset_drift


@pytest.mark.parametrize("shift", [0.0, 0.4])
def test_profile_reproduces_the_raw_reference_verdict(shift) -> None:
    ref, cur = travel_churn(800, seed=5), travel_churn(600, seed=6)
    rng = np.random.default_rng(3)
    ref["Spend"] = rng.gamma(2.0, 50.0, len(ref))  # continuous: the profile keeps quantiles only
    cur["Spend"] = rng.gamma(2.0, 50.0, len(cur)) * (1 + shift)
    if shift:
        cur.loc[:50, "AnnualIncomeClass"] = "Unknown"
    raw = mlnb.drift(ref, cur, run=False)
    profiled = mlnb.drift(json.loads(json.dumps(build_profile(ref))), cur, run=False)
    assert [c.drifted for c in profiled.columns] == [c.drifted for c in raw.columns]
    assert profiled.dataset_drift == raw.dataset_drift
    assert [(q.column, q.check, q.count) for q in profiled.quality] == [
        (q.column, q.check, q.count) for q in raw.quality
    ]
    for a, b in zip(raw.columns, profiled.columns, strict=True):
        if a.column != "Spend":  # exact frequency tables: identical statistics
            assert a.statistic == pytest.approx(b.statistic, abs=1e-12)
    spend = [
        (a.statistic, b.statistic)
        for a, b in zip(raw.columns, profiled.columns, strict=True)
        if a.column == "Spend"
    ]
    assert abs(spend[0][0] - spend[0][1]) < 0.02


def test_check_drift_uses_the_profile_stored_with_the_model(store) -> None:
    from sklearn.linear_model import LogisticRegression

    from tests.analysis.conftest import pipeline

    train = travel_churn(600, seed=7)
    X, y = train.drop(columns="Target"), train["Target"]
    with mlnb.start_run():
        info = mlnb.log_model(pipeline(LogisticRegression()).fit(X, y), "model", training_data=X)
    current = travel_churn(500, seed=8).drop(columns="Target")
    current["Age"] += 5
    from_profile = mlnb.check_drift(info.model_uri, current, run=False)
    from_data = mlnb.drift(X, current, run=False)
    assert from_profile.drifted_columns == from_data.drifted_columns
    assert "Age" in from_profile.drifted_columns
    assert [c.statistic for c in from_profile.columns] == pytest.approx(
        [c.statistic for c in from_data.columns]
    )
    assert "profile of 600 rows" in from_profile.reference


def test_report_exports_json_and_logs_to_a_run(store, tmp_path) -> None:
    ref, cur = travel_churn(300, seed=1), travel_churn(300, seed=2)
    cur["Age"] += 3
    with mlnb.start_run() as run:
        report = mlnb.drift(ref, cur)
    assert report.run_id == run.info.run_id
    data = json.loads(report.to_json(str(tmp_path / "r.json")))
    assert data == json.loads((tmp_path / "r.json").read_text())
    assert data["drifted_columns"] == ["Age"] and data["columns"][0]["test"] == "ks"
    logged = mlnb.get_run(run.info.run_id).data.metrics
    assert logged["number_of_drifted_columns"] == 1.0 and "drift.Age.ks" in logged
    paths = {a.path for a in mlnb.list_artifacts(run.info.run_id)}
    assert {"drift_report.json", "drift_report.html"} <= paths
    assert "<script" not in report._repr_html_()


def test_user_strings_are_escaped_and_bad_tests_refused() -> None:
    ref = pd.DataFrame({"<b>x</b>": ["<img src=x>", "a"] * 20})
    cur = pd.DataFrame({"<b>x</b>": ["<img src=y>", "a"] * 20})
    page = mlnb.drift(ref, cur, run=False)._repr_html_()
    assert "<img" not in page and "&lt;img src=y&gt;" in page
    with pytest.raises(mlnb.InvalidParameter, match="needs a numeric column"):
        mlnb.drift(ref, cur, tests={"<b>x</b>": "ks"}, run=False)


def test_report_reads_numbers_by_the_shared_rules_and_counts_in_the_singular() -> None:
    import re

    import numpy as np
    import pandas as pd

    from mlnb.display import format as fmt

    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=1500)})
    report = mlnb.drift(ref, pd.DataFrame({"x": rng.normal(size=1500) + 0.7}), run=False)
    assert repr(report).endswith("1/1 column ['x'], 1 quality issue>")  # values beyond the range
    issue = report.quality[0].detail
    assert re.fullmatch(r"[\d,]+ values? outside the reference range \[-?[\d.]+, [\d.]+\]", issue), issue
    assert report.reference == "data of 1,500 rows"
    page = report._repr_html_()
    assert "1 of 1 column drifted" in page
    assert f"<td>{fmt.number(report.columns[0].statistic)}</td>" in page
    assert "#cf222e" not in page and "var(--jp-error-color1" in page
    assert not re.search(r"\d\.\d{5,}", page)  # no raw floats
