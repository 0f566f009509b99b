"""Model signatures as MLflow's objects: :class:`ModelSignature` and :func:`infer_signature`.

A signature describes what a model takes and returns: an input :class:`Schema`, an output
:class:`Schema` and an optional :class:`ParamSchema` of inference parameters.
``ModelSignature.to_dict()`` is the ``signature:`` block of an ``MLmodel`` file: each part a JSON
string, exactly as MLflow writes it, so signatures pass between MLflow and mlnb unchanged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.flavors.inference import infer_param_schema, infer_schema
from mlnb.flavors.paramspec import ParamSchema, ParamSpec
from mlnb.flavors.specs import AnyType, Array, ColSpec, DataType, Map, Object, Property, Schema, TensorSpec

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "infer_signature",
]

_log = logging.getLogger(__name__)


class ModelSignature:
    """The inputs, outputs and inference parameters of a model.

    Parameters
    ----------
    inputs, outputs : Schema, optional
    params : ParamSchema, optional
        At least one of the three must be given.

    Examples
    --------
    >>> sig = ModelSignature(Schema([ColSpec("double", "x")]), Schema([ColSpec("long")]))
    >>> sig.to_dict()["inputs"]
    '[{"type": "double", "name": "x", "required": true}]'
    """

    def __init__(
        self, inputs: Schema | None = None, outputs: Schema | None = None, params: ParamSchema | None = None
    ) -> None:
        for name, value, kind in (
            ("inputs", inputs, Schema),
            ("outputs", outputs, Schema),
            ("params", params, ParamSchema),
        ):
            if value is not None and not isinstance(value, kind):
                raise InvalidParameter(
                    f"ModelSignature {name} must be a {kind.__name__} or None, got {type(value).__name__}"
                )
        if inputs is None and outputs is None and params is None:
            raise InvalidParameter("a ModelSignature needs at least one of inputs, outputs or params")
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, Any]:
        """``{"inputs": <json>, "outputs": <json>, "params": <json>}``, None for absent parts."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, signature_dict: dict[str, Any]) -> ModelSignature:
        """Read the ``signature:`` block of an MLmodel file (JSON strings or lists of specs)."""
        if not isinstance(signature_dict, dict):
            raise InvalidParameter(
                f"a signature dict maps inputs/outputs/params to JSON, got {type(signature_dict).__name__}"
            )

        def part(key: str, reader: Any) -> Any:
            value = signature_dict.get(key)
            if not value:
                return None
            return reader(value if isinstance(value, str) else json.dumps(value))

        return cls(
            part("inputs", Schema.from_json),
            part("outputs", Schema.from_json),
            part("params", ParamSchema.from_json),
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.params == other.params
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"inputs: \n  {self.inputs!r}\noutputs: \n  {self.outputs!r}\nparams: \n  {self.params!r}\n"


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """The signature MLflow infers from example input, the model's output on it, and parameters.

    Parameters
    ----------
    model_input : DataFrame, Series, ndarray, dict, list or scalar, optional
        Example input, e.g. a few training rows.
    model_output : same kinds, optional
        The model's predictions on ``model_input``.
    params : dict, optional
        Inference parameters with their default values.

    Returns
    -------
    ModelSignature
        Data that cannot be described gets ``Schema([ColSpec(AnyType())])`` and a logged warning,
        as in MLflow.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_signature(pd.DataFrame({"x": [1.5, None]}), [0, 1]).inputs
    ['x': double (optional)]
    """
    schemas: dict[str, Any] = {}
    for key, data in (("inputs", model_input), ("outputs", model_output)):
        if data is None:
            schemas[key] = None
            continue
        try:
            schemas[key] = infer_schema(data)
        except InvalidParameter as exc:
            _log.warning(
                "cannot infer the schema of the model %s (%s); using Schema([ColSpec(AnyType())])", key, exc
            )
            schemas[key] = Schema([ColSpec(AnyType())])
    return ModelSignature(
        schemas["inputs"], schemas["outputs"], infer_param_schema(params) if params else None
    )
