"""MLflow's scoring protocol: request bodies in, ``{"predictions": ...}`` out.

Accepted bodies (``Content-Type: application/json``)::

    {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
    {"dataframe_records": [{"col": value, ...}, ...]}
    {"instances": [{"col": value, ...}, ...]}          (or a list of rows)
    {"inputs": {"col": [values], ...}}                 (or records, or a list of rows)

or a CSV table (``Content-Type: text/csv``).  The table is checked against the model signature:
a missing column or a value of the wrong type is a 400 naming the column.  Error messages never
repeat the request's content and never carry a stack trace.
"""

from __future__ import annotations

import io
import json
from typing import Any

from mlnb.flavors.signature import input_columns
from mlnb.serve.limits import ServeLimits

DEFAULT_MAX_COLUMNS = ServeLimits.max_columns

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
CONTENT_TYPES = ("application/json", "text/csv")
REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields "
    "'dataframe_split', 'dataframe_records', 'instances' or 'inputs'"
)
PREDICT_FAILED = (
    "Encountered an unexpected error while evaluating the model. Verify that the serialized "
    "input Dataframe is compatible with the model for inference."
)


class RequestError(Exception):
    """A request the server refuses; becomes ``{"error_code", "message"}`` with ``status``."""

    def __init__(self, message: str, status: int = 400, error_code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code


def _invalid(message: str) -> RequestError:
    return RequestError(message, 400, "INVALID_PARAMETER_VALUE")


def _check_width(count: int, max_columns: int) -> None:
    """A 400 before any table is built when a request names more columns than the limit."""
    if count > max_columns:
        raise RequestError(
            f"The request has {count} columns, more than the limit of {max_columns}; "
            "send fewer columns (or start the server with a larger --max-columns)",
            400,
            "REQUEST_LIMIT_EXCEEDED",
        )


def error_body(error_code: str, message: str) -> bytes:
    return json.dumps({"error_code": error_code, "message": message}).encode()


def media_type(content_type: str | None) -> str:
    """``"json"`` or ``"csv"`` for an acceptable Content-Type, else a 415 RequestError."""
    if not content_type:
        raise RequestError(f"Content-Type is missing; send {' or '.join(CONTENT_TYPES)}", 415, "BAD_REQUEST")
    mime, *params = (part.strip() for part in content_type.split(";"))
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() != "charset":
            raise RequestError("Unrecognized content type parameter; only charset=utf-8 is accepted", 415)
        if value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise RequestError("The scoring server only supports UTF-8", 415)
    mime = mime.lower()
    if mime == "application/json":
        return "json"
    if mime == "text/csv":
        return "csv"
    raise RequestError(
        f"This predictor only supports the following content types: {list(CONTENT_TYPES)}", 415
    )


# --- decoding ---------------------------------------------------------------------------------
def _loads(body: bytes) -> Any:
    """orjson when the body is strict JSON (2-3x faster on big tables), else the standard parser.

    The fallback keeps what Python's parser (and so MLflow's server) accepts beyond strict JSON
    (NaN, Infinity, integers over 64 bits) and gives the line and column of a syntax error.
    """
    import orjson

    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _decode_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise RequestError("Invalid input. The request body is empty; " + REQUIRED_INPUT_FORMAT)
    try:
        decoded = _loads(body)
    except RecursionError:
        raise RequestError("Invalid input. The JSON document is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise RequestError(
            f"Invalid input. Ensure that input is a valid JSON formatted string{where}"
        ) from None
    if not isinstance(decoded, dict):
        raise RequestError(f"{REQUIRED_INPUT_FORMAT}. Received a {type(decoded).__name__}.")
    keys = [k for k in decoded if k in FORMATS]
    if len(keys) != 1:
        found = "none" if not keys else f"{len(keys)}"
        raise RequestError(f"{REQUIRED_INPUT_FORMAT}; the request has {found} of them.")
    return decoded


def _check_rows(rows: Any, what: str, max_columns: int) -> list[list[Any]]:
    # Cell types are checked per column later (numpy does it in C); here only the row shape.
    if not isinstance(rows, list) or (rows and set(map(type, rows)) != {list}):
        raise RequestError(f"Invalid input. '{what}' must be a list of rows (lists of values)")
    if rows:
        _check_width(max(map(len, rows)), max_columns)
    return rows


def _records_to_columns(records: list[Any], what: str, max_columns: int) -> tuple[dict[str, list[Any]], int]:
    if records and set(map(type, records)) != {dict}:
        raise RequestError(f"Invalid input. Every record of '{what}' must be an object of column: value")
    names: dict[str, None] = {}
    for rec in records:
        _check_width(len(rec), max_columns)
        names.update(dict.fromkeys(rec))
        _check_width(len(names), max_columns)
    return {name: [rec.get(name) for rec in records] for name in names}, len(records)


def _rows_to_columns(
    rows: list[list[Any]], columns: list[Any], what: str, max_columns: int
) -> tuple[dict[str, Any], int]:
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise RequestError(f"Invalid input. '{what}.columns' must be a list of column names")
    _check_width(len(columns), max_columns)
    if len(set(columns)) != len(columns):
        raise _invalid("The request has duplicate column names")
    if rows and set(map(len, rows)) != {len(columns)}:
        raise RequestError(f"Invalid input. Every row of '{what}' needs one value per column")
    if not rows:
        return {c: [] for c in columns}, 0
    return dict(zip(columns, zip(*rows, strict=True), strict=True)), len(rows)


# A decoded table: ({column: values}, n_rows), or a bare list of rows when no names are known.
Table = tuple[dict[str, Any], int] | list[list[Any]]


def _table_from_json(decoded: dict[str, Any], names: list[str] | None, max_columns: int) -> Table:
    fmt = next(k for k in decoded if k in FORMATS)
    payload = decoded[fmt]
    if fmt == "dataframe_split":
        if not isinstance(payload, dict) or "data" not in payload:
            raise RequestError("Invalid input. 'dataframe_split' must be an object with 'columns' and 'data'")
        if set(payload) - {"columns", "data", "index"}:
            raise RequestError("Invalid input. 'dataframe_split' accepts only 'columns', 'index' and 'data'")
        columns = payload.get("columns")
        if isinstance(columns, list):
            _check_width(len(columns), max_columns)
        rows = _check_rows(payload["data"], fmt, max_columns)
        header = names if columns is None else columns
        if header is None:
            return rows
        return _rows_to_columns(rows, header, fmt, max_columns)
    if fmt == "dataframe_records":
        if not isinstance(payload, list):
            raise RequestError("Invalid input. 'dataframe_records' must be a list of records")
        return _records_to_columns(payload, fmt, max_columns)
    # instances / inputs: a dict of columns, records, or a list of rows
    if isinstance(payload, dict):
        _check_width(len(payload), max_columns)
        if not all(type(value) is list for value in payload.values()):
            raise RequestError(f"Invalid input. Every column of '{fmt}' must be a list of values")
        lengths = {len(v) for v in payload.values()}
        if len(lengths) > 1:
            raise RequestError(f"Invalid input. The columns of '{fmt}' must have the same length")
        return dict(payload), lengths.pop() if lengths else 0
    if isinstance(payload, list) and payload and all(isinstance(r, dict) for r in payload):
        return _records_to_columns(payload, fmt, max_columns)
    rows = _check_rows(payload, fmt, max_columns)
    if names is not None and rows and all(len(r) == len(names) for r in rows):
        return _rows_to_columns(rows, names, fmt, max_columns)
    return rows


def _csv_header(text: str, max_columns: int) -> None:
    """Count and check the header's names before pandas reads the table.

    pandas renames duplicate names one at a time, in time quadratic in their number; a header
    of 40,000 copies of one name took 37 s.  The header is read with the csv module up to the
    limit (a field more is enough to refuse), and duplicates are refused as for JSON.
    """
    import csv

    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
    except csv.Error:
        raise RequestError("Invalid input. The CSV header cannot be read") from None
    _check_width(len(header), max_columns)
    if len(set(header)) != len(header):
        raise _invalid("The request has duplicate column names")


def _table_from_csv(body: bytes, specs: list[dict[str, Any]] | None, max_columns: int) -> Table:

    import pandas as pd

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("Invalid input. Ensure that input is a valid UTF-8 encoded string") from None
    if not text.strip():
        raise RequestError("Invalid input. The CSV body is empty")
    _csv_header(text, max_columns)
    dtypes = {s["name"]: "str" for s in specs or () if s["type"] == "string"}
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=dtypes or None)
    except Exception:
        raise RequestError(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
            "CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method."
        ) from None
    return {str(c): frame[c].to_numpy() for c in frame.columns}, len(frame)


# --- signature enforcement --------------------------------------------------------------------
_NUMPY = {"integer": "int32", "long": "int64", "float": "float32", "double": "float64", "boolean": "bool"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _convert(values: Any, spec: dict[str, Any]) -> Any:
    """One column's values as the signature's type, or a 400 naming the column."""
    import numpy as np

    name, kind = spec["name"], spec["type"]
    if kind == "string":
        # Checking the set of cell types (built in C) beats building a fixed-width unicode array
        # and converting back; only the odd non-string cells are looked at one by one.
        if set(map(type, values)) <= {str} or all(_missing(v) for v in values if type(v) is not str):
            return values if isinstance(values, np.ndarray) else np.array(values, dtype=object)
        raise _invalid(f"Incompatible input types for column '{name}': expected string values")
    try:
        array = values if isinstance(values, np.ndarray) else np.array(values)
    except (ValueError, TypeError, OverflowError):  # nested or ragged cells
        raise _invalid(f"Incompatible input types for column '{name}': expected {kind} values") from None
    if array.ndim != 1:
        raise _invalid(f"Incompatible input types for column '{name}': expected {kind} values")
    k = array.dtype.kind

    def wrong(expected: str) -> RequestError:
        return _invalid(f"Incompatible input types for column '{name}': expected {expected} values")

    def missing_values() -> RequestError:
        return _invalid(f"Input column '{name}' of type {kind} contains missing values")

    if kind in ("integer", "long"):
        limits = np.iinfo(_NUMPY[kind])
        if k in "iuf" and array.size and (array.min() < limits.min or array.max() > limits.max):
            # A cast would wrap around silently: 10**30 is no int64.
            raise _invalid(f"Incompatible input types for column '{name}': values outside the {kind} range")
        if k in "iu":
            return array.astype(_NUMPY[kind])
        if k == "f":
            if not np.all(np.isfinite(array)):
                raise missing_values()
            if np.all(array == np.round(array)):
                return array.astype(_NUMPY[kind])
            raise _invalid(
                f"Incompatible input types for column '{name}': {kind} cannot hold fractional values"
            )
        if k == "O" and any(_missing(v) for v in array):
            raise missing_values()
        raise wrong(kind)
    if kind in ("float", "double"):
        if k in "iuf":
            return array.astype(_NUMPY[kind])
        if k == "O" and all(
            _missing(v) or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in array
        ):
            return np.array([np.nan if _missing(v) else v for v in array], dtype=_NUMPY[kind])
        raise wrong(kind)
    if kind == "boolean":
        if k == "b":
            return array
        raise wrong("boolean")
    if kind == "datetime":
        import pandas as pd

        if k not in "UOM":
            raise wrong("datetime")
        try:
            return pd.to_datetime(array)
        except (ValueError, TypeError, OverflowError):
            raise wrong("datetime") from None
    return array


def enforce_signature(table: Table, signature: dict[str, Any] | None) -> Any:
    """The model input: the signature's columns, in order, with its types (or a tensor)."""
    import pandas as pd

    specs = input_columns(signature)
    if specs is None:
        if signature and signature.get("inputs"):
            spec = json.loads(signature["inputs"])[0]
            if spec.get("type") == "tensor":
                return _tensor(table, spec["tensor-spec"])
        if isinstance(table, list):
            return pd.DataFrame(table)
        return pd.DataFrame(table[0])
    if isinstance(table, list):
        raise _invalid(
            f"Model expects named columns {[s['name'] for s in specs]}; send them with their names"
        )
    columns, _ = table
    missing = [s["name"] for s in specs if s["name"] not in columns and s.get("required", True)]
    if missing:
        raise _invalid(f"Model is missing inputs {missing}.")
    out = {}
    for spec in specs:
        if spec["name"] in columns:
            values = _convert(columns[spec["name"]], spec)
            # Text stays an object column: building pandas' str dtype costs more than the model
            # saves, and encoders treat both the same.
            out[spec["name"]] = (
                pd.Series(values, dtype=object, copy=False) if spec["type"] == "string" else values
            )
    return pd.DataFrame(out)


def _tensor(table: Table, spec: dict[str, Any]) -> Any:
    import numpy as np

    data = table if isinstance(table, list) else list(zip(*table[0].values(), strict=True))
    try:
        array = np.asarray(data, dtype=spec["dtype"])
    except (ValueError, TypeError):
        raise _invalid(f"Input cannot be converted to a {spec['dtype']} array") from None
    shape = spec.get("shape") or []
    if array.ndim != len(shape) or any(
        want != -1 and want != got for want, got in zip(shape, array.shape, strict=False)
    ):
        raise _invalid(f"Input has shape {list(array.shape)}; the model expects {shape}")
    return array


def parse_request(
    body: bytes,
    content_type: str | None,
    signature: dict[str, Any] | None,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> Any:
    """Decode a request body into the model's input, checked against its signature.

    A request naming more than ``max_columns`` columns is refused before any table is built.
    """
    kind = media_type(content_type)
    specs = input_columns(signature)
    try:
        if kind == "csv":
            table = _table_from_csv(body, specs, max_columns)
        else:
            names = [s["name"] for s in specs] if specs else None
            table = _table_from_json(_decode_json(body), names, max_columns)
        return enforce_signature(table, signature)
    except RequestError:
        raise
    except Exception:  # anything else the data did to pandas/numpy is still the request's fault
        raise RequestError("Invalid input. The data cannot be read as a table") from None
