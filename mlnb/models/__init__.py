"""``mlnb.models``: MLflow's ``mlflow.models`` — signatures, the MLmodel object, thresholds.

Examples
--------
>>> from mlnb.models import infer_signature  # doctest: +SKIP
>>> signature = infer_signature(X_train, model.predict(X_train))  # doctest: +SKIP
>>> mlnb.sklearn.log_model(model, name="model", signature=signature)  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "infer_signature": "mlnb.flavors.schema",
    "ModelSignature": "mlnb.flavors.schema",
    "MetricThreshold": "mlnb.analysis.thresholds",
    "Model": "mlnb.flavors.model",
    "ModelInfo": "mlnb.flavors.model",
    "set_signature": "mlnb.registry.model_signature",
    "validate_serving_input": "mlnb.serve.validation",
    "convert_input_example_to_serving_input": "mlnb.flavors.serving_input",
    "evaluate": "mlnb",  # whatever mlnb.evaluate is, one function under both names
    "set_model": "mlnb.flavors.python_model",
    "make_metric": "mlnb.analysis.eval_metrics",
}
# Model.load("runs:/...") resolves URIs through a resolver that the registry layer installs
_NEEDS_REGISTRY = {"Model", "ModelInfo", "set_signature"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.models' has no attribute {name!r}")
    if name in _NEEDS_REGISTRY:
        import_module("mlnb.registry.loading")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
