"""The store contract suite: every backend behaves the same through :class:`mlnb.store.base.Store`.

The tests use only the ``Store`` protocol (and :func:`mlnb.store.open_store`), never a backend's
own names, so a new backend joins by adding one entry to :data:`BACKENDS`.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlnb.entities import Dataset, DatasetInput, InputTag, Metric, RunStatus, ViewType
from mlnb.errors import (
    AlreadyExists,
    ExperimentNotFound,
    NotFound,
    ParamConflict,
    RunDeleted,
    RunNotFound,
    StoreReadOnly,
    TagNotFound,
)
from mlnb.store import close_shared_stores, open_store
from mlnb.store.base import (
    BrowsingStore,
    GcReport,
    MaintenanceStore,
    RunSource,
    SearchResult,
    Store,
    TrackingStore,
    VerifyReport,
)


def _sqlite_uri(tmp_path: Path) -> str:
    return str(tmp_path / "store")


# backend name -> the URI of a fresh, empty store of that kind (PostgreSQL joins here)
BACKENDS: dict[str, Callable[[Path], str]] = {"sqlite": _sqlite_uri}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URI of a fresh store of each backend."""
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def store(backend: str) -> Iterator[Store]:
    opened = open_store(backend)
    yield opened
    opened.close()
    close_shared_stores()


def _now() -> int:
    return 1_700_000_000_000


def _run(store: Store, name: str = "r", experiment_id: str = "0") -> str:
    return store.create_run(experiment_id, run_name=name, start_time=_now()).run_id


# --- the protocol itself -------------------------------------------------------------------------
def test_every_backend_fulfils_each_part_of_the_contract(store: Store) -> None:
    assert isinstance(store, TrackingStore)
    assert isinstance(store, BrowsingStore)
    assert isinstance(store, MaintenanceStore)


def test_every_backend_is_a_store_with_artifacts_and_registry(store: Store) -> None:
    for module in ("mlnb.store.repository", "mlnb.store.registry_base"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not there yet")
    assert isinstance(store, Store)  # runtime_checkable: every member is present
    assert store.artifacts is store.artifacts  # built once, on first use
    assert store.registry is store.registry


def _protocol_methods() -> list[str]:
    return sorted(
        name
        for name, value in inspect.getmembers(Store)
        if not name.startswith("_") and inspect.isfunction(value)
    )


@pytest.mark.parametrize("name", _protocol_methods())
def test_backend_signatures_match_the_protocol(store: Store, name: str) -> None:
    def shape(fn: Callable[..., object]) -> list[tuple[str, object, bool]]:
        params = list(inspect.signature(fn).parameters.values())[1:]  # without self
        return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in params]

    expected = getattr(Store, name)
    actual = getattr(type(store), name)
    assert shape(actual) == shape(expected)


# --- experiments ---------------------------------------------------------------------------------
def test_experiments_are_created_read_listed_and_named_once(store: Store) -> None:
    exp_id = store.create_experiment("churn", tags={"team": "risk"})
    exp = store.get_experiment(exp_id)
    assert (exp.name, exp.tags, exp.lifecycle_stage) == ("churn", {"team": "risk"}, "active")
    assert store.get_experiment_by_name("churn") == exp
    assert store.get_experiment_by_name("nope") is None
    assert store.create_experiment("churn", exist_ok=True) == exp_id
    with pytest.raises(AlreadyExists):
        store.create_experiment("churn")
    assert [e.name for e in store.list_experiments()] == ["Default", "churn"]
    assert store.experiment_ids_named(["churn"]) == [exp_id]
    with pytest.raises(ExperimentNotFound):
        store.experiment_ids_named(["nope"])
    with pytest.raises(ExperimentNotFound):
        store.get_experiment("12345")


def test_experiments_are_renamed_tagged_deleted_and_restored(store: Store) -> None:
    exp_id = store.create_experiment("a")
    store.create_experiment("taken")
    store.rename_experiment(exp_id, "b")
    assert store.get_experiment(exp_id).name == "b"
    with pytest.raises(AlreadyExists):
        store.rename_experiment(exp_id, "taken")
    store.set_experiment_tag(exp_id, "k", 1)
    assert store.get_experiment(exp_id).tags == {"k": "1"}
    store.delete_experiment_tag(exp_id, "k")
    with pytest.raises(NotFound):
        store.delete_experiment_tag(exp_id, "k")
    store.set_experiment_lifecycle(exp_id, "deleted")
    assert "b" not in [e.name for e in store.list_experiments()]
    assert "b" in [e.name for e in store.list_experiments(ViewType.DELETED_ONLY)]
    store.set_experiment_lifecycle(exp_id, "active")
    assert store.get_experiment(exp_id).lifecycle_stage == "active"


# --- runs ----------------------------------------------------------------------------------------
def test_a_run_lives_from_running_to_finished_and_back(store: Store) -> None:
    info = store.create_run("0", run_name="first", tags={"team": "risk"}, start_time=_now())
    assert (info.status, info.run_name, info.start_time, info.end_time) == ("RUNNING", "first", _now(), None)
    assert len(info.run_id) == 32
    assert store.get_run_info(info.run_id) == info
    assert store.update_run(info.run_id, run_name="renamed").run_name == "renamed"
    assert store.get_run(info.run_id).data.tags["mlflow.runName"] == "renamed"
    store.finish_run(info.run_id, RunStatus.FINISHED, end_time=_now() + 5, flush=True)
    ended = store.get_run_info(info.run_id)
    assert (ended.status, ended.end_time) == ("FINISHED", _now() + 5)
    assert store.resume_run(info.run_id).status == "RUNNING"
    with pytest.raises(RunNotFound):
        store.get_run("0" * 32)


def test_a_deleted_run_refuses_writes_until_restored(store: Store) -> None:
    run_id = _run(store)
    store.set_run_lifecycle(run_id, "deleted")
    assert store.get_run_info(run_id).lifecycle_stage == "deleted"
    with pytest.raises(RunDeleted):
        store.check_writable(run_id)
    with pytest.raises(RunDeleted):
        store.log_batch(run_id, params={"a": 1})
    store.set_run_lifecycle(run_id, "active")
    store.check_writable(run_id)
    store.log_batch(run_id, params={"a": 1}, buffered=False)


def test_child_runs_name_their_parent(store: Store) -> None:
    parent = _run(store, "parent")
    child = store.create_run("0", parent_run_id=parent).run_id
    assert store.get_run_info(child).parent_run_id == parent
    assert store.get_run(child).data.tags["mlflow.parentRunId"] == parent


# --- the batched write path ----------------------------------------------------------------------
def test_log_batch_round_trips_params_tags_and_special_floats(store: Store) -> None:
    run_id = _run(store)
    values = [0.25, math.nan, math.inf, -math.inf, -0.0, 1e308]
    store.log_batch(
        run_id,
        metrics=[Metric("m", v, _now() + i, i) for i, v in enumerate(values)],
        params={"C": 0.5, "kernel": "rbf"},
        tags={"team": "risk"},
    )
    run = store.get_run(run_id)
    assert run.data.params == {"C": "0.5", "kernel": "rbf"}
    assert run.data.tags["team"] == "risk"
    assert run.data.metrics["m"] == 1e308
    history = store.get_metric_history(run_id, "m")
    assert [m.step for m in history] == list(range(len(values)))
    got = [m.value for m in history]
    assert math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf
    assert got[0] == 0.25 and math.copysign(1.0, got[4]) == -1.0
    assert [m.timestamp for m in history] == [_now() + i for i in range(len(values))]


def test_latest_metric_is_the_highest_step_not_the_last_logged(store: Store) -> None:
    run_id = _run(store)
    store.log_batch(run_id, metrics=[Metric("loss", 0.1, _now(), 5), Metric("loss", 0.9, _now(), 1)])
    assert store.get_run(run_id).data.metrics["loss"] == 0.1
    assert [m.step for m in store.get_metric_history(run_id, "loss")] == [1, 5]


def test_params_are_immutable(store: Store) -> None:
    run_id = _run(store)
    store.log_batch(run_id, params={"C": "0.5"})
    store.log_batch(run_id, params={"C": "0.5"})  # the same value again is fine
    with pytest.raises(ParamConflict):
        store.log_batch(run_id, params={"C": "1.0", "other": "x"})
    store.flush()
    assert store.get_run(run_id).data.params == {"C": "0.5"}  # nothing of the refused batch


def test_tags_are_overwritten_and_deleted(store: Store) -> None:
    run_id = _run(store)
    store.log_batch(run_id, tags={"stage": "a"})
    store.log_batch(run_id, tags={"stage": "b"})
    assert store.get_run(run_id).data.tags["stage"] == "b"
    store.delete_tag(run_id, "stage")
    assert "stage" not in store.get_run(run_id).data.tags
    with pytest.raises(TagNotFound):
        store.delete_tag(run_id, "stage")


def test_buffered_writes_are_visible_after_flush(store: Store) -> None:
    run_id = _run(store)
    store.log_batch(run_id, metrics=[Metric("acc", 0.5, _now(), 0)])
    store.flush()
    assert store.get_metric_history(run_id, "acc")[0].value == 0.5
    assert store.take_write_problems() == []
    assert store.lost_runs() == {}


def test_dataset_inputs_round_trip(store: Store) -> None:
    run_id = _run(store)
    dataset = Dataset("train", "abc123", "code", "{}", '{"x": "int"}', '{"rows": 3}')
    data_input = DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),), (3, 1), ({"name": "x", "type": "int64"},))
    store.log_inputs(run_id, [data_input])
    store.log_inputs(run_id, [data_input])  # logged once
    (got,) = store.get_run(run_id).inputs.dataset_inputs
    assert (got.name, got.digest, got.context, got.shape) == ("train", "abc123", "training", (3, 1))
    assert got.columns == ({"name": "x", "type": "int64"},)


# --- artifact rows -------------------------------------------------------------------------------
def test_artifact_rows_are_recorded_listed_and_scoped(store: Store) -> None:
    run_id = _run(store)
    with store.atomic() as conn:
        store.record_artifacts(conn, run_id, [("model/MLmodel", "a" * 64, 10), ("model/model.skops", "b" * 64, 20), ("notes.txt", "c" * 64, 3)])
    assert store.artifact_rows(run_id, "model") == {
        "model/MLmodel": ("a" * 64, 10),
        "model/model.skops": ("b" * 64, 20),
    }
    listed = store.list_artifacts(run_id)
    assert [(a.path, a.is_dir) for a in listed] == [("model", True), ("notes.txt", False)]
    assert [a.file_size for a in store.list_artifacts(run_id, "model")] == [10, 20]
    assert store.run_dir(run_id) == store.artifact_root / run_id


# --- search --------------------------------------------------------------------------------------
def _three_runs(store: Store) -> dict[str, str]:
    ids = {}
    for i, (name, acc) in enumerate([("low", 0.2), ("mid", 0.5), ("high", 0.9)]):
        run_id = store.create_run("0", run_name=name, start_time=_now() + i).run_id
        store.log_batch(run_id, metrics=[Metric("acc", acc, _now(), 0)], params={"depth": i})
        ids[name] = run_id
    return ids


def test_search_filters_orders_and_limits(store: Store) -> None:
    ids = _three_runs(store)
    result = store.search_runs(["0"], "metrics.acc > 0.3", order_by=["metrics.acc DESC"])
    assert isinstance(result, SearchResult)
    assert result.run_ids == [ids["high"], ids["mid"]]
    assert result.metrics["acc"] == [0.9, 0.5]
    assert result.params["depth"] == ["2", "1"]
    assert [r["name"] for r in result.runs] == ["high", "mid"]
    assert store.search_runs(["0"], max_results=1).run_ids == [ids["high"]]  # newest first
    assert store.search_runs(["0"], "params.depth = '0'").run_ids == [ids["low"]]
    assert store.search_runs(["0"], run_ids=[ids["mid"]]).run_ids == [ids["mid"]]
    assert store.search_runs([], experiment_names=["Default"], text="HIG").run_ids == [ids["high"]]
    assert store.search_runs(["0"], details=False).metrics == {}


def test_search_sees_deleted_runs_only_when_asked(store: Store) -> None:
    ids = _three_runs(store)
    store.set_run_lifecycle(ids["mid"], "deleted")
    assert ids["mid"] not in store.search_runs(["0"]).run_ids
    assert store.search_runs(["0"], view_type=ViewType.DELETED_ONLY).run_ids == [ids["mid"]]


def test_search_pages_with_tokens(store: Store) -> None:
    ids = _three_runs(store)
    first = store.search_runs_page(["0"], None, ["metrics.acc ASC"], 2, ViewType.ACTIVE_ONLY, None)
    assert [r.info.run_id for r in first] == [ids["low"], ids["mid"]]
    assert first.token is not None
    second = store.search_runs_page(["0"], None, ["metrics.acc ASC"], 2, ViewType.ACTIVE_ONLY, first.token)
    assert [r.info.run_id for r in second] == [ids["high"]]
    assert second.token is None
    assert second[0].data.metrics == {"acc": 0.9}


# --- what the sidebar and the panels read --------------------------------------------------------
def test_run_sources_and_the_runs_of_a_notebook(store: Store, tmp_path: Path) -> None:
    nb = str(tmp_path / "work" / "train.ipynb")
    mine = store.create_run("0", source={"notebook": nb, "cell_id": "c1", "code_hash": "h"}).run_id
    other = store.create_run("0", source={"notebook": "other.ipynb"}).run_id
    store.flush()
    expected: RunSource = {"notebook": nb, "cell_id": "c1", "code_hash": "h", "orphaned": False}
    assert store.run_sources([mine]) == {mine: expected}
    assert store.run_sources([]) == {}
    assert store.runs_of_notebook(["work/train.ipynb", nb]) == [mine]
    assert other not in store.runs_of_notebook([nb])


def test_run_cells_metrics_and_metric_times(store: Store) -> None:
    run_id = store.create_run("0", source={"cell_id": "c9"}).run_id
    metrics = [Metric(k, v, _now() + i, 0) for i, (k, v) in enumerate([("b", 1.0), ("a", math.nan), ("c", 3.0)])]
    store.log_batch(run_id, metrics=metrics)
    cells, firsts = store.run_cells_and_metrics([run_id], 2)
    assert cells == {run_id: "c9"}
    assert firsts == {run_id: {"a": None, "b": 1.0}}
    assert store.latest_metric_times([run_id]) == {"b": float(_now()), "a": float(_now() + 1), "c": float(_now() + 2)}
    assert store.latest_metric_times([]) == {}


# --- maintenance ---------------------------------------------------------------------------------
def test_verify_and_gc(store: Store) -> None:
    keep, gone = _run(store, "keep"), _run(store, "gone")
    store.set_run_lifecycle(gone, "deleted")
    report = store.verify()
    assert isinstance(report, VerifyReport) and report.ok and report.runs == 2
    dry = store.gc(dry_run=True)
    assert isinstance(dry, GcReport) and dry.purged_runs == [gone]
    assert store.gc().purged_runs == [gone]
    assert [r.info.run_id for r in [store.get_run(keep)]] == [keep]
    with pytest.raises(RunNotFound):
        store.get_run(gone)


# --- read-only opening ---------------------------------------------------------------------------
def test_a_read_only_store_reads_and_refuses_writes(store: Store, backend: str) -> None:
    run_id = _run(store)
    store.log_batch(run_id, params={"a": 1}, buffered=False)
    store.flush()
    reader = open_store(backend, read_only=True)
    try:
        assert reader.get_run(run_id).data.params == {"a": "1"}
        assert reader.search_runs(["0"]).run_ids == [run_id]
        with pytest.raises(StoreReadOnly):
            reader.create_experiment("nope")
        with pytest.raises(StoreReadOnly):
            reader.log_batch(run_id, params={"b": 2})
    finally:
        reader.close()
    shared = open_store(backend, read_only=True, shared=True)
    assert open_store(backend, read_only=True, shared=True) is shared
    assert shared.get_run_info(run_id).run_id == run_id


def test_open_store_resolves_a_path_like(tmp_path: Path) -> None:
    opened = open_store(os.fspath(tmp_path / "elsewhere"))
    try:
        assert opened.location.artifact_root.is_dir()
        assert opened.list_experiments()[0].name == "Default"
    finally:
        opened.close()
