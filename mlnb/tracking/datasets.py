"""Datasets a run used: MLflow's ``from_pandas``/``from_numpy`` objects and ``log_input``.

A dataset is recorded as MLflow records it (name, 8-digit digest, typed source, schema and
profile as JSON, input tags with ``mlflow.data.context``), never the data itself.  mlnb also keeps
its shape and column dtypes for the run panels.  Raw DataFrames, Series and arrays passed to
:func:`log_input` keep mlnb's own fingerprint (a sha256 of the content) as digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cached_property
from typing import Any

from mlnb import entities
from mlnb.entities import DATASET_CONTEXT_TAG, DatasetInput, InputTag
from mlnb.errors import InvalidParameter
from mlnb.tracking.dataset_digest import numpy_digest, pandas_digest
from mlnb.tracking.dataset_sources import DatasetSource, resolve_source

_log = logging.getLogger(__name__)
MAX_CONTEXT = 500  # MLflow's limit for an input tag value


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
        d = self.to_dict()
        return entities.Dataset(
            d["name"], d["digest"], d["source_type"], d["source"], d["schema"], d["profile"]
        )  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest!r} source_type={self._source.source_type!r}>"


class PandasDataset(Dataset):
    """A pandas DataFrame used by a run (build it with :func:`from_pandas`)."""

    def __init__(
        self,
        df: Any,
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
    def df(self) -> Any:
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
    def schema(self) -> Any:
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

    def __init__(self, features: Any, targets: Any = None) -> None:
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
    df: Any,
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


def _columns_and_shape(data: Any) -> tuple[list[dict[str, str]], list[int]]:
    """Column dtypes and shape of a frame, series or array (what mlnb's panels show)."""
    if hasattr(data, "columns") and hasattr(data, "dtypes"):
        return [{"name": str(c), "type": str(t)} for c, t in data.dtypes.items()], list(data.shape)
    if hasattr(data, "dtype") and hasattr(data, "index"):
        return [{"name": str(data.name), "type": str(data.dtype)}], [len(data)]
    if isinstance(data, dict):
        return [{"name": str(k), "type": str(v.dtype)} for k, v in data.items()], [
            len(next(iter(data.values()), []))
        ]
    return [{"name": "", "type": str(data.dtype)}], list(data.shape)


def _fingerprint_digest(data: Any, columns: list[dict[str, str]], shape: list[int]) -> str:
    import numpy as np

    digest = hashlib.sha256()
    if hasattr(data, "dtypes") or hasattr(data, "index"):
        import pandas as pd

        digest.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    elif data.dtype == object:
        digest.update(repr(data.tolist()).encode("utf-8", "surrogatepass"))
    else:
        digest.update(np.ascontiguousarray(data).tobytes())
    for item in columns:
        digest.update(f"{item['name']}:{item['type']};".encode("utf-8", "surrogatepass"))
    digest.update(repr(shape).encode())
    return digest.hexdigest()


def _as_dataset(data: Any, name: str | None, source: Any) -> tuple[Any, Any]:
    """A raw frame/series/array as a dataset object with mlnb's sha256 fingerprint, and the data."""
    import numpy as np

    if not (hasattr(data, "dtypes") or hasattr(data, "index")):
        try:
            data = np.asarray(data)
        except Exception as exc:
            raise InvalidParameter(
                f"cannot record a {type(data).__name__} as a dataset: give a DataFrame, Series, array "
                "or a dataset from mlnb.data.from_pandas/from_numpy"
            ) from exc
    columns, shape = _columns_and_shape(data)
    digest = _fingerprint_digest(data, columns, shape)
    name = name or f"dataset_{digest[:8]}"
    if hasattr(data, "index"):
        frame = data if hasattr(data, "dtypes") else data.to_frame()
        return PandasDataset(frame, source, name=name, digest=digest), data
    return NumpyDataset(data, source, name=name, digest=digest), data


def get_source(dataset: Any) -> DatasetSource:
    """The source of a dataset (or of a recorded :class:`~mlnb.entities.DatasetInput`'s dataset)."""
    if isinstance(dataset, Dataset):
        return dataset.source
    inner = getattr(dataset, "dataset", dataset)
    if hasattr(inner, "source_type") and isinstance(getattr(inner, "source", None), str):
        return DatasetSource(inner.source_type, json.loads(inner.source))
    raise InvalidParameter(f"cannot get the source of a {type(dataset).__name__}; give a dataset")


def is_dataset(obj: Any) -> bool:
    """A dataset object (mlnb's or MLflow's), as opposed to raw data."""
    return all(hasattr(obj, a) for a in ("to_dict", "digest", "source", "profile"))


def _check_context(context: Any) -> str | None:
    if context is None:
        return None
    if not isinstance(context, str):
        raise InvalidParameter(f"context must be a string such as 'training' or 'eval', got {context!r}")
    if len(context) > MAX_CONTEXT:
        raise InvalidParameter(
            f"context is {len(context)} characters long; at most {MAX_CONTEXT} are allowed"
        )
    return context


def dataset_input(
    dataset: Any,
    context: str | None = None,
    tags: dict[str, Any] | None = None,
    name: str | None = None,
    source: Any = None,
) -> DatasetInput:
    """What :func:`log_input` records: a dataset (object or raw data) with its input tags."""
    raw = None
    if not is_dataset(dataset):
        dataset, raw = _as_dataset(dataset, name, source)
    elif name is not None or source is not None:
        raise InvalidParameter("name and source belong to the dataset; pass them to from_pandas/from_numpy")
    d = dataset.to_dict()
    entity = entities.Dataset(
        d["name"], d["digest"], d["source_type"], d["source"], d.get("schema"), d.get("profile")
    )
    tag_list = [InputTag(str(k), str(v)) for k, v in (tags or {}).items() if k != DATASET_CONTEXT_TAG]
    if (context := _check_context(context)) is not None:
        tag_list.append(InputTag(DATASET_CONTEXT_TAG, context))
    data = raw if raw is not None else getattr(dataset, "df", None)
    if data is None:
        data = getattr(dataset, "features", None)
    columns, shape = _columns_and_shape(data) if data is not None else ([], [])
    return DatasetInput(entity, tuple(tag_list), tuple(shape), tuple(columns))


def fingerprint(data: Any, name: str | None = None, role: str = "train", source: Any = None) -> DatasetInput:
    """A raw DataFrame, Series or array as a dataset input in context ``role`` (mlnb's sha256 digest)."""
    return dataset_input(data, role, name=name, source=source)


def log_input(
    dataset: Any = None,
    context: str | None = None,
    tags: dict[str, Any] | None = None,
    model: Any = None,
    *,
    name: str | None = None,
    source: Any = None,
    run_id: str | None = None,
) -> DatasetInput:
    """Record that the active run used ``dataset`` in ``context`` (any string, e.g. ``"training"``).

    Parameters
    ----------
    dataset : dataset or DataFrame/Series/array
        A dataset from :func:`mlnb.data.from_pandas`/:func:`~mlnb.data.from_numpy` (MLflow's are
        accepted too), or raw data, fingerprinted by content (context defaults to ``"train"``).
    context : str, optional
        Stored as the ``mlflow.data.context`` input tag.
    tags : dict, optional
        More input tags.
    model : optional
        MLflow's logged-model input; not supported by mlnb stores.
    name, source : optional
        Name and source of raw data.
    run_id : str, optional
        A run other than the active one.

    Examples
    --------
    >>> mlnb.log_input(mlnb.data.from_pandas(df, name="train"), context="training")  # doctest: +SKIP
    """
    from mlnb.tracking.fluent import _run_id_or_active
    from mlnb.tracking.state import get_store

    if model is not None:
        raise InvalidParameter("logging a model as a run input is not supported; log datasets only")
    if dataset is None:
        if context or tags:
            raise InvalidParameter("`dataset` must be specified if `context` or `tags` is specified")
        raise InvalidParameter("log_input needs a dataset (mlnb.data.from_pandas(df)) or a DataFrame/array")
    if not is_dataset(dataset) and context is None:
        context = "train"
    info = dataset_input(dataset, context, tags, name=name, source=source)
    get_store().log_inputs(_run_id_or_active(run_id), [info])
    return info
