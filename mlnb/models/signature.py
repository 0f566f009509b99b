"""``mlnb.models.signature``: MLflow's ``mlflow.models.signature`` (ModelSignature, infer_signature)."""

from __future__ import annotations

from mlnb.lazy import exports

_EXPORTS = {
    "ModelSignature": "mlnb.flavors.schema",
    "infer_signature": "mlnb.flavors.schema",
    "set_signature": "mlnb.registry.model_signature",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = exports(globals(), _EXPORTS)
