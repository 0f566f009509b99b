"""Many processes at once: fresh-store migrations, writers, fork, and killed writers."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlnb
from mlnb.store.location import parse_store_uri
from mlnb.store.maintenance import verify
from mlnb.store.sql import SqlStore
from tests.conftest import _reset_tracking_state


def _open_fresh(path: str, barrier: object) -> str:
    barrier.wait()
    store = SqlStore(parse_store_uri(path, source="test"))
    return store.get_experiment("0").name


def test_eight_processes_open_a_fresh_store_at_once(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(8)
        with ctx.Pool(8) as pool:
            names = pool.starmap(_open_fresh, [(str(tmp_path / "s"), barrier)] * 8)
    assert names == ["Default"] * 8
    store = SqlStore(parse_store_uri(tmp_path / "s", source="test"))
    assert [e.name for e in store.list_experiments()] == ["Default"]


def _writer(path: str, worker: int, n_runs: int, n_metrics: int) -> list[str]:
    _reset_tracking_state()
    mlnb.set_store(path)
    mlnb.set_experiment("load")
    ids = []
    for r in range(n_runs):
        with mlnb.start_run(run_name=f"w{worker}-r{r}") as run:
            mlnb.log_params({"worker": worker, "run": r})
            for m in range(n_metrics):
                mlnb.log_metric(f"m{m}", worker * 1000 + r + m / 100, step=m)
        ids.append(run.info.run_id)
    return ids


@pytest.mark.slow
def test_eight_writers_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    SqlStore(parse_store_uri(path, source="test"))
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(8)
    results = pool.starmap(_writer, [(path, w, 100, 50) for w in range(8)])
    pool.close()  # workers exit normally: their buffered writes are committed
    pool.join()
    mlnb.set_store(path)
    frame = mlnb.search_runs(experiment_names=["load"])
    assert len(frame) == 800
    assert set(frame["run_id"]) == {rid for ids in results for rid in ids}
    assert (frame["status"] == "FINISHED").all()
    for m in range(50):
        col = frame[f"metrics.m{m}"]
        expected = frame["params.worker"].astype(int) * 1000 + frame["params.run"].astype(int) + m / 100
        assert (col == expected).all()
    store = mlnb.get_store()
    sample = frame["run_id"].iloc[123]
    assert len(store.get_metric_history(sample, "m7")) == 1
    _reset_tracking_state()


def _child_after_fork(path: str, queue: object) -> None:
    with mlnb.start_run(run_name="child") as run:
        mlnb.log_metric("x", 2.0)
    queue.put(run.info.run_id)


def test_forked_child_reconnects(store: object) -> None:
    with mlnb.start_run(run_name="parent-before") as before:
        mlnb.log_metric("x", 1.0)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_after_fork, args=("", queue))
    proc.start()
    child_id = queue.get(timeout=30)
    proc.join(30)
    assert proc.exitcode == 0
    with mlnb.start_run(run_name="parent-after") as after:
        mlnb.log_metric("x", 3.0)
    ids = set(mlnb.search_runs()["run_id"])
    assert {before.info.run_id, child_id, after.info.run_id} <= ids
    assert mlnb.get_run(child_id).data.metrics == {"x": 2.0}


CHILD = textwrap.dedent(
    """
    import sys, mlnb
    mlnb.set_store(sys.argv[1])
    run = mlnb.start_run(run_name="doomed")
    mlnb.flush()
    print(run.info.run_id, flush=True)
    i = 0
    while True:
        mlnb.log_metric("loss", 1.0 / (i + 1), step=i)
        if i % 7 == 0:
            mlnb.log_text("x" * (i % 5000), f"chunks/{i % 13}.txt")
        if i % 11 == 0:
            mlnb.set_tag("progress", i)
        if i % 17 == 0:
            mlnb.log_param(f"p{i}", i)
        i += 1
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_killed_writer_leaves_a_verifiable_store(tmp_path: Path, seed: int) -> None:
    path = str(tmp_path / "s")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    run_id = proc.stdout.readline().strip()
    assert len(run_id) == 32
    time.sleep(random.Random(seed).uniform(0.05, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    store = SqlStore(parse_store_uri(path, source="test"))  # opening reaps dead owners
    info = store.get_run_info(run_id)
    assert info.status == "FAILED"
    assert info.end_time is not None and info.end_time >= info.start_time
    assert "ended without closing" in store.get_run(run_id).data.tags["mlnb.failure"]
    report = verify(store)
    assert report.ok, report.problems
    result = subprocess.run(
        [sys.executable, "-m", "mlnb", "--store", path, "verify"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
