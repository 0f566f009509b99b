"""Params of a tracked cell: estimator hyper-parameters and literal assignments, as strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_REPR = 250
MAX_TEXT = 1000
# scikit-learn placeholders meaning "not set by the user" (1.9: LogisticRegression.penalty)
SENTINELS = frozenset({"deprecated", "warn"})


def is_estimator(obj: Any) -> bool:
    """A scikit-learn compatible estimator instance (not the class)."""
    return not isinstance(obj, type) and callable(getattr(obj, "get_params", None)) and hasattr(obj, "fit")


def short_repr(value: Any, limit: int = MAX_REPR) -> str:
    """One line, at most ``limit`` characters, ending in an ellipsis when cut."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def param_value(value: Any) -> str | None:
    """The string logged for one param value, or None to leave it out.

    Scalars are logged as they are; nested estimators are left out (their own params are in
    the ``step__param`` keys), callables by qualified name, everything else as a short repr.

    Examples
    --------
    >>> param_value(0.5), param_value(None), param_value("deprecated")
    ('0.5', 'None', None)
    """
    if isinstance(value, bool | int | float | str) or value is None:
        if isinstance(value, str):
            if value in SENTINELS:
                return None
            return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
        return str(value)
    if is_estimator(value):
        return None
    if callable(value):
        return getattr(value, "__qualname__", None) or short_repr(value)
    type_name = type(value).__module__
    if type_name.startswith("numpy") and getattr(value, "ndim", None) == 0:
        return str(value.item()) if hasattr(value, "item") else str(value)
    return short_repr(value)


def estimator_params(estimator: Any, prefix: str = "") -> dict[str, str]:
    """``get_params(deep=True)`` of a fitted estimator, flattened to logged strings."""
    try:
        raw = estimator.get_params(deep=True)
    except Exception:
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        text = param_value(value)
        if text is not None:
            out[f"{prefix}{key}"] = text
    return out


def literal_params(literals: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in literals.items():
        text = param_value(value)
        if text is not None:
            out[key] = text
    return out


def default_keys(estimator: Any, logged: Mapping[str, str], prefix: str = "", source: str = "") -> list[str]:
    """The keys of ``logged`` (from :func:`estimator_params`) that hold the estimator's defaults.

    A param is the user's when its value differs from its ``__init__`` default, when it has no
    default, or when the cell's source passes it by keyword (``max_depth=5`` even if 5 is the
    default); the run card lists those first and folds the rest.
    """
    import inspect
    import re

    try:
        raw = estimator.get_params(deep=True)
    except Exception:
        return []
    owners: dict[str, Any] = {"": estimator}
    found = []
    for key in raw:
        full = f"{prefix}{key}"
        if full not in logged:
            continue
        path, _, name = key.rpartition("__")
        owner = owners.get(path)
        if owner is None:
            owner = owners[path] = raw.get(path)
        try:
            parameter = inspect.signature(type(owner).__init__).parameters.get(name)
        except (TypeError, ValueError):
            continue
        if parameter is None or parameter.default is inspect.Parameter.empty:
            continue
        if param_value(parameter.default) != logged[full]:
            continue
        if source and re.search(rf"\b{re.escape(name)}\s*=(?!=)", source):
            continue
        found.append(full)
    return found
