"""Persistence: metadata SQL, artifact files, the filter language. Only this package talks SQL.

Layers above the store open one with :func:`open_store` and use it through the contract
:class:`mlnb.store.base.Store`; they never import a backend module (``sql``, ``readonly``, ...).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlnb.store.base import Store
    from mlnb.store.location import StoreLocation


def open_store(
    where: StoreLocation | str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    shared: bool = False,
) -> Store:
    """Open the store at ``where`` (a resolved location, or a URI / path resolved now).

    Parameters
    ----------
    where : StoreLocation, str, os.PathLike or None
        Where the store is; a URI or path goes through :func:`mlnb.store.location.resolve`
        (``None``: the store discovery finds).
    read_only : bool
        Open it for reading only: no migration, no recovery, never a write lock (every write
        raises :class:`~mlnb.errors.StoreReadOnly`).  Raises
        :class:`~mlnb.store.base.StoreNotReady` when no writer has created it yet.  Without it,
        a store on a disk this process cannot write is still opened read-only.
    shared : bool
        With ``read_only``: one store per database for the life of the process (a server's
        cache; a database file deleted or replaced since is opened again).

    Examples
    --------
    >>> store = open_store("project/.mlnb")  # doctest: +SKIP
    >>> store.search_runs(["0"]).run_ids  # doctest: +SKIP
    """
    from mlnb.store import readonly
    from mlnb.store.location import StoreLocation, resolve

    location = where if isinstance(where, StoreLocation) else resolve(where)
    if not read_only:
        return readonly.open_location(location)
    if shared:
        return readonly.cached_readonly(location)
    return readonly.ReadOnlyStore(location, frozen=readonly.on_read_only_disk(location))


def close_shared_stores() -> None:
    """Close every store :func:`open_store` opened with ``shared=True``."""
    from mlnb.store import readonly

    readonly.close_cached()
