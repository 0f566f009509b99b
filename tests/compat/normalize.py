"""Make results of mlnb and MLflow comparable: ids, clocks and paths replaced by placeholders.

What is left is what a user's code depends on: names, values, types and shapes.
"""

from __future__ import annotations

import re
from typing import Any

_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
_EPOCH_MS_MIN = 10**12  # 2001-09-09 in milliseconds: any int above it is a timestamp


def normalize(value: Any, ids: dict[str, str] | None = None) -> Any:
    """``value`` with run ids, timestamps and URIs replaced by stable placeholders.

    ``ids`` maps known ids (experiment ids, run ids) to the placeholder each should become, so
    that "the same run" stays recognisable without its id.
    """
    ids = ids or {}
    if isinstance(value, dict):
        return {normalize(k, ids): normalize(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(normalize(v, ids) for v in value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return "<time>" if value >= _EPOCH_MS_MIN else value
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        if "://" in value or value.startswith("/"):
            return "<uri>"
        return _HEX_ID.sub("<id>", value)
    return value


def fields(obj: Any) -> dict[str, str]:
    """The public, non-callable attributes of an entity and the type name of each value."""
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception as exc:  # a property that raises is a difference worth seeing
            out[name] = f"<raises {type(exc).__name__}>"
            continue
        if not callable(value):
            out[name] = type(value).__name__
    return out


def frame_shape(df: Any) -> list[tuple[str, str]]:
    """The columns of a DataFrame, in order, with their dtypes."""
    return [(str(col), str(dtype)) for col, dtype in df.dtypes.items()]
