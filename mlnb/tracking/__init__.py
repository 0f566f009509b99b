"""The fluent tracking API, the active run and search_runs as DataFrames.

Like ``mlflow.tracking``, this package also exposes a few public names itself (lazily, so that
importing a submodule stays cheap).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS: dict[str, str] = {
    # the store's address, as mlflow.tracking exposes it
    "set_tracking_uri": "mlnb.tracking.state",
    "get_tracking_uri": "mlnb.tracking.state",
    "is_tracking_uri_set": "mlnb.tracking.state",
    "set_registry_uri": "mlnb.tracking.state",
    "get_registry_uri": "mlnb.tracking.state",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.tracking' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
