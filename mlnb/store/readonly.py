"""A store opened for reading only, for processes that browse runs but never log them.

The Jupyter server extension shows what the kernels write.  It must never write itself (no
migration, no reaping of dead runs, no new ``.mlnb`` directory), and it must never hold a
write lock that would stall a kernel: the SQLite connection is ``query_only`` and every read runs in a plain
deferred ``BEGIN``, which under WAL never blocks a writer.  Open one with
:func:`mlnb.store.open_store` (``read_only=True``, ``shared=True`` for a server's cache).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa

from mlnb import config
from mlnb.errors import StoreError, StoreReadOnly, os_errors
from mlnb.store import schema as t
from mlnb.store.base import StoreNotReady
from mlnb.store.location import StoreLocation
from mlnb.store.sql import MMAP_BYTES, SqlStore


def on_read_only_disk(location: StoreLocation) -> bool:
    """True when the store's database exists but this process cannot write its directory (a
    read-only file system: a shared snapshot, a mounted backup; or no write permission)."""
    db = location.db_file
    if db is None or not db.is_file():
        return False
    folder = db.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    return not (os.access(folder, os.W_OK) and os.access(db, os.W_OK))


def open_location(location: StoreLocation) -> SqlStore:
    """The store at ``location``: writable, or read-only when its disk cannot be written.

    A read-only store serves searches, panels and ``load_model`` (hash checks included); every
    write raises :class:`~mlnb.errors.StoreReadOnly`.
    """
    if on_read_only_disk(location):
        return ReadOnlyStore(location, frozen=True)
    return SqlStore(location)


def _wal_frames(db: Path) -> bool:
    """Whether ``db``'s write-ahead log may hold committed pages not yet in the database file."""
    try:
        return os.path.getsize(f"{db}-wal") > 32  # a WAL header alone holds no frame
    except OSError:
        return False


class ReadOnlyStore(SqlStore):
    """A :class:`SqlStore` that cannot write: read-only SQLite connection, no migrations.

    ``frozen=True`` is a store on a disk this process cannot write (see :func:`open_location`).
    SQLite reads a WAL database there only in some ways (https://sqlite.org/wal.html#readonly):
    with no committed pages in the WAL, ``immutable=1`` reads the database file alone; with
    pages in the WAL and its ``-shm`` index beside it, ``mode=ro`` reads both; with pages in
    the WAL but no ``-shm`` (a copied backup), SQLite cannot read it in place, so the database
    and its WAL are copied to a private temporary directory and read there.

    Examples
    --------
    >>> from mlnb.store.location import resolve
    >>> store = ReadOnlyStore(resolve(cwd=Path("project")))  # doctest: +SKIP
    >>> store.search_runs(["0"]).run_ids  # doctest: +SKIP
    """

    def __init__(self, location: StoreLocation, *, frozen: bool = False) -> None:
        if location.db_file is not None and not location.db_file.is_file():
            raise StoreNotReady(f"no mlnb store at {location.uri}: nothing has been tracked there yet")
        self.frozen = frozen
        self._snapshot: tempfile.TemporaryDirectory[str] | None = None
        super().__init__(location)
        self._write_mode = False

    def _read_only_error(self) -> StoreReadOnly:
        if self.frozen:
            return StoreReadOnly(
                f"the mlnb store at {self.location.uri} is read-only (its disk cannot be written); "
                "search it and load its models, but log to a store on a writable disk "
                "(mlnb.set_tracking_uri)"
            )
        return StoreReadOnly("this store was opened read-only; write through the kernel's store")

    def _frozen_uri(self, db: Path) -> str:
        if not _wal_frames(db):
            return f"{db.as_uri()}?mode=ro&immutable=1"
        if os.path.exists(f"{db}-shm"):
            return f"{db.as_uri()}?mode=ro"
        return self._snapshot_uri(db)

    def _snapshot_uri(self, db: Path) -> str:
        if self._snapshot is None:
            self._snapshot = tempfile.TemporaryDirectory(prefix="mlnb-readonly-")
            copy = Path(self._snapshot.name) / db.name
            with os_errors("copy the read-only store's database to read its WAL", db):
                shutil.copyfile(db, copy)
                shutil.copyfile(f"{db}-wal", f"{copy}-wal")
        return f"{(Path(self._snapshot.name) / db.name).as_uri()}?mode=rw"

    def _make_engine(self) -> sa.Engine:
        if self.dialect != "sqlite":
            return sa.create_engine(
                self.location.db_url,
                poolclass=sa.pool.NullPool,
                execution_options={"postgresql_readonly": True},
            )
        db = self.location.db_file
        assert db is not None
        busy_ms = int(config.busy_timeout_s() * 1000)

        def connect() -> sqlite3.Connection:
            # Not ``mode=ro``: such a connection may miss what a live writer has committed to
            # the WAL.  ``query_only`` refuses every change at the SQLite level instead, and
            # ``mode=rw`` never creates a database that is not there.
            uri = self._frozen_uri(db) if self.frozen else f"{db.as_uri()}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            no_checkpoint = getattr(sqlite3, "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE", None)
            if no_checkpoint is not None and hasattr(conn, "setconfig"):  # Python >= 3.12
                conn.setconfig(no_checkpoint, True)  # closing never writes the database either
            from mlnb.store.sqlite_support import prepare_connection

            prepare_connection(conn)  # refuses an SQLite older than mlnb supports
            return conn

        engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine

    def _prepare(self) -> None:
        with self.reading() as conn:
            version = t.current_version(conn)
        if version == 0:
            raise StoreNotReady(f"the mlnb store at {self.location.uri} is still being created")
        if version != t.LATEST:
            raise StoreError(
                f"the mlnb store at {self.location.uri} has schema version {version}, this mlnb "
                f"reads version {t.LATEST}; open it once from a notebook with this mlnb to upgrade it"
            )

    def atomic(self) -> NoReturn:
        raise self._read_only_error()

    def _transaction(self) -> NoReturn:
        raise self._read_only_error()

    def _after_buffering(self, buffered: bool) -> None:
        # a write was buffered (a new run, params, metrics, its end): nothing can keep it
        self._buffer.take()
        raise self._read_only_error()

    def flush(self) -> None:
        return None

    def close(self) -> None:
        super().close()
        if self._snapshot is not None:
            self._snapshot.cleanup()
            self._snapshot = None


_CACHE: dict[str, tuple[ReadOnlyStore, tuple[int, int] | None]] = {}
_CACHE_LOCK = threading.Lock()


def _identity(location: StoreLocation) -> tuple[int, int] | None:
    if location.db_file is None:
        return None
    try:
        st = os.stat(location.db_file)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino)


def cached_readonly(location: StoreLocation) -> ReadOnlyStore:
    """One read-only store per database for the life of the process (a server's cache).

    A database file that was deleted or replaced since it was opened is opened again, so a
    removed and re-created ``.mlnb`` is never served from the old file.
    """
    key = location.db_url
    ident = _identity(location)
    with _CACHE_LOCK:
        store, opened = _CACHE.get(key, (None, None))
        if store is not None and (store._closed or opened != ident):
            store.close()
            store = None
        if store is None:
            store = ReadOnlyStore(location, frozen=on_read_only_disk(location))
            _CACHE[key] = (store, ident)
        return store


def close_cached() -> None:
    """Close every store opened by :func:`cached_readonly`."""
    with _CACHE_LOCK:
        for store, _ident in _CACHE.values():
            try:
                store.close()
            except Exception:
                pass
        _CACHE.clear()
