"""A compact, JSON-serializable summary of a training table: the *reference profile*.

``log_model(..., training_data=X)`` writes ``<model>/reference_profile.json`` next to the model so
that :func:`mlnb.check_drift` can compare new data with the training data without keeping a copy
of it. The profile holds, per column, only aggregates: dtype, row and missing counts, and either

* ``numeric``: min, max, mean, std, ``n_quantiles`` evenly spaced quantiles and a histogram; when
  the column has at most ``max_exact_values`` distinct values (ages, counts, ratings) their
  frequency table too, so tests on such columns are exact;
* ``binary`` (exactly two distinct values) and ``categorical``: the frequency table of the values,
  the ``max_categories`` most frequent kept and the rest summed into ``other_count``.

No row of the data is stored. Pure numpy/pandas, imported inside the functions.
"""

from __future__ import annotations

import math
from typing import Any

FORMAT = "mlnb.reference_profile"
VERSION = 1


def as_frame(data: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "0")
    if isinstance(data, dict):
        return pd.DataFrame(data)
    array = np.asarray(data)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"a profile needs a 2-D table, got an array of shape {array.shape}")
    return pd.DataFrame(array, columns=[str(i) for i in range(array.shape[1])])


def _plain(value: Any) -> Any:
    """A numpy/pandas scalar as a JSON-native Python value (NaN never reaches here)."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def column_kind(series: Any) -> str:
    """``"binary"``, ``"numeric"`` or ``"categorical"`` for a pandas Series (the rule drift uses)."""
    import pandas as pd

    values = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype) or values.nunique() == 2:
        return "binary"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"


def _counts(values: Any, limit: int) -> tuple[list[list[Any]], int]:
    counts = values.value_counts(sort=True)
    pairs = [[_plain(k), int(c)] for k, c in counts.items()]
    # ties sorted by value text too, so the profile of the same data is byte-identical
    pairs.sort(key=lambda kc: (-kc[1], str(kc[0])))
    kept, rest = pairs[:limit], pairs[limit:]
    return kept, sum(c for _, c in rest)


def _numeric(values: Any, n_quantiles: int, n_bins: int, max_exact_values: int) -> dict[str, Any]:
    import numpy as np

    x = values.to_numpy(dtype="float64")
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"min": None, "max": None, "mean": None, "std": None}
    probs = np.linspace(0.0, 1.0, n_quantiles)
    counts, edges = np.histogram(x, bins=n_bins)
    out: dict[str, Any] = {
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
        "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "quantiles": {"probs": probs.round(6).tolist(), "values": np.quantile(x, probs).tolist()},
        "histogram": {"edges": edges.tolist(), "counts": counts.astype(int).tolist()},
    }
    uniques, freq = np.unique(x, return_counts=True)
    if uniques.size <= max_exact_values:
        out["values"] = [[float(v), int(c)] for v, c in zip(uniques, freq, strict=True)]
    return out


def build_profile(
    X: Any,
    *,
    n_quantiles: int = 101,
    n_bins: int = 20,
    max_categories: int = 200,
    max_exact_values: int = 50,
) -> dict[str, Any]:
    """Summarize a table into a JSON-serializable reference profile (no raw rows).

    Parameters
    ----------
    X : pandas.DataFrame, numpy array, dict of columns or Series
        The training data (features, optionally with the target).
    n_quantiles : int
        Evenly spaced quantiles kept per numeric column (101 = every percentile).
    n_bins : int
        Histogram bins per numeric column.
    max_categories : int
        Most frequent values kept per categorical column; the rest are counted in ``other_count``.
    max_exact_values : int
        A numeric column with at most this many distinct values also keeps its frequency table.

    Returns
    -------
    dict
        ``{"format", "version", "n_rows", "columns": [{"name", "dtype", "kind", "count",
        "missing", ...}]}``; see the module docstring for the per-kind fields.

    Examples
    --------
    >>> import pandas as pd
    >>> p = build_profile(pd.DataFrame({"age": [30, 31, 40], "city": ["a", "b", "a"]}))
    >>> p["n_rows"], [c["kind"] for c in p["columns"]]
    (3, ['numeric', 'binary'])
    """
    frame = as_frame(X)
    columns = []
    for name in frame.columns:
        series = frame[name]
        values = series.dropna()
        kind = column_kind(series)
        col: dict[str, Any] = {
            "name": str(name),
            "dtype": str(series.dtype),
            "kind": kind,
            "count": int(values.size),
            "missing": int(series.size - values.size),
        }
        if kind == "numeric":
            col.update(_numeric(values, n_quantiles, n_bins, max_exact_values))
        else:
            kept, other = _counts(values, max_categories)
            col["categories"] = kept
            col["other_count"] = other
            col["n_unique"] = int(values.nunique())
        columns.append(col)
    return {"format": FORMAT, "version": VERSION, "n_rows": len(frame), "columns": columns}


def is_profile(obj: Any) -> bool:
    """True when ``obj`` is a dict produced by :func:`build_profile` (or read back from JSON)."""
    return isinstance(obj, dict) and obj.get("format") == FORMAT and isinstance(obj.get("columns"), list)


def check_profile(obj: Any) -> dict[str, Any]:
    """Return ``obj`` if it is a readable profile, else raise ``InvalidParameter`` saying why."""
    from mlnb.errors import InvalidParameter

    if not is_profile(obj):
        raise InvalidParameter("not a reference profile: expected a dict from mlnb build_profile()")
    if obj.get("version", 0) > VERSION:
        raise InvalidParameter(
            f"reference profile version {obj['version']} is newer than this mlnb reads ({VERSION}); "
            "upgrade mlnb"
        )
    for col in obj["columns"]:
        for key in ("min", "max", "mean", "std"):
            value = col.get(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidParameter(f"column {col.get('name')!r}: {key} is not finite")
    return obj
