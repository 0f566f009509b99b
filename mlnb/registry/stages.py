"""Stages (None, Staging, Production, Archived), kept for MLflow-era workflows.

Aliases are the newer and more flexible way to mark a version; stages remain because many
courses and pipelines still move versions to ``Production``.  Input is case-insensitive
(``"production"``), output is always the canonical spelling.
"""

from __future__ import annotations

from mlnb.errors import InvalidParameter
from mlnb.registry.active import active_registry, version_entity
from mlnb.registry.entities import ModelVersion
from mlnb.registry.uris import STAGES, canonical_stage, check_model_name
from mlnb.registry.versions import check_version, get_model_version


def check_stage(stage: object) -> str:
    """The canonical spelling of ``stage`` or :class:`InvalidParameter`."""
    canonical = canonical_stage(stage)
    if canonical is None:
        raise InvalidParameter(f"stage {stage!r} is not one of {', '.join(STAGES)} (any letter case)")
    return canonical


def transition_model_version_stage(
    name: str, version: int | str, stage: str, archive_existing_versions: bool = False
) -> ModelVersion:
    """Move a version to ``stage``.

    Parameters
    ----------
    name, version
        The model version.
    stage : str
        ``None``, ``Staging``, ``Production`` or ``Archived`` (any letter case).
    archive_existing_versions : bool
        With ``True`` and a target of Staging or Production, every other version in that stage
        moves to Archived in the same transaction.

    Examples
    --------
    >>> mlnb.transition_model_version_stage("churn", 2, "production",
    ...                                     archive_existing_versions=True).current_stage  # doctest: +SKIP
    'Production'
    """
    if not isinstance(archive_existing_versions, bool):
        raise InvalidParameter(
            f"archive_existing_versions must be True or False, not {archive_existing_versions!r}"
        )
    name, number, canonical = check_model_name(name), check_version(version), check_stage(stage)
    if archive_existing_versions and canonical not in ("Staging", "Production"):
        raise InvalidParameter(
            f"archive_existing_versions=True only applies when moving to Staging or Production, "
            f"not {canonical}"
        )
    active_registry().transition_stage(name, number, canonical, archive_existing_versions)
    return get_model_version(name, number)


def get_latest_versions(name: str, stages: list[str] | None = None) -> list[ModelVersion]:
    """The newest version of ``name`` in each of ``stages`` (default: every stage), oldest first.

    Examples
    --------
    >>> [v.version for v in mlnb.get_latest_versions("churn", ["Production"])]  # doctest: +SKIP
    [3]
    """
    name = check_model_name(name)
    if isinstance(stages, str):
        stages = [stages]
    wanted = STAGES if not stages else tuple(check_stage(s) for s in stages)
    newest: dict[str, ModelVersion] = {}
    for row in active_registry().list_model_versions(name, wanted):
        newest.setdefault(row["current_stage"], version_entity(row))  # rows: newest first
    return sorted(newest.values(), key=lambda v: v.version)
