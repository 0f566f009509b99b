"""Model signatures in dict form, as stored in an ``MLmodel`` file, for logging and serving.

The objects (:class:`~mlnb.flavors.schema.ModelSignature`, ``Schema``, ``ColSpec``) and the type
rules live in :mod:`mlnb.flavors.schema`; this module is the dict view the model writer and the
scoring server use.  A signature is a dict ``{"inputs": <json str>, "outputs": <json str>,
"params": None}`` exactly as it appears under ``signature:`` in an ``MLmodel`` file.  Column specs look like
``{"type": "long", "name": "Age", "required": true}``; numpy arrays use a tensor spec
``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``.

pandas 3 stores text as ``str`` (``StringDtype``); it maps to ``"string"``.
"""

from __future__ import annotations

import json
from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.flavors.inference import infer_schema
from mlnb.flavors.schema import ModelSignature
from mlnb.flavors.specs import DataType

COLUMN_TYPES = tuple(t.name for t in DataType)


def infer_signature(model_input: Any, model_output: Any = None) -> dict[str, Any]:
    """The signature MLflow writes when logging a model with this input example, in dict form.

    The types come from :func:`mlnb.flavors.schema.infer_signature`'s rules; as MLflow does when
    it logs a model, a 1-D array of predictions for column input is one output column, and data
    that cannot be described raises :class:`~mlnb.errors.InvalidParameter` (the caller decides
    whether to log without a signature).

    Examples
    --------
    >>> sig = infer_signature(X_train.head(5), model.predict(X_train.head(5)))  # doctest: +SKIP
    >>> json.loads(sig["inputs"])[0]  # doctest: +SKIP
    {'type': 'long', 'name': 'Age', 'required': True}
    """
    import numpy as np

    inputs = infer_schema(model_input)
    output = model_output
    if (
        output is not None
        and not inputs.is_tensor_spec()
        and isinstance(output, np.ndarray)
        and output.ndim == 1
    ):
        import pandas as pd

        output = pd.Series(output)
    outputs = None if output is None else infer_schema(output)
    return ModelSignature(inputs, outputs).to_dict()


def normalize_signature(signature: Any) -> dict[str, Any] | None:
    """Accept our dict form, an MLflow ``ModelSignature`` or lists of specs; return the dict form."""
    if signature is None:
        return None
    if hasattr(signature, "to_dict") and not isinstance(signature, dict):
        signature = signature.to_dict()
    if not isinstance(signature, dict) or "inputs" not in signature:
        raise InvalidParameter(
            "signature must be a dict with 'inputs' (and 'outputs') column specs, e.g. the result "
            "of mlnb.flavors.signature.infer_signature(X, model.predict(X))"
        )
    out: dict[str, Any] = {}
    for key in ("inputs", "outputs"):
        value = signature.get(key)
        if value is None:
            out[key] = None
            continue
        specs = json.loads(value) if isinstance(value, str) else value
        if not isinstance(specs, list) or not all(isinstance(s, dict) and "type" in s for s in specs):
            raise InvalidParameter(f"signature {key!r} must be a list of column specs with a 'type'")
        out[key] = json.dumps(specs)
    out["params"] = signature.get("params")
    return out


def input_columns(signature: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The named column specs of a signature's inputs, or None for tensor/unnamed/absent inputs."""
    if not signature or not signature.get("inputs"):
        return None
    specs = json.loads(signature["inputs"])
    if not specs or any("name" not in s or s.get("type") not in COLUMN_TYPES for s in specs):
        return None
    return specs
