from __future__ import annotations

import math

import pandas as pd
import pytest

import mlnb
from mlnb.errors import FilterSyntaxError, InvalidParameter


def test_frame_has_mlflow_columns_and_types(store: object) -> None:
    mlnb.set_experiment("cols")
    with mlnb.start_run(run_name="a") as run:
        mlnb.log_params({"C": 0.5})
        mlnb.log_metric("acc", 0.9)
        mlnb.set_tag("team", "ml")
    frame = mlnb.search_runs(experiment_names=["cols"])
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.acc", "params.C", "tags.team", "tags.mlflow.runName"} <= set(frame.columns)
    assert frame["metrics.acc"].dtype == "float64"
    assert isinstance(frame["start_time"].dtype, pd.DatetimeTZDtype)
    assert frame.loc[0, "run_id"] == run.info.run_id and frame.loc[0, "params.C"] == "0.5"
    assert mlnb.search_runs(experiment_names=["cols"], output_format="list")[0].data.params == {"C": "0.5"}


def test_default_order_is_newest_first_and_max_results_limits(store: object) -> None:
    ids = []
    for i in range(5):
        with mlnb.start_run() as run:
            mlnb.log_metric("i", i)
        ids.append(run.info.run_id)
    frame = mlnb.search_runs(max_results=3)
    assert len(frame) == 3
    assert list(mlnb.search_runs(order_by=["metrics.i ASC"])["run_id"]) == ids


def test_errors_are_clear(store: object) -> None:
    with pytest.raises(InvalidParameter, match="not both"):
        mlnb.search_runs(experiment_ids=["0"], experiment_names=["Default"])
    with pytest.raises(FilterSyntaxError, match="column"):
        mlnb.search_runs(filter_string="metrics.a >")
    with pytest.raises(InvalidParameter, match="max_results"):
        mlnb.search_runs(max_results=-1)
    with pytest.raises(InvalidParameter, match="output_format"):
        mlnb.search_runs(output_format="json")


def test_injection_strings_match_literally(store: object) -> None:
    evil = "x' OR '1'='1"
    with mlnb.start_run() as run:
        mlnb.log_param("p", evil)
    with mlnb.start_run():
        mlnb.log_param("p", "other")
    quoted = evil.replace("'", "''")
    assert list(mlnb.search_runs(filter_string=f"params.p = '{quoted}'")["run_id"]) == [run.info.run_id]
    assert len(mlnb.search_runs(filter_string="params.p = 'x'")) == 0
    assert len(mlnb.search_runs(filter_string="params.p LIKE '%'' OR %'")) == 1


def test_many_matched_runs_read_only_their_own_values(store: object) -> None:
    """Above 2,000 matched runs the detail reads scan; runs not matched must not leak in."""
    mlnb.set_experiment("big")
    for i in range(2300):
        with mlnb.start_run(run_name=f"r{i}"):
            mlnb.log_params({"i": i, "parity": i % 2})
            mlnb.log_metric("x", i / 10)
            if i == 7:
                mlnb.log_metric("nan", math.nan)
    mlnb.set_experiment("other")
    with mlnb.start_run():
        mlnb.log_params({"i": -1, "only_other": 1})
    frame = mlnb.search_runs(
        experiment_names=["big"], filter_string="metrics.x >= 10", order_by=["metrics.x"]
    )
    assert len(frame) == 2200
    assert list(frame["params.i"].astype(int)) == list(range(100, 2300))
    assert (frame["metrics.x"] == frame["params.i"].astype(int) / 10).all()
    assert "params.only_other" not in frame.columns
    everything = mlnb.search_runs(experiment_names=["big"], filter_string="params.parity = '1'")
    assert len(everything) == 1150 and set(everything["params.parity"]) == {"1"}
    assert math.isnan(everything.loc[everything["params.i"] == "7", "metrics.nan"].iloc[0])


def test_run_ids_restrict_the_search(store: object) -> None:
    ids = []
    for i in range(4):
        with mlnb.start_run() as run:
            mlnb.log_metric("i", i)
        ids.append(run.info.run_id)
    frame = mlnb.search_runs(run_ids=ids[1:3], order_by=["metrics.i"])
    assert list(frame["run_id"]) == ids[1:3]
    assert list(mlnb.search_runs(run_ids=ids[:1], filter_string="metrics.i > 0")["run_id"]) == []
