"""The reference profile: JSON-safe aggregates of a training table, never its rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlnb.datasets import travel_churn
from mlnb.errors import InvalidParameter
from mlnb.flavors.profile import build_profile, check_profile, column_kind, is_profile


def test_profile_is_json_and_holds_no_rows() -> None:
    df = travel_churn()
    profile = build_profile(df)
    text = json.dumps(profile, allow_nan=False)
    assert json.loads(text) == profile
    assert profile["n_rows"] == len(df)
    assert [c["name"] for c in profile["columns"]] == list(df.columns)
    assert len(text) < 20_000


def test_kinds_follow_dtype_and_cardinality() -> None:
    df = travel_churn()
    kinds = {c["name"]: c["kind"] for c in build_profile(df)["columns"]}
    assert kinds == {
        "Age": "numeric",
        "FrequentFlyer": "categorical",
        "AnnualIncomeClass": "categorical",
        "ServicesOpted": "numeric",
        "AccountSyncedToSocialMedia": "binary",
        "BookedHotelOrNot": "binary",
        "Target": "binary",
    }
    assert column_kind(pd.Series([True, False, None])) == "binary"


def test_numeric_summary_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(5, 2, 1000)
    x[:7] = np.nan
    col = build_profile(pd.DataFrame({"x": x}))["columns"][0]
    finite = x[~np.isnan(x)]
    assert col["missing"] == 7 and col["count"] == 993
    assert col["min"] == finite.min() and col["max"] == finite.max()
    assert col["mean"] == pytest.approx(finite.mean())
    assert col["quantiles"]["values"][50] == pytest.approx(np.median(finite))
    assert sum(col["histogram"]["counts"]) == 993
    assert "values" not in col  # continuous: no frequency table


def test_low_cardinality_numeric_keeps_exact_frequencies() -> None:
    col = build_profile(travel_churn())["columns"][0]
    assert sum(c for _, c in col["values"]) == 954
    assert {v for v, _ in col["values"]} == set(range(27, 39))


def test_categories_are_capped_with_other_count() -> None:
    s = pd.Series([f"c{i % 30}" for i in range(300)] + ["top"] * 50)
    col = build_profile(pd.DataFrame({"s": s}), max_categories=5)["columns"][0]
    assert col["categories"][0] == ["top", 50]
    assert len(col["categories"]) == 5
    assert col["other_count"] == 350 - sum(c for _, c in col["categories"])
    assert col["n_unique"] == 31


def test_numpy_input_and_deterministic_output() -> None:
    a = np.arange(20.0).reshape(10, 2)
    assert build_profile(a) == build_profile(a.copy())
    assert [c["name"] for c in build_profile(a)["columns"]] == ["0", "1"]


def test_check_profile_rejects_other_dicts() -> None:
    assert is_profile(build_profile({"a": [1, 2, 3]}))
    with pytest.raises(InvalidParameter, match="not a reference profile"):
        check_profile({"columns": []})
    newer = build_profile({"a": [1, 2, 3]}) | {"version": 99}
    with pytest.raises(InvalidParameter, match="newer"):
        check_profile(newer)
