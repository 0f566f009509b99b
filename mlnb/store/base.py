"""The store contract: what every backend (SQLite file, PostgreSQL server) provides.

Everything above :mod:`mlnb.store` reads and writes metadata through :class:`Store`, and files
through ``store.artifacts`` (:class:`mlnb.store.repository.ArtifactRepository`); the model
registry's tables through ``store.registry`` (:class:`mlnb.store.registry_base.RegistryStore`).
A store is opened with :func:`mlnb.store.open_store`.  :class:`mlnb.store.sql.SqlStore`
implements the contract for both SQL dialects, and ``tests/store/test_contract.py`` runs the
same suite against every backend.

:class:`Store` is composed of its parts, each a Protocol of its own: :class:`TrackingStore`
(experiments, runs, the one batched write path :meth:`~TrackingStore.log_batch`, search),
:class:`BrowsingStore` (what the Jupyter sidebar and the panels read beyond a search) and
:class:`MaintenanceStore` (``mlnb verify`` and ``mlnb gc``).  The values the contract returns
that are not entities (:class:`SearchResult`, :class:`RunSource`, the reports) live here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, runtime_checkable

from mlnb.entities import (
    ArtifactInfo,
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Run,
    RunInfo,
    ViewType,
)
from mlnb.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import sqlalchemy as sa
    from numpy.typing import NDArray

    from mlnb.store.location import StoreLocation
    from mlnb.store.registry_base import RegistryStore
    from mlnb.store.repository import ArtifactRepository

# the run columns of a search, in the order of each row of :attr:`SearchResult.rows`
RUN_COLUMNS = (
    "run_id",
    "experiment_id",
    "name",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "user_id",
    "parent_run_id",
)


class StoreNotReady(StoreError):
    """The database file exists but a writer has not created its tables yet (or never will)."""


@dataclass
class SearchResult:
    """Matched runs in order, and their params/metrics/tags as aligned columns.

    ``rows`` holds the run columns (:data:`RUN_COLUMNS`) of each run as a tuple; ``runs`` is the
    same as dicts.  In ``params``, ``metrics`` and ``tags`` each key maps to one value per run,
    ``None`` where the run has no such key (a metric logged as NaN is ``nan``).
    """

    rows: list[tuple[Any, ...]]
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    tags: dict[str, list[Any]] = field(default_factory=dict)
    # the metrics as one float64 array (a row per key in sorted key order) when read that way
    metric_block: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def runs(self) -> list[dict[str, Any]]:
        return [dict(zip(RUN_COLUMNS, row, strict=True)) for row in self.rows]

    @property
    def run_ids(self) -> list[str]:
        return [row[0] for row in self.rows]


class RunSource(TypedDict):
    """Where a run came from, and whether its owner is gone while it still says RUNNING."""

    notebook: str | None
    cell_id: str | None
    code_hash: str | None
    orphaned: bool


@dataclass
class VerifyReport:
    """What ``mlnb verify`` found: problems fail it, notes do not."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: int = 0
    artifacts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class GcReport:
    """What ``mlnb gc`` purged (or would, for a dry run) and what it kept."""

    purged_runs: list[str] = field(default_factory=list)
    kept_for_registry: int = 0
    removed_files: list[str] = field(default_factory=list)
    # bytes the removals free (a file shared by several paths only once its last path goes)
    freed_bytes: int = 0
    # bytes under the artifact directory afterwards (as it would be, for a dry run)
    remaining_bytes: int = 0
    # unrecorded files left alone: younger than the grace period, or of a run still RUNNING
    kept_recent: int = 0
    kept_running: int = 0
    grace_s: float = 0.0


@runtime_checkable
class TrackingStore(Protocol):
    """Experiments, runs, params, metrics, tags, inputs, artifact rows and search."""

    location: StoreLocation
    artifact_root: Path

    # --- transactions and the write-behind buffer ---------------------------------------------
    def atomic(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction (buffered writes are committed first); nested use joins it."""
        ...

    def reading(self) -> AbstractContextManager[sa.Connection]:
        """A read snapshot; buffered writes are committed first so reads see them."""
        ...

    def flush(self) -> None:
        """Commit every buffered write now (:class:`~mlnb.errors.FlushFailed` if it cannot)."""
        ...

    def close(self) -> None: ...

    def take_write_problems(self) -> list[str]:
        """One-line reports of background flush failures since the last call."""
        ...

    def lost_runs(self) -> dict[str, str]:
        """Runs of this process some of whose buffered rows were lost, with the reason."""
        ...

    # --- experiments ------------------------------------------------------------------------------
    def create_experiment(
        self, name: str, tags: dict[str, Any] | None = None, *, exist_ok: bool = False
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def list_experiments(self, view_type: int = ViewType.ACTIVE_ONLY) -> list[Experiment]: ...
    def experiment_ids_named(self, names: Sequence[str]) -> list[str]:
        """Ids of the experiments named ``names`` (:class:`ExperimentNotFound` for a name)."""
        ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def set_experiment_lifecycle(self, experiment_id: str, stage: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None: ...
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # --- runs -----------------------------------------------------------------------------------
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
    def resume_run(self, run_id: str) -> RunInfo: ...
    def finish_run(
        self, run_id: str, status: str, end_time: int | None = None, *, flush: bool = False
    ) -> None: ...
    def set_run_lifecycle(self, run_id: str, stage: str) -> None: ...
    def check_writable(self, run_id: str) -> None:
        """Raise :class:`~mlnb.errors.RunDeleted` unless the run exists and is active."""
        ...

    # --- logging --------------------------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        buffered: bool = True,
    ) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]: ...
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...

    # --- artifact rows (the files are ``store.artifacts``) --------------------------------------
    def run_dir(self, run_id: str) -> Path: ...
    def record_artifacts(self, conn: sa.Connection, run_id: str, rows: list[tuple[str, str, int]]) -> None:
        """Upsert ``(path, sha256, size)`` rows inside the caller's :meth:`atomic` block."""
        ...

    def artifact_rows(self, run_id: str, prefix: str = "") -> dict[str, tuple[str, int]]: ...
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]: ...

    # --- search ---------------------------------------------------------------------------------
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] | str | None = None,
        max_results: int = 100_000,
        view_type: int = ViewType.ACTIVE_ONLY,
        run_ids: Sequence[str] | None = None,
        experiment_names: Sequence[str] = (),
        text: str | None = None,
        details: bool = True,
    ) -> SearchResult: ...
    def search_runs_page(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        order_by: Sequence[str] | str | None,
        max_results: int,
        view_type: int,
        page_token: str | bytes | None,
    ) -> PagedList:
        """One page of runs as entities, with an opaque token for the next page (or ``None``)."""
        ...


@runtime_checkable
class BrowsingStore(Protocol):
    """What the Jupyter sidebar and the panels read besides a search."""

    def run_sources(self, run_ids: Sequence[str]) -> dict[str, RunSource]:
        """Where each run came from (notebook, cell); ``orphaned`` for a RUNNING run whose owner
        is gone.  Runs not found are left out."""
        ...

    def runs_of_notebook(self, candidates: Sequence[str]) -> list[str]:
        """Ids of the runs whose source notebook is one of ``candidates`` (paths of one notebook)."""
        ...

    def run_cells_and_metrics(
        self, run_ids: Sequence[str], metrics_per_run: int
    ) -> tuple[dict[str, str | None], dict[str, dict[str, float | None]]]:
        """The cell id of each run, and its first ``metrics_per_run`` latest metrics by name
        (NaN and infinities as ``None``): what a row of the sidebar's run list shows."""
        ...

    def latest_metric_times(self, run_ids: Sequence[str]) -> dict[str, float]:
        """Last timestamp (ms) of each metric key across ``run_ids``."""
        ...


@runtime_checkable
class MaintenanceStore(Protocol):
    """Integrity checks and garbage collection (``mlnb verify``, ``mlnb gc``)."""

    def verify(self) -> VerifyReport: ...
    def gc(
        self, older_than_s: float = 0.0, dry_run: bool = False, grace_s: float | None = None
    ) -> GcReport: ...


@runtime_checkable
class Store(TrackingStore, BrowsingStore, MaintenanceStore, Protocol):
    """The whole store: metadata (its parts above), artifact files and the model registry."""

    @property
    def artifacts(self) -> ArtifactRepository:
        """The run files: written with their sha256, verified on read."""
        ...

    @property
    def registry(self) -> RegistryStore:
        """Registered models, versions, tags and aliases."""
        ...
