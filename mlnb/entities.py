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
class RunOutputs:
    """What a run produced as first-class outputs (MLflow's logged-model outputs; none in mlnb)."""

    model_outputs: tuple[Any, ...] = ()

    def to_dictionary(self) -> dict[str, Any]:
        return {"model_outputs": [_to_dictionary(m) for m in self.model_outputs]}


_RUN_INFO_KEYS = (
    "artifact_uri",
    "end_time",
    "experiment_id",
    "lifecycle_stage",
    "run_id",
    "run_name",
    "start_time",
    "status",
    "user_id",
)


def _to_dictionary(value: Any) -> Any:
    to_dictionary = getattr(value, "to_dictionary", None)
    if callable(to_dictionary):
        return to_dictionary()
    from dataclasses import asdict, is_dataclass

    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _inputs_dictionary(inputs: Any) -> dict[str, Any]:
    if hasattr(inputs, "to_dictionary"):
        return inputs.to_dictionary()
    dataset_inputs = []
    for d in getattr(inputs, "dataset_inputs", inputs) or ():
        if hasattr(d, "to_dictionary"):
            dataset_inputs.append(d.to_dictionary())
            continue
        import json

        dataset_inputs.append(
            {
                "dataset": {
                    "name": d.name,
                    "digest": d.digest,
                    "source_type": "local" if d.source else "code",
                    "source": json.dumps({"uri": d.source}) if d.source else "{}",
                    "schema": json.dumps({"mlflow_colspec": d.schema}),
                    "profile": json.dumps({"shape": list(d.shape)}),
                },
                "tags": {"mlflow.data.context": d.role} if d.role else {},
            }
        )
    return {"model_inputs": list(getattr(inputs, "model_inputs", ()) or ()), "dataset_inputs": dataset_inputs}


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData
    inputs: tuple[DatasetInput, ...] = ()

    @property
    def outputs(self) -> RunOutputs:
        return RunOutputs()

    def to_dictionary(self) -> dict[str, Any]:
        """The run as MLflow's ``Run.to_dictionary()`` shapes it: ``info``, ``data``, ``inputs``,
        ``outputs``, with ``info`` holding exactly MLflow's nine RunInfo keys."""
        return {
            "info": {key: getattr(self.info, key) for key in _RUN_INFO_KEYS},
            "data": {
                "metrics": dict(self.data.metrics),
                "params": dict(self.data.params),
                "tags": dict(self.data.tags),
            },
            "inputs": _inputs_dictionary(self.inputs),
            "outputs": self.outputs.to_dictionary(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field, including mlnb's own (``parent_run_id``); see :meth:`to_dictionary`."""
        from dataclasses import asdict

        return asdict(self)
