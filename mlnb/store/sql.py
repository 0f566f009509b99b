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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import (
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from mlnb.errors import (
    ExperimentNotFound,
    FlushFailed,
    InvalidParameter,
    InvalidState,
    ParamConflict,
    RunDeleted,
    RunNotFound,
    TagNotFound,
    os_errors,
)
from mlnb.store import schema as t
from mlnb.store._common import new_run_id, now_ms, os_user, process_start_ticks, random_run_name
from mlnb.store.base import GcReport, Store, VerifyReport
from mlnb.store.browsing import BrowsingMixin
from mlnb.store.experiments import ExperimentsMixin
from mlnb.store.flushing import BufferedWrites
from mlnb.store.location import StoreLocation
from mlnb.store.run_records import RunRecordsMixin
from mlnb.store.sql_errors import DRIVER_ERRORS, translate
from mlnb.store.values import (
    check_int,
    check_key,
    check_text,
    decode_metric,
    encode_metric,
    metric_value,
)

if TYPE_CHECKING:
    from mlnb.store.backend import UpsertInsert
    from mlnb.store.registry_base import RegistryStore
    from mlnb.store.repository import ArtifactRepository

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
_FLUSH_AT = 5000  # buffered metric points that force a flush
# Reads map the database file: a search touches pages of several tables for thousands of runs,
# more than SQLite's default 2 MB page cache holds, and mapped pages are read without a copy.
MMAP_BYTES = 1 << 30

_live_stores: weakref.WeakSet[SqlStore] = weakref.WeakSet()


class _Row:
    """Attribute access to a run row built in memory (same shape as a database row)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class SqlStore(ExperimentsMixin, RunRecordsMixin, BrowsingMixin, BufferedWrites):
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

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
        source: dict[str, str | None] | None = None,
    ) -> RunInfo:
        exp_key = self.experiment_key(experiment_id)
        if run_name is None or run_name == "":
            run_name = random_run_name()
        run_name = check_text(run_name, "run name")
        user = os_user()
        run_id = new_run_id()
        ts = now_ms() if start_time is None else check_int(start_time, "start_time")
        all_tags = {"mlflow.runName": run_name, "mlflow.user": user}
        if parent_run_id:
            all_tags["mlflow.parentRunId"] = parent_run_id
        for key, value in (tags or {}).items():
            all_tags[check_key(key, "tag key")] = check_text(value, f"tag {key!r}")
        source = source or {}
        if exp_key not in self._active_experiments:
            with self.reading() as conn:
                exp = conn.execute(
                    sa.select(t.experiments.c.lifecycle_stage).where(t.experiments.c.experiment_id == exp_key)
                ).first()
            if exp is None:
                raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
            if exp[0] != "active":
                raise InvalidState(
                    f"experiment {experiment_id!r} is deleted; restore it or use another experiment"
                )
            self._active_experiments.add(exp_key)
        if parent_run_id and parent_run_id not in self._owned_params:
            with self.reading() as conn:
                self._run_row(conn, parent_run_id)
        pid = os.getpid()
        if self._owner_started is None or self._owner_pid != pid:
            self._owner_pid, self._owner_started = pid, process_start_ticks(pid)
        row = {
            "run_id": run_id,
            "experiment_id": exp_key,
            "name": run_name,
            "status": RunStatus.RUNNING,
            "start_time": ts,
            "end_time": None,
            "lifecycle_stage": "active",
            "deleted_time": None,
            "parent_run_id": parent_run_id,
            "user_id": user,
            "owner_host": self.host,
            "owner_pid": pid,
            "owner_started": self._owner_started,
            "heartbeat": now_ms(),
            "source_notebook": source.get("notebook"),
            "source_cell_id": source.get("cell_id"),
            "source_code_hash": source.get("code_hash"),
        }
        with self._lock:
            self._buffer.runs.append(row)
            self._buffer.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in all_tags.items())
            self._owned_params[run_id] = {}
            self._writable_runs.add(run_id)
            self._after_buffering(True)
        return self._run_info(_Row(row))

    def _run_row(self, conn: sa.Connection, run_id: str) -> sa.Row[Any]:
        if not isinstance(run_id, str):
            raise RunNotFound(f"run id {run_id!r} must be a string of 32 hex characters")
        row = conn.execute(sa.select(t.runs).where(t.runs.c.run_id == run_id)).first()
        if row is None:
            raise RunNotFound(
                f"no run with id {run_id!r} in the store at {self.location.uri}; check the id "
                "with mlnb.search_runs() or `mlnb runs ls`"
            )
        return row

    def _run_info(self, row: Any) -> RunInfo:
        return RunInfo(
            run_id=row.run_id,
            run_name=row.name,
            experiment_id=str(row.experiment_id),
            status=row.status,
            start_time=row.start_time,
            end_time=row.end_time,
            lifecycle_stage=row.lifecycle_stage,
            artifact_uri=self.run_dir(row.run_id).as_uri(),
            user_id=row.user_id,
            parent_run_id=row.parent_run_id,
        )

    def get_run_info(self, run_id: str) -> RunInfo:
        with self.reading() as conn:
            return self._run_info(self._run_row(conn, run_id))

    def get_run(self, run_id: str) -> Run:
        with self.reading() as conn:
            row = self._run_row(conn, run_id)
            params = dict(
                conn.execute(
                    sa.select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
                ).all()
            )
            tags = dict(
                conn.execute(sa.select(t.tags.c.key, t.tags.c.value).where(t.tags.c.run_id == run_id)).all()
            )
            lm = t.latest_metrics
            metrics = {
                key: decode_metric(value, special)
                for key, value, special in conn.execute(
                    sa.select(lm.c.key, lm.c.value, lm.c.special).where(lm.c.run_id == run_id)
                ).all()
            }
            inputs = RunInputs(tuple(self._inputs(conn, run_id)))
        return Run(self._run_info(row), RunData(params, metrics, tags), inputs)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RunStatus.ALL:
                raise InvalidParameter(f"run status {status!r} is not one of {', '.join(RunStatus.ALL)}")
            values["status"] = status
            if status in RunStatus.TERMINAL:
                values["end_time"] = now_ms() if end_time is None else check_int(end_time, "end_time")
        elif end_time is not None:
            values["end_time"] = check_int(end_time, "end_time")
        self.flush()
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            if run_name is not None:
                run_name = check_text(run_name, "run name")
                values["name"] = run_name
                self.upsert_tags(conn, run_id, {"mlflow.runName": run_name})
            if values:
                conn.execute(t.runs.update().where(t.runs.c.run_id == run_id).values(**values))
            return self._run_info(self._run_row(conn, run_id))

    def resume_run(self, run_id: str) -> RunInfo:
        """Reopen a run: it becomes RUNNING again, owned by this process."""
        with self.atomic() as conn:
            row = self._run_row(conn, run_id)
            if row.lifecycle_stage != "active":
                raise InvalidState(f"run {run_id} is deleted; restore it before resuming it")
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(
                    status=RunStatus.RUNNING,
                    end_time=None,
                    owner_host=self.host,
                    owner_pid=os.getpid(),
                    owner_started=process_start_ticks(os.getpid()),
                    heartbeat=now_ms(),
                )
            )
            row = self._run_row(conn, run_id)
        self._writable_runs.add(run_id)
        return self._run_info(row)

    def set_run_lifecycle(self, run_id: str, stage: str) -> None:
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(lifecycle_stage=stage, deleted_time=now_ms() if stage == "deleted" else None)
            )
        self._writable_runs.discard(run_id)

    def check_writable(self, run_id: str) -> None:
        if run_id in self._writable_runs:
            return
        with self.reading() as conn:
            row = self._run_row(conn, run_id)
        if row.lifecycle_stage != "active":
            raise RunDeleted(
                f"run {run_id} is deleted; restore it with mlnb.restore_run({run_id!r}) to log to it"
            )
        self._writable_runs.add(run_id)

    # --- logging ---------------------------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        buffered: bool = True,
    ) -> None:
        """The one write path for params, tags and metric points.

        Everything is validated now; a param that conflicts with its logged value raises here
        with nothing of the batch written.  The writes are buffered and committed within
        ``MLNB_FLUSH_INTERVAL`` seconds (or now with ``buffered=False``).  Params of runs not
        created by this process are checked against the database and written at once.
        """
        param_rows = {
            check_key(k, "param key"): check_text(v, f"param {k!r}") for k, v in (params or {}).items()
        }
        tag_rows = {check_key(k, "tag key"): check_text(v, f"tag {k!r}") for k, v in (tags or {}).items()}
        points = []
        for m in metrics:
            key = check_key(m.key, "metric key")
            value, special = encode_metric(metric_value(m.value, key))
            points.append(
                (run_id, key, value, special, check_int(m.step, "step"), check_int(m.timestamp, "timestamp"))
            )
        self.check_writable(run_id)
        if "mlflow.runName" in tag_rows:  # the tag names the run, as in MLflow: keep both in step
            self.update_run(run_id, run_name=tag_rows["mlflow.runName"])
        with self._lock:
            known = self._owned_params.get(run_id)
            if param_rows and known is None:
                with self.atomic() as conn:
                    self._insert_params(conn, run_id, param_rows)
            elif param_rows and known is not None:
                _check_param_conflicts(run_id, known, param_rows)
                new = {k: v for k, v in param_rows.items() if k not in known}
                known.update(new)
                self._buffer.params.extend({"run_id": run_id, "key": k, "value": v} for k, v in new.items())
            self._buffer.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in tag_rows.items())
            self._buffer.points.extend(points)
            self._after_buffering(buffered)

    def finish_run(
        self, run_id: str, status: str, end_time: int | None = None, *, flush: bool = False
    ) -> None:
        """End a run with a terminal status.

        Like every write of a run, the end is committed within ``MLNB_FLUSH_INTERVAL`` seconds,
        at the next read or synchronous write, at interpreter exit (also in multiprocessing
        workers that exit normally), or at once with ``flush=True`` / :meth:`flush`.  A loop of
        short runs thus commits a few hundred runs per transaction.
        """
        if status not in RunStatus.TERMINAL:
            raise InvalidParameter(f"a run ends as one of {', '.join(RunStatus.TERMINAL)}, not {status!r}")
        self.check_writable(run_id)
        end = now_ms() if end_time is None else check_int(end_time, "end_time")
        with self._lock:
            self._buffer.ends.append({"b_run_id": run_id, "b_status": status, "b_end_time": end})
            # while writes fail, a run's end is written (or its failure raised) at once
            self._after_buffering(not flush and not self.write_trouble)

    def _after_buffering(self, buffered: bool) -> None:
        if not _worker_hook_installed:
            _flush_at_worker_exit()
        if not buffered:
            self.flush()
        elif self._flush_due() or len(self._buffer) >= _FLUSH_AT:
            self._flush(raise_errors=False)  # a failure is kept for the next synchronous flush
        else:
            self._ensure_flusher()

    def _insert_params(self, conn: sa.Connection, run_id: str, rows: dict[str, str]) -> None:
        p = t.params
        existing = dict(
            conn.execute(
                sa.select(p.c.key, p.c.value).where(p.c.run_id == run_id, p.c.key.in_(list(rows)))
            ).all()
        )
        _check_param_conflicts(run_id, existing, rows)
        new = [{"run_id": run_id, "key": k, "value": v} for k, v in rows.items() if k not in existing]
        if new:
            conn.execute(p.insert(), new)

    def upsert_tags(self, conn: sa.Connection, run_id: str, rows: dict[str, str]) -> None:
        stmt = self.insert(t.tags)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
        )
        conn.execute(stmt, [{"run_id": run_id, "key": k, "value": v} for k, v in rows.items()])

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            done = conn.execute(
                t.tags.delete().where(t.tags.c.run_id == run_id, t.tags.c.key == key)
            ).rowcount
            if not done:
                raise TagNotFound(f"run {run_id} has no tag {key!r} to delete")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        m = t.metrics
        with self.reading() as conn:
            self._run_row(conn, run_id)
            rows = conn.execute(
                sa.select(m.c.key, m.c.value, m.c.special, m.c.timestamp, m.c.step)
                .where(m.c.run_id == run_id, m.c.key == key)
                .order_by(m.c.step, m.c.timestamp, m.c.id)
            ).all()
        return [Metric(k, decode_metric(v, s), ts, step) for k, v, s, ts, step in rows]


def _check_param_conflicts(run_id: str, existing: dict[str, str], rows: dict[str, str]) -> None:
    for key, value in rows.items():
        if key in existing and existing[key] != value:
            raise ParamConflict(
                f"param {key!r} of run {run_id} is already {existing[key]!r}, cannot change it "
                f"to {value!r}: params are immutable; log the new value under another key or "
                "start a new run"
            )


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

