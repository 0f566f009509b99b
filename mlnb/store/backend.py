"""What the store's own modules need from the SQL store they work on.

:class:`mlnb.store.sql.SqlStore` composes the write-behind buffer, the spill journal, recovery,
maintenance, run pages and the registry tables.  Those modules sit *below* it: they type the
store they are handed as :class:`SqlBackend` instead of importing ``SqlStore``, so the store
module imports them and never the other way round.  Nothing above :mod:`mlnb.store` uses this
protocol: it reads and writes through :class:`mlnb.store.base.Store`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

    from mlnb.entities import Experiment
    from mlnb.store.location import StoreLocation

    # an INSERT with the dialect's ``on_conflict_do_update`` / ``on_conflict_do_nothing``
    UpsertInsert = SqliteInsert | PostgresInsert


class SqlBackend(Protocol):
    """The SQL store as its helpers see it: connections, transactions, a few shared writes."""

    location: StoreLocation
    artifact_root: Path
    host: str
    dialect: str  # "sqlite" | "postgresql"

    def atomic(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction; nested use joins the outer one."""
        ...

    def reading(self) -> AbstractContextManager[sa.Connection]:
        """A read snapshot (buffered writes are committed first)."""
        ...

    def flush(self) -> None: ...

    def run_dir(self, run_id: str) -> Path: ...

    def insert(self, table: sa.Table) -> UpsertInsert:
        """``INSERT INTO table`` in the store's dialect (it has ``on_conflict_do_*``)."""
        ...

    def upsert_tags(self, conn: sa.Connection, run_id: str, rows: dict[str, str]) -> None: ...

    def record_artifact(self, conn: sa.Connection, run_id: str, path: str, sha256: str, size: int) -> None: ...

    def experiment_key(self, experiment_id: str) -> int:
        """The database key of ``experiment_id`` (:class:`ExperimentNotFound` if it is no id)."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment: ...
