"""A ``%%track`` cell whose store stops accepting writes: the cell runs, the user is told, nothing
acknowledged is lost silently (real IPython shell, faults injected at the DB-API commit)."""

from __future__ import annotations

import pytest

import mlnb
from mlnb.store.spill import pending
from mlnb.tracking import state
from tests.store.faults import failing_commits, failing_fsync

pytestmark = pytest.mark.timeout(120)

CELL = (
    "%%track -n outage\n"
    "import mlnb\n"
    "C = 0.5\n"
    "for step in range(5):\n"
    "    mlnb.log_metric('loss', 1 / (step + 1), step=step)\n"
    "answer = 42\n"
)


def test_a_cell_whose_writes_fail_warns_and_its_rows_are_written_later(
    shell, store_dir, monkeypatch, capsys
):
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "0.01")
    state.get_store()  # opened while the disk still works
    with failing_commits(monkeypatch) as budget:
        result = shell.run_cell(CELL, store_history=True)
    assert result.success and shell.user_ns["answer"] == 42  # the cell's own result is untouched
    assert budget.failed
    err = capsys.readouterr().err
    assert "mlnb: " in err and "disk I/O error" in err and str(store_dir / "spill") in err
    assert "Traceback" not in err
    assert pending(store_dir)
    mlnb.flush()  # the disk is back: the spilled rows are written, the run ends as the cell did
    run = mlnb.get_run(state.last_run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "outage"
    assert run.data.params["C"] == "0.5"
    history = mlnb.MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1 / (s + 1)) for s in range(5)]
    assert pending(store_dir) == []


def test_a_cell_whose_rows_cannot_be_kept_ends_failed_with_the_reason(shell, store_dir, monkeypatch, capsys):
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "0.01")
    monkeypatch.setenv("MLNB_BUFFER_HOLD_ROWS", "0")
    state._store = None  # opened again, with the bound above
    state.get_store()
    with failing_commits(monkeypatch), failing_fsync(monkeypatch):
        result = shell.run_cell(CELL, store_history=True)
    assert result.success and shell.user_ns["answer"] == 42
    err = capsys.readouterr().err
    assert "mlnb: " in err and "marked FAILED" in err and "No space left on device" in err
    assert "Traceback" not in err
    mlnb.flush()
    run = mlnb.get_run(state.last_run_id)
    assert run.info.status == "FAILED"
    assert "disk I/O error" in run.data.tags["mlnb.failure"]
