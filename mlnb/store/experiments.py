"""Experiments: create, read, list, delete/restore, tag (a mixin of :class:`SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.entities import Experiment, ViewType
from mlnb.errors import AlreadyExists, ExperimentNotFound, InvalidParameter, NotFound
from mlnb.store import schema as t
from mlnb.store._common import lifecycle_stages, now_ms
from mlnb.store.values import check_key, check_text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mlnb.store.backend import UpsertInsert


class ExperimentsMixin:
    """Needs ``atomic``, ``reading``, ``insert``, ``dialect`` and ``artifact_root`` from the store."""

    artifact_root: Path
    dialect: str
    _active_experiments: set[int]

    if TYPE_CHECKING:

        def atomic(self) -> AbstractContextManager[sa.Connection]: ...
        def reading(self) -> AbstractContextManager[sa.Connection]: ...
        def insert(self, table: sa.Table) -> UpsertInsert: ...

    # --- experiments ----------------------------------------------------------------------------
    def create_experiment(
        self, name: str, tags: dict[str, Any] | None = None, *, exist_ok: bool = False
    ) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameter(f"experiment name {name!r} must be a non-empty string")
        name = check_text(name, "experiment name")
        tag_rows = {check_key(k, "tag key"): check_text(v, f"tag {k!r}") for k, v in (tags or {}).items()}
        with self.atomic() as conn:
            existing = conn.execute(
                sa.select(t.experiments.c.experiment_id).where(t.experiments.c.name == name)
            ).first()
            if existing is not None and exist_ok:
                return str(existing[0])
            if existing is not None:
                raise AlreadyExists(
                    f"experiment {name!r} already exists (id {existing[0]}); use "
                    "mlnb.set_experiment to make it active or pick another name"
                )
            ts = now_ms()
            created = conn.execute(
                t.experiments.insert().values(
                    name=name, lifecycle_stage="active", creation_time=ts, last_update_time=ts
                )
            ).inserted_primary_key
            assert created is not None  # an INSERT of one row always has its key
            exp_id = created[0]
            if tag_rows:
                conn.execute(
                    t.experiment_tags.insert(),
                    [{"experiment_id": exp_id, "key": k, "value": v} for k, v in tag_rows.items()],
                )
        return str(exp_id)

    def _experiment_from_row(self, conn: sa.Connection, row: Any) -> Experiment:
        tags = dict(
            conn.execute(
                sa.select(t.experiment_tags.c.key, t.experiment_tags.c.value).where(
                    t.experiment_tags.c.experiment_id == row.experiment_id
                )
            ).all()
        )
        return Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=self.artifact_root.as_uri(),
            lifecycle_stage=row.lifecycle_stage,
            tags=tags,
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )

    @staticmethod
    def experiment_key(experiment_id: str | int) -> int:
        try:
            return int(str(experiment_id))
        except ValueError:
            raise ExperimentNotFound(
                f"experiment id {experiment_id!r} is not a valid id; ids are integers as strings"
            ) from None

    def get_experiment(self, experiment_id: str) -> Experiment:
        key = self.experiment_key(experiment_id)
        with self.reading() as conn:
            row = conn.execute(sa.select(t.experiments).where(t.experiments.c.experiment_id == key)).first()
            if row is None:
                raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
            return self._experiment_from_row(conn, row)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.reading() as conn:
            row = conn.execute(sa.select(t.experiments).where(t.experiments.c.name == name)).first()
            return None if row is None else self._experiment_from_row(conn, row)

    def list_experiments(self, view_type: int = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        stmt = sa.select(t.experiments).order_by(t.experiments.c.experiment_id)
        stages = lifecycle_stages(view_type)
        stmt = stmt.where(t.experiments.c.lifecycle_stage.in_(stages))
        with self.reading() as conn:
            return [self._experiment_from_row(conn, row) for row in conn.execute(stmt).all()]

    def set_experiment_lifecycle(self, experiment_id: str, stage: str) -> None:
        key = self.experiment_key(experiment_id)
        with self.atomic() as conn:
            done = conn.execute(
                t.experiments.update()
                .where(t.experiments.c.experiment_id == key)
                .values(lifecycle_stage=stage, last_update_time=now_ms())
            ).rowcount
            if not done:
                raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
        # run creation checks the stage once per experiment; a deleted one must be checked again
        self._active_experiments.discard(key)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        exp = self.experiment_key(experiment_id)
        row = {
            "experiment_id": exp,
            "key": check_key(key, "tag key"),
            "value": check_text(value, f"tag {key!r}"),
        }
        with self.atomic() as conn:
            self.get_experiment(experiment_id)
            stmt = self.insert(t.experiment_tags).values(row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["experiment_id", "key"], set_={"value": stmt.excluded.value}
                )
            )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove tag ``key`` of an experiment (:class:`NotFound` if it has no such tag)."""
        tg = t.experiment_tags
        exp = self.experiment_key(experiment_id)
        with self.atomic() as conn:
            self.get_experiment(experiment_id)  # ExperimentNotFound for an unknown id
            if conn.execute(tg.delete().where(tg.c.experiment_id == exp, tg.c.key == key)).rowcount == 0:
                raise NotFound(f"experiment {experiment_id} has no tag {key!r} to delete")

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new name (:class:`AlreadyExists` if another one has it)."""
        e = t.experiments
        key = self.experiment_key(experiment_id)
        if not isinstance(new_name, str) or not new_name.strip():
            raise InvalidParameter(f"experiment name {new_name!r} must be a non-empty string")
        new_name = check_text(new_name, "experiment name")
        with self.atomic() as conn:
            row = conn.execute(sa.select(e.c.name).where(e.c.experiment_id == key)).first()
            if row is None:
                raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
            taken = conn.execute(sa.select(e.c.experiment_id).where(e.c.name == new_name)).first()
            if taken is not None and taken[0] != key:
                raise AlreadyExists(
                    f"cannot rename experiment {row[0]!r} to {new_name!r}: experiment {taken[0]} has "
                    "that name; pick another name"
                )
            conn.execute(
                e.update().where(e.c.experiment_id == key).values(name=new_name, last_update_time=now_ms())
            )

    def experiment_ids_named(self, names: Sequence[str]) -> list[str]:
        """Ids of the experiments named ``names``, deleted ones too (:class:`ExperimentNotFound`
        for a name no experiment has)."""
        from mlnb.store.query import experiment_keys_of

        with self.reading() as conn:
            return [str(k) for k in experiment_keys_of(conn, self.dialect, names)]
