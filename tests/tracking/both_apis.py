"""A fixture that runs one test body against ``mlnb`` and against the real ``mlflow`` package.

``api`` yields the module itself (``mlnb`` or ``mlflow``) with the tracking URI set to a fresh
SQLite database in ``tmp_path`` and the working directory moved there; afterwards every run is
ended and both libraries forget their active store and experiment.  ``both(body)`` runs a body
under each and returns both results, for comparisons.  Import the fixtures into a test module
with ``from tests.tracking.both_apis import api, both  # noqa: F401``.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import mlnb
from tests.conftest import _reset_tracking_state

_TEMPLATE: dict[str, Path] = {}
_ENV = (
    "MLNB_STORE",
    "MLNB_TRACKING_URI",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_RUN_ID",
    "MLNB_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
)


def _reset_mlnb() -> None:
    _reset_tracking_state()


def _reset_mlflow(mlflow: ModuleType) -> None:
    import mlflow.tracking._tracking_service.utils as service
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    service._tracking_uri = None
    fluent._active_experiment_id = None
    fluent._last_active_run_id.set(None)


def _mlflow_database(tmp_path: Path, template_dir: Path) -> str:
    """A fresh MLflow database: a copy of one migrated once per session (migrating costs ~1 s)."""
    import mlflow

    template = _TEMPLATE.get("db")
    if template is None:
        template = template_dir / "template.db"
        mlflow.set_tracking_uri(f"sqlite:///{template}")
        mlflow.search_experiments()  # creates and migrates the schema
        _reset_mlflow(mlflow)
        _TEMPLATE["db"] = template
    db = tmp_path / "mlflow.db"
    shutil.copy(template, db)
    return f"sqlite:///{db}"


@contextmanager
def tracking_with(name: str, tmp_path: Path, base: Path) -> Iterator[ModuleType]:
    """``mlnb`` or ``mlflow`` (by ``name``) tracking to a fresh SQLite database in ``tmp_path``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    saved_env = {k: os.environ.pop(k) for k in _ENV if k in os.environ}
    saved_cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        if name == "mlnb":
            _reset_mlnb()
            mlnb.set_tracking_uri(f"sqlite:///{tmp_path / 'mlnb.db'}")
            try:
                yield mlnb
            finally:
                while mlnb.active_run() is not None:
                    mlnb.end_run()
                _reset_mlnb()
            return
        mlflow = pytest.importorskip("mlflow")
        template_dir = base / "mlflow-template"
        template_dir.mkdir(exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            uri = _mlflow_database(tmp_path, template_dir)
        _reset_mlflow(mlflow)
        mlflow.set_tracking_uri(uri)
        try:
            yield mlflow
        finally:
            _reset_mlflow(mlflow)
    finally:
        os.chdir(saved_cwd)
        for key in _ENV:  # (mlflow.set_experiment writes MLFLOW_EXPERIMENT_ID into os.environ)
            os.environ.pop(key, None)
        os.environ.update(saved_env)


@pytest.fixture(params=["mlnb", pytest.param("mlflow", marks=pytest.mark.mlflow)])
def api(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    """``mlnb`` or the real ``mlflow``, tracking to a fresh SQLite database in ``tmp_path``."""
    with tracking_with(request.param, tmp_path, tmp_path_factory.getbasetemp()) as module:
        yield module


@pytest.fixture
def both(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Any, Any]]:
    """``both(body)`` runs ``body(module)`` with mlnb, then with mlflow, each on a fresh store,
    and returns the two results for comparison."""
    pytest.importorskip("mlflow")

    def run(body: Callable[[ModuleType], Any]) -> tuple[Any, Any]:
        results = []
        for name in ("mlnb", "mlflow"):
            with tracking_with(name, tmp_path / name, tmp_path_factory.getbasetemp()) as module:
                results.append(body(module))
        return results[0], results[1]

    return run


def raises_like_mlflow(module: ModuleType) -> type[BaseException]:
    """The error class a bad call raises: MlnbError in mlnb, MlflowException (or, where MLflow
    raises a bare Exception, Exception) in mlflow."""
    return mlnb.MlnbError if module is mlnb else Exception
