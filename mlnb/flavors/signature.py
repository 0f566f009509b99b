"""Model signatures in MLflow's JSON column schema, and checking a request against one.

A signature is a dict ``{"inputs": <json str>, "outputs": <json str>, "params": None}`` exactly as
it appears under ``signature:`` in an ``MLmodel`` file.  Column specs look like
``{"type": "long", "name": "Age", "required": true}``; numpy arrays use a tensor spec
``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``.

pandas 3 stores text as ``str`` (``StringDtype``); it maps to ``"string"`` like ``object`` columns
holding text did before.
"""

from __future__ import annotations

import json
from typing import Any

from mlnb.errors import InvalidParameter

COLUMN_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")


def _numpy_type(dtype: Any) -> str:
    kind, size = dtype.kind, getattr(dtype, "itemsize", 8)
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return "integer"
        return "long"
    if kind == "f":
        return "float" if size <= 4 else "double"
    if kind == "U":
        return "string"
    if kind == "S":
        return "binary"
    if kind == "M":
        return "datetime"
    raise InvalidParameter(f"cannot describe dtype {dtype} in a model signature")


def column_type(series: Any) -> str:
    """MLflow's column type name for a pandas Series (``str``/StringDtype -> ``"string"``)."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) or (pd.api.types.is_string_dtype(dtype) and dtype.kind != "O"):
        return "string"
    if isinstance(dtype, pd.BooleanDtype):
        return "boolean"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime"
    if dtype.kind == "O":
        values = series.dropna()
        if len(values) and all(isinstance(v, str) for v in values):
            return "string"
        if len(values) and all(isinstance(v, bytes) for v in values):
            return "binary"
        inferred = series.infer_objects().dtype
        if inferred.kind != "O":
            return _numpy_type(inferred)
        raise InvalidParameter(
            f"column {series.name!r} holds mixed Python objects; give it one type (e.g. astype(str))"
        )
    if hasattr(dtype, "numpy_dtype"):  # pandas nullable Int64/Float64
        return _numpy_type(dtype.numpy_dtype)
    return _numpy_type(dtype)


def _required(series: Any) -> bool:
    return not bool(series.isna().any())


def _schema_of(data: Any) -> list[dict[str, Any]]:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return [
            {"type": column_type(data[col]), "name": str(col), "required": _required(data[col])}
            for col in data.columns
        ]
    if isinstance(data, pd.Series):
        return [{"type": column_type(data), "required": _required(data)}]
    array = np.asarray(data)
    if array.dtype.kind == "O":
        raise InvalidParameter("cannot describe an object array in a model signature; use a DataFrame")
    shape = [-1, *array.shape[1:]]
    return [{"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": shape}}]


def infer_signature(model_input: Any, model_output: Any = None) -> dict[str, Any]:
    """The signature MLflow would infer from an input example and the model's predictions.

    Examples
    --------
    >>> sig = infer_signature(X_train.head(5), model.predict(X_train.head(5)))  # doctest: +SKIP
    >>> json.loads(sig["inputs"])[0]  # doctest: +SKIP
    {'type': 'long', 'name': 'Age', 'required': True}
    """
    import numpy as np
    import pandas as pd

    inputs = _schema_of(model_input)
    output = model_output
    if output is None:
        return {"inputs": json.dumps(inputs), "outputs": None, "params": None}
    is_tensor = inputs[0]["type"] == "tensor"
    if not is_tensor and isinstance(output, np.ndarray) and output.ndim == 1:
        output = pd.Series(output)
    return {"inputs": json.dumps(inputs), "outputs": json.dumps(_schema_of(output)), "params": None}


def normalize_signature(signature: Any) -> dict[str, Any] | None:
    """Accept our dict form, an MLflow ``ModelSignature`` or lists of specs; return the dict form."""
    if signature is None:
        return None
    if hasattr(signature, "to_dict") and not isinstance(signature, dict):
        signature = signature.to_dict()
    if not isinstance(signature, dict) or "inputs" not in signature:
        raise InvalidParameter(
            "signature must be a dict with 'inputs' (and 'outputs') column specs, e.g. the result "
            "of mlnb.flavors.signature.infer_signature(X, model.predict(X))"
        )
    out: dict[str, Any] = {}
    for key in ("inputs", "outputs"):
        value = signature.get(key)
        if value is None:
            out[key] = None
            continue
        specs = json.loads(value) if isinstance(value, str) else value
        if not isinstance(specs, list) or not all(isinstance(s, dict) and "type" in s for s in specs):
            raise InvalidParameter(f"signature {key!r} must be a list of column specs with a 'type'")
        out[key] = json.dumps(specs)
    out["params"] = signature.get("params")
    return out


def input_columns(signature: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The named column specs of a signature's inputs, or None for tensor/unnamed/absent inputs."""
    if not signature or not signature.get("inputs"):
        return None
    specs = json.loads(signature["inputs"])
    if not specs or any("name" not in s or s.get("type") not in COLUMN_TYPES for s in specs):
        return None
    return specs
