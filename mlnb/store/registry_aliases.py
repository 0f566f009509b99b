"""SQL of registry aliases: move, delete, look up, and the history of every move.

An alias row says where an alias points now; ``alias_history`` keeps one row per period
``[set_time, removed_time)`` during which it pointed at a version, with who set and removed it.
Moves run in one ``store.atomic()`` transaction and take their timestamp inside it, so the
periods of one alias are contiguous and ordered as the commits were, across processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.errors import InvalidState, ModelNotFound
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.registry_sql import _ANY, _close_history, _model_row, _version_row, locate_version

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore


def alias_version(store: SqlStore, name: str, alias: str) -> int:
    return locate_version(store, name, alias=alias)[0]


def alias_history(store: SqlStore, name: str, alias: str | None = None) -> list[dict[str, Any]]:
    """Every period an alias of ``name`` pointed at a version, oldest first."""
    h = t.alias_history
    stmt = sa.select(h).where(h.c.name == name).order_by(h.c.set_time, h.c.id)
    if alias is not None:
        stmt = stmt.where(h.c.alias == alias)
    with store.reading() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            _model_row(conn, name)
    keys = ("alias", "version", "set_time", "set_by", "removed_time", "removed_by", "removed_reason")
    return [{k: getattr(r, k) for k in keys} | {"name": r.name} for r in rows]


def set_alias(
    store: SqlStore, name: str, alias: str, version: int, user: str, expected: Any = _ANY
) -> int | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before (or None).

    With ``expected`` (a version or None) the move happens only if the alias still points
    there, so a gate checked against one holder never silently replaces another.
    """
    a = t.aliases
    with store.atomic() as conn:
        ts = now_ms()  # inside the lock: times follow the commit order
        _version_row(conn, name, version)
        old = conn.execute(sa.select(a.c.version).where(a.c.name == name, a.c.alias == alias)).first()
        previous = None if old is None else int(old[0])
        if expected is not _ANY and previous != expected:
            raise InvalidState(
                f"alias {alias!r} of {name!r} moved to version {previous} while the gate was "
                f"checked against version {expected}; run the promotion again"
            )
        if previous == version:
            return previous
        _close_history(conn, name, [alias], user, "moved", ts)
        stmt = store.insert(a).values(name=name, alias=alias, version=version, set_time=ts, set_by=user)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["name", "alias"], set_={"version": version, "set_time": ts, "set_by": user}
            )
        )
        conn.execute(
            t.alias_history.insert().values(name=name, alias=alias, version=version, set_time=ts, set_by=user)
        )
        return previous


def delete_alias(store: SqlStore, name: str, alias: str, user: str) -> int:
    a = t.aliases
    with store.atomic() as conn:
        _model_row(conn, name)
        row = conn.execute(sa.select(a.c.version).where(a.c.name == name, a.c.alias == alias)).first()
        if row is None:
            raise ModelNotFound(f"registered model {name!r} has no alias {alias!r} to delete")
        conn.execute(a.delete().where(a.c.name == name, a.c.alias == alias))
        _close_history(conn, name, [alias], user, "deleted", now_ms())
        return int(row[0])
