"""``mlnb.models.signature``: MLflow's ``mlflow.models.signature`` (ModelSignature, infer_signature)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ModelSignature": "mlnb.flavors.schema",
    "infer_signature": "mlnb.flavors.schema",
    "set_signature": "mlnb.registry.model_signature",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.models.signature' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
