from __future__ import annotations

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
