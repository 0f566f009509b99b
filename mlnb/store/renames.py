"""Renames and tag deletions that MLflow's client offers for experiments: renaming one and
deleting its tags.  (Renaming a registered model is the registry's:
:meth:`mlnb.store.registry_sql.SqlRegistryStore.rename_registered_model`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb.errors import AlreadyExists, ExperimentNotFound, NotFound
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.values import check_text

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore


def rename_experiment(store: SqlStore, experiment_id: str, new_name: str) -> None:
    e = t.experiments
    key = store._experiment_key(experiment_id)
    if not isinstance(new_name, str) or not new_name.strip():
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"experiment name {new_name!r} must be a non-empty string")
    new_name = check_text(new_name, "experiment name")
    with store.atomic() as conn:
        row = conn.execute(sa.select(e.c.name).where(e.c.experiment_id == key)).first()
        if row is None:
            raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
        taken = conn.execute(sa.select(e.c.experiment_id).where(e.c.name == new_name)).first()
        if taken is not None and taken[0] != key:
            raise AlreadyExists(
                f"cannot rename experiment {row[0]!r} to {new_name!r}: experiment {taken[0]} has that "
                "name; pick another name"
            )
        conn.execute(
            e.update().where(e.c.experiment_id == key).values(name=new_name, last_update_time=now_ms())
        )


def delete_experiment_tag(store: SqlStore, experiment_id: str, key: str) -> None:
    tg = t.experiment_tags
    exp = store._experiment_key(experiment_id)
    with store.atomic() as conn:
        store.get_experiment(experiment_id)
        if conn.execute(tg.delete().where(tg.c.experiment_id == exp, tg.c.key == key)).rowcount == 0:
            raise NotFound(f"experiment {experiment_id} has no tag {key!r} to delete")
