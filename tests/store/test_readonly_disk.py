"""A store on a read-only file system (a shared snapshot, a mounted backup) opens read-only.

The store is written normally, then a child process sees it through a read-only bind mount in
its own mount namespace (``unshare -m``; as root, ``chmod a-w`` would not stop any write).  The
child searches runs, gets a run through ``MlflowClient``, searches model versions, renders the
static compare panel and loads a model (its hash is still checked), and every write raises
``StoreReadOnly``.  Three states of the database are read: checkpointed (no WAL), with pages in
the WAL and its ``-shm`` index, and with pages in the WAL but no ``-shm`` (a copied backup).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]

WRITER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import mlnb

    mlnb.set_tracking_uri(sys.argv[1])
    X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    for i in range(2):
        with mlnb.start_run(run_name=f"r{i}") as run:
            mlnb.log_param("C", i)
            mlnb.log_metric("acc", 0.5 + i / 10)
            mlnb.log_model(LogisticRegression().fit(X, y), "model")
        mlnb.register_model(f"runs:/{run.info.run_id}/model", "clf")
        print(f"RUN r{i} {run.info.run_id}")
    mlnb.flush()
    if sys.argv[2] == "keep-wal":  # exit without the checkpoint a clean close does
        sys.stdout.flush()
        os._exit(0)
    """
)

READER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import mlnb
    from mlnb.errors import IntegrityError, StoreReadOnly


    def read(store):
        out = {}
        mlnb.set_tracking_uri(store)
        runs = mlnb.search_runs(order_by=["metrics.acc DESC"])
        out["runs"] = list(runs["tags.mlflow.runName"])
        out["param"] = mlnb.MlflowClient().get_run(runs["run_id"][0]).data.params["C"]
        out["versions"] = sorted(int(v.version) for v in mlnb.search_model_versions("name = 'clf'"))
        html = mlnb.compare(experiment="Default")._repr_mimebundle_()["text/html"]
        out["panel"] = "r0" in html and "r1" in html
        model = mlnb.load_model("models:/clf/1")
        out["predict"] = [int(p) for p in model.predict(np.array([[0.0, 1.0]]))]
        try:
            mlnb.load_model("models:/clf/2")
            out["tampered"] = "loaded"
        except IntegrityError:
            out["tampered"] = "refused"
        run_id = runs["run_id"][0]
        writes = {
            "start_run": lambda: mlnb.start_run(),
            "set_experiment": lambda: mlnb.set_experiment("new"),
            "log_param": lambda: mlnb.MlflowClient().log_param(run_id, "k", "v"),
            "set_tag": lambda: mlnb.MlflowClient().set_tag(run_id, "k", "v"),
            "delete_run": lambda: mlnb.delete_run(run_id),
        }
        for name, write in writes.items():
            try:
                write()
                out[name] = "written"
            except StoreReadOnly as exc:
                out[name] = "read-only" if "read-only" in str(exc) else str(exc)
        return out


    results = {}
    for store in sys.argv[1:]:
        try:
            results[store] = read(store)
        except Exception as exc:
            results[store] = f"{type(exc).__name__}: {exc}"
    print("RESULT " + json.dumps(results))
    """
)


def _can_mount_read_only(tmp_path: Path) -> bool:
    if not shutil.which("unshare"):
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    script = f"mount --bind {probe} {probe} && mount -o remount,ro,bind {probe} && ! touch {probe}/x"
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, timeout=30)
    return done.returncode == 0


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLNB_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def _write_store(store: Path, mode: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(store), mode],
        check=True,
        env=_env(),
        timeout=120,
        cwd=store.parent,
        capture_output=True,
        text=True,
    )
    return dict(line.split()[1:] for line in done.stdout.splitlines() if line.startswith("RUN "))


def _tamper(store: Path, run_id: str) -> None:
    model_file = next((store / "artifacts" / run_id / "model").glob("model.*"))
    model_file.write_bytes(model_file.read_bytes() + b"tampered")


def _read_through_read_only_mount(src: Path, mnt: Path, stores: list[str]) -> dict[str, object]:
    mnt.mkdir()
    script = (
        f"mount --bind {src} {mnt} && mount -o remount,ro,bind {mnt} && "
        f'exec {sys.executable} -c "$0" ' + " ".join(str(mnt / name / ".mlnb") for name in stores)
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, READER],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
        cwd="/",
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    results = json.loads(lines[-1][len("RESULT ") :])
    return {Path(path).parent.name: out for path, out in results.items()}


STATES = ["checkpointed", "wal-and-shm", "wal-without-shm"]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_store_on_read_only_disk_serves_reads_and_refuses_writes(tmp_path):
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs a private mount namespace (unshare -m) to bind-mount read-only")
    src = tmp_path / "disk"
    written = src / "written" / ".mlnb"
    written.parent.mkdir(parents=True)
    run_ids = _write_store(written, "keep-wal")
    assert Path(f"{written / 'mlnb.db'}-wal").stat().st_size > 32  # pages still only in the WAL
    _tamper(written, run_ids["r1"])  # version 2 of the model
    for state in STATES:
        shutil.copytree(written, src / state / ".mlnb")
    db = src / "checkpointed" / ".mlnb" / "mlnb.db"
    conn = sqlite3.connect(db)  # the last connection to close checkpoints and removes the WAL
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not Path(f"{db}-wal").exists()
    Path(f"{src / 'wal-without-shm' / '.mlnb' / 'mlnb.db'}-shm").unlink()
    before = {state: sorted(p.name for p in (src / state / ".mlnb").iterdir()) for state in STATES}

    results = _read_through_read_only_mount(src, tmp_path / "mnt", STATES)

    for state in STATES:
        out = results[state]
        assert isinstance(out, dict), (state, out)
        assert out["runs"] == ["r1", "r0"], state
        assert out["param"] == "1"
        assert out["versions"] == [1, 2]
        assert out["panel"] is True
        assert out["predict"] in ([0], [1])
        assert out["tampered"] == "refused", state
        for write in ("start_run", "set_experiment", "log_param", "set_tag", "delete_run"):
            assert out[write] == "read-only", (state, write, out[write])
        assert sorted(p.name for p in (src / state / ".mlnb").iterdir()) == before[state]
