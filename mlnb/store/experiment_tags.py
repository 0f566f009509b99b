"""Removing an experiment's tag (setting one is :meth:`SqlBackend.set_experiment_tag`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlnb.errors import InvalidParameter
from mlnb.store import schema as t

if TYPE_CHECKING:
    from mlnb.store.backend import SqlBackend


def delete_experiment_tag(store: SqlBackend, experiment_id: str, key: str) -> None:
    """Delete tag ``key`` of an experiment (raises when the experiment has no such tag)."""
    exp = store.experiment_key(experiment_id)
    store.get_experiment(experiment_id)  # ExperimentNotFound for a bad id
    with store.atomic() as conn:
        done = conn.execute(
            t.experiment_tags.delete().where(
                t.experiment_tags.c.experiment_id == exp, t.experiment_tags.c.key == key
            )
        ).rowcount
    if not done:
        raise InvalidParameter(f"experiment {experiment_id} has no tag {key!r} to delete")
