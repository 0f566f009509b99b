from __future__ import annotations

import math
import time

import pytest

import mlnb
from mlnb.errors import (
    AlreadyExists,
    ExperimentNotFound,
    InvalidParameter,
    InvalidState,
    ParamConflict,
    RunNotFound,
)


def test_set_experiment_creates_and_activates(store: object) -> None:
    exp = mlnb.set_experiment("churn")
    assert exp.name == "churn" and exp.lifecycle_stage == "active"
    with mlnb.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id
    assert mlnb.get_experiment_by_name("churn") == mlnb.get_experiment(exp.experiment_id)
    assert mlnb.get_experiment_by_name("nope") is None


def test_create_experiment_twice_is_a_clear_error(store: object) -> None:
    mlnb.create_experiment("a", tags={"team": "ml"})
    with pytest.raises(AlreadyExists, match="already exists"):
        mlnb.create_experiment("a")
    assert mlnb.get_experiment_by_name("a").tags == {"team": "ml"}


def test_search_experiments_filters_by_name_and_tag(store: object) -> None:
    mlnb.create_experiment("alpha", tags={"team": "x"})
    mlnb.create_experiment("beta")
    names = [e.name for e in mlnb.search_experiments(filter_string="name LIKE 'a%'")]
    assert names == ["alpha"]
    assert [e.name for e in mlnb.search_experiments(filter_string="tags.team = 'x'")] == ["alpha"]
    assert [e.name for e in mlnb.search_experiments(order_by=["name DESC"])] == ["beta", "alpha", "Default"]


def test_default_experiment_is_zero(store: object) -> None:
    with mlnb.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    assert mlnb.get_experiment("0").name == "Default"


def test_unknown_experiment_id_is_not_found(store: object) -> None:
    with pytest.raises(ExperimentNotFound):
        mlnb.get_experiment("42")
    with pytest.raises(ExperimentNotFound):
        mlnb.start_run(experiment_id="42")


def test_run_context_manager_sets_status(store: object) -> None:
    with mlnb.start_run(run_name="ok") as run:
        mlnb.log_param("C", 0.5)
    info = mlnb.get_run(run.info.run_id).info
    assert info.status == "FINISHED" and info.end_time >= info.start_time
    assert info.run_name == "ok"
    with pytest.raises(ValueError), mlnb.start_run() as failed:
        raise ValueError("boom")
    assert mlnb.get_run(failed.info.run_id).info.status == "FAILED"
    with pytest.raises(KeyboardInterrupt), mlnb.start_run() as killed:
        raise KeyboardInterrupt
    assert mlnb.get_run(killed.info.run_id).info.status == "KILLED"
    assert mlnb.active_run() is None


def test_second_run_without_nested_is_refused(store: object) -> None:
    with mlnb.start_run() as parent:
        with pytest.raises(InvalidState, match="nested=True"):
            mlnb.start_run()
        with mlnb.start_run(nested=True) as child:
            assert mlnb.active_run().info.run_id == child.info.run_id
        assert mlnb.active_run().info.run_id == parent.info.run_id
    run = mlnb.get_run(child.info.run_id)
    assert run.info.parent_run_id == parent.info.run_id
    assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_end_run_with_status(store: object) -> None:
    run = mlnb.start_run()
    mlnb.end_run("KILLED")
    assert mlnb.get_run(run.info.run_id).info.status == "KILLED"
    mlnb.end_run()  # no active run: nothing happens
    with pytest.raises(InvalidParameter, match="not one of"):
        mlnb.set_terminated(run.info.run_id, "DONE")


def test_logging_without_active_run_starts_one(store: object) -> None:
    mlnb.log_metric("x", 1.0)
    active = mlnb.active_run()
    assert active is not None
    mlnb.end_run()
    assert mlnb.get_run(active.info.run_id).data.metrics == {"x": 1.0}


def test_resume_run_by_id(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.log_metric("x", 1.0, step=0)
    with mlnb.start_run(run_id=run.info.run_id):
        mlnb.log_metric("x", 2.0, step=1)
    got = mlnb.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.metrics["x"] == 2.0


def test_params_are_immutable(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.log_param("C", 0.5)
        mlnb.log_param("C", 0.5)  # same value: fine
        with pytest.raises(ParamConflict, match="immutable"):
            mlnb.log_params({"C": 1.0, "new": 2})
    assert mlnb.get_run(run.info.run_id).data.params == {"C": "0.5"}


def test_bad_keys_and_values_are_refused_clearly(store: object) -> None:
    with mlnb.start_run():
        with pytest.raises(InvalidParameter, match="contains '\\$'"):
            mlnb.log_param("a$b", 1)
        with pytest.raises(InvalidParameter, match="must be a real number"):
            mlnb.log_metric("m", "high")
        with pytest.raises(InvalidParameter, match="must be a real number"):
            mlnb.log_metric("m", None)
        with pytest.raises(InvalidParameter, match="integer"):
            mlnb.log_metric("m", 1.0, step=1.5)
        with pytest.raises(InvalidParameter, match="too large"):
            mlnb.log_metric("m", 10**400)
        with pytest.raises(InvalidParameter, match="1 to 250"):
            mlnb.set_tag("k" * 300, "v")


def test_metric_history_keeps_every_point_and_latest_by_step(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.log_metric("loss", 0.5, step=2)
        mlnb.log_metric("loss", 0.9, step=0)
        mlnb.log_metric("loss", math.nan, step=1)
    history = mlnb.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2]
    assert math.isnan(history[1].value)
    assert mlnb.get_run(run.info.run_id).data.metrics["loss"] == 0.5


def test_metrics_are_visible_to_another_reader_within_the_flush_interval(store_dir, tmp_path) -> None:
    import subprocess
    import sys

    with mlnb.start_run() as run:
        mlnb.log_metric("x", 3.0)
        time.sleep(0.6)
        code = "import mlnb, sys; r = mlnb.get_run(sys.argv[1]); print(r.data.metrics.get('x'))"
        out = subprocess.run(
            [sys.executable, "-c", code, run.info.run_id], capture_output=True, text=True, check=True
        )
    assert out.stdout.strip() == "3.0"


def test_tags_are_mutable_and_deletable(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.set_tag("team", "a")
        mlnb.set_tags({"team": "b", "x": 1})
        mlnb.delete_tag("x")
        with pytest.raises(mlnb.NotFound, match="no tag"):
            mlnb.delete_tag("x")
    tags = mlnb.get_run(run.info.run_id).data.tags
    assert tags["team"] == "b" and "x" not in tags
    assert tags["mlflow.runName"] == run.info.run_name


def test_delete_and_restore_run(store: object) -> None:
    with mlnb.start_run() as run:
        pass
    rid = run.info.run_id
    mlnb.delete_run(rid)
    assert rid not in set(mlnb.search_runs()["run_id"])
    assert rid in set(mlnb.search_runs(run_view_type=mlnb.ViewType.DELETED_ONLY)["run_id"])
    with pytest.raises(InvalidState, match="restore"):
        mlnb.log_metric("x", 1.0, run_id=rid)
    mlnb.restore_run(rid)
    assert rid in set(mlnb.search_runs()["run_id"])


def test_unknown_run_is_not_found(store: object) -> None:
    with pytest.raises(RunNotFound, match="no run with id"):
        mlnb.get_run("0" * 32)


def test_log_input_records_fingerprint(store: object) -> None:
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    with mlnb.start_run() as run:
        info = mlnb.log_input(df, context="train", name="train")
        mlnb.log_input(df.iloc[:2], context="eval")
    inputs = mlnb.get_run(run.info.run_id).inputs
    assert [i.role for i in inputs] == ["train", "eval"] or [i.role for i in inputs] == ["eval", "train"]
    train = next(i for i in inputs if i.role == "train")
    assert train.digest == info.digest and list(train.shape) == [3, 2]
    assert [c["name"] for c in train.columns] == ["a", "b"]
    assert mlnb.log_input.__module__  # public
    other = mlnb.log_input(df.assign(a=[1, 2, 4]), run_id=run.info.run_id)
    assert other.digest != info.digest


def test_experiment_from_mlflow_experiment_name_not_from_its_id(
    store: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MLflow's set_experiment writes MLFLOW_EXPERIMENT_ID with an id of its own store
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "12345")
    with mlnb.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    with mlnb.start_run() as run:
        pass
    assert mlnb.get_experiment(run.info.experiment_id).name == "from-env"


def test_log_system_metrics_warns_that_none_are_recorded(store: object) -> None:
    with pytest.warns(UserWarning, match="system metrics"), mlnb.start_run(log_system_metrics=True):
        pass


def test_start_run_refuses_unknown_keywords(store: object) -> None:
    with pytest.raises(TypeError, match="start_time"):
        mlnb.start_run(start_time=5)
