"""``api``: the same test body against mlnb's ``MlflowClient`` and (marked ``mlflow``) MLflow's own,
each on a fresh store in ``tmp_path``."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Api:
    """One backend: its package (``mlnb`` or ``mlflow``), a client, its error class, entities."""

    name: str
    module: Any
    client: Any
    error: type[Exception]
    entities: Any

    def fails(self, call: Any, *args: Any, **kwargs: Any) -> str:
        """The ``error_code`` of the error ``call(*args, **kwargs)`` raises (it must raise)."""
        with pytest.raises(self.error) as exc:
            call(*args, **kwargs)
        return str(exc.value.error_code)


def all_pages(search: Any, size: int, *args: Any, **kwargs: Any) -> tuple[list[Any], int]:
    """Every item of a paged search, following page tokens, and the number of pages read."""
    items: list[Any] = []
    token, pages = None, 0
    while True:
        page = search(*args, max_results=size, page_token=token, **kwargs)
        assert len(page) <= size
        items += page
        pages += 1
        token = page.token
        if token is None:
            return items, pages


def check_signature(method: str) -> None:
    """Our ``MlflowClient.<method>`` takes MLflow's parameters: names, kinds and defaults."""
    import inspect

    import mlnb

    mlflow = pytest.importorskip("mlflow")
    ours = inspect.signature(getattr(mlnb.MlflowClient, method))
    theirs = inspect.signature(getattr(mlflow.MlflowClient, method))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]


@pytest.fixture(scope="session")
def _mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite database, migrated once per session and copied per test."""
    mlflow = pytest.importorskip("mlflow")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(params=["mlnb", pytest.param("mlflow", marks=pytest.mark.mlflow)])
def api(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    if request.param == "mlnb":
        import mlnb
        import mlnb.entities

        request.getfixturevalue("store")
        yield Api("mlnb", mlnb, mlnb.MlflowClient(), mlnb.MlnbError, mlnb.entities)
        return
    template = request.getfixturevalue("_mlflow_db")
    import mlflow
    import mlflow.entities
    from mlflow.exceptions import MlflowException

    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts under ./mlruns
    db = tmp_path / "mlflow.db"
    shutil.copy(template, db)
    yield Api("mlflow", mlflow, mlflow.MlflowClient(f"sqlite:///{db}"), MlflowException, mlflow.entities)
