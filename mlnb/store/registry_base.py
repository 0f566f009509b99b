"""The registry contract: what every store backend provides for registered models.

:class:`RegistryStore` is everything :mod:`mlnb.registry` (and the Jupyter views) need from a
store's model registry: registered models (create, read, list, describe, rename, delete), their
versions (created gapless per name, read, listed, described, deleted), stages, tags, and aliases
with the history of every move.  A store exposes its implementation as ``store.registry``
(:class:`mlnb.store.registry_sql.SqlRegistryStore` for SQLite and PostgreSQL).

Reads return the plain rows defined here; :mod:`mlnb.registry` turns them into entities.  The
names and arguments are already checked by the registry layer; a backend reports a missing model
or version as :class:`mlnb.ModelNotFound`, a missing alias as :class:`mlnb.AliasNotFound` (on
lookup) or :class:`mlnb.ModelNotFound` (on delete), a missing tag as :class:`mlnb.NotFound` and a
taken name as :class:`mlnb.AlreadyExists`.

Every write is one transaction; a backend must keep version numbers unique and gapless per name
however many processes register at once, and never reuse a deleted version's number.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final, NamedTuple, Protocol, TypedDict, runtime_checkable


class ModelVersionRow(TypedDict):
    """One model version as a backend returns it."""

    name: str
    version: int
    run_id: str
    artifact_path: str
    current_stage: str
    description: str | None
    user_id: str
    creation_timestamp: int
    last_updated_timestamp: int
    model_digest: str | None  # sha256 over the model directory's (path, sha256) list when registered
    tags: dict[str, str]
    aliases: list[str]  # aliases pointing at this version


class RegisteredModelRow(TypedDict):
    """One registered model as a backend returns it."""

    name: str
    description: str | None
    last_version: int  # the highest number ever given (deleted versions included)
    user_id: str
    creation_timestamp: int
    last_updated_timestamp: int
    tags: dict[str, str]
    aliases: dict[str, int]  # alias -> version number
    latest_versions: list[ModelVersionRow]  # the newest version in each stage, oldest first


class AliasPeriod(TypedDict):
    """One period ``[set_time, removed_time)`` during which an alias pointed at a version."""

    name: str
    alias: str
    version: int
    set_time: int
    set_by: str
    removed_time: int | None  # None while the alias still points there
    removed_by: str | None
    removed_reason: str | None  # moved, deleted, version deleted or model deleted


class VersionLocation(NamedTuple):
    """Where a version's model directory is, and the digest it was registered with."""

    version: int
    run_id: str
    artifact_path: str
    model_digest: str | None


class AnyHolder(enum.Enum):
    """The type of :data:`ANY_HOLDER`: "move the alias whichever version holds it now"."""

    ANY = "any"


ANY_HOLDER: Final = AnyHolder.ANY


@runtime_checkable
class RegistryStore(Protocol):
    """The model registry of one store (see the module docstring for the rules)."""

    # --- registered models ---------------------------------------------------------------------
    def create_registered_model(
        self, name: str, user: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModelRow:
        """Create an empty model; :class:`mlnb.AlreadyExists` if the name is taken."""
        ...

    def get_registered_model(self, name: str) -> RegisteredModelRow: ...

    def list_registered_models(self) -> list[RegisteredModelRow]:
        """Every registered model, sorted by name."""
        ...

    def update_registered_model(self, name: str, description: str | None) -> None: ...

    def rename_registered_model(self, name: str, new_name: str) -> None:
        """Rename a model; its versions (numbers kept), tags, aliases and alias history follow."""
        ...

    def delete_registered_model(self, name: str, user: str) -> None:
        """Delete a model with its versions, tags and aliases; open alias periods are closed
        as ``"model deleted"`` and the history is kept."""
        ...

    def set_model_tag(self, name: str, key: str, value: str) -> None: ...

    def delete_model_tag(self, name: str, key: str) -> None: ...

    # --- versions ------------------------------------------------------------------------------
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
        ...

    def get_model_version(self, name: str, version: int) -> ModelVersionRow: ...

    def list_model_versions(
        self, name: str | None = None, stages: Iterable[str] | None = None
    ) -> list[ModelVersionRow]:
        """Versions (of ``name`` if given, in ``stages`` if given), by name then newest first."""
        ...

    def locate_version(
        self, name: str, *, version: int | None = None, alias: str | None = None, stage: str | None = None
    ) -> VersionLocation:
        """The version named by number, alias, stage (the newest in it) or, with none of them,
        the newest version."""
        ...

    def update_model_version(
        self, name: str, version: int, *, description: str | None
    ) -> ModelVersionRow: ...

    def delete_model_version(self, name: str, version: int, user: str) -> None:
        """Delete one version; aliases on it are removed (closed as ``"version deleted"``)."""
        ...

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    def delete_version_tag(self, name: str, version: int, key: str) -> None: ...

    # --- stages --------------------------------------------------------------------------------
    def transition_stage(self, name: str, version: int, stage: str, archive_existing: bool) -> list[int]:
        """Move a version to ``stage``; with ``archive_existing`` the other versions in Staging or
        Production move to Archived in the same transaction.  Returns those version numbers."""
        ...

    # --- aliases -------------------------------------------------------------------------------
    def alias_version(self, name: str, alias: str) -> int:
        """The version ``alias`` points at (:class:`mlnb.AliasNotFound` if none)."""
        ...

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasPeriod]:
        """Every period an alias of ``name`` (or only ``alias``) pointed at a version, oldest first."""
        ...

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        user: str,
        expected: int | AnyHolder | None = ANY_HOLDER,
    ) -> int | None:
        """Point ``alias`` at ``version``; returns the version it pointed at before (or None).

        With ``expected`` (a version or None) the move happens only if the alias still points
        there, else :class:`mlnb.InvalidState`.
        """
        ...

    def delete_alias(self, name: str, alias: str, user: str) -> int:
        """Remove an alias; returns the version it pointed at."""
        ...
