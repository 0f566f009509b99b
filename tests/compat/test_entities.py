"""The entity objects a user reads (Run, RunInfo, RunData, Experiment, Metric, FileInfo): their
fields, the types of their values and ``Run.to_dictionary()``, compared between mlnb and MLflow."""

from __future__ import annotations

from tests.compat.conftest import client_of
from tests.compat.normalize import normalize

RUN_INFO_FIELDS = (
    "run_id", "experiment_id", "run_name", "user_id", "status",
    "start_time", "end_time", "artifact_uri", "lifecycle_stage",
)  # fmt: skip
EXPERIMENT_FIELDS = (
    "experiment_id", "name", "artifact_location", "lifecycle_stage", "tags", "creation_time", "last_update_time",
)  # fmt: skip


def _finished_run(mlf):
    with mlf.start_run(run_name="entity") as run:
        mlf.log_param("alpha", 0.1)
        mlf.log_metric("rmse", 0.7, step=3)
        mlf.set_tag("team", "churn")
    return mlf.get_run(run.info.run_id)


def test_run_info_fields_and_types(mlf, agree):
    info = _finished_run(mlf).info
    types = {name: type(getattr(info, name)).__name__ for name in RUN_INFO_FIELDS}
    assert types["start_time"] == types["end_time"] == "int"
    assert types["run_id"] == types["experiment_id"] == "str"
    assert info.run_id == info.run_uuid if hasattr(info, "run_uuid") else True
    agree("RunInfo field types", types)
    agree("RunInfo values", normalize({name: getattr(info, name) for name in RUN_INFO_FIELDS}))


def test_run_data_holds_plain_dicts(mlf, agree):
    data = _finished_run(mlf).data
    assert data.params == {"alpha": "0.1"}
    assert data.metrics == {"rmse": 0.7}
    agree(
        "RunData types", [type(data.params).__name__, type(data.metrics).__name__, type(data.tags).__name__]
    )
    agree("user tags", {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")})


def test_run_to_dictionary(mlf, agree):
    run = _finished_run(mlf)
    d = run.to_dictionary()
    assert d["info"]["run_id"] == run.info.run_id
    assert d["data"]["params"] == {"alpha": "0.1"}
    agree("top-level keys", sorted(d))
    agree("info", normalize(d["info"], {run.info.run_id: "<run>"}))
    agree("data metrics and params", (d["data"]["metrics"], d["data"]["params"]))
    agree("inputs", d.get("inputs"))


def test_experiment_fields_and_types(mlf, agree):
    exp = mlf.get_experiment(mlf.create_experiment("fields", tags={"k": "v"}))
    types = {name: type(getattr(exp, name)).__name__ for name in EXPERIMENT_FIELDS}
    assert exp.tags == {"k": "v"}
    agree("Experiment field types", types)
    agree("Experiment values", normalize({name: getattr(exp, name) for name in EXPERIMENT_FIELDS}))
    default = mlf.get_experiment("0")
    agree("default experiment", (default.experiment_id, default.name, default.lifecycle_stage))


def test_metric_entity_fields(mlf, agree):
    run = _finished_run(mlf)
    (metric,) = client_of(mlf).get_metric_history(run.info.run_id, "rmse")
    assert (metric.key, metric.value, metric.step) == ("rmse", 0.7, 3)
    agree("Metric", (metric.key, metric.value, metric.step, type(metric.timestamp).__name__))


def test_file_info_fields(mlf, agree):
    with mlf.start_run() as run:
        mlf.log_text("abc", "dir/file.txt")
    client = client_of(mlf)
    (top,) = client.list_artifacts(run.info.run_id)
    (leaf,) = client.list_artifacts(run.info.run_id, "dir")
    assert (top.path, top.is_dir) == ("dir", True)
    assert (leaf.path, leaf.is_dir, leaf.file_size) == ("dir/file.txt", False, 3)
    agree("dir entry", (top.path, top.is_dir, top.file_size))
    agree("file entry", (leaf.path, leaf.is_dir, leaf.file_size))
