"""Model: an MLmodel file as an object, read from mlnb's and from MLflow's model directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlnb.errors import InvalidParameter, ModelNotFound
from mlnb.flavors.mlmodel import build_model
from mlnb.flavors.model import Model, ModelInfo, parse_mlmodel


def _write(directory: Path, built) -> Path:
    directory.mkdir()
    for name, data in built.files:
        (directory / name).write_bytes(data)
    return directory


def test_load_reads_flavors_example_info_and_signature(churn, tmp_path) -> None:
    X, _, pipe = churn
    directory = _write(tmp_path / "m", build_model(pipe, input_example=X))
    model = Model.load(directory)
    assert sorted(model.flavors) == ["python_function", "sklearn"]
    assert model.flavors["sklearn"]["serialization_format"] == "skops"
    assert model.saved_input_example_info["type"] == "dataframe"
    assert len(model.model_uuid) == 32
    names = [c["name"] for c in json.loads(model.signature_dict["inputs"])]
    assert names == [str(c) for c in X.columns]
    assert Model.load(directory / "MLmodel").model_uuid == model.model_uuid


def test_to_dict_round_trips_the_file(churn, tmp_path) -> None:
    X, _, pipe = churn
    directory = _write(tmp_path / "m", build_model(pipe, input_example=X))
    original = parse_mlmodel((directory / "MLmodel").read_bytes())
    model = Model.load(directory)
    assert model.to_dict() == original
    assert parse_mlmodel(model.to_yaml()) == original
    model.save(tmp_path / "MLmodel.copy")
    assert parse_mlmodel((tmp_path / "MLmodel.copy").read_bytes()) == original


def test_load_input_example_gives_back_the_first_rows(churn, tmp_path) -> None:
    X, _, pipe = churn
    directory = _write(tmp_path / "m", build_model(pipe, input_example=X))
    example = Model.load(directory).load_input_example()
    assert list(example.columns) == list(X.columns)
    assert len(example) == 5
    assert example.iloc[0].tolist() == X.iloc[0].tolist()


def test_ndarray_example_loads_as_array(tmp_path) -> None:
    from sklearn.linear_model import LinearRegression

    X = np.arange(12, dtype=float).reshape(6, 2)
    model = LinearRegression().fit(X, X.sum(axis=1))
    directory = _write(tmp_path / "m", build_model(model, input_example=X))
    np.testing.assert_array_equal(Model.load(directory).load_input_example(), X[:5])


def test_model_without_example_or_signature(tmp_path) -> None:
    model = Model(flavors={"python_function": {"loader_module": "x"}})
    assert model.signature is None and model.get_input_schema() is None
    assert model.load_input_example() is None
    assert Model.from_dict(model.to_dict()).model_uuid == model.model_uuid


def test_load_refuses_missing_files_and_uris(tmp_path) -> None:
    with pytest.raises(ModelNotFound, match="no MLmodel file"):
        Model.load(tmp_path)
    with pytest.raises(InvalidParameter, match="local directory"):
        Model.load("s3://bucket/model")
    (tmp_path / "MLmodel").write_text("just: text\n")
    with pytest.raises(InvalidParameter, match="flavors"):
        Model.load(tmp_path)


def test_model_info_from_model_carries_mlflow_fields(churn, tmp_path) -> None:
    X, _, pipe = churn
    directory = _write(tmp_path / "m", build_model(pipe, input_example=X, run_id="r1", artifact_path="clf"))
    model = Model.load(directory)
    info = model.get_model_info()
    assert (info.run_id, info.artifact_path, info.model_uri) == ("r1", "clf", "runs:/r1/clf")
    assert info.flavors == model.flavors
    assert info.model_uuid == model.model_uuid
    assert info.utc_time_created == model.utc_time_created
    assert info.saved_input_example_info == model.saved_input_example_info
    assert info.registered_model_version is None
    assert info.signature_dict == model.signature_dict
    assert info.signature.inputs.input_names() == [str(c) for c in X.columns]
    assert isinstance(info, ModelInfo)


@pytest.mark.mlflow
def test_reads_the_mlmodel_real_mlflow_writes(churn, tmp_path) -> None:
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
    X, _, pipe = churn
    mlflow_sklearn.save_model(pipe, str(tmp_path / "m"), serialization_format="skops", input_example=X)
    model = Model.load(tmp_path / "m")
    import mlflow.models

    theirs = mlflow.models.Model.load(str(tmp_path / "m"))
    assert model.flavors == theirs.flavors
    assert model.model_uuid == theirs.model_uuid
    assert model.saved_input_example_info == theirs.saved_input_example_info
    assert model.signature_dict == theirs.signature.to_dict()
    assert model.signature.to_dict() == theirs.signature.to_dict()
    assert model.get_input_schema().input_names() == theirs.get_input_schema().input_names()
    pd.testing.assert_frame_equal(model.load_input_example(), theirs.load_input_example(str(tmp_path / "m")))
