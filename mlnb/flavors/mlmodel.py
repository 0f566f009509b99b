"""The MLflow model directory of a scikit-learn estimator, built in memory.

:func:`build_model` returns every file of the directory as bytes — ``MLmodel``, ``model.skops``
(or ``model.pkl``), ``input_example.json``, ``serving_input_example.json``, ``requirements.txt``,
``python_env.yaml``, ``conda.yaml`` — in the layout MLflow 3.17 writes for
``mlflow.sklearn.save_model(..., serialization_format="skops")``, so ``mlflow.pyfunc.load_model``
and ``mlflow models serve`` accept it.  Writing the files (and hashing them) is the store's job.
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from typing import Any

from mlnb.errors import InvalidParameter, UnsupportedModel
from mlnb.flavors import bundle, environment, skops_io
from mlnb.flavors.model import (
    MLFLOW_FORMAT_VERSION,
    MLMODEL_FILE,
    Model,
    dump_mlmodel,
    mlflow_version_installed,
    parse_mlmodel,
)
from mlnb.flavors.signature import infer_signature, normalize_signature

__all__ = [
    "MLFLOW_FORMAT_VERSION",
    "MLMODEL_FILE",
    "ModelFiles",
    "build_model",
    "dump_mlmodel",
    "parse_mlmodel",
]

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
EXAMPLE_ROWS = 5
SERIALIZATION_FORMATS = (skops_io.SKOPS, skops_io.CLOUDPICKLE, skops_io.PICKLE)


@dataclass(frozen=True)
class ModelFiles:
    """Every file of one model directory plus what the database records about it."""

    files: list[tuple[str, bytes]]
    serialization: str
    trusted_types: list[str] = field(default_factory=list)
    signature: dict[str, Any] | None = None
    mlmodel: dict[str, Any] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _example(example: Any) -> tuple[Any, dict[str, Any] | list[Any], dict[str, Any], dict[str, Any]]:
    """(rows used for inference, input_example.json, serving example, saved_input_example_info)."""
    import numpy as np
    import pandas as pd

    if isinstance(example, pd.Series):
        example = example.to_frame()
    if isinstance(example, dict):
        example = pd.DataFrame(example)
    if isinstance(example, pd.DataFrame):
        frame = example.head(EXAMPLE_ROWS)
        split = {
            "columns": [str(c) for c in frame.columns],
            "data": [[_jsonable(v) for v in row] for row in frame.itertuples(index=False, name=None)],
        }
        info = {
            "artifact_path": INPUT_EXAMPLE_FILE,
            "pandas_orient": "split",
            "serving_input_path": SERVING_EXAMPLE_FILE,
            "type": "dataframe",
        }
        return frame, split, {"dataframe_split": split}, info
    if isinstance(example, (np.ndarray, list)):
        array = np.asarray(example)[:EXAMPLE_ROWS]
        if array.dtype.kind == "O":
            raise InvalidParameter("input_example must be a DataFrame or a numeric/str numpy array")
        data = [[_jsonable(v) for v in row] if array.ndim > 1 else _jsonable(row) for row in array]
        info = {
            "artifact_path": INPUT_EXAMPLE_FILE,
            "serving_input_path": SERVING_EXAMPLE_FILE,
            "type": "ndarray",
        }
        return array, data, {"inputs": data}, info
    raise InvalidParameter(
        f"input_example must be a pandas DataFrame or a numpy array, got {type(example).__name__}"
    )


def _infer_quietly(model: Any, rows: Any, output: Any = None) -> dict[str, Any] | None:
    """The signature from the example; a model failing on its own example still gets logged.

    ``output``: predictions the model already made (on any rows).  The output schema depends
    only on their dtype and shape, so they stand in for predicting on the example again.
    """
    if output is None:
        try:
            output = model.predict(rows) if hasattr(model, "predict") else None
        except Exception:
            output = None
    try:
        return infer_signature(rows, output)
    except InvalidParameter:
        return None


def mlflow_version() -> str:
    return mlflow_version_installed()


def serialize(
    model: Any, serialization_format: str | None, allow_pickle: bool
) -> tuple[bytes, list[str], str, str]:
    """(bytes, trusted types, serialization, file name) of ``model``.

    skops unless ``serialization_format`` asks for ``"cloudpickle"`` or ``"pickle"``; with
    ``allow_pickle`` a model skops cannot save falls back to cloudpickle.
    """
    fmt = skops_io.SKOPS if serialization_format is None else serialization_format
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidParameter(
            f"serialization_format {serialization_format!r} is not supported; use one of "
            f"{', '.join(SERIALIZATION_FORMATS)} (skops is the default and the only one that "
            "cannot run code when loaded)"
        )
    if fmt == skops_io.PICKLE:
        return skops_io.dump_plain_pickle(model), [], skops_io.PICKLE, skops_io.PICKLE_FILE
    if fmt == skops_io.SKOPS:
        try:
            data, trusted = skops_io.dump_skops(model)
            return data, trusted, skops_io.SKOPS, skops_io.SKOPS_FILE
        except UnsupportedModel:
            if not allow_pickle:
                raise
    return skops_io.dump_pickle(model), [], skops_io.CLOUDPICKLE, skops_io.PICKLE_FILE


def example_files(
    input_example: Any,
) -> tuple[Any, list[tuple[str, bytes]], dict[str, Any] | None]:
    """(rows, the two example files, saved_input_example_info) for an input example (or None)."""
    if input_example is None:
        return None, [], None
    rows, example_json, serving_json, info = _example(input_example)
    files = [
        (INPUT_EXAMPLE_FILE, json.dumps(example_json).encode()),
        (SERVING_EXAMPLE_FILE, json.dumps(serving_json, indent=2).encode()),
    ]
    return rows, files, info


def new_model(
    flavors: dict[str, Any],
    files: list[tuple[str, bytes]],
    *,
    signature: dict[str, Any] | None,
    example_info: dict[str, Any] | None,
    metadata: dict[str, Any] | None = None,
    model_id: str | None = None,
) -> Model:
    """The Model (MLmodel content) of a directory holding ``files``, in MLflow 3.17's keys."""
    return Model(
        flavors=flavors,
        signature=signature,
        saved_input_example_info=example_info,
        metadata=metadata,
        model_size_bytes=sum(len(content) for _, content in files),
        model_id=model_id,
        is_signature_from_type_hint=False,
        prompts=None,
        type_hint_from_example=False,
    )


def build_model(
    model: Any,
    *,
    input_example: Any = None,
    signature: Any = None,
    allow_pickle: bool = False,
    output_example: Any = None,
    serialization_format: str | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    requirements: environment.Requirements | None = None,
    model_id: str | None = None,
    code_paths: list[Any] | None = None,
    extra_files: list[Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> ModelFiles:
    """All files of the MLflow-compatible directory for a fitted scikit-learn estimator.

    The signature is inferred from ``input_example`` (first 5 rows) and the model's predictions
    on it unless given; ``output_example`` (the model's predictions on any rows) saves
    predicting again when the caller has them.  ``serialization_format`` is ``"skops"``
    (default), or ``"cloudpickle"``/``"pickle"`` when the caller opts in.  Raises
    :class:`mlnb.errors.UnsupportedModel` when skops cannot save the model and neither
    ``allow_pickle`` nor a pickle format was asked for.

    Examples
    --------
    >>> files = build_model(pipe, input_example=X_train)  # doctest: +SKIP
    >>> [name for name, _ in files.files]  # doctest: +SKIP
    ['model.skops', 'input_example.json', 'serving_input_example.json', 'MLmodel', ...]
    """
    import sklearn

    data, trusted, serialization, model_file = serialize(model, serialization_format, allow_pickle)
    files: list[tuple[str, bytes]] = [(model_file, data)]
    sig = None if signature is False else normalize_signature(signature)
    rows, example, info = example_files(input_example)
    files.extend(example)
    if rows is not None and signature is None:  # signature=False: no signature, as in MLflow
        sig = _infer_quietly(model, rows, output_example)
    code = bundle.read_paths(code_paths, bundle.CODE_DIR, "code path")
    extra = bundle.read_paths(extra_files, bundle.EXTRA_FILES_DIR, "extra file")
    files.extend(code + extra)

    flavors: dict[str, Any] = {}
    if hasattr(model, pyfunc_predict_fn):
        flavors["python_function"] = {
            "env": {"conda": environment.CONDA_ENV_FILE, "virtualenv": environment.PYTHON_ENV_FILE},
            "loader_module": "mlflow.sklearn",
            "model_path": model_file,
            "predict_fn": pyfunc_predict_fn,
            "python_version": platform.python_version(),
        }
    flavors["sklearn"] = {
        "code": bundle.CODE_DIR if code else None,
        "pickled_model": model_file,
        "serialization_format": serialization,
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": list(trusted) or None,
    }
    if extra:
        flavors["sklearn"]["extra_files"] = [{"path": rel} for rel, _ in extra]
    if code and "python_function" in flavors:
        flavors["python_function"]["code"] = bundle.CODE_DIR
    meta = new_model(flavors, files, signature=sig, example_info=info, metadata=metadata, model_id=model_id)
    meta.run_id, meta.artifact_path = run_id, artifact_path
    files.append((MLMODEL_FILE, dump_mlmodel(meta.to_dict())))
    files.extend(environment.environment_files(serialization, requirements))
    return ModelFiles(files, serialization, list(trusted), sig, meta.to_dict())
