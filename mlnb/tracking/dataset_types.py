"""Dataset objects MLflow's way: ``from_pandas``/``from_numpy`` and what they record.

A dataset has a name (``"dataset"`` by default), MLflow's 8-digit digest, a typed source, a
schema and a profile; ``to_dict()`` gives them as MLflow records them (source, schema and
profile as JSON strings).  Never the data itself.
"""

from __future__ import annotations

import json
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mlnb import entities
from mlnb.errors import InvalidParameter
from mlnb.tracking.dataset_digest import numpy_digest, pandas_digest
from mlnb.tracking.dataset_sources import DatasetSource, resolve_source

if TYPE_CHECKING:
    import pandas as pd

    from mlnb.flavors.specs import Schema

_log = logging.getLogger(__name__)


class Dataset:
    """A dataset for run inputs: name, digest, source, schema and profile (MLflow's ``mlflow.data.Dataset``)."""

    def __init__(self, source: Any, name: str | None, digest: str | None) -> None:
        self._source = resolve_source(source)
        self._name = name
        self._digest = digest or self._compute_digest()

    def _compute_digest(self) -> str:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self._name if self._name is not None else "dataset"

    @property
    def digest(self) -> str:
        return self._digest

    @property
    def source(self) -> DatasetSource:
        return self._source

    @property
    def profile(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def _schema_json(self) -> str | None:
        raise NotImplementedError

    def to_dict(self) -> dict[str, str | None]:
        """``name``, ``digest``, ``source`` (JSON), ``source_type``, ``schema`` and ``profile`` (JSON)."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self._source.to_json(),
            "source_type": self._source.source_type,
            "schema": self._schema_json(),
            "profile": json.dumps(self.profile),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def _to_mlflow_entity(self) -> entities.Dataset:
        return entities.Dataset(
            name=self.name,
            digest=self.digest,
            source_type=self._source.source_type,
            source=self._source.to_json(),
            schema=self._schema_json(),
            profile=json.dumps(self.profile),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest!r} source_type={self._source.source_type!r}>"


class PandasDataset(Dataset):
    """A pandas DataFrame used by a run (build it with :func:`from_pandas`)."""

    def __init__(
        self,
        df: pd.DataFrame,
        source: Any = None,
        targets: str | None = None,
        name: str | None = None,
        digest: str | None = None,
        predictions: str | None = None,
    ) -> None:
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise InvalidParameter(f"from_pandas takes a pandas DataFrame, got {type(df).__name__}")
        for what, column in (("targets", targets), ("predictions", predictions)):
            if column is not None and column not in df.columns:
                raise InvalidParameter(
                    f"the DataFrame has no {what} column {column!r}; columns: {list(df.columns)}"
                )
        self._df, self._targets, self._predictions = df, targets, predictions
        super().__init__(source, name, digest)

    def _compute_digest(self) -> str:
        return pandas_digest(self._df)

    @property
    def df(self) -> pd.DataFrame:
        return self._df

    @property
    def targets(self) -> str | None:
        return self._targets

    @property
    def predictions(self) -> str | None:
        return self._predictions

    @property
    def profile(self) -> dict[str, Any]:
        return {"num_rows": len(self._df), "num_elements": int(self._df.size)}

    @cached_property
    def schema(self) -> Schema | None:
        """The columns as a :class:`~mlnb.flavors.schema.Schema`, or None if they cannot be described."""
        from mlnb.flavors.inference import infer_schema

        try:
            return infer_schema(self._df)
        except InvalidParameter as exc:
            _log.debug("no schema for dataset %s: %s", self.name, exc)
            return None

    def _schema_json(self) -> str | None:
        return json.dumps({"mlflow_colspec": self.schema.to_dict()}) if self.schema else None


class TensorDatasetSchema:
    """The schemas of a numpy dataset's features and (optional) targets."""

    def __init__(self, features: Schema, targets: Schema | None = None) -> None:
        self.features, self.targets = features, targets

    def to_dict(self) -> dict[str, Any]:
        targets = self.targets.to_json() if self.targets is not None else None
        return {"mlflow_tensorspec": {"features": self.features.to_json(), "targets": targets}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorDatasetSchema) and (self.features, self.targets) == (
            other.features,
            other.targets,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"features:\n  {self.features!r}\ntargets:\n  {self.targets!r}\n"


class NumpyDataset(Dataset):
    """Numpy features (and targets), each an array or a dict of arrays (see :func:`from_numpy`)."""

    def __init__(
        self,
        features: Any,
        source: Any = None,
        targets: Any = None,
        name: str | None = None,
        digest: str | None = None,
    ) -> None:
        import numpy as np

        for what, value in (("features", features), ("targets", targets)):
            arrays = value.values() if isinstance(value, dict) else [value]
            if (value is not None or what == "features") and not all(
                isinstance(a, np.ndarray) for a in arrays
            ):
                raise InvalidParameter(
                    f"from_numpy {what} must be a numpy array or a dict of arrays, got {type(value).__name__}"
                )
        self._features, self._targets = features, targets
        super().__init__(source, name, digest)

    def _compute_digest(self) -> str:
        return numpy_digest(self._features, self._targets)

    @property
    def features(self) -> Any:
        return self._features

    @property
    def targets(self) -> Any:
        return self._targets

    @property
    def profile(self) -> dict[str, Any]:
        def attr(data: Any, name: str) -> Any:
            return (
                {k: getattr(a, name) for k, a in data.items()}
                if isinstance(data, dict)
                else getattr(data, name)
            )

        parts = [("features", self._features)] + (
            [("targets", self._targets)] if self._targets is not None else []
        )
        return {
            f"{part}_{name}": attr(data, name) for part, data in parts for name in ("shape", "size", "nbytes")
        }

    @cached_property
    def schema(self) -> TensorDatasetSchema | None:
        from mlnb.flavors.inference import infer_schema

        try:
            targets = infer_schema(self._targets) if self._targets is not None else None
            return TensorDatasetSchema(infer_schema(self._features), targets)
        except InvalidParameter as exc:
            _log.warning("no schema for numpy dataset %s: %s", self.name, exc)
            return None

    def _schema_json(self) -> str | None:
        return json.dumps(self.schema.to_dict()) if self.schema else None


def from_pandas(
    df: pd.DataFrame,
    source: Any = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> PandasDataset:
    """A dataset of a DataFrame, with MLflow's digest, for :func:`mlnb.log_input`.

    Parameters
    ----------
    df : pandas.DataFrame
    source : str, optional
        Path or URI the data came from; by default, the code that built it.
    targets, predictions : str, optional
        Names of the label and prediction columns (must be columns of ``df``).
    name : str, optional
        Defaults to ``"dataset"``.
    digest : str, optional
        Overrides the computed digest.

    Examples
    --------
    >>> ds = from_pandas(train_df, source="data/train.csv", targets="churned")  # doctest: +SKIP
    >>> mlnb.log_input(ds, context="training")  # doctest: +SKIP
    """
    return PandasDataset(df, source, targets, name, digest, predictions)


def from_numpy(
    features: Any, source: Any = None, targets: Any = None, name: str | None = None, digest: str | None = None
) -> NumpyDataset:
    """A dataset of numpy features (and targets), with MLflow's digest, for :func:`mlnb.log_input`."""
    return NumpyDataset(features, source, targets, name, digest)


def get_source(dataset: Any) -> DatasetSource:
    """The source of a dataset (or of a recorded :class:`~mlnb.entities.DatasetInput`'s dataset)."""
    if isinstance(dataset, Dataset):
        return dataset.source
    inner = getattr(dataset, "dataset", dataset)
    if hasattr(inner, "source_type") and isinstance(getattr(inner, "source", None), str):
        return DatasetSource(inner.source_type, json.loads(inner.source))
    raise InvalidParameter(f"cannot get the source of a {type(dataset).__name__}; give a dataset")
