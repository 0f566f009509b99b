"""The only global mutable state of mlnb: the active store, experiment and run stack."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from mlnb import config

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore
    from mlnb.tracking.fluent import ActiveRun

lock = threading.RLock()
_explicit_uri: str | None = None
_store: SqlStore | None = None
_store_env: str | None = None
experiment_id: str | None = None
run_stack: list[ActiveRun] = []
last_run_id: str | None = None


def set_store(uri: str | os.PathLike[str] | None) -> SqlStore | None:
    """Use the store at ``uri`` from now on (``None`` goes back to automatic discovery)."""
    global _explicit_uri, _store, experiment_id
    with lock:
        if run_stack:
            from mlnb.errors import InvalidState

            raise InvalidState(
                f"run {run_stack[-1].info.run_id} is active; end it with mlnb.end_run() before "
                "switching stores"
            )
        _explicit_uri = None if uri is None else os.fspath(uri)
        if _store is not None:
            _store.flush()
        _store = None
        experiment_id = None
        return get_store() if uri is not None else None


def get_store() -> SqlStore:
    """The active store, opened on first use (``set_store`` > ``MLNB_STORE`` > ``.mlnb`` found)."""
    global _store, _store_env, experiment_id
    bound = _bound_store.get()
    if bound is not None:
        return bound
    env = os.environ.get(config.STORE_ENV)
    store = _store
    if store is not None and (_explicit_uri is not None or env == _store_env):
        return store
    with lock:
        if _store is not None and (_explicit_uri is not None or env == _store_env):
            return _store
        from mlnb.store import location
        from mlnb.store.sql import SqlStore

        if _store is not None:
            _store.flush()
            experiment_id = None
        _store = SqlStore(location.resolve(_explicit_uri))
        _store_env = env
        return _store


# --- a store bound for one block of code (MlflowClient(tracking_uri=...)) ---------------------
_bound_store: ContextVar[SqlStore | None] = ContextVar("mlnb_bound_store", default=None)


def open_store() -> SqlStore | None:
    """The session's store if it is open already (never opens one)."""
    return _store


@contextmanager
def using_store(store: SqlStore) -> Iterator[SqlStore]:
    """Make :func:`get_store` return ``store`` inside the block, in this thread/task only.

    A client opened on another tracking URI runs the shared API functions through this, so
    they write to its store without touching the active one of the session.
    """
    token = _bound_store.set(store)
    try:
        yield store
    finally:
        _bound_store.reset(token)
