"""Datasets a run used: ``log_input``/``log_inputs`` of dataset objects or raw data.

A dataset (see :mod:`mlnb.tracking.dataset_types`) is recorded as MLflow records it (name, 8-digit digest, typed source, schema and
profile as JSON, input tags with ``mlflow.data.context``), never the data itself.  mlnb also keeps
its shape and column dtypes for the run panels.  Raw DataFrames, Series and arrays passed to
:func:`log_input` keep mlnb's own fingerprint (a sha256 of the content) as digest.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mlnb import entities
from mlnb.entities import DATASET_CONTEXT_TAG, DatasetInput, InputTag
from mlnb.errors import InvalidParameter, shorten
from mlnb.store.values import check_text
from mlnb.tracking.dataset_types import NumpyDataset, PandasDataset

MAX_CONTEXT = 500  # MLflow's limit for an input tag value


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

    # (str, list and tuple have an ``index`` method too: a pandas object has a dtype as well)
    if not (hasattr(data, "dtypes") or (hasattr(data, "index") and hasattr(data, "dtype"))):
        try:
            data = np.asarray(data)
        except Exception as exc:
            raise InvalidParameter(
                f"cannot record a {type(data).__name__} as a dataset: give a DataFrame, Series, array "
                "or a dataset from mlnb.data.from_pandas/from_numpy"
            ) from exc
        if data.ndim == 0:
            raise InvalidParameter(
                f"cannot record a single {type(data.item()).__name__} as a dataset: give a "
                "DataFrame, Series or an array of at least one dimension"
            )
    columns, shape = _columns_and_shape(data)
    digest = _fingerprint_digest(data, columns, shape)
    name = name or f"dataset_{digest[:8]}"
    if hasattr(data, "index"):
        frame = data if hasattr(data, "dtypes") else data.to_frame()
        return PandasDataset(frame, source, name=name, digest=digest), data
    return NumpyDataset(data, source, name=name, digest=digest), data


def is_dataset(obj: object) -> bool:
    """A dataset object (mlnb's or MLflow's), as opposed to raw data."""
    return all(hasattr(obj, a) for a in ("to_dict", "digest", "source", "profile"))


def _check_context(context: object) -> str | None:
    if context is None:
        return None
    if not isinstance(context, str):
        raise InvalidParameter(
            f"context must be a string such as 'training' or 'eval', got {shorten(context)}"
        )
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
    if tags is not None and not isinstance(tags, dict):
        raise InvalidParameter(f"input tags must be a dict of key -> value, got {type(tags).__name__}")
    if name is not None and not isinstance(name, str):
        raise InvalidParameter(f"a dataset name is a str, got {type(name).__name__}")
    if not is_dataset(dataset):
        dataset, raw = _as_dataset(dataset, name, source)
    elif name is not None or source is not None:
        raise InvalidParameter("name and source belong to the dataset; pass them to from_pandas/from_numpy")
    d = dataset.to_dict()
    entity = entities.Dataset(
        d["name"], d["digest"], d["source_type"], d["source"], d.get("schema"), d.get("profile")
    )
    tag_list = [
        InputTag(check_text(k, "input tag key"), check_text(v, f"input tag {shorten(k)}"))
        for k, v in (tags or {}).items()
        if k != DATASET_CONTEXT_TAG
    ]
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
    from mlnb.tracking.fluent import run_id_or_active
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
    get_store().log_inputs(run_id_or_active(run_id), [info])
    return info


def log_inputs(
    datasets: list[Any] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[dict[str, Any] | None] | None = None,
    models: list[Any] | None = None,
) -> None:
    """Record several datasets at once; the three lists run in parallel (``None`` entries allowed).

    Examples
    --------
    >>> mlnb.log_inputs([train, test], contexts=["training", "test"], tags_list=[None, {"k": "v"}])  # doctest: +SKIP
    """
    from mlnb.tracking.fluent import run_id_or_active
    from mlnb.tracking.state import get_store

    datasets, contexts, tags_list = datasets or [], contexts or [], tags_list or []
    if not len(datasets) == len(contexts) == len(tags_list):
        raise InvalidParameter(
            "`log_inputs` requires `datasets`, `contexts`, `tags_list` to be non-empty lists of the same length"
        )
    if models:
        raise InvalidParameter("logging models as run inputs is not supported; log datasets only")
    inputs = []
    for dataset, context, tags in zip(datasets, contexts, tags_list, strict=True):
        if dataset is None:
            if context or tags:
                raise InvalidParameter("`dataset` must be specified if `context` or `tags` is specified")
            continue
        inputs.append(dataset_input(dataset, context, tags))
    get_store().log_inputs(run_id_or_active(None), inputs)
