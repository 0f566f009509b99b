"""SQL of the model registry: registered models, versions, tags, stages, renames (aliases:
:mod:`mlnb.store.registry_aliases`), as :class:`SqlRegistryStore`, the SQL store's
:class:`~mlnb.store.registry_base.RegistryStore`.

Every write runs in one ``store.atomic()`` transaction.  On SQLite that is ``BEGIN IMMEDIATE``,
which serializes writers across processes, so reading ``last_version`` and writing
``last_version + 1`` can never interleave: versions are unique and gapless per name however
many processes register at once.  (On PostgreSQL the same read takes a row lock.)  Version
numbers are never reused after a delete, as in MLflow.

Methods return the plain rows of :mod:`mlnb.store.registry_base`; :mod:`mlnb.registry` turns
them into entities.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from mlnb.errors import AliasNotFound, AlreadyExists, ModelNotFound, NotFound
from mlnb.store import registry_aliases
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.registry_base import (
    ANY_HOLDER,
    AliasPeriod,
    AnyHolder,
    ModelVersionRow,
    RegisteredModelRow,
    VersionLocation,
)
from mlnb.store.registry_rows import (
    Transactions,
    close_history,
    insert,
    model_row,
    model_rows,
    one_of,
    version_row,
    version_rows,
)

_ARCHIVING_STAGES = ("Staging", "Production")


class SqlRegistryStore:
    """The model registry in the tables of a SQL store (SQLite or PostgreSQL).

    Parameters
    ----------
    store
        The SQL store whose transactions it runs in (``SqlStore.registry`` builds it).

    Examples
    --------
    >>> registry = SqlRegistryStore(store)  # doctest: +SKIP
    >>> registry.create_model_version("churn", run_id, "model", "ana")["version"]  # doctest: +SKIP
    1
    """

    def __init__(self, store: Transactions) -> None:
        self.store = store

    # --- reads -----------------------------------------------------------------------------------
    def get_registered_model(self, name: str) -> RegisteredModelRow:
        with self.store.reading() as conn:
            return model_rows(conn, [model_row(conn, name)])[0]

    def list_registered_models(self) -> list[RegisteredModelRow]:
        rm = t.registered_models
        with self.store.reading() as conn:
            return model_rows(conn, list(conn.execute(sa.select(rm).order_by(rm.c.name))))

    def get_model_version(self, name: str, version: int) -> ModelVersionRow:
        with self.store.reading() as conn:
            return version_rows(conn, [version_row(conn, name, version)])[0]

    def list_model_versions(
        self, name: str | None = None, stages: Iterable[str] | None = None
    ) -> list[ModelVersionRow]:
        """Versions (of ``name`` if given, in ``stages`` if given), by name then newest first."""
        mv = t.model_versions
        stmt = sa.select(mv).order_by(mv.c.name, mv.c.version.desc())
        with self.store.reading() as conn:
            if name is not None:
                model_row(conn, name)
                stmt = stmt.where(mv.c.name == name)
            if stages is not None:
                stmt = stmt.where(one_of(mv.c.current_stage, list(stages)))
            return version_rows(conn, list(conn.execute(stmt)))

    def locate_version(
        self, name: str, *, version: int | None = None, alias: str | None = None, stage: str | None = None
    ) -> VersionLocation:
        """The version named by number, alias, stage (the newest in it) or, with none of them,
        the newest version; one query."""
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
        with self.store.reading() as conn:
            row = conn.execute(stmt.order_by(mv.c.version.desc()).limit(1)).first()
            if row is None:
                model_row(conn, name)  # a missing model is reported as such
        if row is None:
            if version is not None:
                what = f"no version {version}"
            elif alias is not None:
                what = f"no alias {alias!r}; set it with mlnb.set_registered_model_alias({name!r}, {alias!r}, version)"
            else:
                what = f"no version in stage {stage!r}" if stage is not None else "no version"
            error = AliasNotFound if version is None and alias is not None else ModelNotFound
            raise error(
                f"registered model {name!r} has {what}; see its versions with `mlnb models show {name}`"
            )
        return VersionLocation(int(row[0]), str(row[1]), str(row[2]), row[3])

    def alias_version(self, name: str, alias: str) -> int:
        return self.locate_version(name, alias=alias).version

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasPeriod]:
        return registry_aliases.alias_history(self.store, name, alias)

    # --- registered models -----------------------------------------------------------------------
    def create_registered_model(
        self, name: str, user: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModelRow:
        with self.store.atomic() as conn:
            ts = now_ms()  # inside the lock: times follow the commit order
            stmt = insert(conn, t.registered_models).values(
                name=name, description=description, last_version=0, user_id=user,
                creation_time=ts, last_updated_time=ts,
            )  # fmt: skip
            if conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"])).rowcount == 0:
                raise AlreadyExists(
                    f"a registered model named {name!r} already exists; register a new version with "
                    f"mlnb.register_model(uri, {name!r}) or pick another name"
                )
            for key, value in (tags or {}).items():
                _upsert_model_tag(conn, name, key, value)
            return model_rows(conn, [model_row(conn, name)])[0]

    def update_registered_model(self, name: str, description: str | None) -> None:
        rm = t.registered_models
        with self.store.atomic() as conn:
            model_row(conn, name)
            conn.execute(
                rm.update()
                .where(rm.c.name == name)
                .values(description=description, last_updated_time=now_ms())
            )

    def rename_registered_model(self, name: str, new_name: str) -> None:
        """Give a registered model a new name in one transaction; versions keep their numbers."""
        rm, mv, mvt = t.registered_models, t.model_versions, t.model_version_tags
        with self.store.atomic() as conn:
            old = conn.execute(sa.select(rm).where(rm.c.name == name)).first()
            if old is None:
                raise ModelNotFound(
                    f"no registered model named {name!r}; list them with mlnb.search_registered_models()"
                )
            if conn.execute(sa.select(rm.c.name).where(rm.c.name == new_name)).first() is not None:
                raise AlreadyExists(
                    f"cannot rename registered model {name!r} to {new_name!r}: that name is taken; pick another"
                )
            # children reference the name: copy the parents under the new name, move the children,
            # then drop the old parents (foreign keys hold at every step)
            row = dict(old._mapping)
            conn.execute(rm.insert().values({**row, "name": new_name, "last_updated_time": now_ms()}))
            versions = [dict(v._mapping) for v in conn.execute(sa.select(mv).where(mv.c.name == name))]
            if versions:
                conn.execute(mv.insert(), [{**v, "name": new_name} for v in versions])
            conn.execute(mvt.update().where(mvt.c.name == name).values(name=new_name))
            conn.execute(mv.delete().where(mv.c.name == name))
            for table in (t.registered_model_tags, t.aliases, t.alias_history):
                conn.execute(table.update().where(table.c.name == name).values(name=new_name))
            conn.execute(rm.delete().where(rm.c.name == name))

    def delete_registered_model(self, name: str, user: str) -> None:
        """Delete a model with its versions, tags and aliases; closed alias history is kept."""
        with self.store.atomic() as conn:
            model_row(conn, name)
            held = [r[0] for r in conn.execute(sa.select(t.aliases.c.alias).where(t.aliases.c.name == name))]
            close_history(conn, name, held, user, "model deleted", now_ms())
            for table in (t.aliases, t.model_version_tags, t.model_versions, t.registered_model_tags):
                conn.execute(table.delete().where(table.c.name == name))
            conn.execute(t.registered_models.delete().where(t.registered_models.c.name == name))

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        with self.store.atomic() as conn:
            model_row(conn, name)
            _upsert_model_tag(conn, name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        tg = t.registered_model_tags
        with self.store.atomic() as conn:
            model_row(conn, name)
            if conn.execute(tg.delete().where(tg.c.name == name, tg.c.key == key)).rowcount == 0:
                raise NotFound(f"registered model {name!r} has no tag {key!r}")

    # --- versions --------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        run_id: str,
        artifact_path: str,
        user: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        model_digest: str | None = None,
    ) -> ModelVersionRow:
        """Add the next version of ``name`` (creating the model if needed) in one transaction."""
        rm, mv = t.registered_models, t.model_versions
        with self.store.atomic() as conn:
            ts = now_ms()  # inside the lock: times follow the commit order
            conn.execute(
                insert(conn, rm)
                .values(name=name, last_version=0, user_id=user, creation_time=ts, last_updated_time=ts)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            version = int(model_row(conn, name, lock=True).last_version) + 1
            conn.execute(
                rm.update().where(rm.c.name == name).values(last_version=version, last_updated_time=ts)
            )
            conn.execute(
                mv.insert().values(
                    name=name, version=version, run_id=run_id, artifact_path=artifact_path,
                    current_stage="None", description=description, user_id=user,
                    creation_time=ts, last_updated_time=ts, model_digest=model_digest,
                )
            )  # fmt: skip
            for key, value in (tags or {}).items():
                _upsert_version_tag(conn, name, version, key, value)
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

    def update_model_version(self, name: str, version: int, *, description: str | None) -> ModelVersionRow:
        """Set the description of one version."""
        mv = t.model_versions
        with self.store.atomic() as conn:
            version_row(conn, name, version)
            conn.execute(
                mv.update()
                .where(mv.c.name == name, mv.c.version == version)
                .values(description=description, last_updated_time=now_ms())
            )
            return version_rows(conn, [version_row(conn, name, version)])[0]

    def delete_model_version(self, name: str, version: int, user: str) -> None:
        a, mv, tg = t.aliases, t.model_versions, t.model_version_tags
        with self.store.atomic() as conn:
            version_row(conn, name, version)
            held = [
                r[0]
                for r in conn.execute(sa.select(a.c.alias).where(a.c.name == name, a.c.version == version))
            ]
            conn.execute(a.delete().where(a.c.name == name, a.c.version == version))
            close_history(conn, name, held, user, "version deleted", now_ms())
            conn.execute(tg.delete().where(tg.c.name == name, tg.c.version == version))
            conn.execute(mv.delete().where(mv.c.name == name, mv.c.version == version))

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        with self.store.atomic() as conn:
            version_row(conn, name, version)
            _upsert_version_tag(conn, name, version, key, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        tg = t.model_version_tags
        with self.store.atomic() as conn:
            version_row(conn, name, version)
            where = tg.c.name == name, tg.c.version == version, tg.c.key == key
            if conn.execute(tg.delete().where(*where)).rowcount == 0:
                raise NotFound(f"version {version} of registered model {name!r} has no tag {key!r}")

    # --- stages and aliases ----------------------------------------------------------------------
    def transition_stage(self, name: str, version: int, stage: str, archive_existing: bool) -> list[int]:
        """Move a version to ``stage``; with ``archive_existing`` the others in that stage are
        archived in the same transaction.  Returns the archived version numbers."""
        mv = t.model_versions
        with self.store.atomic() as conn:
            ts = now_ms()  # inside the lock: times follow the commit order
            version_row(conn, name, version)
            archived: list[int] = []
            if archive_existing and stage in _ARCHIVING_STAGES:
                others = mv.c.name == name, mv.c.version != version, mv.c.current_stage == stage
                archived = [int(v) for (v,) in conn.execute(sa.select(mv.c.version).where(*others))]
                conn.execute(
                    mv.update().where(*others).values(current_stage="Archived", last_updated_time=ts)
                )
            conn.execute(
                mv.update()
                .where(mv.c.name == name, mv.c.version == version)
                .values(current_stage=stage, last_updated_time=ts)
            )
            return sorted(archived)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        user: str,
        expected: int | AnyHolder | None = ANY_HOLDER,
    ) -> int | None:
        return registry_aliases.set_alias(self.store, name, alias, version, user, expected)

    def delete_alias(self, name: str, alias: str, user: str) -> int:
        return registry_aliases.delete_alias(self.store, name, alias, user)


def _upsert_model_tag(conn: sa.Connection, name: str, key: str, value: str) -> None:
    stmt = insert(conn, t.registered_model_tags).values(name=name, key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name", "key"], set_={"value": value}))


def _upsert_version_tag(conn: sa.Connection, name: str, version: int, key: str, value: str) -> None:
    stmt = insert(conn, t.model_version_tags).values(name=name, version=version, key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name", "version", "key"], set_={"value": value}))
