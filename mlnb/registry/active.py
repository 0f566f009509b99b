"""The registry's way into the store: the active store, its registry, and rows as entities.

Every registry function reads and writes through the active store's
:class:`~mlnb.store.registry_base.RegistryStore` (``store.registry``), whatever the backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlnb.registry.entities import ModelVersion, RegisteredModel

if TYPE_CHECKING:
    from mlnb.store.base import Store
    from mlnb.store.registry_base import ModelVersionRow, RegisteredModelRow, RegistryStore


def active_store() -> Store:
    """The store registry functions work on (the session's, or the one a client bound)."""
    from mlnb.tracking.state import get_store

    return get_store()


def active_registry() -> RegistryStore:
    """The model registry of :func:`active_store`."""
    return active_store().registry


def version_entity(row: ModelVersionRow) -> ModelVersion:
    """A backend's version row as a :class:`ModelVersion`."""
    return ModelVersion(
        name=row["name"],
        version=int(row["version"]),
        run_id=row["run_id"],
        artifact_path=row["artifact_path"],
        current_stage=row["current_stage"],
        description=row["description"],
        user_id=row["user_id"],
        creation_timestamp=row["creation_timestamp"],
        last_updated_timestamp=row["last_updated_timestamp"],
        tags=dict(row["tags"]),
        aliases=sorted(row["aliases"]),
    )


def model_entity(row: RegisteredModelRow) -> RegisteredModel:
    """A backend's registered-model row as a :class:`RegisteredModel`."""
    return RegisteredModel(
        name=row["name"],
        description=row["description"],
        user_id=row["user_id"],
        creation_timestamp=row["creation_timestamp"],
        last_updated_timestamp=row["last_updated_timestamp"],
        tags=dict(row["tags"]),
        aliases=dict(row["aliases"]),
        latest_versions=[version_entity(v) for v in row["latest_versions"]],
    )
