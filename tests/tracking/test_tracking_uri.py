"""Tracking and registry URIs: which store a URI names, the precedence, and MLflow's answers."""

# ruff: noqa: F811  (the fixture both is imported, then named as an argument)

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

import mlnb
import mlnb.tracking
from mlnb.errors import InvalidParameter, InvalidUri
from mlnb.store.location import parse_store_uri, resolve
from mlnb.store.readonly import ReadOnlyStore
from tests.tracking.both_apis import _reset_mlnb, both  # noqa: F401

_ENV = ("MLNB_STORE", "MLNB_TRACKING_URI", "MLFLOW_TRACKING_URI")


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No store set anywhere; the working directory is an empty ``tmp_path/work``."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _reset_mlnb()
    yield work
    _reset_mlnb()


def _one_run() -> str:
    with mlnb.start_run() as run:
        mlnb.log_param("p", 1)
        mlnb.log_text("hello", "note.txt")
    return run.info.run_id


# --- what a URI names -------------------------------------------------------------------------
def test_sqlite_uri_puts_the_store_in_that_file_with_artifacts_beside(clean: Path) -> None:
    mlnb.set_tracking_uri("sqlite:///runs/track.db")
    run_id = _one_run()
    db = clean / "runs" / "track.db"
    assert db.is_file()
    assert (clean / "runs" / "track-artifacts" / run_id / "note.txt").read_text() == "hello"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from runs where run_id = ?", (run_id,)).fetchone() == (1,)
    _reset_mlnb()
    mlnb.set_tracking_uri(f"sqlite:///{db}")  # sqlite:////abs/path: the same store
    assert mlnb.get_run(run_id).data.params == {"p": "1"}
    assert mlnb.load_text(run_id, "note.txt") == "hello"


def test_directory_and_file_uris_name_a_store_directory(clean: Path) -> None:
    mlnb.set_tracking_uri("mlruns")
    run_id = _one_run()
    assert (clean / "mlruns" / "mlnb.db").is_file()
    assert (clean / "mlruns" / "artifacts" / run_id / "note.txt").is_file()
    mlnb.set_tracking_uri((clean / "mlruns").as_uri())
    assert mlnb.get_run(run_id).info.run_id == run_id
    mlnb.set_tracking_uri(clean / "other")
    assert mlnb.get_tracking_uri() == (clean / "other").as_uri()
    assert mlnb.get_store().location.root == clean / "other"


def test_a_project_directory_means_its_mlnb_store(clean: Path) -> None:
    (clean / ".mlnb").mkdir()
    mlnb.set_tracking_uri(str(clean))
    assert mlnb.get_store().location.root == clean / ".mlnb"


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:5000",
        "https://mlflow.example.com",
        "databricks",
        "databricks://profile",
        "databricks-uc",
        "mysql://user@host/db",
        "mssql://host/db",
        "s3://bucket/prefix",
    ],
)
def test_other_schemes_are_refused_naming_the_supported_ones(clean: Path, uri: str) -> None:
    with pytest.raises(InvalidUri, match="supported schemes: file, sqlite, postgresql"):
        mlnb.set_tracking_uri(uri)


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///:memory:", "sqlite:relative.db", "", "   "])
def test_sqlite_uris_without_a_file_are_refused(uri: str) -> None:
    with pytest.raises(InvalidUri):
        parse_store_uri(uri, source="set_store")


def test_a_refused_uri_keeps_the_current_store(clean: Path) -> None:
    mlnb.set_tracking_uri("sqlite:///keep.db")
    with pytest.raises(InvalidUri):
        mlnb.set_tracking_uri("http://localhost:5000")
    assert mlnb.get_tracking_uri() == "sqlite:///keep.db"


def test_a_file_path_is_not_a_store_directory(clean: Path) -> None:
    (clean / "notes.txt").write_text("x")
    with pytest.raises(InvalidUri, match="sqlite:///"):
        mlnb.set_tracking_uri("notes.txt")


@pytest.mark.mlflow
def test_an_mlflow_database_is_refused_not_written(clean: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    import mlflow.tracking._tracking_service.utils as service

    db = clean / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    try:
        mlflow.search_experiments()
    finally:
        service._tracking_uri = None
    before = db.stat().st_size
    with pytest.raises(mlnb.StoreError, match="MLflow"):
        mlnb.set_tracking_uri(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert "schema_version" not in tables and db.stat().st_size == before


# --- precedence -------------------------------------------------------------------------------
def test_environment_precedence(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / ".mlnb").mkdir()
    assert resolve().root == clean / ".mlnb" and resolve().source == "found"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-mlflow.db")
    assert resolve().db_file == clean / "from-mlflow.db"
    monkeypatch.setenv("MLNB_TRACKING_URI", "sqlite:///from-mlnb-uri.db")
    assert resolve().db_file == clean / "from-mlnb-uri.db"
    monkeypatch.setenv("MLNB_STORE", str(clean / "from-store"))
    assert resolve().root == clean / "from-store"
    assert mlnb.get_tracking_uri() == str(clean / "from-store")
    mlnb.set_tracking_uri("sqlite:///explicit.db")
    assert mlnb.get_store().location.db_file == clean / "explicit.db"
    assert mlnb.get_tracking_uri() == "sqlite:///explicit.db"
    mlnb.set_tracking_uri(None)
    assert mlnb.get_store().location.root == clean / "from-store"


def test_mlflow_tracking_uri_is_read_when_nothing_of_mlnbs_is_set(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///shared.db")
    assert mlnb.get_tracking_uri() == "sqlite:///shared.db"
    _one_run()
    assert (clean / "shared.db").is_file() and not (clean / ".mlnb").exists()


def test_an_unsupported_mlflow_tracking_uri_names_the_variable(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://localhost:5000")
    with pytest.raises(InvalidUri, match="MLFLOW_TRACKING_URI='http://localhost:5000'"):
        mlnb.start_run()
    mlnb.set_tracking_uri("sqlite:///local.db")  # an explicit URI still works
    assert mlnb.search_experiments()[0].name == "Default"


def test_changing_the_environment_switches_the_store(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLNB_TRACKING_URI", "sqlite:///a.db")
    first = _one_run()
    monkeypatch.setenv("MLNB_TRACKING_URI", "sqlite:///b.db")
    assert mlnb.search_runs().empty
    monkeypatch.setenv("MLNB_TRACKING_URI", "sqlite:///a.db")
    assert list(mlnb.search_runs()["run_id"]) == [first]


def test_without_any_setting_a_new_store_is_made_here(clean: Path) -> None:
    assert mlnb.get_tracking_uri() == (clean / ".mlnb").as_uri()
    assert not mlnb.is_tracking_uri_set()
    _one_run()
    assert (clean / ".mlnb" / "mlnb.db").is_file()


def test_set_store_is_set_tracking_uri(clean: Path) -> None:
    store = mlnb.set_store(clean / "s")
    assert store is mlnb.get_store() and store.location.root == clean / "s"
    assert mlnb.is_tracking_uri_set()
    with mlnb.start_run(), pytest.raises(mlnb.InvalidState, match="end it"):
        mlnb.set_tracking_uri("sqlite:///elsewhere.db")


def test_mlnb_tracking_exposes_the_uri_functions() -> None:
    for name in ("set_tracking_uri", "get_tracking_uri", "set_registry_uri", "get_registry_uri"):
        assert getattr(mlnb.tracking, name) is getattr(mlnb, name)
        assert name in dir(mlnb.tracking)


# --- registry URI -----------------------------------------------------------------------------
def test_registry_uri_follows_the_tracking_store(clean: Path) -> None:
    mlnb.set_tracking_uri("sqlite:///track.db")
    assert mlnb.get_registry_uri() == "sqlite:///track.db"
    mlnb.set_registry_uri(f"sqlite:///{clean / 'track.db'}")  # the same file, spelled otherwise
    assert mlnb.get_registry_uri() == f"sqlite:///{clean / 'track.db'}"
    mlnb.set_registry_uri(None)
    assert mlnb.get_registry_uri() == "sqlite:///track.db"
    with pytest.raises(InvalidParameter, match="another store"):
        mlnb.set_registry_uri("sqlite:///registry.db")
    with pytest.raises(InvalidUri):
        mlnb.set_registry_uri("databricks-uc")


def test_readonly_store_opens_a_sqlite_file_store(clean: Path) -> None:
    mlnb.set_tracking_uri("sqlite:///ro.db")
    run_id = _one_run()
    mlnb.flush()
    location = parse_store_uri("sqlite:///ro.db", source="set_store")
    reader = ReadOnlyStore(location)
    try:
        assert reader.get_run(run_id).data.params == {"p": "1"}
    finally:
        reader.close()


# --- what MLflow answers for the same settings ------------------------------------------------
@pytest.mark.mlflow
def test_get_tracking_uri_answers_as_mlflow(both, tmp_path: Path) -> None:
    settings = [
        "sqlite:///rel.db",
        f"sqlite:///{tmp_path / 'abs.db'}",
        "mlruns",
        str(tmp_path / "dir"),
        (tmp_path / "dir2").as_uri(),
        Path("relpath"),
    ]

    def body(module: ModuleType) -> list[tuple[str, str]]:
        answers = []
        for uri in settings:
            module.set_tracking_uri(uri)
            answers.append((module.get_tracking_uri(), module.get_registry_uri()))
        return answers

    ours, theirs = both(body)
    # a Path is made absolute against each run's working directory: compare the relative part
    ours[-1] = tuple(os.path.basename(u) for u in ours[-1])
    theirs[-1] = tuple(os.path.basename(u) for u in theirs[-1])
    assert ours == theirs


def test_a_store_that_cannot_open_keeps_the_current_one(clean: Path) -> None:
    mlnb.set_tracking_uri("sqlite:///good.db")
    run_id = _one_run()
    with sqlite3.connect(clean / "foreign.db") as conn:
        conn.execute("create table runs (x integer)")
    with pytest.raises(mlnb.StoreError, match="another program"):
        mlnb.set_tracking_uri("sqlite:///foreign.db")
    assert mlnb.get_tracking_uri() == "sqlite:///good.db"
    assert mlnb.get_run(run_id).info.run_id == run_id
