"""SQL of registry aliases: move, delete, and the history of every move.

An alias row says where an alias points now; ``alias_history`` keeps one row per period
``[set_time, removed_time)`` during which it pointed at a version, with who set and removed it.
Moves run in one ``store.atomic()`` transaction and take their timestamp inside it, so the
periods of one alias are contiguous and ordered as the commits were, across processes.
:class:`mlnb.store.registry_sql.SqlRegistryStore` offers these as its alias methods.
"""

from __future__ import annotations

import sqlalchemy as sa

from mlnb.errors import InvalidState, ModelNotFound
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.registry_base import ANY_HOLDER, AliasPeriod, AnyHolder
from mlnb.store.registry_rows import Transactions, close_history, insert, model_row, version_row


def alias_history(store: Transactions, name: str, alias: str | None = None) -> list[AliasPeriod]:
    """Every period an alias of ``name`` pointed at a version, oldest first."""
    h = t.alias_history
    stmt = sa.select(h).where(h.c.name == name).order_by(h.c.set_time, h.c.id)
    if alias is not None:
        stmt = stmt.where(h.c.alias == alias)
    with store.reading() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            model_row(conn, name)
    return [
        {
            "alias": r.alias,
            "version": r.version,
            "set_time": r.set_time,
            "set_by": r.set_by,
            "removed_time": r.removed_time,
            "removed_by": r.removed_by,
            "removed_reason": r.removed_reason,
            "name": r.name,
        }
        for r in rows
    ]


def set_alias(
    store: Transactions,
    name: str,
    alias: str,
    version: int,
    user: str,
    expected: int | AnyHolder | None = ANY_HOLDER,
) -> int | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before (or None).

    With ``expected`` (a version or None) the move happens only if the alias still points
    there, so a gate checked against one holder never silently replaces another.
    """
    a = t.aliases
    with store.atomic() as conn:
        ts = now_ms()  # inside the lock: times follow the commit order
        version_row(conn, name, version)
        old = conn.execute(sa.select(a.c.version).where(a.c.name == name, a.c.alias == alias)).first()
        previous = None if old is None else int(old[0])
        if expected is not ANY_HOLDER and previous != expected:
            raise InvalidState(
                f"alias {alias!r} of {name!r} moved to version {previous} while the gate was "
                f"checked against version {expected}; run the promotion again"
            )
        if previous == version:
            return previous
        close_history(conn, name, [alias], user, "moved", ts)
        stmt = insert(conn, a).values(name=name, alias=alias, version=version, set_time=ts, set_by=user)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["name", "alias"], set_={"version": version, "set_time": ts, "set_by": user}
            )
        )
        conn.execute(
            t.alias_history.insert().values(name=name, alias=alias, version=version, set_time=ts, set_by=user)
        )
        return previous


def delete_alias(store: Transactions, name: str, alias: str, user: str) -> int:
    """Remove an alias and close its history period; returns the version it pointed at."""
    a = t.aliases
    with store.atomic() as conn:
        model_row(conn, name)
        row = conn.execute(sa.select(a.c.version).where(a.c.name == name, a.c.alias == alias)).first()
        if row is None:
            raise ModelNotFound(f"registered model {name!r} has no alias {alias!r} to delete")
        conn.execute(a.delete().where(a.c.name == name, a.c.alias == alias))
        close_history(conn, name, [alias], user, "deleted", now_ms())
        return int(row[0])
