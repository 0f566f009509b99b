"""Models stored once: a cell's ``model`` alias and a search CV's best estimator share the saved
files (hard links) instead of holding copies; every path still lists, verifies and loads."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import mlnb
from mlnb.store.maintenance import artifact_bytes, gc, verify
from mlnb.tracking.state import get_store
from tests.capture.shell import SETUP, last_run

FOREST = SETUP + "from sklearn.ensemble import RandomForestClassifier\n"
SEARCH = FOREST + "from sklearn.model_selection import GridSearchCV\n"


def run(shell, code: str) -> None:
    result = shell.run_cell(code, store_history=True)
    assert result.success, result.error_in_exec or result.error_before_exec


def disk_bytes(directory: Path) -> tuple[int, int]:
    """(bytes on disk counting each inode once, bytes if every path were its own file)."""
    unique: dict[tuple[int, int], int] = {}
    apparent = 0
    for dirpath, _dirs, names in os.walk(directory):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            assert not os.path.islink(os.path.join(dirpath, name))
            unique[(st.st_dev, st.st_ino)] = st.st_size
            apparent += st.st_size
    return sum(unique.values()), apparent


def recorded_bytes(run_id: str, *, without: tuple[str, ...]) -> int:
    """Sum of the recorded sizes of the run's files, leaving out the paths below ``without``."""
    rows = get_store().artifact_rows(run_id)
    return sum(size for path, (_sha, size) in rows.items() if path.split("/")[0] not in without)


def model_listing(run_id: str) -> set[str]:
    return {a.path for a in mlnb.list_artifacts(run_id) if a.is_dir}


def test_a_single_model_cell_writes_the_model_bytes_once(shell) -> None:
    run(shell, FOREST)
    run(
        shell, "%%track\nrf = RandomForestClassifier(n_estimators=40, random_state=0).fit(X_train, y_train)\n"
    )
    r = last_run()
    run_id = r.info.run_id
    store = get_store()
    run_dir = store.run_dir(run_id)
    rows = store.artifact_rows(run_id)
    # both paths are recorded, file by file, with the same hashes
    alias_rows = {p[len("model/") :]: v for p, v in rows.items() if p.startswith("model/")}
    own_rows = {p[len("rf/") :]: v for p, v in rows.items() if p.startswith("rf/")}
    assert alias_rows == own_rows and "model.skops" in own_rows
    assert {"rf", "model"} <= model_listing(run_id)
    # ... and name one file each on disk: the run's directory holds the model's bytes once
    for rel in own_rows:
        assert os.path.samefile(run_dir / "rf" / rel, run_dir / "model" / rel)
    unique, apparent = disk_bytes(run_dir)
    assert unique == recorded_bytes(run_id, without=("model",))
    assert apparent - unique == sum(size for _sha, size in own_rows.values())
    # both load (hashes checked) and predict alike
    X_test = shell.user_ns["X_test"]
    expected = shell.user_ns["rf"].predict(X_test)
    for path in ("rf", "model"):
        loaded = mlnb.load_model(f"runs:/{run_id}/{path}")
        np.testing.assert_array_equal(loaded.predict(X_test), expected)
        pyfunc = mlnb.pyfunc.load_model(f"runs:/{run_id}/{path}")
        np.testing.assert_array_equal(np.asarray(pyfunc.predict(X_test)), expected)
    assert verify(store).ok


def test_a_search_cv_cell_stores_the_best_estimator_once(shell) -> None:
    run(shell, SEARCH)
    run(
        shell,
        "%%track -n grid\n"
        "grid = GridSearchCV(RandomForestClassifier(random_state=0), {'n_estimators': [10, 30]}, cv=3)\n"
        "grid.fit(X_train, y_train)\n",
    )
    parent = last_run()
    run_id = parent.info.run_id
    store = get_store()
    run_dir = store.run_dir(run_id)
    assert {"grid", "model", "best_estimator"} <= model_listing(run_id)
    for path in ("model", "best_estimator"):
        assert os.path.samefile(run_dir / "grid" / "model.skops", run_dir / path / "model.skops")
    unique, _apparent = disk_bytes(run_dir)
    assert unique == recorded_bytes(run_id, without=("model", "best_estimator"))
    grid = shell.user_ns["grid"]
    X_test = shell.user_ns["X_test"]
    best = mlnb.load_model(f"runs:/{run_id}/best_estimator")
    assert type(best) is type(grid.best_estimator_)
    assert best.get_params() == grid.best_estimator_.get_params()
    np.testing.assert_array_equal(best.predict(X_test), grid.best_estimator_.predict(X_test))
    np.testing.assert_array_equal(
        np.asarray(mlnb.pyfunc.load_model(f"runs:/{run_id}/best_estimator").predict(X_test)),
        grid.best_estimator_.predict(X_test),
    )
    for path in ("grid", "model"):
        loaded = mlnb.load_model(f"runs:/{run_id}/{path}")
        assert type(loaded) is type(grid)
        np.testing.assert_array_equal(loaded.predict(X_test), grid.predict(X_test))
    # the sidebar's run detail lists every path and its files; a registered best estimator loads as one
    from mlnb.jupyter.views import get_run

    detail = get_run(store, run_id)
    assert {"grid", "model", "best_estimator"} <= {m["name"] for m in detail["models"]}
    listed = {a["path"] for a in detail["artifacts"]}
    assert {"grid/model.skops", "model/model.skops", "best_estimator/model.skops"} <= listed
    version = mlnb.register_model(f"runs:/{run_id}/best_estimator", "best-of-grid")
    registered = mlnb.load_model(f"models:/best-of-grid/{version.version}")
    assert type(registered) is type(grid.best_estimator_)
    assert verify(store).ok


def test_two_searches_in_one_cell_each_store_their_best_estimator_once(shell) -> None:
    run(shell, SEARCH)
    run(
        shell,
        "%%track\n"
        "small = GridSearchCV(RandomForestClassifier(random_state=0), {'n_estimators': [5, 8]}, cv=2)\n"
        "small.fit(X_train, y_train)\n"
        "deep = GridSearchCV(RandomForestClassifier(random_state=1), {'max_depth': [2, 3]}, cv=2)\n"
        "deep.fit(X_train, y_train)\n",
    )
    run_id = last_run().info.run_id
    run_dir = get_store().run_dir(run_id)
    paths = model_listing(run_id)
    assert {"small", "deep", "small_best_estimator", "deep_best_estimator"} <= paths
    assert "model" not in paths  # two models: no alias
    for name in ("small", "deep"):
        assert os.path.samefile(
            run_dir / name / "model.skops", run_dir / f"{name}_best_estimator" / "model.skops"
        )
        best = mlnb.load_model(f"runs:/{run_id}/{name}_best_estimator")
        assert best.get_params() == shell.user_ns[name].best_estimator_.get_params()


def test_rewriting_one_path_leaves_the_shared_other_intact(store) -> None:
    from sklearn.linear_model import LogisticRegression

    from mlnb.tracking.model_logging import log_model, share_model

    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0, 1] * 10)
    est = LogisticRegression().fit(X, y)
    with mlnb.start_run() as r:
        log_model(est, "lr", input_example=X)
        share_model(r.info.run_id, "lr", "model")
        before = mlnb.artifacts.load_text(f"runs:/{r.info.run_id}/lr/MLmodel")
        # every write renames a new file over its path: the link breaks, the other path keeps its bytes
        # (the store's writer: the public API refuses to write into a logged model's directory)
        get_store().artifacts.write_files(r.info.run_id, [("model/MLmodel", b"replaced\n")])
    run_dir = get_store().run_dir(r.info.run_id)
    assert not os.path.samefile(run_dir / "lr" / "MLmodel", run_dir / "model" / "MLmodel")
    assert mlnb.artifacts.load_text(f"runs:/{r.info.run_id}/lr/MLmodel") == before
    np.testing.assert_array_equal(mlnb.load_model(f"runs:/{r.info.run_id}/lr").predict(X), est.predict(X))
    assert verify(get_store()).ok


def test_tampering_with_a_shared_file_is_refused_on_every_path(store) -> None:
    from sklearn.linear_model import LogisticRegression

    from mlnb.tracking.model_logging import log_model, share_model

    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0, 1] * 10)
    with mlnb.start_run() as r:
        log_model(LogisticRegression().fit(X, y), "lr", input_example=X)
        share_model(r.info.run_id, "lr", "model")
    run_dir = get_store().run_dir(r.info.run_id)
    with open(run_dir / "lr" / "model.skops", "r+b") as fh:  # written in place: both names see it
        fh.seek(10)
        fh.write(b"\x00")
    for path in ("lr", "model"):
        with pytest.raises(mlnb.IntegrityError):
            mlnb.load_model(f"runs:/{r.info.run_id}/{path}")
    problems = "\n".join(verify(get_store()).problems)
    assert f"{r.info.run_id}/lr/model.skops" in problems
    assert f"{r.info.run_id}/model/model.skops" in problems


def test_sharing_copies_where_the_file_system_has_no_hard_links(store, monkeypatch) -> None:
    import errno

    from sklearn.linear_model import LogisticRegression

    from mlnb.tracking.model_logging import log_model, share_model

    def no_links(*_args, **_kwargs):
        raise OSError(errno.EPERM, "hard links not supported")

    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0, 1] * 10)
    est = LogisticRegression().fit(X, y)
    with mlnb.start_run() as r:
        log_model(est, "lr", input_example=X)
        monkeypatch.setattr(os, "link", no_links)
        share_model(r.info.run_id, "lr", "model")
    run_dir = get_store().run_dir(r.info.run_id)
    assert not os.path.samefile(run_dir / "lr" / "model.skops", run_dir / "model" / "model.skops")
    np.testing.assert_array_equal(mlnb.load_model(f"runs:/{r.info.run_id}/model").predict(X), est.predict(X))
    assert not [p for p in os.listdir(run_dir / "model") if p.startswith(".mlnb-tmp-")]
    assert verify(get_store()).ok


def test_gc_frees_shared_bytes_once_with_the_last_path(shell, capsys) -> None:
    run(shell, FOREST)
    run(
        shell,
        "%%track\nkept = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)\n",
    )
    kept = last_run().info.run_id
    run(
        shell,
        "%%track\ngone = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)\n",
    )
    gone = last_run().info.run_id
    store = get_store()
    gone_unique, gone_apparent = disk_bytes(store.run_dir(gone))
    assert gone_apparent > gone_unique  # gone/ and model/ share the model's files
    total = artifact_bytes(store)
    assert total == disk_bytes(store.artifact_root)[0]
    mlnb.delete_run(gone)
    from mlnb.cli import main
    from mlnb.display.format import size

    assert main(["--store", str(store.location.root), "gc", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert f"would free {size(gone_unique)}; artifacts hold {size(total - gone_unique)}" in printed
    dry = gc(store, dry_run=True)
    assert dry.purged_runs == [gone]
    assert dry.freed_bytes == gone_unique  # shared bytes counted once
    assert dry.remaining_bytes == total - gone_unique
    assert store.run_dir(gone).is_dir()
    report = gc(store)
    assert report.freed_bytes == gone_unique
    assert report.remaining_bytes == artifact_bytes(store) == total - gone_unique
    assert not store.run_dir(gone).exists()
    X_test = shell.user_ns["X_test"]
    for path in ("kept", "model"):
        np.testing.assert_array_equal(
            mlnb.load_model(f"runs:/{kept}/{path}").predict(X_test), shell.user_ns["kept"].predict(X_test)
        )
    assert verify(store).ok


@pytest.mark.mlflow
def test_mlflow_reads_every_shared_model_directory(shell, monkeypatch) -> None:
    import mlflow.pyfunc
    import mlflow.sklearn

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    run(shell, SEARCH)
    run(
        shell, "%%track\nrf = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)\n"
    )
    single = last_run().info.run_id
    run(
        shell,
        "%%track\n"
        "grid = GridSearchCV(RandomForestClassifier(random_state=0), {'n_estimators': [5, 10]}, cv=2)\n"
        "grid.fit(X_train, y_train)\n",
    )
    search = last_run().info.run_id
    store = get_store()
    X_test = shell.user_ns["X_test"]
    cases = [
        (single, "rf", shell.user_ns["rf"]),
        (single, "model", shell.user_ns["rf"]),
        (search, "grid", shell.user_ns["grid"]),
        (search, "model", shell.user_ns["grid"]),
        # MLflow reads the shared search; it predicts with its best estimator
        (search, "best_estimator", shell.user_ns["grid"].best_estimator_),
    ]
    for run_id, path, estimator in cases:
        directory = store.run_dir(run_id) / path
        assert directory.is_dir() and not directory.is_symlink()
        expected = estimator.predict(X_test)
        np.testing.assert_array_equal(mlflow.sklearn.load_model(str(directory)).predict(X_test), expected)
        pyfunc = mlflow.pyfunc.load_model(str(directory))
        np.testing.assert_array_equal(np.asarray(pyfunc.predict(X_test)), expected)
