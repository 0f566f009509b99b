"""ModelSignature, Schema and infer_signature: the same specs, JSON and reprs as MLflow's."""

from __future__ import annotations

import datetime
import json
import logging

import numpy as np
import pandas as pd
import pytest

from mlnb.errors import InvalidParameter
from mlnb.flavors.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
    infer_signature,
)


def _examples() -> dict[str, object]:
    """Inputs MLflow users pass to infer_signature (built fresh: some are mutable)."""
    return {
        "pandas3_str": pd.DataFrame(
            {"s": ["a", "b"], "n": ["x", None], "e": pd.Series([], dtype="str").reindex([0, 1])}
        ),
        "text_all_missing": pd.DataFrame(
            {
                "str": pd.Series([None, None], dtype="str"),
                "string": pd.Series([None, None], dtype="string"),
                "obj": pd.Series(["x", None], dtype=object),
                "cat_missing": pd.Categorical(["a", None]),
            }
        ),
        "ints": pd.DataFrame(
            {
                "i64": np.array([1, 2], dtype="int64"),
                "i32": np.array([1, 2], dtype="int32"),
                "i8": np.array([1, 2], dtype="int8"),
                "u32": np.array([1, 2], dtype="uint32"),
                "u8": np.array([1, 2], dtype="uint8"),
                "Int64": pd.array([1, None], dtype="Int64"),
            }
        ),
        "floats": pd.DataFrame(
            {
                "f64": [0.5, np.nan],
                "f32": np.array([0.5, 1.5], dtype="float32"),
                "f16": np.array([0.5, 1.5], dtype="float16"),
                "Float64": pd.array([1.5, None], dtype="Float64"),
            }
        ),
        "bools": pd.DataFrame(
            {
                "b": [True, False],
                "nb": pd.array([True, None], dtype="boolean"),
                "ob": pd.Series([True, None], dtype=object),
            }
        ),
        "datetimes": pd.DataFrame(
            {
                "d": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                "dn": pd.to_datetime(["2024-01-01", None]),
                "tz": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC"),
                "date_obj": pd.Series([datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)], dtype=object),
            }
        ),
        "optional_objects": pd.DataFrame(
            {
                "num_or_none": pd.Series([1, None], dtype=object),
                "all_none": pd.Series([None, None], dtype=object),
            }
        ),
        "binary_and_category": pd.DataFrame(
            {"raw": pd.Series([b"a", b"b"], dtype=object), "cat": pd.Categorical(["a", "b"])}
        ),
        "nested_columns": pd.DataFrame({"l": [[1, 2], [3]], "d": [{"a": 1}, {"a": 2, "b": "x"}]}),
        "int_column_names": pd.DataFrame({0: [1], 1: [2.0]}),
        "mixed_column_falls_back_to_any": pd.DataFrame({"odd": pd.Series([1, "x"], dtype=object)}),
        "uint64_falls_back_to_any": pd.DataFrame({"u": np.array([1], dtype="uint64")}),
        "series_named": pd.Series([1, 2], name="s"),
        "series_unnamed_optional": pd.Series([1.0, np.nan]),
        "ndarray_2d": np.zeros((4, 3)),
        "ndarray_3d_float32": np.zeros((2, 3, 4), dtype="float32"),
        "ndarray_str": np.array(["ab", "c"]),
        "ndarray_object": np.array([1, "a"], dtype=object),
        "dict_of_arrays": {"x": np.zeros((3, 2)), "y": np.array(["a", "b"])},
        "dict_of_values": {"a": 1, "b": "x", "c": None, "d": [1, 2], "e": {"k": "v"}},
        "list_of_dicts": [{"a": 1, "b": "x", "t": ["q"]}, {"a": 2, "b": None, "c": 1.5}],
        "list_of_nested_dicts": [{"o": {"a": 1}}, {"o": {"b": "x"}}, {"o": None}],
        "list_of_str": ["a", "b"],
        "list_of_float_with_none": [1.0, None],
        "empty_list": [],
        "scalar_str": "hello",
        "scalar_int": 3,
        "scalar_date": datetime.date(2020, 1, 1),
    }


CASES = list(_examples())
PARAMS = {
    "n": 5,
    "f": 1.5,
    "s": "x",
    "b": True,
    "l": [1, 2],
    "strs": ["a", "b"],
    "when": datetime.datetime(2020, 1, 1),
    "o": {"a": 1},
}


@pytest.fixture(autouse=True)
def _quiet_mlflow(caplog):
    """MLflow's integer-column hint is a UserWarning; it is not what these tests compare."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with caplog.at_level(logging.CRITICAL, logger="mlflow"):
            yield


@pytest.mark.mlflow
@pytest.mark.parametrize("case", CASES)
def test_input_schema_matches_mlflow(case: str) -> None:
    from mlflow.models import infer_signature as mlflow_infer

    theirs = mlflow_infer(_examples()[case])
    ours = infer_signature(_examples()[case])
    assert ours.to_dict() == theirs.to_dict()
    assert repr(ours) == repr(theirs)


@pytest.mark.mlflow
@pytest.mark.parametrize("case", CASES)
def test_output_schema_matches_mlflow(case: str) -> None:
    from mlflow.models import infer_signature as mlflow_infer

    frame = pd.DataFrame({"x": [1.5, 2.5]})
    assert (
        infer_signature(frame, _examples()[case]).to_dict()
        == mlflow_infer(frame, _examples()[case]).to_dict()
    )


@pytest.mark.mlflow
def test_param_schema_matches_mlflow() -> None:
    from mlflow.models import infer_signature as mlflow_infer

    theirs = mlflow_infer(np.zeros((2, 2)), params=PARAMS)
    ours = infer_signature(np.zeros((2, 2)), params=PARAMS)
    assert ours.to_dict() == theirs.to_dict()
    assert repr(ours.params) == repr(theirs.params)


@pytest.mark.mlflow
@pytest.mark.parametrize("case", CASES)
def test_mlflow_signature_dict_round_trips(case: str) -> None:
    from mlflow.models import infer_signature as mlflow_infer
    from mlflow.models.signature import ModelSignature as MlflowSignature

    theirs = mlflow_infer(_examples()[case], params=PARAMS).to_dict()
    ours = ModelSignature.from_dict(theirs)
    assert ours.to_dict() == theirs
    assert MlflowSignature.from_dict(ours.to_dict()).to_dict() == theirs


def test_unnamed_series_with_a_missing_value_is_a_required_column(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="mlnb"):
        sig = infer_signature(pd.Series([1.0, np.nan]))
    assert sig.inputs == Schema([ColSpec("double")])
    assert caplog.text == ""
    assert infer_signature(pd.Series([1.0, np.nan], name="s")).inputs == Schema(
        [ColSpec("double", "s", required=False)]
    )


def test_uninferable_input_falls_back_to_any_with_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="mlnb"):
        sig = infer_signature([{1, 2}])
    assert sig.inputs == Schema([ColSpec(AnyType())])
    assert "inputs" in caplog.text and "set" in caplog.text


def test_signature_needs_one_part_and_typed_parts() -> None:
    with pytest.raises(InvalidParameter, match="at least one"):
        ModelSignature()
    with pytest.raises(InvalidParameter, match="inputs must be a Schema"):
        ModelSignature(inputs=[ColSpec("long")])  # type: ignore[arg-type]


def test_equality_compares_every_part() -> None:
    inputs = Schema([ColSpec(DataType.double, "x")])
    assert ModelSignature(inputs) == ModelSignature(Schema([ColSpec("double", "x")]))
    assert ModelSignature(inputs) != ModelSignature(inputs, Schema([ColSpec("long")]))
    assert ModelSignature(inputs) != ModelSignature(Schema([ColSpec("double", "x", required=False)]))
    assert Schema([TensorSpec(np.dtype("float32"), (-1, 2))]) != Schema(
        [TensorSpec(np.dtype("float32"), (-1, 3))]
    )


def test_colspec_and_tensorspec_json_forms() -> None:
    assert ColSpec("string", "s", required=False).to_dict() == {
        "type": "string",
        "name": "s",
        "required": False,
    }
    assert ColSpec(Array(DataType.long)).to_dict() == {
        "type": "array",
        "items": {"type": "long"},
        "required": True,
    }
    assert TensorSpec(np.dtype("int64"), [-1], "t").to_dict() == {
        "name": "t",
        "type": "tensor",
        "tensor-spec": {"dtype": "int64", "shape": (-1,)},
    }
    obj = Object([Property("z", "string"), Property("a", "long", required=False)])
    assert [p.name for p in obj.properties] == ["a", "z"]
    assert json.loads(Schema([ColSpec(obj, "o")]).to_json())[0]["properties"]["a"] == {
        "type": "long",
        "required": False,
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Schema([]), "at least one"),
        (lambda: Schema([ColSpec("long", "a"), ColSpec("long")]), "mix named and unnamed"),
        (lambda: Schema([ColSpec("long", "a"), TensorSpec(np.dtype("int64"), (-1,), "b")]), "not a mix"),
        (lambda: Schema([ColSpec("long", required=False)]), "unnamed inputs must be required"),
        (lambda: ColSpec("decimal"), "unsupported column type 'decimal'"),
        (lambda: TensorSpec(np.dtype("U3"), (-1,)), "cannot carry a size"),
        (lambda: ParamSpec("p", "binary", b"x"), "binary parameters"),
        (lambda: ParamSpec("p", "long", "x"), "cannot safely convert str"),
        (lambda: ParamSpec("p", "long", 1, shape=(-1,)), "1-D list"),
        (lambda: ParamSchema([ParamSpec("p", "long", 1), ParamSpec("p", "long", 2)]), r"duplicated.*\['p'\]"),
    ],
)
def test_invalid_specs_say_what_is_wrong(build, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        build()


def test_param_defaults_widen_as_mlflow_allows() -> None:
    assert ParamSpec("p", "double", 3).default == 3.0
    assert isinstance(ParamSpec("p", "double", np.float32(0.5)).default, float)
    assert ParamSpec("p", "datetime", "2024-01-02").default == datetime.date(2024, 1, 2)
    assert ParamSpec("p", "long", [1, 2], shape=(-1,)).to_dict() == {
        "name": "p",
        "default": [1, 2],
        "shape": (-1,),
        "type": "long",
    }
