"""The fluent tracking API, the active run, search_runs as DataFrames and ``MlflowClient``.

As ``mlflow.tracking`` does, this package offers ``MlflowClient`` by name.  The names are
resolved on first access (PEP 562) from a table of module paths, like :mod:`mlnb`'s own public
names, so ``import mlnb.tracking`` stays cheap; the client itself is assembled on the registry
layer (it has the registry's methods), and nothing inside mlnb reaches it through here.
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
    # client
    "MlflowClient": "mlnb.registry.client",
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
