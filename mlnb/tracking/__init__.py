"""The fluent tracking API, the active run, search_runs as DataFrames, run-end events
(:mod:`mlnb.tracking.events`) and ``MlflowClient``.

As ``mlflow.tracking`` does, this package offers ``MlflowClient`` by name.  The names are
resolved on first access (PEP 562) from a table of module paths, like :mod:`mlnb`'s own public
names, so ``import mlnb.tracking`` stays cheap; the client itself is assembled on the registry
layer (it has the registry's methods), and nothing inside mlnb reaches it through here.
"""

from __future__ import annotations

from mlnb.lazy import exports

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


__getattr__, __dir__ = exports(globals(), _EXPORTS)
