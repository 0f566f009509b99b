"""Models cross over both ways: mlnb's load in real MLflow, MLflow's load in mlnb; ModelInfo parity."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

import mlnb

pytestmark = pytest.mark.mlflow
mlflow = pytest.importorskip("mlflow")

MLNB_CODE = textwrap.dedent(
    """
    import mlnb
    from mlnb.models import set_model


    class Affine(mlnb.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["weights"]) as fh:
                self.w = [float(v) for v in fh.read().split()]

        def predict(self, context, model_input, params=None):
            return model_input["x"] * self.w[0] + self.w[1] + context.model_config["bias"]


    set_model(Affine())
    """
)

MLFLOW_CODE = textwrap.dedent(
    """
    import mlflow


    class Affine(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["weights"]) as fh:
                self.w = [float(v) for v in fh.read().split()]

        def predict(self, context, model_input, params=None):
            return model_input["x"] * self.w[0] + self.w[1] + context.model_config["bias"]


    mlflow.models.set_model(Affine())
    """
)


@pytest.fixture(scope="module")
def churn():
    from tests.models_fixtures import churn_pipeline

    X, _, pipe = churn_pipeline()
    return X.head(200), pipe


@pytest.fixture
def affine(tmp_path):
    (tmp_path / "weights.txt").write_text("2 5")
    frame = pd.DataFrame({"x": [1.0, 2.0, 4.0]})
    expected = frame["x"] * 2 + 5 + 0.5
    return frame, expected, {"weights": str(tmp_path / "weights.txt")}


@pytest.fixture
def mlflow_store(tmp_path):
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield
    mlflow.set_tracking_uri(previous)


def _model_dir(info):
    return str(mlnb.get_store().run_dir(info.run_id) / info.artifact_path)


# --- mlnb -> MLflow -------------------------------------------------------------------------
def test_mlnb_sklearn_model_loads_in_mlflow(store, churn) -> None:
    X, pipe = churn
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(pipe, name="model", input_example=X)
    directory = _model_dir(info)
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(directory).predict(X), pipe.predict(X))
    np.testing.assert_array_equal(mlflow.sklearn.load_model(directory).predict(X), pipe.predict(X))


def test_mlnb_sklearn_save_model_loads_in_mlflow(churn, tmp_path) -> None:
    X, pipe = churn
    mlnb.sklearn.save_model(pipe, tmp_path / "m", input_example=X)
    np.testing.assert_array_equal(mlflow.sklearn.load_model(str(tmp_path / "m")).predict(X), pipe.predict(X))


def test_mlnb_code_model_loads_in_mlflow(store, affine, tmp_path) -> None:
    frame, expected, artifacts = affine
    (tmp_path / "affine.py").write_text(MLNB_CODE)
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(
            name="affine",
            python_model=str(tmp_path / "affine.py"),
            artifacts=artifacts,
            model_config={"bias": 0.5},
            input_example=frame,
        )
    theirs = mlflow.pyfunc.load_model(_model_dir(info))
    ours = mlnb.pyfunc.load_model(info.model_uri)
    pd.testing.assert_series_equal(theirs.predict(frame), expected, check_names=False)
    pd.testing.assert_series_equal(ours.predict(frame), expected, check_names=False)


def test_mlnb_cloudpickled_python_model_loads_in_mlflow(store, monkeypatch) -> None:
    from tests.registry.test_pyfunc_api import Doubler

    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="d", python_model=Doubler(), serialization_format="cloudpickle")
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    frame = pd.DataFrame({"v": [1, 2]})
    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(_model_dir(info)).predict(frame), frame * 2)


# --- MLflow -> mlnb -------------------------------------------------------------------------
def test_mlflow_skops_model_loads_in_mlnb(churn, tmp_path) -> None:
    X, pipe = churn
    path = str(tmp_path / "m")
    mlflow.sklearn.save_model(pipe, path, serialization_format="skops", input_example=X)
    np.testing.assert_array_equal(mlnb.sklearn.load_model(path).predict(X), pipe.predict(X))
    pyfunc = mlnb.pyfunc.load_model(path)
    np.testing.assert_array_equal(pyfunc.predict(X), mlflow.pyfunc.load_model(path).predict(X))
    assert pyfunc.metadata.model_uuid == mlflow.models.Model.load(path).model_uuid


def test_mlflow_code_model_loads_in_mlnb(affine, tmp_path) -> None:
    frame, expected, artifacts = affine
    (tmp_path / "affine.py").write_text(MLFLOW_CODE)
    path = str(tmp_path / "m")
    mlflow.pyfunc.save_model(
        path, python_model=str(tmp_path / "affine.py"), artifacts=artifacts, model_config={"bias": 0.5}
    )
    ours = mlnb.pyfunc.load_model(path)
    pd.testing.assert_series_equal(ours.predict(frame), expected, check_names=False)
    assert type(ours.unwrap_python_model()).__name__ == "Affine"


def test_mlflow_cloudpickle_model_needs_the_opt_in_in_mlnb(churn, tmp_path) -> None:
    X, pipe = churn
    path = str(tmp_path / "m")
    mlflow.sklearn.save_model(pipe, path, serialization_format="cloudpickle")
    with pytest.raises(mlnb.InvalidParameter, match="allow_pickle"):
        mlnb.sklearn.load_model(path)
    np.testing.assert_array_equal(
        mlnb.sklearn.load_model(path, allow_pickle=True).predict(X), pipe.predict(X)
    )


# --- parity ---------------------------------------------------------------------------------
def test_model_info_matches_mlflow_for_the_same_call(store, mlflow_store, churn) -> None:
    X, pipe = churn
    kwargs = {
        "name": "model",
        "input_example": X,
        "serialization_format": "skops",
        "registered_model_name": "churn",
        "metadata": {"team": "risk"},
    }
    with mlflow.start_run() as theirs_run:
        theirs = mlflow.sklearn.log_model(pipe, **kwargs)
    with mlnb.start_run() as ours_run:
        ours = mlnb.sklearn.log_model(pipe, **kwargs)
    public = {name for name in dir(theirs) if not name.startswith("_")}
    assert public <= {name for name in dir(ours) if not name.startswith("_")}
    assert ours.signature_dict == theirs.signature.to_dict()
    assert ours.signature.to_dict() == theirs.signature.to_dict()
    assert repr(ours.signature) == repr(theirs.signature)
    assert ours.flavors == theirs.flavors
    for field in (
        "saved_input_example_info",
        "registered_model_version",
        "name",
        "metadata",
        "mlflow_version",
    ):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert (ours.run_id, theirs.run_id) == (ours_run.info.run_id, theirs_run.info.run_id)
    assert len(ours.utc_time_created) == len(theirs.utc_time_created)
    ours_mlmodel = mlnb.pyfunc.load_model(ours.model_uri).metadata.to_dict()
    theirs_mlmodel = mlflow.models.Model.load(theirs.model_uri).to_dict()
    assert set(ours_mlmodel) == set(theirs_mlmodel)


def test_signature_matches_mlflow_for_a_code_model(affine, tmp_path) -> None:
    frame, _, artifacts = affine
    (tmp_path / "affine.py").write_text(MLFLOW_CODE)
    common = {
        "python_model": str(tmp_path / "affine.py"),
        "artifacts": artifacts,
        "model_config": {"bias": 0.5},
        "input_example": frame,
    }
    mlflow.pyfunc.save_model(str(tmp_path / "theirs"), **common)
    mlnb.pyfunc.save_model(tmp_path / "ours", **common)
    theirs = mlflow.models.Model.load(str(tmp_path / "theirs"))
    ours = mlnb.pyfunc.load_model(tmp_path / "ours").metadata
    assert ours.get_input_schema().to_dict() == theirs.get_input_schema().to_dict()
    assert ours.get_output_schema().to_dict() == theirs.get_output_schema().to_dict()
    flavor_keys = set(theirs.flavors["python_function"]) - {"model_code_path"}
    assert flavor_keys <= set(ours.flavors["python_function"])
