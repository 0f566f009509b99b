"""search_runs returns every value of every matched run exactly, in both output formats."""

from __future__ import annotations

import math
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlnb
from mlnb.errors import InvalidParameter
from mlnb.store import search_details
from mlnb.tracking.state import get_store
from tests.conftest import _reset_tracking_state

KEYS = ["a", "b", "k 2", "é", "Z", "a.b/c"]
TEXTS = ["", "x", "' OR 1=1 --", 'q"q', "é\u2028ü", "\\", "{}", "[1]", "null", "0.5"]
NUMBERS = [0.0, -0.0, 0.1 + 0.2, 1 / 3, math.inf, -math.inf, math.nan, 1e308, 5e-324, -2.5, 123456789.0]

run_spec = st.fixed_dictionaries(
    {
        "params": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TEXTS), max_size=4),
        "tags": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TEXTS), max_size=3),
        "metrics": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(NUMBERS), max_size=4),
    }
)


def _same_number(got: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(got)
    return got == expected and math.copysign(1, got) == math.copysign(1, expected)


def _populate(specs: list[dict], same_keys: bool) -> list[tuple[str, dict]]:
    if same_keys:  # every run logs the same keys: the layout the fast paths take
        specs = [
            {kind: {k: spec[kind].get(k, specs[0][kind][k]) for k in specs[0][kind]} for kind in spec}
            for spec in specs
        ]
    created = []
    for spec in specs:
        with mlnb.start_run() as run:
            mlnb.log_params(spec["params"])
            mlnb.set_tags(spec["tags"])
            mlnb.log_metrics(spec["metrics"])
        created.append((run.info.run_id, spec))
    return created


def _check_frame(frame: Any, created: list[tuple[str, dict]]) -> None:
    by_id = dict(created)
    assert set(frame["run_id"]) == set(by_id)
    for kind in ("params", "tags", "metrics"):
        keys = {k for _, spec in created for k in spec[kind]}
        assert {f"{kind}.{k}" for k in keys} <= set(frame.columns)
        if kind != "tags":  # tags also hold mlflow.* system tags
            assert {c for c in frame.columns if c.startswith(f"{kind}.")} == {f"{kind}.{k}" for k in keys}
    for row in frame.to_dict("records"):
        spec = by_id[row["run_id"]]
        for kind in ("params", "tags"):
            for key in {k for _, s in created for k in s[kind]}:
                got = row[f"{kind}.{key}"]
                if key in spec[kind]:
                    assert got == spec[kind][key]
                else:
                    assert isinstance(got, float) and math.isnan(got)
        for key in {k for _, s in created for k in s["metrics"]}:
            got = row[f"metrics.{key}"]
            assert _same_number(got, spec["metrics"].get(key, math.nan)), (key, got)


def _check_runs(runs: list[Any], created: list[tuple[str, dict]]) -> None:
    by_id = dict(created)
    assert {r.info.run_id for r in runs} == set(by_id)
    for run in runs:
        spec = by_id[run.info.run_id]
        assert run.data.params == spec["params"]
        assert {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")} == {
            k: v for k, v in spec["tags"].items() if not k.startswith("mlflow.")
        }
        assert run.data.metrics.keys() == spec["metrics"].keys()
        for key, value in spec["metrics"].items():
            assert _same_number(run.data.metrics[key], value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(run_spec, min_size=1, max_size=7), st.booleans())
def test_every_value_of_every_run_comes_back_exactly(specs: list[dict], same_keys: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            created = _populate(specs, same_keys)
            _check_frame(mlnb.search_runs(), created)
            _check_runs(mlnb.search_runs(output_format="list"), created)
            # a cut in the middle of the order keeps each value with its own run
            order = ["attributes.start_time ASC"]
            head = mlnb.search_runs(order_by=order, max_results=2)
            assert list(head["run_id"]) == list(mlnb.search_runs(order_by=order)["run_id"][:2])
            by_id = dict(created)
            _check_frame(head, [(rid, by_id[rid]) for rid in head["run_id"]])
        finally:
            _reset_tracking_state()


def test_json_and_row_reads_agree(store: Any) -> None:
    """The two ways of reading details (SQLite JSON, flat rows) give the same columns."""
    for i in range(30):
        with mlnb.start_run():
            mlnb.log_params({f"p{i % 4}": f"v{i}", "common": "c"})
            mlnb.log_metrics({"m": i / 7, f"only{i % 3}": -0.0 if i % 2 else math.nan})
            if i % 5 == 0:
                mlnb.set_tag("every5", str(i))
    ids = list(mlnb.search_runs(order_by=["metrics.m DESC"])["run_id"])
    with get_store().reading() as conn:
        by_json = search_details._read_json(conn, ids)[:3]
        by_rows = search_details._read_rows(conn, "sqlite", ids)
    for got, expected in zip(by_json, by_rows, strict=True):
        assert got.keys() == expected.keys()
        for key in expected:
            assert len(got[key]) == len(expected[key]) == len(ids)
            for a, b in zip(got[key], expected[key], strict=True):
                assert a == b or (a is not None and b is not None and _same_number(a, b)), key


def test_experiments_by_name_and_id_together(store: Any) -> None:
    one = mlnb.create_experiment("one")
    mlnb.create_experiment("two")
    for name in ("one", "two"):
        mlnb.set_experiment(name)
        with mlnb.start_run():
            mlnb.log_param("exp", name)
    with pytest.raises(InvalidParameter, match="not both"):  # as MLflow
        mlnb.search_runs(experiment_ids=[one], experiment_names=["two"])
    both = mlnb.search_runs(experiment_names=["one", "two"])
    assert sorted(both["params.exp"]) == ["one", "two"]
    everything = mlnb.search_runs(search_all_experiments=True)
    assert sorted(everything["params.exp"]) == ["one", "two"]
    only_one = mlnb.search_runs(experiment_ids=[one], search_all_experiments=True)
    assert list(only_one["params.exp"]) == ["one"]


def test_a_missing_experiment_name_is_left_out_as_mlflow_does(
    store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mlnb.set_experiment("one")
    with mlnb.start_run():
        mlnb.log_param("exp", "one")
    assert list(mlnb.search_runs(experiment_names=["one", "nope"])["params.exp"]) == ["one"]
    assert "no experiment named 'nope'" in caplog.text
    nothing = mlnb.search_runs(experiment_names=["nope"])
    assert nothing.shape == (0, 6)
    assert mlnb.search_runs(experiment_names=["nope"], output_format="list") == []


def test_a_deleted_experiment_is_still_searched_by_name(store: Any) -> None:
    exp = mlnb.set_experiment("gone").experiment_id
    with mlnb.start_run() as run:
        mlnb.log_metric("m", 1.0)
    mlnb.delete_experiment(exp)
    assert list(mlnb.search_runs(experiment_names=["gone"])["run_id"]) == [run.info.run_id]


def test_unfinished_runs_keep_pandas_own_time_columns(store: Any) -> None:
    with mlnb.start_run():
        mlnb.log_metric("m", 1.0)
        frame = mlnb.search_runs()
        assert frame["end_time"].isna().all()
        assert str(frame["start_time"].dtype) == "datetime64[us, UTC]"
    done = mlnb.search_runs()
    assert str(done["end_time"].dtype) == "datetime64[us, UTC]" and done["end_time"].notna().all()
