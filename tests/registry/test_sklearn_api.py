"""mlnb.sklearn: MLflow's log_model/save_model/load_model keywords on mlnb's store and registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import mlnb
from mlnb.errors import IntegrityError, InvalidParameter, InvalidUri, ModelNotFound, UnsupportedModel


@pytest.fixture(scope="module")
def fitted():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.integers(0, 5, size=40)})
    model = LogisticRegression().fit(X, (X["a"] > 0).astype(int))
    return X, model


def _same(loaded, model, X) -> None:
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_positional_name_as_users_write_it(store, fitted) -> None:
    X, model = fitted
    with mlnb.start_run() as run:
        info = mlnb.sklearn.log_model(model, "model")
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    assert (info.artifact_path, info.name, info.run_id) == ("model", "model", run.info.run_id)
    _same(mlnb.sklearn.load_model(info.model_uri), model, X)


@pytest.mark.parametrize(
    "kwargs",
    [{"name": "clf"}, {"artifact_path": "clf"}, {"name": "clf", "artifact_path": "clf"}],
    ids=["name", "artifact_path", "both-equal"],
)
def test_name_and_the_older_artifact_path(store, fitted, kwargs) -> None:
    X, model = fitted
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(sk_model=model, **kwargs)
    assert info.artifact_path == "clf"
    _same(mlnb.sklearn.load_model(info.model_uri), model, X)


def test_conflicting_name_and_artifact_path_is_refused(store, fitted) -> None:
    with mlnb.start_run(), pytest.raises(InvalidParameter, match="differ"):
        mlnb.sklearn.log_model(fitted[1], name="a", artifact_path="b")


def test_without_an_active_run_one_is_started(store, fitted) -> None:
    info = mlnb.sklearn.log_model(fitted[1], name="model")
    assert mlnb.active_run().info.run_id == info.run_id
    mlnb.end_run()


def test_model_info_fields(store, fitted) -> None:
    X, model = fitted
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(
            model, name="m", input_example=X, metadata={"owner": "ana"}, params={"C": 1.0}, tags={"t": "x"}
        )
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert info.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert info.saved_input_example_info["type"] == "dataframe"
    assert len(info.model_uuid) == 32 and info.utc_time_created and info.mlflow_version
    assert info.metadata == {"owner": "ana"}
    assert (info.params, info.tags) == ({"C": "1.0"}, {"t": "x"})
    assert info.registered_model_version is None
    assert [c["name"] for c in json.loads(info.signature_dict["inputs"])] == ["a", "b"]
    meta = mlnb.pyfunc.load_model(info.model_uri).metadata
    assert (meta.run_id, meta.artifact_path, meta.metadata) == (info.run_id, "m", {"owner": "ana"})
    assert meta.model_uuid == info.model_uuid


def test_registered_model_name_registers_and_every_models_uri_loads(store, fitted) -> None:
    X, model = fitted
    with mlnb.start_run():
        first = mlnb.sklearn.log_model(model, name="m", registered_model_name="churn")
        second = mlnb.sklearn.log_model(model, name="m2", registered_model_name="churn")
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    mlnb.set_registered_model_alias("churn", "champion", 1)
    mlnb.transition_model_version_stage("churn", 2, "Staging")
    for uri in ("models:/churn/1", "models:/churn@champion", "models:/churn/Staging", "models:/churn/latest"):
        _same(mlnb.sklearn.load_model(uri), model, X)


def test_signature_objects_are_accepted_and_model_load_reads_uris(store, fitted) -> None:
    from mlnb.flavors.model import Model
    from mlnb.flavors.schema import infer_signature

    X, model = fitted
    sig = infer_signature(X, model.predict(X))
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(model, name="m", signature=sig, registered_model_name="sig")
    assert info.signature == sig
    assert Model.load(info.model_uri).signature == sig
    assert Model.load("models:/sig/1").model_uuid == info.model_uuid


def test_signature_false_logs_without_one(store, fitted) -> None:
    X, model = fitted
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(model, name="m", input_example=X, signature=False)
    assert info.signature is None and info.saved_input_example_info is not None


def test_signature_given_as_a_dict_is_kept(store, fitted) -> None:
    model = fitted[1]
    sig = {
        "inputs": json.dumps([{"type": "double", "name": "a"}, {"type": "long", "name": "b"}]),
        "outputs": None,
    }
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(model, name="m", signature=sig)
    assert json.loads(info.signature_dict["inputs"])[1] == {"type": "long", "name": "b"}


def test_cloudpickle_is_the_callers_opt_in_and_the_stored_model_loads_back(store, fitted) -> None:
    X, model = fitted
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(model, name="m", serialization_format="cloudpickle")
    assert info.serialization == "cloudpickle"
    assert info.flavors["sklearn"]["pickled_model"] == "model.pkl"
    _same(mlnb.sklearn.load_model(info.model_uri), model, X)
    with pytest.raises(InvalidParameter, match="allow_pickle=True"):
        mlnb.sklearn.load_model(info.model_uri, allow_pickle=False)


def test_a_model_skops_cannot_save_names_the_opt_in(store) -> None:
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x + 1).fit(np.ones((2, 2)))
    with mlnb.start_run(), pytest.raises(UnsupportedModel, match="serialization_format='cloudpickle'"):
        mlnb.sklearn.log_model(model, name="fn")


def test_bad_serialization_format_and_unknown_keyword(store, fitted) -> None:
    with mlnb.start_run():
        with pytest.raises(InvalidParameter, match="serialization_format 'joblib'"):
            mlnb.sklearn.log_model(fitted[1], name="m", serialization_format="joblib")
        with pytest.raises(InvalidParameter, match="signatur"):
            mlnb.sklearn.log_model(fitted[1], name="m", signatur=None)


def test_environment_keywords_shape_the_files(store, fitted) -> None:
    with mlnb.start_run():
        a = mlnb.sklearn.log_model(fitted[1], name="a", pip_requirements=["scikit-learn", "skops"])
        mlnb.sklearn.log_model(fitted[1], name="b", extra_pip_requirements=["lightgbm==4.0"])
        with pytest.raises(InvalidParameter, match="not both"):
            mlnb.sklearn.log_model(fitted[1], name="c", pip_requirements=["x"], extra_pip_requirements=["y"])
    run_dir = mlnb.get_store().run_dir(a.run_id)
    assert (run_dir / "a" / "requirements.txt").read_text().splitlines() == ["scikit-learn", "skops"]
    b_reqs = (run_dir / "b" / "requirements.txt").read_text().splitlines()
    assert b_reqs[-1] == "lightgbm==4.0" and any(r.startswith("scikit-learn") for r in b_reqs)
    conda = yaml.safe_load((run_dir / "a" / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": ["scikit-learn", "skops"]}


def test_code_paths_and_extra_files_are_copied(store, fitted, tmp_path) -> None:
    (tmp_path / "helpers.py").write_text("X = 1\n")
    (tmp_path / "notes.txt").write_text("hello")
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(
            fitted[1],
            name="m",
            code_paths=[str(tmp_path / "helpers.py")],
            extra_files=[str(tmp_path / "notes.txt")],
        )
    directory = mlnb.get_store().run_dir(info.run_id) / "m"
    assert (directory / "code" / "helpers.py").read_text() == "X = 1\n"
    assert (directory / "extra_files" / "notes.txt").read_text() == "hello"
    assert info.flavors["sklearn"]["code"] == "code"
    assert info.flavors["sklearn"]["extra_files"] == [{"path": "extra_files/notes.txt"}]


def test_a_changed_file_is_refused(store, fitted) -> None:
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(fitted[1], name="m")
    (mlnb.get_store().run_dir(info.run_id) / "m" / "model.skops").write_bytes(b"changed")
    with pytest.raises(IntegrityError, match="modified"):
        mlnb.sklearn.load_model(info.model_uri)
    with pytest.raises(IntegrityError, match="modified"):
        mlnb.pyfunc.load_model(info.model_uri)


def test_save_model_writes_a_local_directory_that_loads(store, fitted, tmp_path) -> None:
    X, model = fitted
    target = tmp_path / "saved"
    mlnb.sklearn.save_model(model, str(target), input_example=X)
    assert {p.name for p in target.iterdir()} >= {
        "MLmodel",
        "model.skops",
        "input_example.json",
        "requirements.txt",
    }
    _same(mlnb.sklearn.load_model(str(target)), model, X)
    _same(mlnb.sklearn.load_model(f"file://{target}"), model, X)
    _same(mlnb.pyfunc.load_model(target), model, X)
    with pytest.raises(InvalidParameter, match="not empty"):
        mlnb.sklearn.save_model(model, target)


def test_local_pickle_needs_the_opt_in(fitted, tmp_path) -> None:
    X, model = fitted
    mlnb.sklearn.save_model(model, tmp_path / "p", serialization_format="pickle")
    with pytest.raises(InvalidParameter, match="allow_pickle"):
        mlnb.sklearn.load_model(tmp_path / "p")
    _same(mlnb.sklearn.load_model(tmp_path / "p", allow_pickle=True), model, X)


def test_dst_path_receives_a_copy(store, fitted, tmp_path) -> None:
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(fitted[1], name="m")
    mlnb.sklearn.load_model(info.model_uri, dst_path=tmp_path / "dl")
    assert (tmp_path / "dl" / "m" / "MLmodel").is_file()


def test_missing_models_and_refused_schemes(store, fitted, tmp_path) -> None:
    with pytest.raises(ModelNotFound):
        mlnb.sklearn.load_model(tmp_path / "nothing")
    with pytest.raises(InvalidUri):
        mlnb.sklearn.load_model("s3://bucket/model")
    with pytest.raises(ModelNotFound):
        mlnb.sklearn.load_model("models:/nope/1")


def test_module_constants_match_mlflow() -> None:
    assert mlnb.sklearn.SUPPORTED_SERIALIZATION_FORMATS == ["skops", "pickle", "cloudpickle"]
    assert mlnb.sklearn.SERIALIZATION_FORMAT_SKOPS == "skops"
    assert isinstance(Path(mlnb.sklearn.__file__), Path)
