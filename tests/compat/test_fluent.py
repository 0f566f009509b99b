"""The fluent API a notebook user touches, run on mlnb and MLflow with one test body each."""

from __future__ import annotations

import time

from tests.compat.conftest import client_of
from tests.compat.normalize import normalize


def test_start_run_context_manager_ends_the_run(mlf, agree):
    with mlf.start_run(run_name="first") as run:
        assert mlf.active_run().info.run_id == run.info.run_id
        inside = (run.info.status, run.info.run_name, run.info.end_time)
    assert mlf.active_run() is None
    last = mlf.last_active_run()
    assert last.info.run_id == run.info.run_id
    assert last.info.status == "FINISHED"
    assert isinstance(last.info.end_time, int)
    agree("inside", inside)
    agree("after", (last.info.status, last.info.run_name, last.info.lifecycle_stage))
    agree("active run type", [cls.__name__ for cls in type(run).__mro__][:2])


def test_set_experiment_creates_then_reuses(mlf, agree):
    created = mlf.set_experiment("churn")
    again = mlf.set_experiment("churn")
    assert again.experiment_id == created.experiment_id
    assert isinstance(created.experiment_id, str)
    assert mlf.get_experiment_by_name("churn").experiment_id == created.experiment_id
    assert mlf.get_experiment_by_name("no such experiment") is None
    with mlf.start_run() as run:
        pass
    assert run.info.experiment_id == created.experiment_id
    agree("experiment", (created.name, created.lifecycle_stage, created.tags))


def test_params_are_stored_as_strings_including_none(mlf, agree):
    with mlf.start_run() as run:
        returned = mlf.log_param("int", 1)
        mlf.log_param("none", None)
        mlf.log_params({"float": 0.5, "bool": True, "list": [1, 2], "str": "x"})
    params = mlf.get_run(run.info.run_id).data.params
    assert params["none"] == "None"
    assert params["int"] == "1"
    agree("params", params)
    agree("log_param returns", returned)


def test_metrics_keep_latest_value_and_history(mlf, agree):
    with mlf.start_run() as run:
        mlf.log_metric("loss", 1.0, step=0)
        mlf.log_metric("loss", 0.5, step=1)
        mlf.log_metrics({"acc": 0.9, "int_metric": 3})
    metrics = mlf.get_run(run.info.run_id).data.metrics
    assert metrics["loss"] == 0.5
    history = client_of(mlf).get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)]
    agree("metrics", metrics)
    agree("metric value types", {k: type(v).__name__ for k, v in metrics.items()})
    agree("history", [(m.key, m.value, m.step, type(m.timestamp).__name__) for m in history])


def test_set_tag_run_name_renames_the_run(mlf, agree):
    with mlf.start_run(run_name="before") as run:
        mlf.set_tag("mlflow.runName", "after")
        mlf.set_tags({"team": "churn", "n": 1})
    fetched = mlf.get_run(run.info.run_id)
    assert fetched.info.run_name == "after"
    assert fetched.data.tags["mlflow.runName"] == "after"
    agree("run name", fetched.info.run_name)
    agree("user tags", {k: v for k, v in fetched.data.tags.items() if not k.startswith("mlflow.")})


def test_system_tags_written_on_start_run(mlf, agree):
    with mlf.start_run(run_name="sys") as run:
        pass
    tags = mlf.get_run(run.info.run_id).data.tags
    assert {"mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.runName"} <= set(tags)
    agree("system tag keys", sorted(k for k in tags if k.startswith("mlflow.")))
    agree("source type", tags["mlflow.source.type"])


def test_nested_run_gets_parent_tag(mlf, agree):
    with mlf.start_run(run_name="parent") as parent, mlf.start_run(run_name="child", nested=True) as child:
        assert mlf.active_run().info.run_id == child.info.run_id
    tags = mlf.get_run(child.info.run_id).data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    agree("parent restored after child", mlf.active_run())


def test_end_run_with_status(mlf, agree):
    run = mlf.start_run()
    mlf.end_run(status="FAILED")
    assert mlf.get_run(run.info.run_id).info.status == "FAILED"
    try:
        with mlf.start_run() as failing:
            raise ValueError("boom")
    except ValueError:
        pass
    agree("status after exception", mlf.get_run(failing.info.run_id).info.status)


def test_delete_and_restore_run(mlf, agree):
    with mlf.start_run() as run:
        pass
    mlf.delete_run(run.info.run_id)
    deleted = mlf.get_run(run.info.run_id).info.lifecycle_stage
    visible = len(mlf.search_runs(experiment_ids=[run.info.experiment_id]))
    mlf.restore_run(run.info.run_id)
    restored = mlf.get_run(run.info.run_id).info.lifecycle_stage
    assert (deleted, visible, restored) == ("deleted", 0, "active")
    agree("lifecycle", (deleted, visible, restored))


def test_experiment_tags_delete_and_restore(mlf, agree):
    exp = mlf.set_experiment("tagged")
    mlf.set_experiment_tag("owner", "ana")
    mlf.set_experiment_tags({"team": "churn"})
    tags = mlf.get_experiment(exp.experiment_id).tags
    mlf.delete_experiment(exp.experiment_id)
    stage = mlf.get_experiment(exp.experiment_id).lifecycle_stage
    active_names = [e.name for e in mlf.search_experiments()]
    mlf.restore_experiment(exp.experiment_id)
    assert tags == {"owner": "ana", "team": "churn"}
    assert stage == "deleted" and "tagged" not in active_names
    agree("tags", tags)
    agree("deleted stage", stage)


def test_search_experiments_default_order_and_filter(mlf, agree):
    for name in ("alpha", "beta", "gamma"):
        time.sleep(0.005)  # distinct creation times: the default order depends on them
        mlf.create_experiment(name, tags={"kind": "demo" if name != "beta" else "other"})
    names = [e.name for e in mlf.search_experiments()]
    demo = [e.name for e in mlf.search_experiments(filter_string="tags.kind = 'demo'")]
    by_name = [e.name for e in mlf.search_experiments(order_by=["name ASC"])]
    assert set(names) == {"Default", "alpha", "beta", "gamma"}
    assert by_name == sorted(by_name)
    agree("default order", names)
    agree("filtered", demo)
    agree("ordered by name", by_name)


def test_tracking_uri_round_trip(mlf, agree, fresh_sqlite_uri):
    uri = fresh_sqlite_uri("other")
    mlf.set_tracking_uri(uri)
    assert mlf.get_tracking_uri() == uri
    exp_id = mlf.create_experiment("elsewhere")
    agree("new store experiments", sorted(e.name for e in mlf.search_experiments()))
    agree("first experiment id in a new store", normalize(exp_id))


def test_log_text_and_dict_then_read_back(mlf, agree):
    with mlf.start_run() as run:
        mlf.log_text("hello", "notes/hello.txt")
        mlf.log_dict({"a": 1, "b": [1, 2]}, "config.json")
    client = client_of(mlf)
    root = sorted((f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id))
    notes = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run.info.run_id, "notes")]
    artifacts = mlf.artifacts if hasattr(mlf, "artifacts") else None
    loaded = artifacts.load_dict(f"{run.info.artifact_uri}/config.json") if artifacts else None
    assert ("config.json", False) in root
    assert notes == [("notes/hello.txt", False, 5)]
    assert loaded == {"a": 1, "b": [1, 2]}
    agree("root listing", root)
    agree("dir listing", notes)
