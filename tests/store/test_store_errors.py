"""What the database driver and the file system raise reaches the user as one MlnbError line.

Faults come from the real SQLite (a lock held by another connection, a page limit that makes
it answer "database or disk is full") or are injected at the boundary with the OS (``os.fsync``
and ``os.replace`` failing as a full disk or a denied permission would make them fail).
"""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

import mlnb
from mlnb.errors import MlnbError, StoreError


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message
    return message


def test_locked_database_says_retry_or_close_the_other_writer(store_dir, monkeypatch):
    monkeypatch.setenv("MLNB_BUSY_TIMEOUT", "0.2")
    store = mlnb.get_store()  # opened with the short busy timeout
    other = sqlite3.connect(store_dir / "mlnb.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as raised:
            store.create_experiment("blocked")
    finally:
        other.execute("ROLLBACK")
        other.close()
    message = _one_line(raised.value)
    assert "locked" in message and "close the other writers" in message


def test_full_database_names_the_file_and_free_space(store, store_dir):
    mlnb.set_experiment("first")
    with store.reading() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL
    with pytest.raises(StoreError) as raised:
        for i in range(200):
            mlnb.create_experiment(f"e{i}", tags={"pad": "x" * 5000})
    message = _one_line(raised.value)
    assert "full" in message and str(store_dir / "mlnb.db") in message and "free" in message


def _failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


def test_disk_full_on_an_artifact_names_the_path(store, monkeypatch):
    with mlnb.start_run() as run, monkeypatch.context() as patch:
        patch.setattr(os, "fsync", _failing(errno.ENOSPC))
        with pytest.raises(StoreError) as raised:
            mlnb.log_text("report", "reports/summary.txt")
    message = _one_line(raised.value)
    assert "full" in message and run.info.run_id in message and "free" in message


def test_permission_denied_on_an_artifact_names_the_path(store, monkeypatch):
    def deny(src, dst, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    with mlnb.start_run(), monkeypatch.context() as patch:
        patch.setattr(os, "replace", deny)
        with pytest.raises(StoreError) as raised:
            mlnb.log_dict({"a": 1}, "config/params.json")
    message = _one_line(raised.value)
    assert "permission denied" in message and "params.json" in message


def test_name_too_long_is_an_invalid_parameter(store):
    with mlnb.start_run(), pytest.raises(MlnbError) as raised:
        mlnb.log_text("x", "a" * 300 + ".txt")
    assert "too long" in _one_line(raised.value)


def test_store_directory_that_cannot_be_created_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MlnbError) as raised:
        mlnb.set_tracking_uri(f"sqlite:///{blocker}/sub/mlnb.db")
    _one_line(raised.value)
