"""Committing the write-behind buffer, and what happens when the database refuses it.

A flush commits the buffer in one transaction.  When that fails the rows are never dropped
silently:

* the database is busy (another writer held its lock past ``MLNB_BUSY_TIMEOUT``): the rows stay
  in memory and the next flush retries them; after five such failures in a row they are spilled;
* any other failure (disk full, I/O error, read-only file, ...): the batch is spilled at once to
  a journal file in the store directory (:mod:`mlnb.store.spill`), which the next flush of this
  process replays in the same transaction as the rows buffered since, before them, so a run's
  end is never committed ahead of its spilled metrics; the next open of the store replays
  whatever is left;
* the journal cannot be written either: the rows stay in memory (at most
  ``MLNB_BUFFER_HOLD_ROWS`` rows) and are retried; past that bound, or when the process exits,
  they are lost and their runs are marked FAILED with the reason in the ``mlnb.failure`` tag.

A synchronous flush (:meth:`flush`, a read, ``finish_run(flush=True)``, ``close``) raises
:class:`~mlnb.errors.FlushFailed` when it fails; it returns normally only when everything
buffered is in the database.  A flush on the background thread, or the one a write triggers
on its own, never raises: its failure is remembered, given to :meth:`take_write_problems` (the
tracked cell shows it as a warning) and logged on the ``mlnb.store`` logger; rows it lost are
raised by the next synchronous flush, and a run end is then written synchronously too.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import RunStatus
from mlnb.errors import FlushFailed, StoreError
from mlnb.store import schema as t
from mlnb.store import spill
from mlnb.store._common import now_ms
from mlnb.store.buffer import WriteBuffer

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mlnb.store.backend import UpsertInsert
    from mlnb.store.location import StoreLocation

_log = logging.getLogger("mlnb.store")
_log.addHandler(logging.NullHandler())  # shown where logging is set up; the cell shows them anyway
BUSY_RETRIES = 5  # failed flushes on a busy database before the rows are spilled
FAILURE_TAG = "mlnb.failure"
_HEARTBEAT_EVERY_MS = 30_000
_MAX_PROBLEMS = 20
_MAX_BACKOFF = 16  # the flush interval grows up to this factor while flushes fail


class BufferedWrites:
    """The flush half of :class:`~mlnb.store.sql.SqlStore` (a mixin; see the module docstring)."""

    location: StoreLocation
    host: str
    _lock: threading.RLock
    _closed: bool

    if TYPE_CHECKING:

        def _transaction(self) -> AbstractContextManager[sa.Connection]: ...

        def atomic(self) -> AbstractContextManager[sa.Connection]: ...

        def insert(self, table: sa.Table) -> UpsertInsert: ...

    def _init_flushing(self) -> None:
        self._buffer = WriteBuffer()
        self._spilled: list[Path] = []  # this process's batch files not yet replayed
        self._failures = 0  # failed flushes in a row
        self._deferred: FlushFailed | None = None  # a failure no caller has heard of yet
        self._problems: list[str] = []
        self._lost: dict[str, str] = {}  # run id -> why some of its rows were lost
        self._hold_rows = config.buffer_hold_rows()
        self._flush_interval = config.flush_interval_s()
        self._last_flush = time.monotonic()
        self._last_heartbeat = 0
        self._flusher: threading.Thread | None = None
        self._wake = threading.Event()

    # --- the public side ---------------------------------------------------------------------
    def flush(self) -> None:
        """Commit every buffered write now, in one transaction.

        Raises
        ------
        FlushFailed
            When the rows could not be committed; the message says why, where they are kept
            (in memory, or in a spill file inside the store directory) and what to do.  Also
            raised for rows an earlier background flush had to drop.

        Examples
        --------
        >>> store.log_batch(run_id, metrics=[Metric("loss", 0.3, 0, 1)])  # doctest: +SKIP
        >>> store.flush()  # the point is in the database  # doctest: +SKIP
        """
        self._flush(raise_errors=True)

    def take_write_problems(self) -> list[str]:
        """One-line reports of background flush failures (and recoveries) since the last call."""
        with self._lock:
            problems, self._problems = self._problems, []
        return problems

    def lost_runs(self) -> dict[str, str]:
        """Runs of this process some of whose buffered rows were lost, with the reason."""
        with self._lock:
            return dict(self._lost)

    @property
    def write_trouble(self) -> bool:
        """True while buffered rows are not in the database (held, spilled) or a loss is unreported."""
        return bool(self._failures or self._spilled or self._deferred is not None)

    # --- flushing ------------------------------------------------------------------------------
    def _flush(self, *, raise_errors: bool, final: bool = False) -> None:
        with self._lock:
            if not self._buffer and not self._spilled:
                self._last_flush = time.monotonic()
                self._raise_deferred(raise_errors)
                return
            batch = self._buffer.take()
            self._mark_lost_runs(batch)
            spilled = list(self._spilled)
            try:
                with self._transaction() as conn:
                    for path in spilled:
                        spill.replay(self, conn, path)
                    batch.apply(self, conn)
                    self._heartbeat(conn)
            except Exception as exc:
                error = self._failed(batch, exc, final)
                self._last_flush = time.monotonic()
                if raise_errors:
                    self._deferred = None
                    raise error from None
                self._defer(error)
                return
            self._spilled = self._spilled[len(spilled) :]
            spill.remove(spilled)
            if self._failures and self._deferred is not None and self._deferred.kept != "lost":
                self._note(
                    f"the mlnb store at {self.location.uri} accepts writes again: the rows held "
                    f"back ({len(spilled)} spilled batches) are written, nothing was lost"
                )
                self._deferred = None
            self._failures = 0
            self._last_flush = time.monotonic()
            self._raise_deferred(raise_errors)

    def _failed(self, batch: WriteBuffer, exc: BaseException, final: bool) -> FlushFailed:
        """Keep ``batch`` (memory, journal) or record its loss; the error that says which."""
        self._failures += 1
        cause = _cause(exc)
        reason = _reason(cause)
        where = f"the mlnb store at {self.location.uri}"
        fix = _advice(cause)
        runs = _run_ids(batch)
        what = f"{len(batch)} buffered rows ({spill.describe(batch)})"
        if not batch:  # only the replay of earlier spilled batches failed: they stay on disk
            return FlushFailed(
                f"could not write the rows spilled earlier to {where} ({reason}); they stay in "
                f"{self._spilled[0].parent}: {fix}, then call mlnb.flush()",
                kept="journal",
                path=str(self._spilled[0].parent),
            )
        if _is_busy(cause) and self._failures < BUSY_RETRIES and not final:
            self._buffer.restore(batch)
            return FlushFailed(
                f"could not write {what} to {where}: it stayed locked for "
                f"{config.busy_timeout_s():g} s; they are kept in memory and retried at the next "
                "flush: let the other writer finish or raise MLNB_BUSY_TIMEOUT",
                kept="memory",
                run_ids=runs,
            )
        root = self.location.root
        if root is None:
            journal = "a database server's store has no directory for a spill journal"
        else:
            try:
                path = spill.write(root, batch, reason)
            except OSError as jexc:
                journal = f"{spill.spill_dir(root)}: {jexc.strerror or jexc}"
            else:
                self._spilled.append(path)
                return FlushFailed(
                    f"could not write {what} to {where} ({reason}); they are kept in {path} and "
                    f"written by the next successful flush or the next open of the store: {fix}, "
                    "then call mlnb.flush()",
                    kept="journal",
                    path=str(path),
                    run_ids=runs,
                )
        self._buffer.restore(batch)
        data = _data_rows(self._buffer)
        if data and (final or len(self._buffer) > self._hold_rows):
            held = self._buffer.take()
            lost = _run_ids(data)
            self._lose(held, f"{reason}; spill journal: {journal}")
            return FlushFailed(
                f"lost {len(data)} buffered rows ({spill.describe(data)}) of run(s) "
                f"{', '.join(lost)[:200]}: neither {where} ({reason}) nor the spill journal "
                f"({journal}) accepted them; the runs are marked FAILED: {fix}",
                kept="lost",
                run_ids=lost,
            )
        return FlushFailed(
            f"could not write {what} to {where} ({reason}) nor to its spill journal ({journal}); "
            f"they are kept in memory only, retried, and lost if this process ends first: {fix}, "
            "then call mlnb.flush()",
            kept="memory",
            run_ids=runs,
        )

    def _lose(self, rows: WriteBuffer, reason: str) -> None:
        """Drop the data of ``rows`` but keep (and fail) their runs: run rows, ends, a failure tag."""
        data = _data_rows(rows)
        for run_id in _run_ids(data):
            count = spill.describe(_data_rows(rows, run_id))
            self._lost.setdefault(run_id, f"{count} buffered for the run were lost: {reason}"[:1000])
        kept = WriteBuffer(
            runs=[{**row, "status": RunStatus.FAILED, "end_time": now_ms()} for row in rows.runs],
            tags=[
                {"run_id": run_id, "key": FAILURE_TAG, "value": self._lost[run_id]}
                for run_id in _run_ids(rows)
                if run_id in self._lost
            ],
            ends=rows.ends,
        )
        self._buffer.restore(kept)

    def _mark_lost_runs(self, batch: WriteBuffer) -> None:
        """A run that lost rows never ends as FINISHED."""
        for end in batch.ends:
            if end["b_run_id"] in self._lost:
                end["b_status"] = RunStatus.FAILED

    def _defer(self, error: FlushFailed) -> None:
        if self._deferred is None or self._deferred.kept != "lost" or error.kept == "lost":
            self._deferred = error
        if self._failures == 1 or error.kept == "lost":  # once per outage, not every 0.2 s
            self._note(str(error))

    def _note(self, message: str) -> None:
        _log.warning("%s", message)
        if len(self._problems) < _MAX_PROBLEMS:
            self._problems.append(message)

    def _raise_deferred(self, raise_errors: bool) -> None:
        if raise_errors and self._deferred is not None and self._deferred.kept == "lost":
            error, self._deferred = self._deferred, None
            raise error

    def _heartbeat(self, conn: sa.Connection) -> None:
        ts = now_ms()
        if ts - self._last_heartbeat < _HEARTBEAT_EVERY_MS:
            return
        self._last_heartbeat = ts
        conn.execute(
            t.runs.update()
            .where(
                t.runs.c.status == RunStatus.RUNNING,
                t.runs.c.owner_host == self.host,
                t.runs.c.owner_pid == os.getpid(),
            )
            .values(heartbeat=ts)
        )

    def _flush_due(self) -> bool:
        backoff = min(2**self._failures, _MAX_BACKOFF) if self._failures else 1
        return time.monotonic() - self._last_flush >= self._flush_interval * backoff

    def _ensure_flusher(self) -> None:
        if self._flusher is not None and self._flusher.is_alive():
            return
        ref = weakref.ref(self)

        def loop() -> None:
            while True:
                store = ref()
                if store is None or store._closed:
                    return
                wake, failures = store._wake, store._failures
                del store
                wake.wait(config.flush_interval_s() * (min(2**failures, _MAX_BACKOFF) if failures else 1))
                store = ref()
                if store is None:
                    return
                try:
                    store._flush(raise_errors=False)
                except Exception as exc:  # never expected: _flush reports its own failures
                    _log.warning("mlnb background flush failed: %s", exc)
                if not store._buffer and not store._spilled and store._closed:
                    return
                del store

        self._flusher = threading.Thread(target=loop, name="mlnb-flush", daemon=True)
        self._flusher.start()

    # --- the next open ---------------------------------------------------------------------------
    def _replay_spilled(self) -> int:
        """Replay batches spilled by any process (called when the store opens); rows written."""
        root = self.location.root
        if root is None:
            return 0
        try:
            paths = spill.pending(root)
        except StoreError as exc:
            self._note(str(exc))
            return 0
        written = 0
        for path in paths:
            try:
                with self.atomic() as conn:
                    written += spill.replay(self, conn, path)
            except Exception as exc:
                self._note(
                    f"could not replay the spilled batch {path} into the mlnb store at "
                    f"{self.location.uri} ({_reason(_cause(exc))}); it is kept and retried at the next open"
                )
                continue
            spill.remove([path])
        return written


def _cause(exc: BaseException) -> BaseException:
    """The driver's exception behind SQLAlchemy's and our own wrappers."""
    seen: BaseException | None = exc
    last = exc
    while seen is not None:
        last = seen
        orig = getattr(seen, "orig", None)
        if isinstance(orig, BaseException):
            return orig
        seen = seen.__cause__ or seen.__context__
    return last


def _reason(cause: BaseException) -> str:
    text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return text[:200]


def _is_busy(cause: BaseException) -> bool:
    text = str(cause).lower()
    return isinstance(cause, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _advice(cause: BaseException) -> str:
    text = str(cause).lower()
    if "full" in text or "no space" in text or "quota" in text:
        return "free disk space"
    if "readonly" in text or "read-only" in text or "permission" in text or "access" in text:
        return "make the store directory and its files writable"
    if "i/o" in text or "disk" in text:
        return "check the disk holding the store"
    return "fix the cause"


def _data_rows(rows: WriteBuffer, run_id: str | None = None) -> WriteBuffer:
    """The logged data among ``rows`` (params, tags, metric points), without the runs' own rows,
    ends and failure marks, of one run or all."""

    def mine(rid: str) -> bool:
        return run_id is None or rid == run_id

    return WriteBuffer(
        tags=[r for r in rows.tags if r["key"] != FAILURE_TAG and mine(r["run_id"])],
        params=[r for r in rows.params if mine(r["run_id"])],
        points=[p for p in rows.points if mine(p[0])],
    )


def _run_ids(rows: WriteBuffer) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for row in rows.runs:
        seen.setdefault(row["run_id"], None)
    for row in (*rows.tags, *rows.params):
        seen.setdefault(row["run_id"], None)
    for point in rows.points:
        seen.setdefault(point[0], None)
    for end in rows.ends:
        seen.setdefault(end["b_run_id"], None)
    return tuple(seen)
