"""A process killed while it shares a model's files under a second path leaves no half-shared state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from mlnb.store.artifacts import TMP_PREFIX
from mlnb.store.location import parse_store_uri
from mlnb.store.maintenance import gc, verify
from mlnb.store.sql import SqlStore

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import mlnb
    from mlnb.tracking.model_logging import log_model, share_model

    mlnb.set_store(sys.argv[1])
    X = np.arange(400.0).reshape(200, 2)
    y = np.array([0, 1] * 100)
    run = mlnb.start_run(run_name="doomed")
    log_model(LogisticRegression().fit(X, y), "lr", input_example=X, run_id=run.info.run_id)
    mlnb.flush()
    print(run.info.run_id, flush=True)
    i = 0
    while True:
        share_model(run.info.run_id, "lr", f"alias{i}")
        i += 1
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_killed_sharer_leaves_every_path_whole(tmp_path: Path, seed: int) -> None:
    path = str(tmp_path / "s")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    run_id = proc.stdout.readline().strip()
    assert len(run_id) == 32
    time.sleep(random.Random(seed).uniform(0.05, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    store = SqlStore(parse_store_uri(path, source="test"))  # opening reaps the dead owner
    assert store.get_run_info(run_id).status == "FAILED"
    report = verify(store)
    assert report.ok, report.problems
    run_dir = store.run_dir(run_id)
    leftovers = [name for _d, _s, names in os.walk(run_dir) for name in names if name.startswith(TMP_PREFIX)]
    assert leftovers == []
    rows = store.artifact_rows(run_id)
    # every file on disk is recorded with its hash, and every alias names the model's own bytes
    for rel, (sha, _size) in rows.items():
        head, _, rest = rel.partition("/")
        if head.startswith("alias"):
            assert rows[f"lr/{rest}"][0] == sha
            assert os.path.samefile(run_dir / rel, run_dir / "lr" / rest)
    # an alias whose record was committed loads; the model itself always does
    import mlnb
    from tests.conftest import _reset_tracking_state

    _reset_tracking_state()
    mlnb.set_store(path)
    X = np.arange(400.0).reshape(200, 2)
    expected = mlnb.load_model(f"runs:/{run_id}/lr").predict(X)
    tags = store.get_run(run_id).data.tags
    aliases = [k[len("mlnb.model.") :] for k in tags if k.startswith("mlnb.model.alias")]
    for alias in aliases:
        np.testing.assert_array_equal(mlnb.load_model(f"runs:/{run_id}/{alias}").predict(X), expected)
    # deleting the run frees every byte, once
    mlnb.delete_run(run_id)
    assert gc(store).remaining_bytes == 0
    assert not run_dir.exists()
    _reset_tracking_state()
