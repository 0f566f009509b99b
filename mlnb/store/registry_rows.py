"""Reading the registry tables into rows, shared by :mod:`mlnb.store.registry_sql` and
:mod:`mlnb.store.registry_aliases`: the model and version lookups that report what is missing,
the row builders, and the few statements both write paths use.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from mlnb.errors import ModelNotFound
from mlnb.store import schema as t
from mlnb.store.registry_base import ModelVersionRow, RegisteredModelRow

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


class Transactions(Protocol):
    """What the registry backend needs of a SQL store: its write and read transactions."""

    def atomic(self) -> AbstractContextManager[sa.Connection]: ...
    def reading(self) -> AbstractContextManager[sa.Connection]: ...


def insert(conn: sa.Connection, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT of the connection's dialect (both have ``on_conflict_do_*``)."""
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


def one_of(column: sa.ColumnElement[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column = value`` for one value, ``column IN (...)`` for several."""
    # '=' for the common single-value case: an expanding IN costs more to compile than to run
    return column == values[0] if len(values) == 1 else column.in_(values)


def model_row(conn: sa.Connection, name: str, *, lock: bool = False) -> sa.Row[Any]:
    """The ``registered_models`` row of ``name`` (locked for update with ``lock``), or
    :class:`mlnb.ModelNotFound`."""
    stmt = sa.select(t.registered_models).where(t.registered_models.c.name == name)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise ModelNotFound(
            f"no registered model named {name!r}; list them with mlnb.search_registered_models() "
            "or `mlnb models ls`, or create it with mlnb.register_model(uri, name)"
        )
    return row


def version_row(conn: sa.Connection, name: str, version: int) -> sa.Row[Any]:
    """The ``model_versions`` row of ``name`` and ``version``, or :class:`mlnb.ModelNotFound`
    (saying whether the model or only the version is missing)."""
    mv = t.model_versions
    row = conn.execute(sa.select(mv).where(mv.c.name == name, mv.c.version == version)).first()
    if row is None:
        model_row(conn, name)
        raise ModelNotFound(
            f"registered model {name!r} has no version {version}; list its versions with "
            f"mlnb.search_model_versions(\"name='{name}'\")"
        )
    return row


def close_history(
    conn: sa.Connection, name: str, aliases: list[str], user: str, reason: str, ts: int
) -> None:
    """Close the open history periods of ``aliases`` of ``name`` at ``ts``, saying why."""
    h = t.alias_history
    if aliases:
        conn.execute(
            h.update()
            .where(h.c.name == name, one_of(h.c.alias, aliases), h.c.removed_time.is_(None))
            .values(removed_time=ts, removed_by=user, removed_reason=reason)
        )


def _tags_by_model(conn: sa.Connection, names: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if names:
        tg = t.registered_model_tags
        for name, key, value in conn.execute(
            sa.select(tg.c.name, tg.c.key, tg.c.value).where(one_of(tg.c.name, names)).order_by(tg.c.key)
        ):
            out.setdefault(name, {})[key] = value
    return out


def _tags_by_version(conn: sa.Connection, names: list[str]) -> dict[tuple[str, int], dict[str, str]]:
    out: dict[tuple[str, int], dict[str, str]] = {}
    if names:
        tg = t.model_version_tags
        stmt = sa.select(tg.c.name, tg.c.version, tg.c.key, tg.c.value).where(one_of(tg.c.name, names))
        for name, version, key, value in conn.execute(stmt.order_by(tg.c.key)):
            out.setdefault((name, version), {})[key] = value
    return out


def _aliases_of(conn: sa.Connection, names: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if not names:
        return out
    a = t.aliases
    for row in conn.execute(sa.select(a).where(one_of(a.c.name, names)).order_by(a.c.alias)):
        out.setdefault(row.name, {})[row.alias] = row.version
    return out


def model_rows(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[RegisteredModelRow]:
    """``registered_models`` rows with their tags, aliases and newest version per stage."""
    names = [r.name for r in rows]
    tags = _tags_by_model(conn, names)
    aliases = _aliases_of(conn, names)
    mv = t.model_versions
    latest: dict[str, dict[str, sa.Row[Any]]] = {}  # name -> stage -> newest version row in that stage
    if names:
        for row in conn.execute(sa.select(mv).where(one_of(mv.c.name, names)).order_by(mv.c.version)):
            latest.setdefault(row.name, {})[row.current_stage] = row
    latest_rows = [row for stages in latest.values() for row in stages.values()]
    latest_versions: dict[str, list[ModelVersionRow]] = {}
    for version in version_rows(conn, sorted(latest_rows, key=lambda r: r.version)):
        latest_versions.setdefault(version["name"], []).append(version)
    return [
        {
            "name": r.name,
            "description": r.description,
            "last_version": r.last_version,
            "user_id": r.user_id,
            "creation_timestamp": r.creation_time,
            "last_updated_timestamp": r.last_updated_time,
            "tags": tags.get(r.name, {}),
            "aliases": aliases.get(r.name, {}),
            "latest_versions": latest_versions.get(r.name, []),
        }
        for r in rows
    ]


def version_rows(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[ModelVersionRow]:
    """``model_versions`` rows (all columns, table order) with their tags and aliases."""
    names = sorted({r.name for r in rows})
    tags = _tags_by_version(conn, names)
    by_version: dict[tuple[str, int], list[str]] = {}
    for name, held in _aliases_of(conn, names).items():
        for alias, version in held.items():
            by_version.setdefault((name, version), []).append(alias)
    out: list[ModelVersionRow] = []
    for r in rows:
        # unpacked as a plain tuple, in the table's column order: much faster than Row.attr
        name, version, run_id, path, stage, description, user, created, updated, digest = tuple(r)
        out.append(
            {
                "name": name,
                "version": version,
                "run_id": run_id,
                "artifact_path": path,
                "current_stage": stage,
                "description": description,
                "user_id": user,
                "creation_timestamp": created,
                "last_updated_timestamp": updated,
                "model_digest": digest,
                "tags": tags.get((name, version), {}),
                "aliases": by_version.get((name, version), []),
            }
        )
    return out
