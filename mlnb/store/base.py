"""The store contract: what every backend (SQLite file, PostgreSQL server) provides.

:class:`mlnb.store.sql.SqlStore` implements it for both dialects; the tracking, registry and
server layers depend on this contract only.  One batched write path (:meth:`log_batch`),
explicit transactions (:meth:`atomic`, :meth:`reading`) and reads that return entities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mlnb.entities import ArtifactInfo, DatasetInput, Experiment, Metric, Run, RunInfo
from mlnb.store.registry_base import RegistryStore
from mlnb.store.repository import ArtifactRepository


@runtime_checkable
class Store(Protocol):
    artifact_root: Path

    @property
    def registry(self) -> RegistryStore:
        """The store's model registry."""
        ...

    @property
    def artifacts(self) -> ArtifactRepository:
        """The store's artifact repository (run files: hash on write, verify on read)."""
        ...

    def atomic(self) -> AbstractContextManager[Any]: ...
    def reading(self) -> AbstractContextManager[Any]: ...
    def flush(self) -> None: ...

    def create_experiment(
        self, name: str, tags: dict[str, Any] | None = None, *, exist_ok: bool = False
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def list_experiments(self, view_type: int = 1) -> list[Experiment]: ...

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
        source: dict[str, str | None] | None = None,
    ) -> RunInfo: ...
    def get_run(self, run_id: str) -> Run: ...
    def get_run_info(self, run_id: str) -> RunInfo: ...
    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...
    def finish_run(
        self, run_id: str, status: str, end_time: int | None = None, *, flush: bool = False
    ) -> None: ...
    def set_run_lifecycle(self, run_id: str, stage: str) -> None: ...

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        buffered: bool = True,
    ) -> None: ...
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]: ...
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...

    def run_dir(self, run_id: str) -> Path: ...
    def artifact_rows(self, run_id: str, prefix: str = "") -> dict[str, tuple[str, int]]: ...
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] | str | None = None,
        max_results: int = 100_000,
        view_type: int = 1,
        run_ids: Sequence[str] | None = None,
        experiment_names: Sequence[str] = (),
        text: str | None = None,
        details: bool = True,
    ) -> Any: ...
