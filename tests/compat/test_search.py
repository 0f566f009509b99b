"""``search_runs`` as a notebook user reads it: the DataFrame's columns and dtypes, filters,
ordering and the list output, compared between mlnb and MLflow."""

from __future__ import annotations

import time

from tests.compat.normalize import frame_shape

LEADING = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def _three_runs(mlf):
    exp_id = mlf.create_experiment("search")
    for name, acc, model in (("a", 0.7, "lr"), ("b", 0.9, "rf"), ("c", 0.8, "rf")):
        with mlf.start_run(experiment_id=exp_id, run_name=name):
            mlf.log_metric("acc", acc)
            mlf.log_param("model", model)
            mlf.set_tag("team", "churn")
        time.sleep(0.005)  # distinct start times: the default order is by start time
    return exp_id


def test_search_runs_frame_columns_and_dtypes(mlf, agree):
    exp_id = _three_runs(mlf)
    df = mlf.search_runs(experiment_ids=[exp_id])
    shape = frame_shape(df)
    assert [c for c, _ in shape[: len(LEADING)]] == LEADING
    assert len(df) == 3
    agree("leading columns", shape[: len(LEADING)])
    agree("data columns", sorted(shape[len(LEADING) :]))
    agree("index", list(df.index))


def test_search_runs_empty_frame(mlf, agree):
    exp_id = mlf.create_experiment("nothing here")
    df = mlf.search_runs(experiment_ids=[exp_id])
    assert len(df) == 0
    agree("empty frame", frame_shape(df))


def test_search_runs_default_order_is_newest_first(mlf, agree):
    exp_id = _three_runs(mlf)
    names = list(mlf.search_runs(experiment_ids=[exp_id])["tags.mlflow.runName"])
    assert names == ["c", "b", "a"]
    agree("default order", names)


def test_search_runs_filter_and_order_by(mlf, agree):
    exp_id = _three_runs(mlf)
    df = mlf.search_runs(
        experiment_ids=[exp_id],
        filter_string="params.model = 'rf' and metrics.acc > 0.75",
        order_by=["metrics.acc ASC"],
    )
    assert list(df["tags.mlflow.runName"]) == ["c", "b"]
    by_name = mlf.search_runs(experiment_names=["search"], filter_string="attributes.run_name = 'a'")
    agree("filtered", list(df["tags.mlflow.runName"]))
    agree("by experiment name and run name", list(by_name["metrics.acc"]))


def test_search_runs_max_results_and_list_output(mlf, agree):
    exp_id = _three_runs(mlf)
    runs = mlf.search_runs(
        experiment_ids=[exp_id], output_format="list", max_results=2, order_by=["metrics.acc DESC"]
    )
    assert [r.info.run_name for r in runs] == ["b", "c"]
    agree("list output", ([type(r).__name__ for r in runs], [r.data.metrics["acc"] for r in runs]))


def test_search_runs_default_experiment_is_the_active_one(mlf, agree):
    mlf.set_experiment("active one")
    with mlf.start_run(run_name="here"):
        pass
    mlf.create_experiment("other")
    df = mlf.search_runs()
    assert list(df["tags.mlflow.runName"]) == ["here"]
    agree("runs of the active experiment", list(df["tags.mlflow.runName"]))
