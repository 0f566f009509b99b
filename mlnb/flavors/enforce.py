"""Checking a ``predict`` input against the model's signature, as MLflow's pyfunc does.

Named column schemas: the input becomes a DataFrame with the signature's columns in its
order (extra columns dropped), each converted to its type when that is safe (int -> float,
int32 -> int64, ...) and refused when it is not (float -> int loses data).  Tensor schemas: a
numpy array of the spec's dtype and shape.  Unnamed column schemas and models without a
signature get the input unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from mlnb.errors import InvalidParameter

_INTEGER = {"integer": "int32", "long": "int64"}
_FLOAT = {"float": "float32", "double": "float64"}


def _frame(data: Any, names: list[str]) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError:
            return pd.DataFrame([data])
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return pd.DataFrame.from_records(data)
    array = np.asarray(data)
    if array.ndim == 2 and array.shape[1] == len(names):
        return pd.DataFrame(array, columns=names)
    if array.ndim == 1 and len(names) == 1:
        return pd.DataFrame({names[0]: array})
    raise InvalidParameter(
        f"the model expects a table with columns {names}; got {type(data).__name__} of shape "
        f"{getattr(array, 'shape', '?')}. Pass a pandas DataFrame with those columns"
    )


def _incompatible(name: str, have: object, want: object) -> InvalidParameter:
    return InvalidParameter(
        f"Incompatible input types for column {name}. Can not safely convert {have} to {want}."
    )


def _convert(series: Any, spec: dict[str, Any]) -> Any:
    import numpy as np
    import pandas as pd

    kind, name = spec["type"], spec["name"]
    dtype = getattr(series.dtype, "numpy_dtype", series.dtype)  # pandas nullable Int64/Float64
    if isinstance(series.dtype, pd.StringDtype):
        dtype = series.dtype
    if kind in _FLOAT:
        target = np.dtype(_FLOAT[kind])
        if dtype.kind in "iub" or (dtype.kind == "f" and dtype.itemsize <= target.itemsize):
            return series.astype(target)
        raise _incompatible(name, dtype, target)  # float64 -> float32 loses precision; text is not a number
    if kind in _INTEGER:
        target = np.dtype(_INTEGER[kind])
        if dtype.kind in "iu" and np.can_cast(dtype, target):
            return series.astype(target)
        if dtype.kind == "O" and series.map(lambda v: isinstance(v, int) and not isinstance(v, bool)).all():
            return series.astype(target)
        raise _incompatible(name, dtype, target)
    if kind == "boolean":
        if dtype.kind == "b" or isinstance(dtype, pd.BooleanDtype):
            return series
        raise _incompatible(name, dtype, "bool")
    elif kind == "string":
        if pd.api.types.is_string_dtype(dtype) or dtype.kind == "O":
            return series
        raise _incompatible(name, dtype, "str")
    elif kind == "datetime":
        if dtype.kind == "M":
            return series
        try:
            return pd.to_datetime(series)
        except (ValueError, TypeError):
            raise _incompatible(name, dtype, "datetime64") from None
    return series


def _tensor(data: Any, spec: dict[str, Any]) -> Any:
    import numpy as np

    values = data.to_numpy() if hasattr(data, "to_numpy") else data
    array = np.asarray(values)
    want = np.dtype(spec["dtype"])
    if array.dtype != want:
        if not np.can_cast(array.dtype, want, casting="same_kind") and array.dtype.kind != "O":
            raise InvalidParameter(
                f"the model expects a {want} array; got {array.dtype}, which does not convert safely"
            )
        array = array.astype(want)
    shape = spec.get("shape") or []
    if array.ndim != len(shape) or any(w != -1 and w != g for w, g in zip(shape, array.shape, strict=False)):
        raise InvalidParameter(f"Input has shape {list(array.shape)}; the model expects {shape}")
    return array


def enforce(data: Any, signature: dict[str, Any] | None) -> Any:
    """``data`` as the model's signature describes its input (unchanged when there is none).

    Raises :class:`mlnb.errors.InvalidParameter` naming the missing columns or the column
    whose type does not convert safely.

    Examples
    --------
    >>> enforce(X_test[["b", "a"]], model.metadata.signature_dict)  # doctest: +SKIP
    """
    if not signature or not signature.get("inputs"):
        return data
    specs = json.loads(signature["inputs"])
    if len(specs) == 1 and specs[0].get("type") == "tensor":
        return _tensor(data, specs[0]["tensor-spec"])
    if not specs or any("name" not in s for s in specs):
        return data
    names = [s["name"] for s in specs]
    frame = _frame(data, names)
    columns = [str(c) for c in frame.columns]
    missing = [s["name"] for s in specs if s["name"] not in columns and s.get("required", True)]
    if missing:
        extra = [c for c in columns if c not in names]
        note = f" Note that there were extra inputs: {extra}." if extra else ""
        raise InvalidParameter(f"Model is missing inputs {missing}.{note}")
    if columns != [str(c) for c in frame.columns] or any(not isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    import pandas as pd

    out = {s["name"]: _convert(frame[s["name"]], s) for s in specs if s["name"] in columns}
    return pd.DataFrame(out, index=frame.index)
