"""Inferring a :class:`~mlnb.flavors.specs.Schema` from example data, with MLflow's rules.

Supported inputs, each giving the same specs MLflow gives: pandas DataFrames and Series (column
types from the dtype; object columns from their values; a column holding a missing value is
optional, unless it is an unnamed Series), numpy arrays and dicts of arrays (tensor specs, first axis variable), scipy sparse
matrices, dicts of JSON-like values, lists of dicts (one column per key), lists of scalars and
single scalars.  pandas 3's ``str`` columns are ``string``.
"""

from __future__ import annotations

import sys
from copy import deepcopy
from typing import Any

import numpy as np

from mlnb.errors import InvalidParameter
from mlnb.flavors.paramspec import ParamSchema, ParamSpec
from mlnb.flavors.specs import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Object,
    Property,
    Schema,
    TensorSpec,
    merge_types,
)

_SCALARS: dict[type, DataType] = {
    bool: DataType.boolean,
    np.bool_: DataType.boolean,
    int: DataType.long,
    np.int64: DataType.long,
    np.int32: DataType.integer,
    float: DataType.double,
    np.float64: DataType.double,
    np.float32: DataType.float,
    str: DataType.string,
    np.str_: DataType.string,
    object: DataType.string,
    bytes: DataType.binary,
    np.bytes_: DataType.binary,
    bytearray: DataType.binary,
}


def is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT`` (not a whole Series: never calls ``pd.isna``)."""
    if isinstance(value, float):
        return bool(np.isnan(value))
    if value is None:
        return True
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)


def _required(value: Any) -> bool:
    pd = sys.modules.get("pandas")
    if (pd is not None and isinstance(value, pd.Series) and value.dtype.kind != "O") or _is_text(value):
        # the values iterate as Python scalars, NaN/NA/NaT: isna says exactly what is_missing says
        return not bool(value.isna().any())
    if isinstance(value, list) or (pd is not None and isinstance(value, pd.Series)):
        return not any(is_missing(v) for v in value)
    return not is_missing(value)


def _is_text(col: Any) -> bool:
    """A pandas ``str``/``string`` column (values are str or a missing marker)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(getattr(col, "dtype", None), pd.StringDtype)


def numpy_type(dtype: Any) -> DataType:
    """The column type of a numpy dtype or pandas extension dtype (``Int64``, ``boolean``, ...)."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
    elif kind == "f":
        if size <= 4:
            return DataType.float
        if size <= 8:
            return DataType.double
    elif kind == "U":
        return DataType.string
    elif kind == "S":
        return DataType.binary
    elif kind == "M":
        return DataType.datetime
    raise InvalidParameter(
        f"dtype {dtype} cannot be described in a model signature; convert it (e.g. uint64 -> int64, "
        "timedelta -> float seconds)"
    )


def _scalar_type(value: Any) -> DataType:
    if found := _SCALARS.get(type(value)):
        return found
    if DataType.check_type(DataType.datetime, value):
        return DataType.datetime
    raise InvalidParameter(f"value {value!r} of type {type(value).__name__} has no signature type")


def value_type(data: Any) -> Any:
    """The type of one JSON-like value; None for an empty array (type undetermined)."""
    if is_missing(data) or (isinstance(data, (list, dict)) and not data):
        return AnyType()
    if isinstance(data, dict):
        props = []
        for key, value in data.items():
            dtype = value_type(value)
            if dtype is None:
                raise InvalidParameter(f"dict value {key!r} is an empty numpy array; its type is unknown")
            props.append(Property(key, dtype, required=not isinstance(dtype, AnyType)))
        return Object(props)
    if isinstance(data, (list, np.ndarray)):
        return _array_type(data)
    return _scalar_type(data)


def _array_type(data: Any) -> Array | None:
    result: Array | None = None
    for item in data:
        dtype = value_type(item)
        if dtype is None:
            continue
        if result is None:
            result = Array(dtype)
        elif isinstance(result.dtype, DataType):
            if not isinstance(dtype, AnyType) and dtype != result.dtype:
                raise InvalidParameter("a list holds values of several types; give its items one type")
        else:
            try:
                result = Array(merge_types(result.dtype, dtype))
            except InvalidParameter as exc:
                raise InvalidParameter(
                    "a list holds values of several types; give its items one type"
                ) from exc
    return result


def _determined(data: Any) -> Any:
    dtype = value_type(data)
    if dtype is None:
        raise InvalidParameter(f"an array needs at least one non-empty item to infer a type, got {data!r}")
    return dtype


def pandas_column_type(col: Any) -> Any:
    """The spec type of a pandas Series (object columns are typed by their values)."""
    import pandas as pd

    if col.array.ndim > 1:
        raise InvalidParameter(f"column {col.name!r} is not one-dimensional (shape {col.shape})")
    if _is_text(col):  # the values are str or missing: what value-by-value inference concludes
        return DataType.string if len(col) == 0 or col.notna().any() else AnyType()
    if col.dtype.kind == "O":
        col = col.infer_objects()
    if col.dtype.kind != "O":
        return numpy_type(col.dtype)
    if pd.api.types.infer_dtype(col, skipna=True) == "string" and col.notna().any():
        return DataType.string
    try:
        values = _determined(col.to_list())
        if not isinstance(values, Array):  # no values at all: the dtype alone must say
            raise InvalidParameter(f"column {col.name!r} is empty")
        return values.dtype
    except InvalidParameter as exc:
        if pd.api.types.is_string_dtype(col):
            return DataType.string
        raise InvalidParameter(
            f"column {col.name!r} holds values of mixed types; give it one type (e.g. astype(str))"
        ) from exc


def _tensor(dtype: np.dtype, shape: tuple[int, ...], name: Any = None) -> TensorSpec:
    if dtype.char == "U":
        dtype = np.dtype("str")
    elif dtype.char == "S":
        dtype = np.dtype("bytes")
    if not shape:
        raise InvalidParameter("a 0-dimensional array has no variable axis; pass at least a 1-D array")
    return TensorSpec(dtype, (-1, *shape[1:]), name)


def _is_sparse(data: Any) -> bool:
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and isinstance(data, (sparse.csr_matrix, sparse.csc_matrix))


def _list_of_dicts(data: list[dict[Any, Any]]) -> Schema:
    columns: dict[Any, list[Any]] = {}
    for item in data:
        for key, value in item.items():
            columns.setdefault(key, []).append(value)
    return Schema(
        [
            ColSpec(_determined(values).dtype, name, all(item.get(name) is not None for item in data))
            for name, values in columns.items()
        ]
    )


def _dict(data: dict[Any, Any]) -> Schema:
    if all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema([_tensor(v.dtype, v.shape, name) for name, v in data.items()])
    if not all(isinstance(k, str) for k in data):
        raise InvalidParameter(f"dict keys must all be strings to infer a schema, got {list(data)}")
    return Schema([ColSpec(_determined(v), name, _required(v)) for name, v in data.items()])


def infer_schema(data: Any) -> Schema:
    """The schema of ``data``; raises InvalidParameter when it cannot be described.

    Examples
    --------
    >>> infer_schema([{"q": "hi", "k": 3}, {"q": "yo"}])
    ['q': string (required), 'k': long (optional)]
    """
    pd = sys.modules.get("pandas")
    if isinstance(data, list) and not data:
        return Schema([ColSpec(DataType.string)])
    if isinstance(data, list) and all(isinstance(v, dict) for v in data):
        return _list_of_dicts(data)
    if isinstance(data, dict):
        return _dict(data)
    if pd is not None and isinstance(data, pd.Series):
        # an unnamed column cannot be optional in a Schema, so it is required whatever it holds
        required = data.name is None or _required(data)
        return Schema([ColSpec(pandas_column_type(data), data.name, required)])
    if pd is not None and isinstance(data, pd.DataFrame):
        return Schema([ColSpec(pandas_column_type(data[c]), c, _required(data[c])) for c in data.columns])
    if isinstance(data, np.ndarray):
        return Schema([_tensor(data.dtype, data.shape)])
    if _is_sparse(data):
        return Schema([_tensor(data.data.dtype, data.shape)])
    if isinstance(data, list):
        return Schema([ColSpec(_determined(data).dtype)])
    try:
        return Schema([ColSpec(_determined(data))])
    except InvalidParameter as exc:
        raise InvalidParameter(
            "cannot infer a schema: expected a pandas DataFrame or Series, a numpy array, a dict of "
            f"arrays, a scipy sparse matrix, a scalar, a list or a dict of JSON values; got {data!r} ({exc})"
        ) from None


def _param_type_and_shape(value: Any) -> tuple[Any, tuple[int, ...] | None]:
    if isinstance(value, (list, np.ndarray)):
        if _depth(value) != 1:
            raise InvalidParameter(f"parameters are scalars or 1-D lists, got {_depth(value)}-D {value!r}")
        if all(DataType.check_type(DataType.datetime, v) for v in value):
            return DataType.datetime, (-1,)
        return numpy_type(np.array(value).dtype), (-1,)
    if DataType.check_type(DataType.datetime, value):
        return DataType.datetime, None
    if np.isscalar(value):
        return numpy_type(np.array(value).dtype), None
    if isinstance(value, dict):
        return _dict({"value": value}).inputs[0].type, None
    raise InvalidParameter(f"parameters are scalars, 1-D lists or dicts, got {type(value).__name__}")


def _depth(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.ndim
    if isinstance(value, list):
        return max(map(_depth, value)) + 1 if value else 1
    return 0


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    """The :class:`ParamSchema` of inference parameters given with their default values."""
    if not isinstance(params, dict):
        raise InvalidParameter(f"params must be a dict of name -> default value, got {type(params).__name__}")
    specs, bad = [], []
    for name, value in params.items():
        try:
            dtype, shape = _param_type_and_shape(value)
            specs.append(ParamSpec(name, dtype, deepcopy(value), shape))
        except InvalidParameter as exc:
            bad.append(f"{name}={value!r}: {exc}")
    if bad:
        raise InvalidParameter(f"cannot infer the type of parameters: {'; '.join(bad)}")
    return ParamSchema(specs)
