"""Renaming a registered model, as MLflow's client offers it (a model's versions, tags, aliases
and alias history follow its new name)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb.errors import AlreadyExists, ModelNotFound
from mlnb.store import schema as t
from mlnb.store._common import now_ms

if TYPE_CHECKING:
    from mlnb.store.backend import SqlBackend


def rename_registered_model(store: SqlBackend, name: str, new_name: str) -> None:
    """Give a registered model a new name in one transaction; versions keep their numbers."""
    rm, mv, mvt = t.registered_models, t.model_versions, t.model_version_tags
    with store.atomic() as conn:
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
