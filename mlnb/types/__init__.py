"""``mlnb.types``: MLflow's ``mlflow.types`` — the specs a model signature is made of.

Examples
--------
>>> from mlnb.types import ColSpec, Schema
>>> Schema([ColSpec("double", "age"), ColSpec("string", "plan", required=False)])
['age': double (required), 'plan': string (optional)]
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AnyType": "mlnb.flavors.specs",
    "Array": "mlnb.flavors.specs",
    "ColSpec": "mlnb.flavors.specs",
    "DataType": "mlnb.flavors.specs",
    "Map": "mlnb.flavors.specs",
    "Object": "mlnb.flavors.specs",
    "Property": "mlnb.flavors.specs",
    "Schema": "mlnb.flavors.specs",
    "TensorSpec": "mlnb.flavors.specs",
    "ParamSchema": "mlnb.flavors.paramspec",
    "ParamSpec": "mlnb.flavors.paramspec",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.types' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
