"""Failures injected where the store meets the driver and the OS (shared by the buffer tests).

``failing_commits`` makes the DB-API ``commit`` of every SQLAlchemy connection fail like SQLite
does when the disk refuses a transaction: the transaction is rolled back and
``sqlite3.OperationalError`` is raised.  By default only transactions that changed something
fail (a full disk still serves reads); ``reads=True`` fails read transactions too.  ``failing_fsync`` makes ``os.fsync`` fail with an
``OSError`` (disk full by default), which is how a spill journal that cannot be kept shows.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.engine.default import DefaultDialect


class Budget:
    """How many more calls fail (``None``: all of them) after ``skip`` that pass, and how many did."""

    def __init__(self, failures: int | None, skip: int = 0) -> None:
        self.left = failures
        self.skip = skip
        self.failed = 0

    def take(self) -> bool:
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.left is None:
            self.failed += 1
            return True
        if self.left > 0:
            self.left -= 1
            self.failed += 1
            return True
        return False


@contextmanager
def failing_commits(
    monkeypatch: pytest.MonkeyPatch,
    failures: int | None = None,
    message: str = "disk I/O error",
    *,
    reads: bool = False,
    skip: int = 0,
) -> Iterator[Budget]:
    """After ``skip`` commits, the next ``failures`` (all while inside, if None) fail with ``message``."""
    budget = Budget(failures, skip)
    real_begin, real_commit = DefaultDialect.do_begin, DefaultDialect.do_commit
    changes: dict[int, int] = {}  # connection -> its total_changes when its transaction began

    def do_begin(self: Any, dbapi_connection: Any) -> None:
        changes[id(dbapi_connection)] = getattr(dbapi_connection, "total_changes", 0)
        real_begin(self, dbapi_connection)

    def do_commit(self: Any, dbapi_connection: Any) -> None:
        began = changes.get(id(dbapi_connection))
        wrote = began is None or getattr(dbapi_connection, "total_changes", 0) != began
        if (reads or wrote) and budget.take():
            dbapi_connection.rollback()
            raise sqlite3.OperationalError(message)
        real_commit(self, dbapi_connection)

    with monkeypatch.context() as patch:
        patch.setattr(DefaultDialect, "do_begin", do_begin)
        patch.setattr(DefaultDialect, "do_commit", do_commit)
        yield budget


@contextmanager
def failing_fsync(monkeypatch: pytest.MonkeyPatch, code: int = errno.ENOSPC) -> Iterator[Budget]:
    """Every ``os.fsync`` fails with ``code`` while inside."""
    budget = Budget(None)

    def fsync(fd: int) -> None:
        budget.take()
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fsync)
        yield budget
