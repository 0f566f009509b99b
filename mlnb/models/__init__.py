"""``mlnb.models``: MLflow's ``mlflow.models`` — signatures, the MLmodel object, thresholds.

Examples
--------
>>> from mlnb.models import infer_signature  # doctest: +SKIP
>>> signature = infer_signature(X_train, model.predict(X_train))  # doctest: +SKIP
>>> mlnb.sklearn.log_model(model, name="model", signature=signature)  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module

from mlnb.lazy import exports

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


def _load_registry(name: str) -> None:
    if name in _NEEDS_REGISTRY:
        import_module("mlnb.registry.loading")


__getattr__, __dir__ = exports(globals(), _EXPORTS, before=_load_registry)
