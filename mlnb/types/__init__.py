"""``mlnb.types``: MLflow's ``mlflow.types`` — the specs a model signature is made of.

Examples
--------
>>> from mlnb.types import ColSpec, Schema
>>> Schema([ColSpec("double", "age"), ColSpec("string", "plan", required=False)])
['age': double (required), 'plan': string (optional)]
"""

from __future__ import annotations

from mlnb.lazy import exports

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


__getattr__, __dir__ = exports(globals(), _EXPORTS)
