"""The bulk loader leaves runs exactly as the public write path does."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mlnb.entities import Metric
from mlnb.errors import InvalidParameter, InvalidState
from mlnb.store import open_store
from mlnb.store.bulk import BulkRun, bulk_load

PARAMS = {"lr": "0.1", "depth": "7"}
METRICS = {"acc": 0.875, "nan": math.nan, "neg0": -0.0, "inf": math.inf}


def _public(store: Any, exp: str, name: str) -> str:
    info = store.create_run(exp, run_name=name, tags={"team": "x"})
    store.log_batch(info.run_id, params=PARAMS, metrics=[Metric(k, v, 0, 0) for k, v in METRICS.items()])
    store.finish_run(info.run_id, "FINISHED")
    return info.run_id


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_loaded_runs_read_and_search_like_logged_ones(tmp_path: Path) -> None:
    store: Any = open_store(tmp_path / ".mlnb")
    exp = store.create_experiment("e")
    logged = _public(store, exp, "logged")
    loaded = bulk_load(
        store, exp, (BulkRun(f"loaded{i}", PARAMS, METRICS, {"team": "x"}) for i in range(7)), batch=3
    )
    assert len(loaded) == len(set(loaded)) == 7
    stamps = [run_id[:12] for run_id in [logged, *loaded]]  # milliseconds first, as create_run's
    assert stamps == sorted(stamps)
    want = store.get_run(logged)
    for run_id in loaded:
        run = store.get_run(run_id)
        assert run.info.status == "FINISHED" and run.info.end_time is not None
        assert run.info.lifecycle_stage == want.info.lifecycle_stage
        assert run.info.user_id == want.info.user_id
        assert run.data.params == want.data.params
        assert {k: v for k, v in run.data.tags.items() if k != "mlflow.runName"} == {
            k: v for k, v in want.data.tags.items() if k != "mlflow.runName"
        }
        assert run.data.tags["mlflow.runName"] == run.info.run_name
        assert run.data.metrics.keys() == want.data.metrics.keys()
        assert all(_same(run.data.metrics[k], want.data.metrics[k]) for k in METRICS)
        assert [m.value for m in store.get_metric_history(run_id, "acc")] == [0.875]
    found = store.search_runs([exp], "metrics.acc > 0.8 AND params.depth = '7'", ["metrics.acc DESC"])
    assert set(found.run_ids) == {logged, *loaded}
    assert store.search_runs([exp], "tags.team = 'x'").run_ids.__len__() == 8
    assert store.verify().ok


def test_invalid_runs_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    store: Any = open_store(tmp_path / ".mlnb")
    exp = store.create_experiment("e")
    with pytest.raises(InvalidParameter):
        bulk_load(store, exp, [BulkRun("ok", {"p": "1"}), BulkRun("bad", {"bad key!": "1"})])
    with pytest.raises(InvalidParameter):
        bulk_load(store, exp, [BulkRun("running", status="RUNNING")])
    assert store.search_runs([exp]).run_ids == []
    store.set_experiment_lifecycle(exp, "deleted")
    with pytest.raises(InvalidState):
        bulk_load(store, exp, [BulkRun("late")])
