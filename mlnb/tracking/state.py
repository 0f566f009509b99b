"""The only global mutable state of mlnb: the active store, experiment and run stack (and the
id of the last run this process ended).

Also the store's address as MLflow spells it: ``set_tracking_uri`` / ``get_tracking_uri`` and
the registry URI, which in mlnb always names the same store (the registry lives in it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from mlnb.entities import Run
from mlnb.errors import InvalidParameter, InvalidState

if TYPE_CHECKING:
    from mlnb.store.base import Store
    from mlnb.store.location import StoreLocation

lock = threading.RLock()
_explicit_uri: str | None = None
_store: Store | None = None
_store_env: tuple[str, str] | None = None
_registry_uri: str | None = None
experiment_id: str | None = None
run_stack: list[Run] = []  # the active runs, innermost last (tracking.fluent's ActiveRuns)
last_run_id: str | None = None


def _env() -> tuple[str, str] | None:
    from mlnb.store.location import env_uri

    return env_uri()


def set_store(uri: str | os.PathLike[str] | None) -> Store | None:
    """Use the store at ``uri`` from now on (``None`` goes back to automatic discovery).

    ``uri`` is a store directory (or a project directory holding ``.mlnb/``), a ``file:`` URI,
    ``sqlite:///path/to/file.db`` or a ``postgresql+psycopg://`` URL; see
    :func:`set_tracking_uri`.  Returns the opened store (None when ``uri`` is None: discovery
    opens one on the next :func:`get_store`).
    """
    global _explicit_uri, _store, _store_env, experiment_id
    with lock:
        if run_stack:
            raise InvalidState(
                f"run {run_stack[-1].info.run_id} is active; end it with mlnb.end_run() before "
                "switching stores"
            )
        opened = None
        if uri is not None:
            from mlnb.store import open_store as open_at
            from mlnb.store.location import parse_store_uri

            # opened before the current store is forgotten: a bad URI leaves it in place
            opened = open_at(parse_store_uri(uri, source="set_store"))
        if _store is not None:
            _store.flush()
        _explicit_uri = None if uri is None else os.fspath(uri)
        _store, _store_env = opened, _env()
        experiment_id = None
        return opened


def get_store() -> Store:
    """The active store, opened on first use (see :func:`set_tracking_uri` for the precedence)."""
    global _store, _store_env, experiment_id
    bound = _bound_store.get()
    if bound is not None:
        return bound
    store = _store
    if store is not None and _explicit_uri is not None:  # the hot path of every log call
        return store
    env = _env()
    if store is not None and env == _store_env:
        return store
    with lock:
        if _store is not None and (_explicit_uri is not None or env == _store_env):
            return _store
        from mlnb.store import location
        from mlnb.store import open_store as open_at

        if _store is not None:
            _store.flush()
            experiment_id = None
        _store = open_at(location.resolve(_explicit_uri))
        _store_env = env
        return _store


# --- MLflow's names for the store's address ------------------------------------------------------
def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Track to the store at ``uri`` from now on (MLflow's name for :func:`set_store`).

    Parameters
    ----------
    uri : str, pathlib.Path or None
        * a directory path or ``file:///abs/dir`` URI: a store directory holding ``mlnb.db`` and
          ``artifacts/`` (created on first use; ``set_tracking_uri("mlruns")`` puts the store in
          ``./mlruns``; a project directory holding a ``.mlnb/`` means that ``.mlnb/``);
        * ``sqlite:///relative.db`` or ``sqlite:////absolute.db``: a store in that database file,
          with artifacts in ``<stem>-artifacts/`` beside it;
        * ``postgresql+psycopg://user@host/db?artifact_root=/dir``: a team store;
        * ``None`` or ``""``: back to automatic discovery, in this order: ``MLNB_STORE`` or
          ``MLNB_TRACKING_URI``, then ``MLFLOW_TRACKING_URI`` (only when neither is set), then the
          nearest ``.mlnb/`` from the working directory upward, else a new ``./.mlnb/``.

        Other schemes (``http(s)``, ``databricks``, ``mysql``, ...) raise
        :class:`~mlnb.errors.InvalidUri` naming the supported ones.

    Examples
    --------
    >>> mlnb.set_tracking_uri("sqlite:///mlflow.db")  # doctest: +SKIP
    >>> mlnb.get_tracking_uri()  # doctest: +SKIP
    'sqlite:///mlflow.db'
    """
    if isinstance(uri, Path):
        uri = uri.absolute().resolve().as_uri()  # as MLflow records a Path
    set_store(uri if uri else None)


def get_tracking_uri() -> str:
    """The tracking URI: as given to :func:`set_tracking_uri` or the environment, else the URI of
    the store found or created (``file:///abs/path/.mlnb``)."""
    with lock:
        if _explicit_uri is not None:
            return _explicit_uri
    env = _env()
    if env is not None:
        return env[1]
    store = _store
    if store is not None and _store_env is None:  # the store found when it was first used
        return store.location.tracking_uri
    from mlnb.store.location import resolve

    return resolve().tracking_uri


def is_tracking_uri_set() -> bool:
    """True when a tracking URI was set in code or through the environment."""
    return _explicit_uri is not None or _env() is not None


def _same_store(a: StoreLocation, b: StoreLocation) -> bool:
    return (a.db_url, a.artifact_root) == (b.db_url, b.artifact_root)


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """Accept MLflow's registry URI: mlnb's model registry lives in the tracking store.

    ``None`` (or ``""``) and a URI naming the current tracking store are accepted; another store
    raises :class:`~mlnb.errors.InvalidParameter`, since a registry elsewhere cannot refer to
    this store's runs.
    """
    global _registry_uri
    if isinstance(uri, Path):
        uri = uri.absolute().resolve().as_uri()
    if not uri:
        _registry_uri = None
        return
    from mlnb.store.location import parse_store_uri, resolve

    wanted = parse_store_uri(uri, source="set_store")
    current = resolve(_explicit_uri)
    if not _same_store(wanted, current):
        raise InvalidParameter(
            f"registry URI {os.fspath(uri)!r} names another store than the tracking URI "
            f"{get_tracking_uri()!r}; mlnb keeps registered models in the tracking store, so "
            "call set_tracking_uri with that URI instead (or leave the registry URI unset)"
        )
    _registry_uri = os.fspath(uri)


def get_registry_uri() -> str:
    """The registry URI: as given to :func:`set_registry_uri`, else the tracking URI."""
    if _registry_uri is not None:
        from mlnb.store.location import parse_store_uri, resolve

        try:
            if _same_store(parse_store_uri(_registry_uri, source="set_store"), resolve(_explicit_uri)):
                return _registry_uri
        except Exception:  # the tracking store moved since: the registry follows it
            pass
    return get_tracking_uri()
# --- a store bound for one block of code (MlflowClient(tracking_uri=...)) ---------------------
_bound_store: ContextVar[Store | None] = ContextVar("mlnb_bound_store", default=None)


def open_store() -> Store | None:
    """The session's store if it is open already (never opens one)."""
    return _store


@contextmanager
def using_store(store: Store) -> Iterator[Store]:
    """Make :func:`get_store` return ``store`` inside the block, in this thread/task only.

    A client opened on another tracking URI runs the shared API functions through this, so
    they write to its store without touching the active one of the session.
    """
    token = _bound_store.set(store)
    try:
        yield store
    finally:
        _bound_store.reset(token)
