"""``mlnb.types.schema``: MLflow's ``mlflow.types.schema`` (the spec classes of a signature)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    name: "mlnb.flavors.specs"
    for name in (
        "AnyType",
        "Array",
        "ColSpec",
        "DataType",
        "Map",
        "Object",
        "Property",
        "Schema",
        "TensorSpec",
    )
}
_EXPORTS.update({"ParamSchema": "mlnb.flavors.paramspec", "ParamSpec": "mlnb.flavors.paramspec"})

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.types.schema' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
