"""Entities returned by the API: frozen dataclasses shaped like MLflow's (stdlib only)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


DATASET_CONTEXT_TAG = "mlflow.data.context"
"""The input tag holding the context a dataset was used in ("training", "eval", ...)."""


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True)
class Dataset:
    """A dataset as recorded with a run (MLflow's ``mlflow.entities.Dataset``).

    ``source`` is JSON describing where the data came from (its form depends on
    ``source_type``: ``"local"`` -> ``{"uri": ...}``, ``"code"`` -> ``{"tags": {...}}``);
    ``schema`` and ``profile`` are JSON strings, or None.
    """

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None

    def to_dictionary(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
            "schema": self.schema,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class DatasetInput:
    """A dataset a run used, with its input tags (MLflow's shape), plus mlnb's shape and columns.

    ``context`` (also ``role``) is the value of the ``mlflow.data.context`` tag; ``shape`` and
    ``columns`` (``[{"name", "type"}]`` with pandas/numpy dtypes) are what mlnb's panels show.
    """

    dataset: Dataset
    tags: tuple[InputTag, ...] = ()
    shape: tuple[int, ...] = ()
    columns: tuple[dict[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def digest(self) -> str:
        return self.dataset.digest

    @property
    def context(self) -> str | None:
        return next((t.value for t in self.tags if t.key == DATASET_CONTEXT_TAG), None)

    @property
    def role(self) -> str | None:  # mlnb's earlier name for the context
        return self.context

    def to_dictionary(self) -> dict[str, Any]:
        return {"dataset": self.dataset.to_dictionary(), "tags": {t.key: t.value for t in self.tags}}


@dataclass(frozen=True)
class RunInputs:
    """What a run used: ``dataset_inputs`` (iterating a RunInputs walks them)."""

    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[object, ...] = ()

    def __iter__(self) -> Iterator[DatasetInput]:
        return iter(self.dataset_inputs)

    def __len__(self) -> int:
        return len(self.dataset_inputs)

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "model_inputs": list(self.model_inputs),
            "dataset_inputs": [d.to_dictionary() for d in self.dataset_inputs],
        }


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


class PagedList(list[Any]):
    """One page of results; ``token`` fetches the next page (``None`` on the last one)."""

    def __init__(self, items: Iterable[Any], token: str | None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class RunOutputs:
    """What a run produced as first-class outputs (MLflow's logged-model outputs; none in mlnb)."""

    model_outputs: tuple[object, ...] = ()

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


def _to_dictionary(value: object) -> object:
    to_dictionary = getattr(value, "to_dictionary", None)
    if callable(to_dictionary):
        return to_dictionary()
    from dataclasses import asdict, is_dataclass

    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)

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
            "inputs": self.inputs.to_dictionary(),
            "outputs": self.outputs.to_dictionary(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field, including mlnb's own (``parent_run_id``); see :meth:`to_dictionary`."""
        from dataclasses import asdict

        return asdict(self)
