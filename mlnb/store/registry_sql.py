"""SQL of the model registry: registered models, versions, tags, stages (aliases: registry_aliases).

Every write runs in one ``store.atomic()`` transaction.  On SQLite that is ``BEGIN IMMEDIATE``,
which serializes writers across processes, so reading ``last_version`` and writing
``last_version + 1`` can never interleave: versions are unique and gapless per name however
many processes register at once.  (On PostgreSQL the same read takes a row lock.)  Version
numbers are never reused after a delete, as in MLflow.

Functions return plain dicts; :mod:`mlnb.registry` turns them into entities.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.errors import AliasNotFound, AlreadyExists, ModelNotFound, NotFound
from mlnb.store import schema as t
from mlnb.store._common import now_ms

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore

_ARCHIVING_STAGES = ("Staging", "Production")
_ANY: Any = object()
# model_versions columns in table order, under the names the registry entities use
_VERSION_KEYS = tuple(
    {"creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"}.get(c.key, c.key)
    for c in t.model_versions.columns
)


# --- reads ------------------------------------------------------------------------------------------
def _model_row(conn: sa.Connection, name: str, *, lock: bool = False) -> Any:
    stmt = sa.select(t.registered_models).where(t.registered_models.c.name == name)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise ModelNotFound(
            f"no registered model named {name!r}; list them with mlnb.search_registered_models() "
            "or `mlnb models ls`, or create it with mlnb.register_model(uri, name)"
        )
    return row


def _version_row(conn: sa.Connection, name: str, version: int) -> Any:
    mv = t.model_versions
    row = conn.execute(sa.select(mv).where(mv.c.name == name, mv.c.version == version)).first()
    if row is None:
        _model_row(conn, name)
        raise ModelNotFound(
            f"registered model {name!r} has no version {version}; list its versions with "
            f"mlnb.search_model_versions(\"name='{name}'\")"
        )
    return row


def _one_of(column: sa.ColumnElement[Any], values: list[Any]) -> sa.ColumnElement[bool]:
    # '=' for the common single-value case: an expanding IN costs more to compile than to run
    return column == values[0] if len(values) == 1 else column.in_(values)


def _tags_by(conn: sa.Connection, table: sa.Table, cols: tuple[str, ...], names: list[str]) -> dict:
    out: dict[Any, dict[str, str]] = {}
    if not names:
        return out
    rows = conn.execute(sa.select(table).where(_one_of(table.c.name, names)).order_by(table.c.key))
    for row in rows:
        key = tuple(getattr(row, c) for c in cols) if len(cols) > 1 else getattr(row, cols[0])
        out.setdefault(key, {})[row.key] = row.value
    return out


def _aliases_of(conn: sa.Connection, names: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if not names:
        return out
    a = t.aliases
    for row in conn.execute(sa.select(a).where(_one_of(a.c.name, names)).order_by(a.c.alias)):
        out.setdefault(row.name, {})[row.alias] = row.version
    return out


def _model_dicts(conn: sa.Connection, rows: list[Any]) -> list[dict[str, Any]]:
    names = [r.name for r in rows]
    tags = _tags_by(conn, t.registered_model_tags, ("name",), names)
    aliases = _aliases_of(conn, names)
    mv = t.model_versions
    latest: dict[str, dict[str, Any]] = {}  # name -> stage -> newest version row in that stage
    if names:
        for row in conn.execute(sa.select(mv).where(_one_of(mv.c.name, names)).order_by(mv.c.version)):
            latest.setdefault(row.name, {})[row.current_stage] = row
    latest_rows = [row for stages in latest.values() for row in stages.values()]
    latest_dicts: dict[str, list[dict[str, Any]]] = {}
    for version in _version_dicts(conn, sorted(latest_rows, key=lambda r: r.version)):
        latest_dicts.setdefault(version["name"], []).append(version)
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
            "latest_versions": latest_dicts.get(r.name, []),
        }
        for r in rows
    ]


def _version_dicts(conn: sa.Connection, rows: list[Any]) -> list[dict[str, Any]]:
    names = sorted({r.name for r in rows})
    tags = _tags_by(conn, t.model_version_tags, ("name", "version"), names)
    by_version: dict[tuple[str, int], list[str]] = {}
    for name, held in _aliases_of(conn, names).items():
        for alias, version in held.items():
            by_version.setdefault((name, version), []).append(alias)
    out = []
    for r in rows:
        d = dict(zip(_VERSION_KEYS, r, strict=True))  # plain tuples: much faster than Row.attr
        d["tags"] = tags.get((d["name"], d["version"]), {})
        d["aliases"] = by_version.get((d["name"], d["version"]), [])
        out.append(d)
    return out


def get_registered_model(store: SqlStore, name: str) -> dict[str, Any]:
    with store.reading() as conn:
        return _model_dicts(conn, [_model_row(conn, name)])[0]


def list_registered_models(store: SqlStore) -> list[dict[str, Any]]:
    rm = t.registered_models
    with store.reading() as conn:
        return _model_dicts(conn, list(conn.execute(sa.select(rm).order_by(rm.c.name))))


def get_model_version(store: SqlStore, name: str, version: int) -> dict[str, Any]:
    with store.reading() as conn:
        return _version_dicts(conn, [_version_row(conn, name, version)])[0]


def list_model_versions(
    store: SqlStore, name: str | None = None, stages: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Versions (of ``name`` if given, in ``stages`` if given), by name then newest first."""
    mv = t.model_versions
    stmt = sa.select(mv).order_by(mv.c.name, mv.c.version.desc())
    with store.reading() as conn:
        if name is not None:
            _model_row(conn, name)
            stmt = stmt.where(mv.c.name == name)
        if stages is not None:
            stmt = stmt.where(_one_of(mv.c.current_stage, list(stages)))
        return _version_dicts(conn, list(conn.execute(stmt)))


def locate_version(
    store: SqlStore,
    name: str,
    *,
    version: int | None = None,
    alias: str | None = None,
    stage: str | None = None,
) -> tuple[int, str, str, str | None]:
    """``(version, run_id, artifact_path, model_digest)`` of the version named by number, alias, stage (the
    newest in it) or, with none of them, the newest version; one query."""  # fmt: skip
    mv, a = t.model_versions, t.aliases
    stmt = sa.select(mv.c.version, mv.c.run_id, mv.c.artifact_path, mv.c.model_digest)
    stmt = stmt.where(mv.c.name == name)
    if version is not None:
        stmt = stmt.where(mv.c.version == version)
    elif alias is not None:
        stmt = stmt.join(a, sa.and_(a.c.name == mv.c.name, a.c.version == mv.c.version))
        stmt = stmt.where(a.c.alias == alias)
    elif stage is not None:
        stmt = stmt.where(mv.c.current_stage == stage)
    with store.reading() as conn:
        row = conn.execute(stmt.order_by(mv.c.version.desc()).limit(1)).first()
        if row is None:
            _model_row(conn, name)  # a missing model is reported as such
    if row is None:
        if version is not None:
            what = f"no version {version}"
        elif alias is not None:
            what = f"no alias {alias!r}; set it with mlnb.set_registered_model_alias({name!r}, {alias!r}, version)"
        else:
            what = f"no version in stage {stage!r}" if stage is not None else "no version"
        error = AliasNotFound if version is None and alias is not None else ModelNotFound
        raise error(f"registered model {name!r} has {what}; see its versions with `mlnb models show {name}`")
    return int(row[0]), str(row[1]), str(row[2]), row[3]


# --- writes -----------------------------------------------------------------------------------------
def create_registered_model(
    store: SqlStore, name: str, user: str, description: str | None = None, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    with store.atomic() as conn:
        ts = now_ms()  # inside the lock: times follow the commit order
        stmt = store.insert(t.registered_models).values(
            name=name, description=description, last_version=0, user_id=user,
            creation_time=ts, last_updated_time=ts,
        )  # fmt: skip
        if conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"])).rowcount == 0:
            raise AlreadyExists(
                f"a registered model named {name!r} already exists; register a new version with "
                f"mlnb.register_model(uri, {name!r}) or pick another name"
            )
        for key, value in (tags or {}).items():
            _upsert_model_tag(store, conn, name, key, value)
        return _model_dicts(conn, [_model_row(conn, name)])[0]


def create_model_version(
    store: SqlStore,
    name: str,
    run_id: str,
    artifact_path: str,
    user: str,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    model_digest: str | None = None,
) -> dict[str, Any]:
    """Add the next version of ``name`` (creating the model if needed) in one transaction."""
    rm, mv = t.registered_models, t.model_versions
    with store.atomic() as conn:
        ts = now_ms()  # inside the lock: times follow the commit order
        conn.execute(
            store.insert(rm)
            .values(name=name, last_version=0, user_id=user, creation_time=ts, last_updated_time=ts)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        version = int(_model_row(conn, name, lock=True).last_version) + 1
        conn.execute(rm.update().where(rm.c.name == name).values(last_version=version, last_updated_time=ts))
        conn.execute(
            mv.insert().values(
                name=name, version=version, run_id=run_id, artifact_path=artifact_path,
                current_stage="None", description=description, user_id=user,
                creation_time=ts, last_updated_time=ts, model_digest=model_digest,
            )
        )  # fmt: skip
        for key, value in (tags or {}).items():
            _upsert_version_tag(store, conn, name, version, key, value)
    return {
        "name": name,
        "version": version,
        "run_id": run_id,
        "artifact_path": artifact_path,
        "current_stage": "None",
        "description": description,
        "user_id": user,
        "creation_timestamp": ts,
        "last_updated_timestamp": ts,
        "model_digest": model_digest,
        "tags": dict(tags or {}),
        "aliases": [],
    }


def update_registered_model(store: SqlStore, name: str, description: str | None) -> None:
    rm = t.registered_models
    with store.atomic() as conn:
        _model_row(conn, name)
        conn.execute(
            rm.update().where(rm.c.name == name).values(description=description, last_updated_time=now_ms())
        )


def update_model_version(store: SqlStore, name: str, version: int, **values: Any) -> dict[str, Any]:
    """Set columns (``description``, ``current_stage``) of one version."""
    mv = t.model_versions
    with store.atomic() as conn:
        _version_row(conn, name, version)
        conn.execute(
            mv.update()
            .where(mv.c.name == name, mv.c.version == version)
            .values(**values, last_updated_time=now_ms())
        )
        return _version_dicts(conn, [_version_row(conn, name, version)])[0]


def transition_stage(
    store: SqlStore, name: str, version: int, stage: str, archive_existing: bool
) -> list[int]:
    """Move a version to ``stage``; with ``archive_existing`` the others in that stage are
    archived in the same transaction.  Returns the archived version numbers."""
    mv = t.model_versions
    with store.atomic() as conn:
        ts = now_ms()  # inside the lock: times follow the commit order
        _version_row(conn, name, version)
        archived: list[int] = []
        if archive_existing and stage in _ARCHIVING_STAGES:
            others = mv.c.name == name, mv.c.version != version, mv.c.current_stage == stage
            archived = [int(v) for (v,) in conn.execute(sa.select(mv.c.version).where(*others))]
            conn.execute(mv.update().where(*others).values(current_stage="Archived", last_updated_time=ts))
        conn.execute(
            mv.update()
            .where(mv.c.name == name, mv.c.version == version)
            .values(current_stage=stage, last_updated_time=ts)
        )
        return sorted(archived)


def _upsert_model_tag(store: SqlStore, conn: sa.Connection, name: str, key: str, value: str) -> None:
    stmt = store.insert(t.registered_model_tags).values(name=name, key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name", "key"], set_={"value": value}))


def _upsert_version_tag(
    store: SqlStore, conn: sa.Connection, name: str, version: int, key: str, value: str
) -> None:
    stmt = store.insert(t.model_version_tags).values(name=name, version=version, key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name", "version", "key"], set_={"value": value}))


def set_model_tag(store: SqlStore, name: str, key: str, value: str) -> None:
    with store.atomic() as conn:
        _model_row(conn, name)
        _upsert_model_tag(store, conn, name, key, value)


def delete_model_tag(store: SqlStore, name: str, key: str) -> None:
    tg = t.registered_model_tags
    with store.atomic() as conn:
        _model_row(conn, name)
        if conn.execute(tg.delete().where(tg.c.name == name, tg.c.key == key)).rowcount == 0:
            raise NotFound(f"registered model {name!r} has no tag {key!r}")


def set_version_tag(store: SqlStore, name: str, version: int, key: str, value: str) -> None:
    with store.atomic() as conn:
        _version_row(conn, name, version)
        _upsert_version_tag(store, conn, name, version, key, value)


def delete_version_tag(store: SqlStore, name: str, version: int, key: str) -> None:
    tg = t.model_version_tags
    with store.atomic() as conn:
        _version_row(conn, name, version)
        where = tg.c.name == name, tg.c.version == version, tg.c.key == key
        if conn.execute(tg.delete().where(*where)).rowcount == 0:
            raise NotFound(f"version {version} of registered model {name!r} has no tag {key!r}")


def _close_history(
    conn: sa.Connection, name: str, aliases: list[str], user: str, reason: str, ts: int
) -> None:
    h = t.alias_history
    if aliases:
        conn.execute(
            h.update()
            .where(h.c.name == name, _one_of(h.c.alias, aliases), h.c.removed_time.is_(None))
            .values(removed_time=ts, removed_by=user, removed_reason=reason)
        )


def delete_model_version(store: SqlStore, name: str, version: int, user: str) -> None:
    a, mv, tg = t.aliases, t.model_versions, t.model_version_tags
    with store.atomic() as conn:
        _version_row(conn, name, version)
        held = [
            r[0] for r in conn.execute(sa.select(a.c.alias).where(a.c.name == name, a.c.version == version))
        ]
        conn.execute(a.delete().where(a.c.name == name, a.c.version == version))
        _close_history(conn, name, held, user, "version deleted", now_ms())
        conn.execute(tg.delete().where(tg.c.name == name, tg.c.version == version))
        conn.execute(mv.delete().where(mv.c.name == name, mv.c.version == version))


def delete_registered_model(store: SqlStore, name: str, user: str) -> None:
    """Delete a model with its versions, tags and aliases; closed alias history is kept."""
    with store.atomic() as conn:
        _model_row(conn, name)
        held = [r[0] for r in conn.execute(sa.select(t.aliases.c.alias).where(t.aliases.c.name == name))]
        _close_history(conn, name, held, user, "model deleted", now_ms())
        for table in (t.aliases, t.model_version_tags, t.model_versions, t.registered_model_tags):
            conn.execute(table.delete().where(table.c.name == name))
        conn.execute(t.registered_models.delete().where(t.registered_models.c.name == name))
