from __future__ import annotations

import hashlib
import sqlite3

import mlnb
from mlnb.store.maintenance import gc, verify


def test_verify_passes_on_a_healthy_store(store: object) -> None:
    with mlnb.start_run():
        mlnb.log_text("a", "a.txt")
    report = verify(mlnb.get_store())
    assert report.ok and report.artifacts == 1 and report.runs == 1


def test_verify_reports_tampered_missing_and_orphan_files(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.log_text("a", "a.txt")
        mlnb.log_text("b", "b.txt")
    st = mlnb.get_store()
    run_dir = st.run_dir(run.info.run_id)
    (run_dir / "a.txt").write_text("changed")
    (run_dir / "b.txt").unlink()
    (run_dir / "stray.bin").write_bytes(b"?")
    (st.artifact_root / ("f" * 32)).mkdir()
    problems = "\n".join(verify(st).problems)
    assert "a.txt: content does not match" in problems
    assert "b.txt: file missing" in problems
    assert "stray.bin: no artifact row" in problems
    assert "orphan directory" in problems


def test_verify_reports_database_corruption(store: object) -> None:
    with mlnb.start_run():
        mlnb.log_param("a", 1)
    st = mlnb.get_store()
    db = st.location.root / "mlnb.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("INSERT INTO params (run_id, key, value) VALUES ('nope', 'k', 'v')")
    con.commit()
    con.close()
    assert any("references a missing" in p for p in verify(st).problems)


def test_gc_purges_deleted_runs_and_orphans(store: object) -> None:
    with mlnb.start_run() as keep:
        mlnb.log_text("k", "k.txt")
    with mlnb.start_run() as doomed:
        mlnb.log_metric("m", 1.0)
        mlnb.log_text("d", "d.txt")
    st = mlnb.get_store()
    (st.run_dir(keep.info.run_id) / "orphan.txt").write_text("o")
    mlnb.delete_run(doomed.info.run_id)
    dry = gc(st, dry_run=True, grace_s=0)
    assert dry.purged_runs == [doomed.info.run_id]
    assert st.run_dir(doomed.info.run_id).exists()
    report = gc(st, grace_s=0)
    assert report.purged_runs == [doomed.info.run_id]
    assert f"{keep.info.run_id}/orphan.txt" in report.removed_files
    assert not st.run_dir(doomed.info.run_id).exists()
    assert verify(st).ok
    assert list(mlnb.search_runs(run_view_type=mlnb.ViewType.ALL)["run_id"]) == [keep.info.run_id]


def test_sql_store_fulfils_the_store_contract(store: object) -> None:
    from mlnb.store.base import Store

    assert isinstance(mlnb.get_store(), Store)


def test_gc_keeps_deleted_runs_that_back_registered_versions(store: object) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    with mlnb.start_run() as run:
        mlnb.log_model(model, "model")
    version = mlnb.register_model(f"runs:/{run.info.run_id}/model", "kept")
    mlnb.delete_run(run.info.run_id)
    report = gc(mlnb.get_store())
    assert report.purged_runs == [] and report.kept_for_registry == 1
    loaded = mlnb.load_model(f"models:/kept/{version.version}")
    assert list(loaded.predict([[0.0], [3.0]])) == [0, 1]


def test_gc_leaves_young_files_and_running_runs_alone(store: object, capsys) -> None:
    from mlnb.cli import main

    with mlnb.start_run() as done:
        mlnb.log_text("k", "k.txt")
    st = mlnb.get_store()
    running = mlnb.MlflowClient().create_run("0")  # RUNNING, not the active run
    (st.run_dir(done.info.run_id) / "young.txt").write_text("y")
    st.run_dir(running.info.run_id).mkdir(parents=True, exist_ok=True)
    (st.run_dir(running.info.run_id) / "pending.txt").write_text("p")
    report = gc(st)  # default grace (600 s)
    assert report.removed_files == [] and report.kept_recent == 1 and report.kept_running == 1
    root = str(st.location.root)
    assert main(["--store", root, "gc"]) == 0
    assert "younger than the grace period (600 s" in capsys.readouterr().out
    assert main(["--store", root, "gc", "--grace", "-1"]) == 2
    assert main(["--store", root, "gc", "--grace", "0"]) == 0
    assert f"{done.info.run_id}/young.txt" in capsys.readouterr().out
    assert (st.run_dir(running.info.run_id) / "pending.txt").exists()  # its run is RUNNING


def test_gc_waits_for_a_writer_between_its_file_and_its_row(store: object) -> None:
    import threading
    import time

    from mlnb.store import journal

    with mlnb.start_run() as run:
        mlnb.log_text("k", "k.txt")
    st = mlnb.get_store()
    rid = run.info.run_id
    created = threading.Event()

    def writer() -> None:  # what write_files does, slowed down between the file and its row
        with journal.writing(st.artifact_root):
            (st.run_dir(rid) / "late.txt").write_text("late")
            created.set()
            time.sleep(0.5)
            with st.atomic() as conn:
                st.record_artifacts(conn, rid, [("late.txt", hashlib.sha256(b"late").hexdigest(), 4)])

    thread = threading.Thread(target=writer)
    thread.start()
    assert created.wait(10)
    started = time.monotonic()
    report = gc(st, grace_s=0)
    thread.join()
    assert time.monotonic() - started >= 0.3  # it waited for the writer's lock
    assert report.removed_files == []
    assert verify(st).ok
