"""Signatures in MLflow's column schema, including pandas 3's str dtype."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlnb.errors import InvalidParameter
from mlnb.flavors.signature import infer_signature, input_columns, normalize_signature


def test_column_types_follow_mlflow_names() -> None:
    frame = pd.DataFrame(
        {
            "a": np.array([1, 2], dtype="int64"),
            "b": np.array([1, 2], dtype="int32"),
            "c": [0.5, np.nan],
            "d": np.array([0.5, 1.5], dtype="float32"),
            "e": ["x", "y"],
            "f": [True, False],
            "g": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "h": pd.array(["x", None], dtype="string"),
            "i": pd.array([1, 2], dtype="Int64"),
        }
    )
    assert str(frame["e"].dtype) == "str"
    specs = json.loads(infer_signature(frame, np.array([0, 1]))["inputs"])
    assert [(s["name"], s["type"], s["required"]) for s in specs] == [
        ("a", "long", True),
        ("b", "integer", True),
        ("c", "double", False),
        ("d", "float", True),
        ("e", "string", True),
        ("f", "boolean", True),
        ("g", "datetime", True),
        ("h", "string", False),
        ("i", "long", True),
    ]


def test_outputs_of_a_classifier_with_string_labels() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    sig = infer_signature(frame, np.array(["yes", "no"], dtype=object))
    assert json.loads(sig["outputs"]) == [{"type": "string", "required": True}]


def test_numpy_input_gives_a_tensor_spec() -> None:
    sig = infer_signature(np.zeros((4, 3)), np.zeros(4, dtype="int64"))
    assert json.loads(sig["inputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}
    ]
    assert json.loads(sig["outputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}
    ]
    assert input_columns(sig) is None


def test_mixed_object_column_is_refused_with_its_name() -> None:
    frame = pd.DataFrame({"odd": pd.Series([1, "x"], dtype=object)})
    with pytest.raises(InvalidParameter, match="'odd'"):
        infer_signature(frame)


def test_normalize_accepts_lists_and_json_strings() -> None:
    specs = [{"type": "long", "name": "a", "required": True}]
    assert normalize_signature({"inputs": specs})["inputs"] == json.dumps(specs)
    assert normalize_signature({"inputs": json.dumps(specs), "outputs": None})["outputs"] is None
    with pytest.raises(InvalidParameter):
        normalize_signature({"outputs": specs})
