"""``mlnb gc`` beside busy writers never removes an acknowledged artifact.

Writer processes log artifacts through the public API as fast as they can: into runs whose own
row is still in the write-behind buffer, into runs already ended, text, local files and models.
Meanwhile ``mlnb gc`` runs again and again in separate processes, with no grace period (only the
writers' lock protects a file whose row is on its way) and with the default one.  Afterwards every
artifact a ``log_*`` call acknowledged exists and matches its recorded sha256.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlnb.store.location import parse_store_uri
from mlnb.store.maintenance import verify
from mlnb.store.sql import SqlStore

WRITERS = 3
SECONDS = 15.0

WRITER = textwrap.dedent(
    """
    import json, os, sys, tempfile, time
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import mlnb

    store, acks, seconds, me = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    mlnb.set_store(store)
    model = LogisticRegression().fit(np.arange(8.0).reshape(4, 2), [0, 0, 1, 1])
    local = os.path.join(tempfile.mkdtemp(), "local.bin")
    out = open(acks, "a")

    def attempt(rid_, path_, log, *args, **kwargs):
        try:
            log(*args, **kwargs)
        except Exception as exc:  # not acknowledged: reported, and the test fails on it
            out.write(json.dumps(["failed", f"{rid_}/{path_}: {exc!r}"[:300]]) + "\\n")
        else:
            out.write(json.dumps([rid_, path_]) + "\\n")
        out.flush()

    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        run = mlnb.start_run(run_name=f"{me}-{i}")
        rid = run.info.run_id
        # the run's own row is still buffered: its directory looks like an orphan for a moment
        attempt(rid, f"notes/{i}.txt", mlnb.log_text, f"{me} {i}", f"notes/{i}.txt")
        with open(local, "wb") as fh:
            fh.write(os.urandom(256))
        attempt(rid, "files/local.bin", mlnb.log_artifact, local, "files")
        if i % 4 == 0:
            attempt(rid, "model/", mlnb.log_model, model, "model")
        mlnb.end_run()
        # an ended run: gc judges its unrecorded files
        attempt(rid, "late.txt", mlnb.log_text, "late", "late.txt", run_id=rid)
        i += 1
    out.close()
    mlnb.flush()
    """
)


def _gc(store: str, grace: str | None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "mlnb", "--store", store, "gc"]
    if grace is not None:
        cmd += ["--grace", grace]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_gc_beside_busy_writers_loses_no_acknowledged_artifact(tmp_path: Path) -> None:
    store_path = str(tmp_path / "store")
    SqlStore(parse_store_uri(store_path, source="test")).close()
    acks = tmp_path / "acks.jsonl"
    env = {**os.environ, "MLNB_PROGRESS": "off"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_path, str(acks), str(SECONDS), f"w{n}"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    runs = {"0": 0, "default": 0}
    try:
        while any(w.poll() is None for w in writers):
            # two at once: gc against gc, and both against the writers
            procs = [("0", _gc(store_path, "0")), ("default", _gc(store_path, None))]
            for grace, proc in procs:
                _out, err = proc.communicate(timeout=60)
                assert proc.returncode == 0, err
                runs[grace] += 1
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
            _out, err = w.communicate(timeout=60)
            assert w.returncode == 0, err
    store = SqlStore(parse_store_uri(store_path, source="test"))
    records = [json.loads(line) for line in acks.read_text().splitlines()]
    acknowledged = [r for r in records if r[0] != "failed"]
    failed = [r[1] for r in records if r[0] == "failed"]
    rows: dict[str, dict[str, tuple[str, int]]] = {}
    lost = []
    for run_id, path in acknowledged:
        if run_id not in rows:
            rows[run_id] = store.artifact_rows(run_id)
        if path.endswith("/"):
            found = any(p.startswith(path) for p in rows[run_id])
        else:
            found = path in rows[run_id]
        if not found:
            lost.append(f"{run_id}/{path}: no artifact row")
    report = verify(store)  # every recorded file exists and matches its sha256
    lost += [p for p in report.problems if "file missing" in p or "does not match" in p]
    print(
        f"{WRITERS} writers for {SECONDS:g} s, gc runs {runs}: {len(acknowledged)} artifacts "
        f"acknowledged, {len(lost)} lost, {len(failed)} writes failed"
    )
    assert runs["0"] >= 3 and len(acknowledged) >= 30
    assert lost == []
    assert failed == []
    assert report.ok, report.problems
    store.close()
