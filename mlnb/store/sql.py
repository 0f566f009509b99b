"""The store: metadata in SQL (SQLite locally, PostgreSQL for teams), artifacts as files.

Only this package talks SQL or touches store files.  Concurrency rules:

* one connection per store per process, guarded by an ``RLock``; a forked child opens its own;
* every write runs in ``BEGIN IMMEDIATE`` (SQLite) so writers queue on the database lock
  (``busy_timeout``) instead of failing with "database is locked" half-way through;
* metric points are buffered for at most ``MLNB_FLUSH_INTERVAL`` seconds (default 0.2 s) and
  written in one transaction, which is what makes a 10,000-step logging loop cheap; any read
  through this store, ``end_run`` and interpreter exit flush the buffer first.  A failed flush
  keeps its rows (in memory, or in a spill journal replayed later): see :mod:`.flushing`.
"""

from __future__ import annotations

import atexit
import os
import random
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb import config
from mlnb.errors import (
    FlushFailed,
    os_errors,
)
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.base import GcReport, Store, VerifyReport
from mlnb.store.browsing import BrowsingMixin
from mlnb.store.experiments import ExperimentsMixin
from mlnb.store.flushing import BufferedWrites
from mlnb.store.location import StoreLocation
from mlnb.store.run_records import RunRecordsMixin
from mlnb.store.runs import RunsMixin
from mlnb.store.sql_errors import DRIVER_ERRORS, translate

if TYPE_CHECKING:
    from mlnb.store.backend import UpsertInsert
    from mlnb.store.registry_base import RegistryStore
    from mlnb.store.repository import ArtifactRepository

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
# Buffered rows that force a flush before MLNB_FLUSH_INTERVAL is up.  A flush rewrites every
# index page it touches (the tails of the params' (key, value) groups, the right edges of the
# tables clustered by run id) into the WAL once: with 5,000 rows (~200 runs) a run cost 12 WAL
# pages on a 10,000-run store and 18 on a 90,000-run one; with 50,000, 3 and 8
# (benchmarks/bench_scale.py, docs/benchmarks.md "Scale").
_FLUSH_AT = 50_000
# The page cache of a connection, KiB (SQLite's default is 2 MB): a flush dirties thousands of
# pages across the (key, value) indexes, and a transaction whose dirty pages outgrow the cache
# spills them to the WAL half-way and reads them back.
CACHE_KIB = 64 * 1024
# Reads map the database file: a search touches pages of several tables for thousands of runs,
# more than SQLite's default 2 MB page cache holds, and mapped pages are read without a copy.
MMAP_BYTES = 1 << 30

_live_stores: weakref.WeakSet[SqlStore] = weakref.WeakSet()


class SqlStore(ExperimentsMixin, RunsMixin, RunRecordsMixin, BrowsingMixin, BufferedWrites):
    """The :class:`mlnb.store.base.Store` contract on SQL: experiments, runs and their records in
    the database, files through :attr:`artifacts`, registered models through :attr:`registry`."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.artifact_root = location.artifact_root
        self._lock = threading.RLock()
        self._pid = -1
        self._conn: sa.Connection | None = None
        self._engine: sa.Engine | None = None
        self._abandoned: list[Any] = []  # connections inherited through fork: never closed
        self._write_mode = True
        self._init_flushing()
        self._owned_params: dict[str, dict[str, str]] = {}  # runs created here: their params
        self._active_experiments: set[int] = set()
        self._owner_pid = -1
        self._owner_started: int | None = None
        self._writable_runs: set[str] = set()
        self._closed = False
        self._artifacts: ArtifactRepository | None = None  # built on first use
        self._registry: RegistryStore | None = None
        self.host = socket.gethostname()
        self.dialect = "sqlite" if location.db_url.startswith("sqlite") else "postgresql"
        _live_stores.add(self)
        self._connection()
        self._prepare()

    # --- connections and transactions ----------------------------------------------------------
    def _make_engine(self) -> sa.Engine:
        if self.dialect == "sqlite":
            assert self.location.root is not None
            self.location.root.mkdir(parents=True, exist_ok=True)
            self.artifact_root.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                self.location.db_url,
                poolclass=sa.pool.NullPool,
                connect_args={"timeout": config.busy_timeout_s(), "check_same_thread": False},
            )
            busy_ms = int(config.busy_timeout_s() * 1000)

            @sa.event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                deadline = time.monotonic() + config.busy_timeout_s()
                while True:  # switching to WAL needs a moment of exclusive access
                    try:
                        mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                        break
                    except Exception as exc:  # sqlite3.OperationalError: database is locked
                        if "locked" not in str(exc) or time.monotonic() > deadline:
                            raise
                        time.sleep(0.01 + random.random() * 0.05)
                if str(mode).lower() != "wal":
                    warnings.warn(f"mlnb store could not switch to WAL (mode {mode})", stacklevel=2)
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
                cur.close()
                from mlnb.store.sqlite_support import prepare_connection

                prepare_connection(dbapi_conn)  # refuses an SQLite older than mlnb supports

            @sa.event.listens_for(engine, "begin")
            def _on_begin(conn: sa.Connection) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if self._write_mode else "BEGIN")

        else:
            self.artifact_root.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(self.location.db_url, poolclass=sa.pool.NullPool)
        return engine

    def _connection(self) -> sa.Connection:
        pid = os.getpid()
        if self._conn is None or self._pid != pid:
            if self._conn is not None:  # inherited through fork: keep it open, never use it
                self._abandoned.append(self._conn)
                self._abandoned.append(self._engine)
            try:
                with os_errors("create the store directory", self.location.root or ""):
                    self._engine = self._make_engine()
                self._conn = self._engine.connect()
            except DRIVER_ERRORS as exc:
                raise translate(exc, self.location, "open the mlnb store") from None
            self._pid = pid
        return self._conn

    def _after_fork_in_child(self) -> None:
        self._lock = threading.RLock()
        self._init_flushing()  # the parent keeps its buffer, spilled batches and failures
        self._owned_params = {}  # the parent owns its runs; the child checks params in the database

    @contextmanager
    def atomic(self) -> Iterator[sa.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested use joins the outer one.

        Buffered writes are committed first, so a synchronous write always follows them.
        """
        with self._lock:
            if self._buffer or self._spilled:
                self.flush()
            with self._transaction() as conn:
                yield conn

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        with self._lock:
            conn = self._connection()
            if conn.in_transaction():
                yield conn
                return
            self._write_mode = True
            try:
                with conn.begin():
                    yield conn
            except DRIVER_ERRORS as exc:
                raise translate(exc, self.location, "write to the mlnb store") from None

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A read snapshot; pending metric points are written first so reads see them."""
        with self._lock:
            self.flush()
            conn = self._connection()
            if conn.in_transaction():
                yield conn
                return
            self._write_mode = False
            try:
                with conn.begin():
                    yield conn
            except DRIVER_ERRORS as exc:
                raise translate(exc, self.location, "read the mlnb store") from None
            finally:
                self._write_mode = True

    def insert(self, table: sa.Table) -> UpsertInsert:
        """``INSERT INTO table`` in this store's dialect (it has ``on_conflict_do_*``)."""
        if self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    def _prepare(self) -> None:
        with self.reading() as conn:
            version = t.current_version(conn)
        if version != t.LATEST:
            with self.atomic() as conn:
                if (
                    t.migrate(conn)
                    and conn.execute(sa.select(sa.func.count()).select_from(t.experiments)).scalar_one() == 0
                ):
                    ts = now_ms()
                    conn.execute(
                        t.experiments.insert().values(
                            experiment_id=int(DEFAULT_EXPERIMENT_ID),
                            name=DEFAULT_EXPERIMENT_NAME,
                            lifecycle_stage="active",
                            creation_time=ts,
                            last_update_time=ts,
                        )
                    )
        self._replay_spilled()  # batches an earlier process could not write, before reaping its runs
        from mlnb.store.recovery import reap_dead_runs

        reap_dead_runs(self)

    def close(self) -> None:
        """Flush (spilling what the database refuses, raising :class:`FlushFailed`) and close."""
        try:
            self._flush(raise_errors=True, final=True)
        finally:
            self._closed = True
            self._wake.set()
            with self._lock:
                if self._conn is not None and self._pid == os.getpid():
                    self._conn.close()
                    assert self._engine is not None
                    self._engine.dispose()
                self._conn = None

    # --- the store's other parts ------------------------------------------------------------------
    @property
    def artifacts(self) -> ArtifactRepository:
        """The run files under :attr:`artifact_root` (hash on write, verify on read)."""
        if self._artifacts is None:
            from mlnb.store.artifacts import LocalArtifactRepository

            self._artifacts = LocalArtifactRepository(self, check_writable=self.check_writable)
        return self._artifacts

    @property
    def registry(self) -> RegistryStore:
        """Registered models, versions, tags and aliases, in this store's database."""
        if self._registry is None:
            from mlnb.store.registry_sql import SqlRegistryStore

            self._registry = SqlRegistryStore(self)
        return self._registry

    def verify(self) -> VerifyReport:
        """Check the database and every artifact file against its recorded size and sha256."""
        from mlnb.store.maintenance import verify

        return verify(self)

    def gc(self, older_than_s: float = 0.0, dry_run: bool = False, grace_s: float | None = None) -> GcReport:
        """Purge deleted runs and unrecorded files (see :func:`mlnb.store.maintenance.gc`)."""
        from mlnb.store.maintenance import gc

        return gc(self, older_than_s=older_than_s, dry_run=dry_run, grace_s=grace_s)

    # --- runs ------------------------------------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        return self.artifact_root / run_id

    def _after_buffering(self, buffered: bool) -> None:
        if not _worker_hook_installed:
            _flush_at_worker_exit()
        if not buffered:
            self.flush()
        elif self._flush_due() or len(self._buffer) >= _FLUSH_AT:
            self._flush(raise_errors=False)  # a failure is kept for the next synchronous flush
        else:
            self._ensure_flusher()


_worker_hook_installed = False


def _flush_at_worker_exit() -> None:
    """multiprocessing children end with os._exit (no atexit): flush through its finalizers.

    Registered at the first buffered write, because a child's registry is cleared when it
    starts its target.
    """
    global _worker_hook_installed
    if _worker_hook_installed:
        return
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _flush_all, exitpriority=100)
    _worker_hook_installed = True


@atexit.register
def _flush_all() -> None:
    """At exit (and before a fork): commit every store's buffer, or spill it, or say it is lost."""
    for store in list(_live_stores):
        try:
            store._flush(raise_errors=True, final=True)
        except FlushFailed as exc:
            if exc.kept == "lost":
                import sys

                print(f"mlnb: {exc}", file=sys.stderr)
        except Exception:
            pass


def _before_fork() -> None:
    # a child must not see runs as created that only this parent's buffer holds
    for store in list(_live_stores):
        try:
            store._flush(raise_errors=False)  # a failure stays with the parent's store
        except Exception:
            pass


def _after_fork() -> None:
    global _worker_hook_installed
    _worker_hook_installed = False  # the child's finalizer registry starts empty
    for store in list(_live_stores):
        store._after_fork_in_child()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork)

if TYPE_CHECKING:

    def _fulfils_the_contract(store: SqlStore) -> Store:
        return store  # mypy checks every method of SqlStore against the Store protocol here

