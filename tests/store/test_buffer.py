"""Buffered writes that the database refuses are kept (memory, spill journal) or reported lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import mlnb
from mlnb.entities import Metric
from mlnb.errors import FlushFailed, MlnbError
from mlnb.store import schema as t
from mlnb.store.spill import pending
from mlnb.tracking import state
from tests.store.faults import failing_commits, failing_fsync

pytestmark = pytest.mark.timeout(60)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def manual_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """No flush unless the test asks for one (no background thread racing for the failures)."""
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "3600")


def history(run_id: str, key: str = "loss") -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in mlnb.MlflowClient().get_metric_history(run_id, key)]


def spilled_ids(store) -> set[str]:
    with store.reading() as conn:
        return set(conn.execute(sa.select(t.replayed_spills.c.spill_id)).scalars())


@pytest.mark.usefixtures("manual_flush")
def test_failed_flushes_keep_every_point_and_write_it_once(store, store_dir, monkeypatch):
    run = mlnb.start_run()
    run_id = run.info.run_id
    mlnb.flush()
    errors = []
    with failing_commits(monkeypatch, failures=7) as budget:
        for step in range(7):
            mlnb.log_metric("loss", 1.0 / (step + 1), step=step)
            with pytest.raises(FlushFailed) as caught:
                mlnb.flush()
            errors.append(caught.value)
        assert budget.failed == 7
        assert len(pending(store_dir)) == 7  # each failed batch is on disk, not only in memory
        mlnb.log_metric("loss", 0.01, step=7)
        mlnb.end_run()  # commits: the spilled points first, then this one and the run's end
    assert all(e.kept == "journal" and e.path and "disk I/O error" in str(e) for e in errors)
    assert "\n" not in str(errors[0]) and "mlnb.flush()" in str(errors[0])
    assert history(run_id) == [(s, 1.0 / (s + 1)) for s in range(7)] + [(7, 0.01)]
    assert mlnb.get_run(run_id).info.status == "FINISHED"
    assert mlnb.get_run(run_id).data.metrics["loss"] == 0.01
    assert pending(store_dir) == [] and len(spilled_ids(store)) == 7


@pytest.mark.usefixtures("manual_flush")
def test_a_busy_database_keeps_rows_in_memory_then_spills_them(store, store_dir, monkeypatch):
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    kinds = []
    with failing_commits(monkeypatch, failures=6, message="database is locked"):
        mlnb.log_metric("loss", 0.5, step=0)
        for _ in range(6):
            with pytest.raises(FlushFailed) as caught:
                mlnb.flush()
            kinds.append(caught.value.kept)
            if caught.value.kept == "memory":
                assert "MLNB_BUSY_TIMEOUT" in str(caught.value)
    assert kinds == ["memory"] * 4 + ["journal", "journal"]
    mlnb.log_metric("loss", 0.25, step=1)
    mlnb.flush()
    assert history(run_id) == [(0, 0.5), (1, 0.25)]
    assert pending(store_dir) == []


def test_background_flush_failures_are_reported_not_lost(store, store_dir, monkeypatch):
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "0.02")
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    with failing_commits(monkeypatch) as budget:
        for step in range(20):
            mlnb.log_metric("loss", float(step), step=step)  # never raises: the thread flushes
            time.sleep(0.01)
        deadline = time.monotonic() + 10
        while not pending(store_dir) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert budget.failed and pending(store_dir)
    mlnb.flush()  # now it works: everything spilled is written, so it returns normally
    problems = store.take_write_problems()
    assert any("disk I/O error" in p and "spill" in p for p in problems)
    assert any("nothing was lost" in p for p in problems)
    assert history(run_id) == [(s, float(s)) for s in range(20)]
    mlnb.end_run()
    assert mlnb.get_run(run_id).info.status == "FINISHED"


@pytest.mark.usefixtures("manual_flush")
def test_run_fails_with_the_reason_when_the_journal_cannot_be_written(store, store_dir, monkeypatch):
    monkeypatch.setattr(store, "_hold_rows", 0)  # as with MLNB_BUFFER_HOLD_ROWS=0
    run_id = mlnb.start_run().info.run_id
    mlnb.log_param("C", "0.5")
    mlnb.flush()
    with failing_commits(monkeypatch), failing_fsync(monkeypatch):
        mlnb.log_metric("loss", 0.5, step=0)
        with pytest.raises(FlushFailed) as caught:
            mlnb.flush()
    assert caught.value.kept == "lost" and caught.value.run_ids == (run_id,)
    assert "No space left on device" in str(caught.value) and "marked FAILED" in str(caught.value)
    assert pending(store_dir) == [] and not list((store_dir / "spill").glob(".*"))  # no temp left
    mlnb.end_run()  # FINISHED asked; the run lost a point, so it ends FAILED
    run = mlnb.get_run(run_id)
    assert run.info.status == "FAILED"
    assert "disk I/O error" in run.data.tags["mlnb.failure"]
    assert "No space left on device" in run.data.tags["mlnb.failure"]
    assert run.data.params == {"C": "0.5"} and "loss" not in run.data.metrics
    assert store.lost_runs() == {run_id: run.data.tags["mlnb.failure"]}


@pytest.mark.usefixtures("manual_flush")
def test_rows_are_held_in_memory_while_the_journal_fails_and_written_later(store, store_dir, monkeypatch):
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    with failing_commits(monkeypatch, failures=2), failing_fsync(monkeypatch):
        mlnb.log_metric("loss", 0.5, step=0)
        for _ in range(2):
            with pytest.raises(FlushFailed) as caught:
                mlnb.flush()
            assert caught.value.kept == "memory" and "lost if this process ends" in str(caught.value)
        mlnb.flush()  # the database is back (the journal still is not): nothing lost
    mlnb.end_run()
    assert history(run_id) == [(0, 0.5)]
    assert mlnb.get_run(run_id).info.status == "FINISHED"


@pytest.mark.usefixtures("manual_flush")
def test_background_loss_is_raised_by_the_next_synchronous_flush(store, store_dir, monkeypatch):
    monkeypatch.setattr(store, "_hold_rows", 0)
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    with failing_commits(monkeypatch, failures=1), failing_fsync(monkeypatch):
        mlnb.log_metric("loss", 0.5, step=0)
        store._flush(raise_errors=False)  # what the flush thread does
    assert any("lost" in p for p in store.take_write_problems())
    with pytest.raises(FlushFailed) as caught:
        mlnb.flush()  # the database works again, but the point is gone: the caller hears it
    assert caught.value.kept == "lost"
    mlnb.flush()  # raised once
    mlnb.end_run()
    assert mlnb.get_run(run_id).info.status == "FAILED"


_WRITER = """
import sqlite3, sys
from sqlalchemy.engine.default import DefaultDialect
import mlnb

mlnb.set_store(sys.argv[1])
run = mlnb.start_run(run_name="spilled")
mlnb.log_param("C", "0.5")
mlnb.flush()

def do_commit(self, dbapi_connection):
    dbapi_connection.rollback()
    raise sqlite3.OperationalError("disk I/O error")

DefaultDialect.do_commit = do_commit  # from here on, the disk refuses every transaction
for step in range(50):
    mlnb.log_metric("loss", step / 10, step=step)
mlnb.set_tag("phase", "done")
try:
    mlnb.end_run()
except Exception as exc:  # FlushFailed: the end is spilled with the rest
    print(type(exc).__name__, exc, file=sys.stderr)
print(run.info.run_id)
"""


def test_spilled_rows_are_replayed_once_by_the_next_open_in_another_process(tmp_path):
    store_dir = tmp_path / ".mlnb"
    out = subprocess.run(
        [sys.executable, "-c", _WRITER, str(store_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "MLNB_FLUSH_INTERVAL": "0.01"},
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.strip()
    files = pending(store_dir)
    assert files, out.stderr  # the exit flush spilled what the database refused
    kept = tmp_path / "kept"
    kept.mkdir()
    for f in files:
        shutil.copy2(f, kept / f.name)

    def reopen() -> None:
        mlnb.set_store(str(store_dir))
        state.get_store()

    reopen()
    run = mlnb.get_run(run_id)
    assert run.info.status == "FINISHED"  # its end was spilled after its metrics, and replayed
    assert run.data.tags["phase"] == "done" and run.data.params == {"C": "0.5"}
    assert history(run_id) == [(s, s / 10) for s in range(50)]
    assert pending(store_dir) == []
    # a crash between the replay's commit and the removal of its files: they are back
    for f in kept.iterdir():
        shutil.copy2(f, files[0].parent / f.name)
    state.get_store().close()
    reopen()
    assert history(run_id) == [(s, s / 10) for s in range(50)]  # not twice
    assert pending(store_dir) == []


@pytest.mark.usefixtures("manual_flush")
def test_close_spills_what_a_busy_database_holds(store, store_dir, monkeypatch):
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    mlnb.log_metric("loss", 0.5, step=0)
    with failing_commits(monkeypatch, message="database is locked"):
        with pytest.raises(FlushFailed) as caught:
            store.close()  # a closing store cannot keep rows in memory: they go to the journal
        # looked at while the database is still busy: once commits work again, any flush in
        # the process (a thread an earlier test left) may replay the journal at once
        assert caught.value.kept == "journal" and len(pending(store_dir)) == 1
    state._store = None
    assert history(run_id) == [(0, 0.5)]


@pytest.mark.usefixtures("manual_flush")
def test_flush_failures_are_mlnb_errors_for_every_public_write(store, monkeypatch):
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    with failing_commits(monkeypatch):
        for call in (
            lambda: mlnb.log_metric("m", 1.0),
            lambda: mlnb.log_param("p", "1"),
            lambda: mlnb.set_tag("t", "1"),
            lambda: mlnb.log_metrics({"a": 1.0, "b": 2.0}),
            lambda: mlnb.get_run(run_id),
            lambda: mlnb.end_run(),
        ):
            try:
                call()
            except MlnbError:
                pass
    mlnb.flush()
    run = mlnb.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 1.0, "a": 1.0, "b": 2.0}
    assert run.data.params == {"p": "1"} and run.data.tags["t"] == "1"


def test_metrics_logged_from_threads_during_an_outage_are_all_written(store, monkeypatch):
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "0.01")
    run_id = mlnb.start_run().info.run_id
    mlnb.flush()
    client = mlnb.MlflowClient()

    def log(key: str) -> None:
        for step in range(200):
            client.log_batch(run_id, metrics=[Metric(key, float(step), 0, step)])

    with failing_commits(monkeypatch, failures=30):
        threads = [threading.Thread(target=log, args=(f"k{i}",)) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    mlnb.flush()
    for i in range(3):
        assert history(run_id, f"k{i}") == [(s, float(s)) for s in range(200)]


def test_the_spill_journal_is_one_json_record_per_write(store, store_dir, monkeypatch):
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "3600")
    mlnb.start_run()
    mlnb.flush()
    with failing_commits(monkeypatch):
        mlnb.log_metrics({"a": float("nan"), "b": float("inf"), "c": -0.0})
        mlnb.log_param("p", "\u00e9t\u00e9 \U0001f600")
        with pytest.raises(FlushFailed):
            mlnb.flush()
    (path,) = pending(store_dir)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 3 + 1 + 1  # header, points, param, count
    assert lines[0].startswith('{"mlnb_spill": 1')
    run = mlnb.last_active_run() or mlnb.active_run()
    mlnb.flush()
    data = mlnb.get_run(run.info.run_id).data
    assert str(data.metrics["a"]) == "nan" and data.metrics["b"] == float("inf")
    assert str(data.metrics["c"]) == "-0.0" and data.params["p"] == "\u00e9t\u00e9 \U0001f600"


# --- every write commit of a short run failing in turn ---------------------------------------------
FAULTS = ["disk I/O error", "database or disk is full", "attempt to write a readonly database"]
WORK_COMMITS = 9  # write commits the workload below makes when nothing fails


def _workload(failures: list[FlushFailed]) -> tuple[str, dict[str, list[tuple[int, float]]]]:
    """Log a run through the public API, flushing often; returns what was acknowledged."""
    run_id = mlnb.start_run(run_name="sweep").info.run_id
    acknowledged: dict[str, list[tuple[int, float]]] = {"loss": [], "acc": []}

    def flush() -> None:
        try:
            mlnb.flush()
        except FlushFailed as exc:
            failures.append(exc)

    mlnb.log_param("C", "0.5")
    flush()
    for step in range(24):
        mlnb.log_metric("loss", 1 / (step + 1), step=step)
        acknowledged["loss"].append((step, 1 / (step + 1)))
        if step % 3 == 2:
            mlnb.log_metrics({"acc": step / 24}, step=step)
            acknowledged["acc"].append((step, step / 24))
            flush()
    mlnb.set_tag("phase", "trained")
    try:
        mlnb.end_run()
    except FlushFailed as exc:
        failures.append(exc)
    return run_id, acknowledged


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("journal_works", [True, False], ids=["journal", "no-journal"])
@pytest.mark.parametrize("window", [1, 6])
@pytest.mark.usefixtures("manual_flush")
def test_each_failing_commit_keeps_every_acknowledged_value(
    store, store_dir, monkeypatch, fault, journal_works, window
):
    """Commits ``nth`` to ``nth + window - 1`` of the workload fail, for every ``nth``."""
    monkeypatch.setattr(store, "_hold_rows", 0)  # no holding in memory: keep on disk or fail the run
    for nth in range(WORK_COMMITS + 1):
        failures: list[FlushFailed] = []
        with failing_commits(monkeypatch, failures=window, skip=nth, message=fault) as budget:
            if journal_works:
                run_id, acknowledged = _workload(failures)
            else:
                with failing_fsync(monkeypatch):
                    run_id, acknowledged = _workload(failures)
        mlnb.flush()
        assert pending(store_dir) == []
        failed = budget.failed > 0
        assert bool(failures) == failed, (nth, failures)
        run = mlnb.get_run(run_id)
        if journal_works or run.info.status != "FAILED":
            assert run.info.status == "FINISHED", (nth, run.data.tags.get("mlnb.failure"))
            assert run.data.params == {"C": "0.5"} and run.data.tags["phase"] == "trained"
            for key, points in acknowledged.items():
                assert history(run_id, key) == points, (nth, key)
        else:  # some rows could not be kept: the run says so, and what reached the database is right
            assert fault in run.data.tags["mlnb.failure"]
            assert any(f.kept == "lost" for f in failures)
            for key, points in acknowledged.items():
                got = history(run_id, key)
                assert len(set(got)) == len(got) and set(got) <= set(points), (nth, key)


def test_a_damaged_spill_file_is_reported_and_kept_and_the_store_still_opens(store_dir):
    folder = store_dir / "spill"
    folder.mkdir(parents=True)
    damaged = folder / "00000000000000000001-1-0123456789abcdef0123456789abcdef.jsonl"
    damaged.write_text('{"mlnb_spill": 1, "batch": "0123456789abcdef0123456789abcdef"}\n{"point": [\n')
    store = state.get_store()
    problems = store.take_write_problems()
    assert len(problems) == 1 and str(damaged) in problems[0] and "\n" not in problems[0]
    assert damaged.exists()
    run_id = mlnb.start_run().info.run_id
    mlnb.end_run()
    assert mlnb.get_run(run_id).info.status == "FINISHED"


_LOSER = """
import errno, os, sqlite3, sys
from sqlalchemy.engine.default import DefaultDialect
import mlnb

mlnb.set_store(sys.argv[1])
run = mlnb.start_run()
mlnb.log_param("C", "0.5")
mlnb.flush()
print(run.info.run_id, flush=True)

def do_commit(self, dbapi_connection):
    dbapi_connection.rollback()
    raise sqlite3.OperationalError("database or disk is full")

def fsync(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

DefaultDialect.do_commit = do_commit
os.fsync = fsync
for step in range(20):
    mlnb.log_metric("loss", step / 10, step=step)  # held in memory: nowhere else takes them
"""


def test_rows_nothing_accepts_at_exit_are_reported_and_the_run_ends_failed(tmp_path):
    store_dir = tmp_path / ".mlnb"
    out = subprocess.run(
        [sys.executable, "-c", _LOSER, str(store_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "MLNB_FLUSH_INTERVAL": "3600"},
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.strip()
    (line,) = [line for line in out.stderr.splitlines() if line.startswith("mlnb: lost ")]
    assert "20 metric points" in line and run_id in line and "No space left on device" in line
    mlnb.set_store(str(store_dir))
    run = mlnb.get_run(run_id)  # the next open reaps the run its dead process left RUNNING
    assert run.info.status == "FAILED" and run.data.params == {"C": "0.5"}
    assert "loss" not in run.data.metrics
