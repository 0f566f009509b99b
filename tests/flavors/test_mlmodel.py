"""The model directory mlnb builds has MLflow 3.17's layout and keys."""

from __future__ import annotations

import json

import pytest
import yaml

from mlnb.errors import UnsupportedModel
from mlnb.flavors.mlmodel import build_model, parse_mlmodel


def _files(built) -> dict[str, bytes]:
    return dict(built.files)


def test_directory_holds_mlflow_files(churn) -> None:
    X, _, pipe = churn
    files = _files(build_model(pipe, input_example=X))
    assert set(files) == {
        "MLmodel",
        "model.skops",
        "input_example.json",
        "serving_input_example.json",
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
    }


def test_mlmodel_has_sklearn_skops_and_pyfunc_flavors(churn) -> None:
    X, _, pipe = churn
    meta = parse_mlmodel(_files(build_model(pipe, input_example=X))["MLmodel"])
    sk = meta["flavors"]["sklearn"]
    assert sk["pickled_model"] == "model.skops"
    assert sk["serialization_format"] == "skops"
    assert sk["skops_trusted_types"] is None
    assert set(sk) == {
        "code",
        "pickled_model",
        "serialization_format",
        "sklearn_version",
        "skops_trusted_types",
    }
    pf = meta["flavors"]["python_function"]
    assert pf["loader_module"] == "mlflow.sklearn"
    assert pf["model_path"] == "model.skops"
    assert pf["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert pf["predict_fn"] == "predict"
    assert len(meta["model_uuid"]) == 32
    assert meta["mlflow_version"]
    assert meta["saved_input_example_info"]["pandas_orient"] == "split"


def test_signature_maps_pandas_str_columns_to_string(churn) -> None:
    X, _, pipe = churn
    assert str(X["FrequentFlyer"].dtype) == "str"
    sig = build_model(pipe, input_example=X).signature
    inputs = {c["name"]: c["type"] for c in json.loads(sig["inputs"])}
    assert inputs["FrequentFlyer"] == "string"
    assert inputs["Age"] == "long"
    assert json.loads(sig["outputs"]) == [{"type": "long", "required": True}]


def test_input_example_keeps_five_rows(churn) -> None:
    X, _, pipe = churn
    files = _files(build_model(pipe, input_example=X))
    example = json.loads(files["input_example.json"])
    assert example["columns"] == list(X.columns)
    assert len(example["data"]) == 5
    assert json.loads(files["serving_input_example.json"])["dataframe_split"] == example


def test_requirements_pin_installed_versions(churn) -> None:
    X, _, pipe = churn
    files = _files(build_model(pipe, input_example=X))
    reqs = files["requirements.txt"].decode().splitlines()
    import sklearn
    import skops

    assert f"scikit-learn=={sklearn.__version__}" in reqs
    assert f"skops=={skops.__version__}" in reqs
    env = yaml.safe_load(files["python_env.yaml"])
    assert env["dependencies"] == ["-r requirements.txt"]


def test_lambda_model_is_unsupported_naming_the_type() -> None:
    import numpy as np
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x + 1).fit(np.ones((3, 2)))
    with pytest.raises(UnsupportedModel, match="<lambda>"):
        build_model(model)


def test_allow_pickle_falls_back_to_cloudpickle() -> None:
    import numpy as np
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x + 1).fit(np.ones((3, 2)))
    built = build_model(model, allow_pickle=True)
    assert built.serialization == "cloudpickle"
    meta = parse_mlmodel(_files(built)["MLmodel"])
    assert meta["flavors"]["sklearn"]["pickled_model"] == "model.pkl"


def test_builtin_eval_is_unsupported() -> None:
    import numpy as np
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(eval).fit(np.ones((3, 2)))
    with pytest.raises(UnsupportedModel, match=r"builtins\.eval"):
        build_model(model)


@pytest.mark.mlflow
def test_keys_match_what_mlflow_writes(churn, tmp_path) -> None:
    import mlflow.sklearn

    X, _, pipe = churn
    mlflow.sklearn.save_model(pipe, tmp_path / "m", serialization_format="skops", input_example=X.head(5))
    theirs = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    ours = parse_mlmodel(_files(build_model(pipe, input_example=X))["MLmodel"])
    assert set(ours) == set(theirs)
    for flavor in ("sklearn", "python_function"):
        assert set(ours["flavors"][flavor]) == set(theirs["flavors"][flavor])
    assert ours["signature"]["inputs"] == theirs["signature"]["inputs"]
    assert ours["signature"]["outputs"] == theirs["signature"]["outputs"]
    assert ours["saved_input_example_info"] == theirs["saved_input_example_info"]
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == json.loads(
        _files(build_model(pipe, input_example=X))["input_example.json"]
    )


def test_model_failing_on_its_example_still_gets_input_schema(churn) -> None:
    X, _, _ = churn
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[1.0], [2.0]], [1.0, 2.0])  # wrong width for X
    sig = build_model(model, input_example=X[["Age", "ServicesOpted"]]).signature
    assert sig["outputs"] is None
    assert [c["name"] for c in json.loads(sig["inputs"])] == ["Age", "ServicesOpted"]
