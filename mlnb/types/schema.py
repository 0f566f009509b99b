"""``mlnb.types.schema``: MLflow's ``mlflow.types.schema`` (the spec classes of a signature)."""

from __future__ import annotations

from mlnb.lazy import exports

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


__getattr__, __dir__ = exports(globals(), _EXPORTS)
