"""Entities of the registry: frozen dataclasses shaped like MLflow's (stdlib only).

Differences from MLflow, on purpose: ``ModelVersion.version`` is an ``int`` (MLflow uses a
string) and a version also carries ``artifact_path``; every function that takes a version
accepts ``3`` and ``"3"`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model: a pointer to a model directory logged in a run.

    Attributes
    ----------
    name, version : str, int
        The registered model and the version number (1, 2, ... gapless per name).
    run_id, artifact_path : str
        Where the model directory lives; ``source`` is ``runs:/<run_id>/<artifact_path>``.
    current_stage : str
        ``"None"``, ``"Staging"``, ``"Production"`` or ``"Archived"``.
    aliases : list of str
        Aliases pointing at this version (``"champion"``, ...).
    """

    name: str
    version: int
    run_id: str
    artifact_path: str
    current_stage: str = "None"
    description: str | None = None
    user_id: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    status: str = "READY"

    @property
    def source(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}"

    @property
    def model_uri(self) -> str:
        """The registry URI of this version, ``models:/<name>/<version>``."""
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "artifact_path": self.artifact_path,
            "source": self.source,
            "current_stage": self.current_stage,
            "description": self.description,
            "user_id": self.user_id,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "tags": dict(self.tags),
            "aliases": list(self.aliases),
            "status": self.status,
        }


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model: a name, its description, tags, aliases and latest versions.

    ``latest_versions`` holds the newest version in each stage (as MLflow's field does);
    ``aliases`` maps alias -> version number.
    """

    name: str
    description: str | None = None
    user_id: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_versions: list[ModelVersion] = field(default_factory=list)

    @property
    def latest_version(self) -> int | None:
        """The highest existing version number, or ``None`` when the model has no version."""
        return max((v.version for v in self.latest_versions), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "user_id": self.user_id,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "tags": dict(self.tags),
            "aliases": dict(self.aliases),
            "latest_versions": [v.to_dict() for v in self.latest_versions],
        }
