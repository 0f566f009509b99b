"""mlnb.models, mlnb.types and mlnb.data as MLflow's modules: names, set_signature, serving input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import mlnb
from mlnb.errors import InvalidParameter, ModelNotFound


@pytest.fixture
def logged(store: object) -> tuple[object, pd.DataFrame]:
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    with mlnb.start_run():
        info = mlnb.log_model(model, "model", input_example=X)
    return info, X


@pytest.mark.mlflow
@pytest.mark.parametrize(
    ("ours", "theirs"), [("models", "mlflow.models"), ("types", "mlflow.types"), ("data", "mlflow.data")]
)
def test_facade_names_exist_in_mlflow(ours: str, theirs: str) -> None:
    from importlib import import_module

    mlflow_module = import_module(theirs)
    facade = getattr(mlnb, ours)
    for name in facade.__all__:
        assert getattr(facade, name) is not None
    # every name we export under MLflow's module name is one MLflow has there too
    # documented extras: what MLflow keeps one module deeper (mlflow.models.model.ModelInfo,
    # mlflow.types.schema.Array, mlflow.data.pandas_dataset.PandasDataset, ...)
    extras = {
        "models": {"ModelInfo"},
        "types": {"AnyType", "Array", "Map", "Object", "Property"},
        "data": {"DatasetSource", "NumpyDataset", "PandasDataset", "TensorDatasetSchema", "Dataset"},
    }
    missing = [
        n for n in facade.__all__ if n not in extras.get(ours, set()) and not hasattr(mlflow_module, n)
    ]
    assert missing == []


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"mlnb\.models"):
        mlnb.models.no_such_thing  # noqa: B018


def test_model_signature_and_types_are_one_implementation() -> None:
    from mlnb.flavors.signature import infer_signature as dict_form

    X = pd.DataFrame({"a": [1.5, None], "s": ["x", "y"]})
    sig = mlnb.models.infer_signature(X, np.array([0, 1]))
    assert isinstance(sig, mlnb.models.ModelSignature)
    assert sig.inputs == mlnb.types.Schema(
        [
            mlnb.types.ColSpec("double", "a", required=False),
            mlnb.types.ColSpec(mlnb.types.DataType.string, "s"),
        ]
    )
    assert dict_form(X)["inputs"] == sig.to_dict()["inputs"]


def test_evaluate_is_mlnb_evaluate() -> None:
    assert mlnb.models.evaluate is mlnb.evaluate


@pytest.mark.mlflow
@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0.8, "greater_is_better": True},
        {"min_absolute_change": 0.05, "greater_is_better": False},
        {"min_relative_change": 0.0, "greater_is_better": True},
        {"min_relative_change": 1.0, "greater_is_better": True},
        {"threshold": 1, "min_absolute_change": 1, "min_relative_change": 0.5, "greater_is_better": True},
        {"greater_is_better": True},
        {"threshold": 0.5},
        {"threshold": "high", "greater_is_better": True},
        {"min_absolute_change": 0, "greater_is_better": True},
        {"min_relative_change": 1.5, "greater_is_better": True},
        {"threshold": 0.5, "greater_is_better": "yes"},
    ],
)
def test_metric_threshold_accepts_what_mlflow_accepts(kwargs: dict) -> None:
    from mlflow.models import MetricThreshold as Theirs

    try:
        Theirs(**kwargs)
        mlflow_ok = True
    except Exception:
        mlflow_ok = False
    if mlflow_ok:
        gate = mlnb.models.MetricThreshold(**kwargs)
        assert gate.greater_is_better is kwargs["greater_is_better"]
    else:
        with pytest.raises(InvalidParameter):
            mlnb.models.MetricThreshold(**kwargs)


def test_metric_threshold_positional_order_is_mlflows() -> None:
    gate = mlnb.models.MetricThreshold(0.7, 0.01, 0.1, True)
    assert (gate.threshold, gate.min_absolute_change, gate.min_relative_change, gate.greater_is_better) == (
        0.7,
        0.01,
        0.1,
        True,
    )


def test_set_signature_rewrites_the_mlmodel_and_loaders_see_it(logged) -> None:
    info, X = logged
    new = mlnb.models.infer_signature(X.astype("float32"), np.array([0, 1, 0, 1]))
    mlnb.models.set_signature(info.model_uri, new)
    text = mlnb.artifacts.load_text(f"{info.model_uri}/MLmodel")  # still passes the hash check
    model = mlnb.models.Model.load(mlnb.artifacts.download_artifacts(info.model_uri))
    assert model.signature == new
    assert "float" in text


@pytest.mark.mlflow
def test_set_signature_result_loads_in_mlflow(logged) -> None:
    from mlflow.models import Model as MlflowModel

    info, X = logged
    new = mlnb.models.infer_signature(X, np.array([0, 1, 0, 1]), params={"k": 3})
    mlnb.models.set_signature(info.model_uri, new)
    theirs = MlflowModel.load(mlnb.artifacts.download_artifacts(info.model_uri))
    assert theirs.signature.to_dict() == new.to_dict()


def test_set_signature_refuses_registry_uris_and_non_signatures(logged) -> None:
    info, _ = logged
    mlnb.register_model(info.model_uri, "m")
    sig = mlnb.models.ModelSignature(mlnb.types.Schema([mlnb.types.ColSpec("double", "a")]))
    with pytest.raises(InvalidParameter, match="models:/<name>/<version>"):
        mlnb.models.set_signature("models:/m/1", sig)
    with pytest.raises(InvalidParameter, match="must be a ModelSignature"):
        mlnb.models.set_signature(info.model_uri, sig.to_dict())
    with pytest.raises(ModelNotFound, match="MLmodel"):
        mlnb.models.set_signature(f"runs:/{info.run_id}/nope", sig)


@pytest.mark.mlflow
@pytest.mark.parametrize(
    "example",
    [
        pd.DataFrame({"a": [1, 2], "s": ["x", "y"], "f": [0.5, np.nan]}),
        pd.DataFrame({"d": pd.to_datetime(["2024-01-01"]), "i": pd.array([1], dtype="Int64")}),
        pd.DataFrame({0: [1], 1: [2]}),
        np.array([[1.0, 2.0]]),
        {"x": np.array([1, 2])},
        ["a", "b"],
        {"q": "hi", "n": 3, "l": [1, 2]},
        "hi",
        None,
    ],
)
def test_serving_input_matches_mlflow(example: object) -> None:
    from mlflow.models import convert_input_example_to_serving_input as theirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mlnb.models.convert_input_example_to_serving_input(example) == theirs(example)


def test_validate_serving_input_predicts_or_says_why_not(logged) -> None:
    info, X = logged
    body = mlnb.models.convert_input_example_to_serving_input(X.head(2))
    assert list(mlnb.models.validate_serving_input(info.model_uri, body)) == [0, 0]
    assert list(mlnb.models.validate_serving_input(info.model_uri, json.loads(body))) == [0, 0]
    with pytest.raises(InvalidParameter, match="would refuse"):
        mlnb.models.validate_serving_input(
            info.model_uri, {"dataframe_split": {"columns": ["a"], "data": [[1.0]]}}
        )


@pytest.mark.mlflow
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("mlnb.models.signature", "mlflow.models.signature"), ("mlnb.types.schema", "mlflow.types.schema")],
)
def test_deeper_module_paths_of_mlflow_work(ours: str, theirs: str) -> None:
    from importlib import import_module

    facade, mlflow_module = import_module(ours), import_module(theirs)
    for name in facade.__all__:
        assert hasattr(mlflow_module, name), name
        assert getattr(facade, name) is not None
