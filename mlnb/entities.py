"""Entities returned by the API: frozen dataclasses shaped like MLflow's (stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class RunStatus:
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINAL = (FINISHED, FAILED, KILLED)


class ViewType:
    """Which runs a search returns, by lifecycle stage (MLflow's numbering)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    user_id: str
    parent_run_id: str | None = None

    @property
    def run_uuid(self) -> str:  # MLflow's older name
        return self.run_id


@dataclass(frozen=True)
class RunData:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInput:
    name: str
    digest: str
    role: str
    shape: list[int]
    schema: list[dict[str, str]]
    source: str | None = None


@dataclass(frozen=True)
class ArtifactInfo:
    """A file or directory of a run's artifacts (MLflow's ``FileInfo``, plus the recorded sha256)."""

    path: str
    is_dir: bool
    file_size: int | None
    sha256: str | None = None


FileInfo = ArtifactInfo
"""MLflow's name for :class:`ArtifactInfo`."""


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    key: str
    value: str


class PagedList(list):  # type: ignore[type-arg]
    """One page of results; ``token`` fetches the next page (``None`` on the last one)."""

    def __init__(self, items: Any, token: str | None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData
    inputs: tuple[DatasetInput, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)
