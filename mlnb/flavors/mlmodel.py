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
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlnb.errors import InvalidParameter, UnsupportedModel
from mlnb.flavors import environment, skops_io
from mlnb.flavors.signature import infer_signature, normalize_signature

MLMODEL_FILE = "MLmodel"
INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
EXAMPLE_ROWS = 5
# The MLflow release whose format this mirrors; used as mlflow_version when mlflow is absent.
MLFLOW_FORMAT_VERSION = "3.17.2"


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


def _example(example: Any) -> tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]:
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
    return environment.installed_version("mlflow") or MLFLOW_FORMAT_VERSION


def build_model(
    model: Any,
    *,
    input_example: Any = None,
    signature: Any = None,
    allow_pickle: bool = False,
    output_example: Any = None,
) -> ModelFiles:
    """All files of the MLflow-compatible directory for a fitted scikit-learn estimator.

    The signature is inferred from ``input_example`` (first 5 rows) and the model's predictions
    on it unless given; ``output_example`` (the model's predictions on any rows) saves
    predicting again when the caller has them.  Raises :class:`mlnb.errors.UnsupportedModel`
    when skops cannot save the model and ``allow_pickle`` is False.

    Examples
    --------
    >>> files = build_model(pipe, input_example=X_train)  # doctest: +SKIP
    >>> [name for name, _ in files.files]  # doctest: +SKIP
    ['model.skops', 'input_example.json', 'serving_input_example.json', 'MLmodel', ...]
    """
    import sklearn

    try:
        data, trusted = skops_io.dump_skops(model)
        serialization, model_file = skops_io.SKOPS, skops_io.SKOPS_FILE
    except UnsupportedModel:
        if not allow_pickle:
            raise
        data, trusted = skops_io.dump_pickle(model), []
        serialization, model_file = skops_io.CLOUDPICKLE, skops_io.PICKLE_FILE

    files: list[tuple[str, bytes]] = [(model_file, data)]
    sig = normalize_signature(signature)
    info = None
    if input_example is not None:
        rows, example_json, serving_json, info = _example(input_example)
        files.append((INPUT_EXAMPLE_FILE, json.dumps(example_json).encode()))
        files.append((SERVING_EXAMPLE_FILE, json.dumps(serving_json, indent=2).encode()))
        if sig is None:
            sig = _infer_quietly(model, rows, output_example)

    python_version = platform.python_version()
    flavors: dict[str, Any] = {}
    if hasattr(model, "predict"):
        flavors["python_function"] = {
            "env": {"conda": environment.CONDA_ENV_FILE, "virtualenv": environment.PYTHON_ENV_FILE},
            "loader_module": "mlflow.sklearn",
            "model_path": model_file,
            "predict_fn": "predict",
            "python_version": python_version,
        }
    flavors["sklearn"] = {
        "code": None,
        "pickled_model": model_file,
        "serialization_format": serialization,
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": list(trusted) or None,
    }
    meta: dict[str, Any] = {
        "flavors": flavors,
        "is_signature_from_type_hint": False,
        "mlflow_version": mlflow_version(),
        "model_id": None,
        "model_size_bytes": sum(len(content) for _, content in files),
        "model_uuid": uuid.uuid4().hex,
        "prompts": None,
        "type_hint_from_example": False,
        "utc_time_created": str(datetime.now(UTC).replace(tzinfo=None)),
    }
    if info is not None:
        meta["saved_input_example_info"] = info
    if sig is not None:
        meta["signature"] = sig
    files.append((MLMODEL_FILE, dump_mlmodel(meta)))
    files.extend(environment.environment_files(serialization))
    return ModelFiles(files, serialization, list(trusted), sig, meta)


def dump_mlmodel(meta: dict[str, Any]) -> bytes:
    import yaml

    return yaml.safe_dump(meta, default_flow_style=False).encode()


def parse_mlmodel(text: bytes | str) -> dict[str, Any]:
    """Read an ``MLmodel`` file (YAML) into a dict; the signature stays in MLflow's JSON strings."""
    import yaml

    meta = yaml.safe_load(text)
    if not isinstance(meta, dict) or not isinstance(meta.get("flavors"), dict):
        raise InvalidParameter("not an MLmodel file: it has no 'flavors' mapping")
    return meta
