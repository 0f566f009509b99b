"""``search_runs`` gives what MLflow's gives for the same runs: columns, dtypes, values, order.

The same notebook-style code records runs through ``mlnb`` and through real ``mlflow`` (on a
temp SQLite store); the two results are then compared.  Column order inside the ``metrics.*``,
``params.*`` and ``tags.*`` groups is the one documented difference: mlnb sorts the keys, MLflow
follows set iteration order, which changes from one process to the next.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import mlnb
from tests.search_world import build_mlflow, build_mlnb

pytestmark = pytest.mark.mlflow

INFO_COLUMNS = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


@pytest.fixture(scope="module")
def mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLflow database for the module (creating one costs seconds); each test uses its own
    experiments in it."""
    pytest.importorskip("mlflow")
    return tmp_path_factory.mktemp("mlflow_parity")


@contextmanager
def _tracking_to(mlflow: Any, path: Path) -> Iterator[Any]:
    previous = mlflow.get_tracking_uri()
    previous_experiment = os.environ.get("MLFLOW_EXPERIMENT_ID")
    mlflow.set_tracking_uri(f"sqlite:///{path / 'mlflow.db'}")
    try:
        yield mlflow
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(previous)
        # mlflow.set_experiment keeps the experiment id (in a global and in MLFLOW_EXPERIMENT_ID):
        # a later test's MLflow run would look for that experiment in its own database
        import mlflow.tracking.fluent as fluent

        fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
        if previous_experiment is not None:
            os.environ["MLFLOW_EXPERIMENT_ID"] = previous_experiment


@pytest.fixture
def mlflow_api(mlflow_db: Path) -> Iterator[Any]:
    import mlflow

    with _tracking_to(mlflow, mlflow_db) as api:
        yield api


def _use_experiment(api: Any, name: str, artifacts: Path) -> None:
    """``set_experiment(name)``; MLflow's experiments get their artifacts under ``artifacts``."""
    if api is not mlnb and api.get_experiment_by_name(name) is None:
        api.create_experiment(name, artifact_location=(artifacts / name).as_uri())
    api.set_experiment(name)


def _record(api: Any, experiment: str, artifacts: Path) -> None:
    """Notebook code, identical for both libraries."""
    _use_experiment(api, experiment, artifacts)
    with api.start_run(run_name="first"):
        api.log_params({"lr": "0.1", "depth": 3})
        api.log_metric("acc", 0.9)
        api.log_metric("loss", 0.5, step=1)
        api.set_tag("team", "a")
    time.sleep(0.005)  # distinct start times: the default order is start_time DESC
    with api.start_run(run_name="second"):
        api.log_param("lr", "0.2")
        api.log_metric("acc", float("nan"))
        api.set_tag("team", "b")
    time.sleep(0.005)
    with api.start_run(run_name="third"):
        api.log_metric("f1", 0.7)
        api.log_param("kernel", "rbf")
    time.sleep(0.005)
    api.start_run(run_name="failed")
    api.log_metric("acc", 0.1)
    api.end_run(status="FAILED")


def _names(frame: Any) -> list[str]:
    return list(frame["tags.mlflow.runName"])


def _compared_columns(ours: Any, theirs: Any) -> list[str]:
    """Every column but MLflow's source tags (the fluent API's business, not search's)."""
    return [c for c in theirs.columns if not c.startswith("tags.mlflow.source.")]


def _same_values(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return a == b or (a != a and b != b)  # NaN / NaT / missing on both sides


def test_frame_has_mlflow_columns_dtypes_and_values(store: Any, mlflow_api: Any, mlflow_db: Path) -> None:
    for api in (mlnb, mlflow_api):
        _record(api, "frame", mlflow_db)
    ours, theirs = mlnb.search_runs(), mlflow_api.search_runs()
    assert list(ours.columns[:6]) == list(theirs.columns[:6]) == INFO_COLUMNS
    columns = _compared_columns(ours, theirs)
    assert set(columns) <= set(ours.columns)
    for group in ("metrics.", "params.", "tags."):
        in_group = [c for c in ours.columns if c.startswith(group)]
        assert in_group == sorted(in_group)
        if group != "tags.":
            assert set(in_group) == {c for c in theirs.columns if c.startswith(group)}
    assert _names(ours) == _names(theirs) == ["failed", "third", "second", "first"]
    for column in columns:
        assert ours[column].dtype == theirs[column].dtype, column
        if column in ("run_id", "artifact_uri", "start_time", "end_time", "tags.mlflow.user"):
            continue  # ids, paths, clocks and users differ between the two stores
        assert all(_same_values(a, b) for a, b in zip(ours[column], theirs[column], strict=True)), column
    assert ours["start_time"].is_monotonic_decreasing and theirs["start_time"].is_monotonic_decreasing


def test_empty_result_has_mlflow_shape(store: Any, mlflow_api: Any, mlflow_db: Path) -> None:
    for api in (mlnb, mlflow_api):
        _record(api, "empty", mlflow_db)
    ours = mlnb.search_runs(filter_string="metrics.acc > 5")
    theirs = mlflow_api.search_runs(filter_string="metrics.acc > 5")
    assert ours.shape == theirs.shape == (0, 6)
    assert list(ours.columns) == list(theirs.columns)
    assert ours.dtypes.to_dict() == theirs.dtypes.to_dict()
    assert mlnb.search_runs(filter_string="metrics.acc > 5", output_format="list") == []


def test_unfinished_runs_have_mlflow_end_time_dtype(store: Any, mlflow_api: Any, mlflow_db: Path) -> None:
    def dtypes(frame: Any) -> dict[str, Any]:
        return {c: frame[c].dtype for c in frame.columns if not c.startswith("tags.mlflow.")}

    for api in (mlnb, mlflow_api):
        _use_experiment(api, "open", mlflow_db)
        api.start_run(run_name="open")
        api.log_metric("acc", 1.0)
    every_run_open = mlnb.search_runs(), mlflow_api.search_runs()
    for api in (mlnb, mlflow_api):
        with api.start_run(run_name="done", nested=True):
            api.log_param("p", "v")
    some_runs_open = mlnb.search_runs(), mlflow_api.search_runs()
    mlnb.end_run()
    mlflow_api.end_run()
    for ours, theirs in (every_run_open, some_runs_open):
        assert dtypes(ours) == dtypes(theirs)
        assert list(ours["end_time"].isna()) == list(theirs["end_time"].isna())


def test_list_output_has_the_same_runs_and_data(store: Any, mlflow_api: Any, mlflow_db: Path) -> None:
    for api in (mlnb, mlflow_api):
        _record(api, "list", mlflow_db)
    ours = mlnb.search_runs(output_format="list", order_by=["metrics.acc DESC"])
    theirs = mlflow_api.search_runs(output_format="list", order_by=["metrics.acc DESC"])
    assert [r.info.run_name for r in ours] == [r.info.run_name for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert (a.info.status, a.info.start_time is not None) == (
            b.info.status,
            b.info.start_time is not None,
        )
        assert a.data.params == b.data.params
        assert a.data.metrics.keys() == b.data.metrics.keys()
        assert all(_same_values(a.data.metrics[k], b.data.metrics[k]) for k in a.data.metrics)
        assert {k: v for k, v in a.data.tags.items() if not k.startswith("mlflow.")} == {
            k: v for k, v in b.data.tags.items() if not k.startswith("mlflow.")
        }


# --- order, max_results and scope, on runs with fixed start times ------------------------------------
@pytest.fixture(scope="module")
def mlflow_world(mlflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runs of tests.search_world in a MLflow database of their own, a second experiment
    with one run, and one deleted run."""
    tmp = tmp_path_factory.mktemp("mlflow_world")
    client, _, world = build_mlflow(tmp)
    other = client.create_experiment("other", artifact_location=(tmp / "other").as_uri())
    client.create_run(other, run_name="elsewhere", start_time=500)
    client.delete_run(world.run_ids["r3"])
    return tmp


@pytest.fixture
def worlds(store: Any, mlflow_world: Path) -> Iterator[tuple[Any, Any]]:
    """``(mlnb, mlflow)`` tracking to the same runs; the experiment ids are ``cases`` and ``other``."""
    import mlflow

    _, world = build_mlnb(store)
    other = store.create_experiment("other")
    store.create_run(other, run_name="elsewhere", start_time=500)
    mlnb.delete_run(world.run_ids["r3"])
    with _tracking_to(mlflow, mlflow_world) as api:
        yield mlnb, api


def _run_names(frame: Any) -> list[str]:
    return list(frame["tags.mlflow.runName"]) if len(frame) else []


@pytest.mark.parametrize(
    "order_by",
    [
        None,
        ["metrics.key1 DESC"],
        ["params.my_param", "attributes.end_time DESC"],
        ["tags.tag1 DESC"],
        ["attributes.run_name"],
        ["metrics.x"],
    ],
)
@pytest.mark.parametrize("max_results", [1, 2, 3, 100])
def test_order_and_max_results_match_mlflow(
    worlds: Any, order_by: list[str] | None, max_results: int
) -> None:
    results = [
        api.search_runs(experiment_names=["cases"], order_by=order_by, max_results=max_results)
        for api in worlds
    ]
    ours, theirs = results
    assert _run_names(ours) == _run_names(theirs)


@pytest.mark.parametrize(
    "scope",
    [
        {"search_all_experiments": True},
        {"experiment_names": ["cases", "other"]},
        {"experiment_names": ["other"]},
        {"search_all_experiments": True, "run_view_type": 2},  # DELETED_ONLY
        {"search_all_experiments": True, "run_view_type": 3},  # ALL
        {"experiment_names": ["cases"], "run_view_type": 3, "filter_string": "metrics.key1 > 122"},
        {"experiment_names": ["nope", "other"]},
        {"experiment_names": ["nope"]},
        {"experiment_ids": ["424242"]},
        {"experiment_names": ["other"], "search_all_experiments": True},
    ],
)
def test_experiment_scope_and_view_type_match_mlflow(worlds: Any, scope: dict) -> None:
    ours, theirs = (api.search_runs(**scope) for api in worlds)
    assert _run_names(ours) == _run_names(theirs)
    assert list(ours.columns[:6]) == list(theirs.columns[:6])


def test_ids_and_names_together_are_refused_as_in_mlflow(worlds: Any) -> None:
    from mlflow.exceptions import MlflowException

    from mlnb.errors import InvalidParameter

    ours, theirs = worlds
    with pytest.raises(InvalidParameter):
        ours.search_runs(experiment_ids=["1"], experiment_names=["other"])
    with pytest.raises(MlflowException):
        theirs.search_runs(experiment_ids=["1"], experiment_names=["other"])
