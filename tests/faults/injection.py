"""Fault injection at the boundary with the OS and the SQLite driver, in the manner of SQLite's tests.

An :class:`Injector` counts the calls of each *kind* the store makes and makes the Nth one fail:

``commit``
    ``commit()`` of the DB-API (``sqlite3``) connection, of a transaction that wrote (a read
    transaction's commit writes nothing); the transaction is rolled back first, as SQLite does
    when its commit hits an I/O error.
``execute``
    a write statement (``BEGIN IMMEDIATE``, ``INSERT``, ``UPDATE``, ``DELETE``...) run through a
    driver cursor (``execute``/``executemany``); it fails before it runs.
``fsync``
    ``os.fsync`` (SQLite's own fsyncs happen inside the library and are covered by ``commit``).
``create``
    opening a file for writing inside the store (``os.open`` with ``O_CREAT``/``O_WRONLY``,
    ``open``/``io.open`` in a write mode) -- ``tempfile.mkstemp`` goes through ``os.open``.
``write``
    ``write()`` of a file object opened for writing inside the store, and ``os.write`` on such a
    file; half of the bytes are written before the error, as a file system that fills up does.
``replace``
    ``os.replace``/``os.rename`` inside the store.
``link``
    ``os.link`` inside the store.

Nothing of mlnb is replaced: the driver connection comes from ``sqlite3.connect`` (patched to
pass a connection ``factory``), and the ``os``/``io`` functions are wrapped for the paths under
the store's directory only.

The errors are the ones a full disk, a permission change or a failing device give:
``OSError(ENOSPC)``, ``PermissionError(EACCES)``, ``OSError(EIO)`` for the OS kinds and
``sqlite3.OperationalError`` with SQLite's own messages for the driver kinds.  A fault is
*transient* (the Nth call alone fails, as an I/O error that a retry gets past) or *persistent*
(the Nth and every later call of that kind fail until :meth:`Injector.disarm`, as a disk that
stays full).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
import sqlite3.dbapi2
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("commit", "execute", "fsync", "create", "write", "replace", "link")
DB_KINDS = ("commit", "execute")

OS_ERRORS = {
    "disk-full": (OSError, errno.ENOSPC, "No space left on device"),
    "permission": (PermissionError, errno.EACCES, "Permission denied"),
    "io-error": (OSError, errno.EIO, "Input/output error"),
}
DB_ERRORS = {
    "disk-full": "database or disk is full",
    "permission": "attempt to write a readonly database",
    "io-error": "disk I/O error",
}
ERRORS = tuple(OS_ERRORS)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_READ_ONLY_SQL = ("SELECT", "PRAGMA", "WITH", "EXPLAIN")


def make_error(kind: str, error: str, path: Any = None) -> BaseException:
    if kind in DB_KINDS:
        return sqlite3.OperationalError(DB_ERRORS[error])
    cls, code, text = OS_ERRORS[error]
    if path is None:
        return cls(code, text)
    return cls(code, text, os.fsdecode(path) if not isinstance(path, int) else str(path))


@dataclass
class Fault:
    kind: str
    n: int
    error: str
    persistent: bool

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.n}-{self.error}-{'persistent' if self.persistent else 'transient'}"


class Injector:
    """Counts calls per kind under ``root`` and raises at the armed one.  Install once per process."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.counts: Counter[str] = Counter()
        self.fault: Fault | None = None
        self.fired = 0  # how many calls the armed fault made fail
        self.counting = False
        self._lock = threading.RLock()
        self._saved: dict[tuple[Any, str], Any] = {}

    # --- arming ---------------------------------------------------------------------------------
    def start(self, root: Path, fault: Fault | None = None) -> None:
        """Count (and with ``fault``, fail) calls under ``root`` from now on."""
        with self._lock:
            self.root = os.path.realpath(root) + os.sep
            self.counts = Counter()
            self.fault = fault
            self.fired = 0
            self.counting = True

    def disarm(self) -> None:
        """Stop failing and counting: the disk has been freed, the device is back."""
        with self._lock:
            self.counting = False
            self.fault = None

    def hit(self, kind: str, path: Any = None) -> None:
        """Count one call of ``kind``; raise if it is the one (or, persistent, one after) armed."""
        with self._lock:
            if not self.counting:
                return
            self.counts[kind] += 1
            fault = self.fault
            if fault is None or fault.kind != kind:
                return
            n = self.counts[kind]
            if n == fault.n or (fault.persistent and n > fault.n):
                self.fired += 1
                if os.environ.get("MLNB_FAULTS_TRACE"):
                    import traceback

                    traceback.print_stack(file=sys.__stderr__)
                raise make_error(kind, fault.error, path)

    def inside(self, path: Any) -> bool:
        root = self.root
        if root is None or not self.counting:
            return False
        try:
            if isinstance(path, int):
                target = os.readlink(f"/proc/self/fd/{path}")
            else:
                target = os.path.realpath(os.path.join(os.fspath(path)))
        except (OSError, TypeError, ValueError):
            return False
        return (target + os.sep).startswith(root) if os.path.isdir(target) else target.startswith(root)

    # --- installing the wrappers ----------------------------------------------------------------
    def install(self) -> None:
        if self._saved:
            return
        inj = self

        def patch(owner: Any, name: str, wrapper: Any) -> None:
            self._saved[(owner, name)] = getattr(owner, name)
            setattr(owner, name, wrapper)

        real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename
        real_link, real_os_open, real_write = os.link, os.open, os.write
        real_open = builtins.open

        def fsync(fd: Any) -> None:
            if inj.inside(fd if isinstance(fd, int) else fd.fileno()):
                inj.hit("fsync")  # (fsync's errors name no file)
            return real_fsync(fd)

        def replace(src: Any, dst: Any, **kw: Any) -> None:
            if inj.inside(dst) or inj.inside(src):
                inj.hit("replace", dst)
            return real_replace(src, dst, **kw)

        def rename(src: Any, dst: Any, **kw: Any) -> None:
            if inj.inside(dst) or inj.inside(src):
                inj.hit("replace", dst)
            return real_rename(src, dst, **kw)

        def link(src: Any, dst: Any, **kw: Any) -> None:
            if inj.inside(os.path.dirname(os.fspath(dst)) or "."):
                inj.hit("link", dst)
            return real_link(src, dst, **kw)

        def os_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
            if flags & _WRITE_FLAGS and inj.inside(os.path.dirname(os.fspath(path)) or "."):
                inj.hit("create", path)
            return real_os_open(path, flags, mode, **kw)

        def os_write(fd: int, data: Any) -> int:
            if inj.inside(fd):
                try:
                    inj.hit("write", fd)
                except OSError:
                    real_write(fd, bytes(data)[: len(data) // 2])
                    raise
            return real_write(fd, data)

        def opener(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            writing = any(c in mode for c in "wax+")
            if writing and not isinstance(file, int):
                where = os.path.dirname(os.path.abspath(os.fspath(file)))
                if inj.inside(where):
                    inj.hit("create", file)
            fh = real_open(file, mode, *args, **kwargs)
            if writing and inj.inside(file if not isinstance(file, int) else fh.fileno()):
                return _FaultyFile(fh, inj)
            return fh

        patch(os, "fsync", fsync)
        patch(os, "replace", replace)
        patch(os, "rename", rename)
        patch(os, "link", link)
        patch(os, "open", os_open)
        patch(os, "write", os_write)
        patch(builtins, "open", opener)
        patch(io, "open", opener)  # os.fdopen and pathlib open through io.open
        real_connect = sqlite3.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            kwargs.setdefault("factory", _faulty_connection_class(inj))
            return real_connect(*args, **kwargs)

        patch(sqlite3, "connect", connect)
        patch(sqlite3.dbapi2, "connect", connect)  # what SQLAlchemy's pysqlite dialect calls

    def uninstall(self) -> None:
        for (owner, name), original in self._saved.items():
            setattr(owner, name, original)
        self._saved.clear()


class _FaultyFile:
    """A file object opened for writing in the store: ``write`` can fail (half written)."""

    def __init__(self, fh: Any, inj: Injector) -> None:
        self._fh = fh
        self._inj = inj

    def write(self, data: Any) -> int:
        try:
            self._inj.hit("write", self._fh.name if isinstance(self._fh.name, str) else None)
        except OSError:
            self._fh.write(data[: len(data) // 2])
            self._fh.flush()
            raise
        return self._fh.write(data)

    def __enter__(self) -> _FaultyFile:
        self._fh.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._fh.__exit__(*exc)

    def __iter__(self) -> Any:
        return iter(self._fh)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


_classes: dict[int, type] = {}


def _faulty_connection_class(inj: Injector) -> type:
    cls = _classes.get(id(inj))
    if cls is not None:
        return cls

    class FaultyCursor(sqlite3.Cursor):
        def execute(self, sql: str, *args: Any) -> Any:  # type: ignore[override]
            text = sql.lstrip().upper()
            if text != "BEGIN" and not text.startswith(_READ_ONLY_SQL):  # (BEGIN alone: a read)
                self.connection.wrote = True  # type: ignore[attr-defined]
                inj.hit("execute")
            return super().execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:  # type: ignore[override]
            self.connection.wrote = True  # type: ignore[attr-defined]
            inj.hit("execute")
            return super().executemany(sql, *args)

    class FaultyConnection(sqlite3.Connection):
        def cursor(self, factory: Any = FaultyCursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

        def execute(self, sql: str, *args: Any) -> Any:  # type: ignore[override]
            return self.cursor().execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:  # type: ignore[override]
            return self.cursor().executemany(sql, *args)

        wrote = False  # a write statement ran since the last commit: this commit writes

        def commit(self) -> None:
            wrote, self.wrote = self.wrote, False
            if self.in_transaction and wrote:
                try:
                    inj.hit("commit")
                except sqlite3.Error:
                    super().rollback()  # what SQLite does when the commit's write fails
                    raise
            super().commit()

        def rollback(self) -> None:
            self.wrote = False
            super().rollback()

    _classes[id(inj)] = FaultyConnection
    return FaultyConnection


INJECTOR = Injector()
