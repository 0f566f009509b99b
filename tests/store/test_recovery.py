"""Recovery after a writer is killed records only the content its writer journaled.

A process logs a model and is SIGKILLed after the model file is renamed into place and before its
row is committed (on a file system with hard links, where the hash is a second name of the file,
and on one without, where it is in a journal file).  A file whose content matches the journal gets its row; a file changed while
the writer was down (before or after its row was committed) is quarantined, never recorded and
never deleted: ``mlnb verify`` reports it and ``load_model`` refuses the model.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlnb
from mlnb.cli import main
from mlnb.errors import MlnbError
from mlnb.store.location import parse_store_uri
from mlnb.store.maintenance import verify
from mlnb.store.sql import SqlStore
from tests.conftest import _reset_tracking_state

CHILD = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import mlnb

    mlnb.set_store(sys.argv[1])
    X, y = np.arange(8.0).reshape(4, 2), [0, 0, 1, 1]
    run = mlnb.start_run()
    mlnb.log_model(LogisticRegression().fit(X, y), "model")
    real_replace, real_link = os.replace, os.link

    def no_link(src, dst, *args, **kwargs):  # a file system without hard links
        raise OSError(1, "Operation not permitted")

    if sys.argv[2] == "no-links":
        os.link = no_link

    def replace(src, dst, *args, **kwargs):  # the kill point: the file is in place, no row yet
        real_replace(src, dst, *args, **kwargs)
        if str(dst).endswith(os.path.join("second", "model.skops")):
            print(run.info.run_id, flush=True)
            time.sleep(600)

    os.replace = replace
    os.link = real_link if sys.argv[2] == "links" else no_link
    mlnb.log_model(LogisticRegression(C=0.5).fit(X, y), "second")
    """
)


def _kill_during_second_model(store_path: str, links: str) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_path, links], stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
    assert len(run_id) == 32, "the writer did not reach the kill point"
    return run_id


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("swapped", "links"),
    [("nothing", "links"), ("unrecorded", "links"), ("recorded", "links"), ("nothing", "no-links")],
)
def test_recovery_records_only_journaled_content(tmp_path: Path, capsys, swapped: str, links: str) -> None:
    store_path = str(tmp_path / "s")
    run_id = _kill_during_second_model(store_path, links)
    run_dir = Path(store_path) / "artifacts" / run_id
    skops = hashlib.sha256((run_dir / "second" / "model.skops").read_bytes()).hexdigest()
    if links == "links":  # the hash was made durable as a second name of the file
        marks = [p.name for p in (run_dir / "second").iterdir() if p.name.startswith(".mlnb-tmp-i-")]
        assert any(name.startswith(f".mlnb-tmp-i-{skops}-") for name in marks)
    else:  # ... or in a journal file
        journals = [p for p in run_dir.iterdir() if p.name.startswith(".mlnb-tmp-journal-")]
        assert len(journals) == 1 and skops in journals[0].read_text()
    target = {"unrecorded": "second/model.skops", "recorded": "model/model.skops"}.get(swapped)
    if target:  # while the writer is down, someone swaps a model file
        (run_dir / target).write_bytes(b"not the model that was logged")

    store = SqlStore(parse_store_uri(store_path, source="test"))  # opening reaps the dead writer
    assert store.get_run_info(run_id).status == "FAILED"
    rows = store.artifact_rows(run_id)
    held = Path(store_path) / "artifacts" / ".mlnb-quarantine"
    quarantined = sorted(p.relative_to(held).as_posix() for p in held.rglob("*") if p.is_file())
    report = verify(store)
    on_disk = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    assert on_disk <= set(rows)  # journal and temp files gone, every file in place recorded
    _reset_tracking_state()
    mlnb.set_store(store_path)
    try:
        if swapped == "nothing":
            # no data loss from the journal itself: the file in place gets its row
            assert "second/model.skops" in rows and quarantined == []
            assert report.ok, report.problems
            assert mlnb.load_model(f"runs:/{run_id}/model").predict([[0.0, 1.0]]).shape == (1,)
            return
        # the swapped file is set aside (its bytes kept), never recorded
        assert len(quarantined) == 1 and quarantined[0].endswith(target)
        assert (held / quarantined[0]).read_bytes() == b"not the model that was logged"
        assert not (run_dir / target).exists()
        problems = "\n".join(report.problems)
        assert f"quarantined file {run_id}/" in problems and target in problems
        if swapped == "unrecorded":
            assert "second/model.skops" not in rows
        else:
            assert f"{run_id}/model/model.skops: file missing" in problems
        with pytest.raises(MlnbError):
            mlnb.load_model(f"runs:/{run_id}/{target.split('/')[0]}")
        capsys.readouterr()
        assert main(["--store", store_path, "verify"]) == 1
        out = capsys.readouterr().out
        assert "quarantined" in out and ".mlnb-quarantine" in out
    finally:
        store.close()
        _reset_tracking_state()
