"""load_model: round trip, integrity refusals, trusted types from the database, pickle opt-in."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import mlnb
from mlnb.errors import IntegrityError, InvalidParameter, InvalidUri, ModelNotFound, UnsupportedModel
from tests.models_fixtures import churn_pipeline


@pytest.fixture(scope="module")
def fitted() -> tuple[Any, Any]:
    X, _y, model = churn_pipeline()
    return X, model


@pytest.fixture
def logged(store, fitted) -> tuple[Any, Any, Any]:
    X, pipe = fitted
    with mlnb.start_run():
        info = mlnb.log_model(pipe, "model", input_example=X)
    return X, pipe, info


def _model_file(store, info, name: str):
    return store.run_dir(info.run_id) / info.artifact_path / name


def test_round_trip_predicts_the_same(logged) -> None:
    X, pipe, info = logged
    loaded = mlnb.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_model_info_fields(logged) -> None:
    _, _, info = logged
    assert info.model_uri == f"runs:/{info.run_id}/model"
    assert (info.flavor, info.serialization) == ("sklearn", "skops")
    assert json.loads(info.signature_dict["inputs"])[0]["name"] == "Age"


def test_every_file_is_hashed_and_trusted_types_are_tagged(store, logged) -> None:
    _, _, info = logged
    rows = store.artifact_rows(info.run_id, "model")
    assert {"model/MLmodel", "model/model.skops", "model/requirements.txt"} <= set(rows)
    tag = json.loads(mlnb.get_run(info.run_id).data.tags["mlnb.model.model"])
    assert tag == {"flavor": "sklearn", "serialization": "skops", "trusted_types": []}


def test_sklearn_namespace_logs_and_loads(store, fitted) -> None:
    X, pipe = fitted
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(pipe, "clf")
    np.testing.assert_array_equal(mlnb.sklearn.load_model(info.model_uri).predict(X), pipe.predict(X))


def test_flipped_byte_in_model_file_is_refused(store, logged) -> None:
    _, _, info = logged
    path = _model_file(store, info, "model.skops")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"model\.skops"):
        mlnb.load_model(info.model_uri)


def test_mlmodel_edited_to_trust_eval_is_refused(store, logged) -> None:
    _, _, info = logged
    path = _model_file(store, info, "MLmodel")
    text = path.read_text().replace("skops_trusted_types: null", "skops_trusted_types:\n    - builtins.eval")
    assert "builtins.eval" in text
    path.write_text(text)
    with pytest.raises(IntegrityError, match="MLmodel"):
        mlnb.load_model(info.model_uri)


def test_types_listed_in_the_directory_are_never_trusted(store) -> None:
    """Even with hashes that match, a model needing eval loads only if the database trusts eval."""
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    evil = FunctionTransformer(eval).fit(np.ones((2, 2)))
    with mlnb.start_run() as run:
        rid = run.info.run_id
        mlmodel = "flavors:\n  sklearn:\n    pickled_model: model.skops\n    serialization_format: skops\n"
        mlmodel += "    skops_trusted_types:\n    - builtins.eval\n"
        store.artifacts.write_files(
            rid, [("evil/model.skops", sio.dumps(evil)), ("evil/MLmodel", mlmodel.encode())]
        )
        store.log_batch(  # mlnb.* tags are reserved to mlnb: the record is written as log_model does
            rid,
            tags={
                "mlnb.model.evil": json.dumps(
                    {"flavor": "sklearn", "serialization": "skops", "trusted_types": []}
                )
            },
            buffered=False,
        )
    with pytest.raises(IntegrityError, match=r"builtins\.eval"):
        mlnb.load_model(f"runs:/{rid}/evil")


def test_deleted_file_is_refused(store, logged) -> None:
    _, _, info = logged
    _model_file(store, info, "requirements.txt").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        mlnb.load_model(info.model_uri)


def test_unsupported_model_names_the_type(store) -> None:
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x * 2).fit(np.ones((3, 2)))
    with mlnb.start_run(), pytest.raises(UnsupportedModel, match=r"<lambda>.*allow_pickle=True"):
        mlnb.log_model(model, "fn")


def test_model_logged_with_pickle_loads_after_its_hash_check_unless_refused(store) -> None:
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x * 2).fit(np.ones((3, 2)))
    with mlnb.start_run():
        info = mlnb.log_model(model, "fn", allow_pickle=True)
    assert info.serialization == "cloudpickle"
    loaded = mlnb.load_model(info.model_uri)  # logging it with pickle was the opt-in
    np.testing.assert_array_equal(loaded.transform(np.ones((2, 2))), np.full((2, 2), 2.0))
    with pytest.raises(InvalidParameter, match="allow_pickle=True"):
        mlnb.load_model(info.model_uri, allow_pickle=False)


def test_model_logged_with_pickle_is_refused_once_its_file_changed(store) -> None:
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x * 2).fit(np.ones((3, 2)))
    with mlnb.start_run():
        info = mlnb.log_model(model, "fn", allow_pickle=True)
    directory = store.location.artifact_root / info.run_id / "fn"
    pickled = next(p for p in directory.iterdir() if p.suffix in (".pkl", ".pickle"))
    pickled.write_bytes(pickled.read_bytes() + b"\x00")
    with pytest.raises(IntegrityError):
        mlnb.load_model(info.model_uri)


def test_missing_model_and_bad_uri(store, logged) -> None:
    _, _, info = logged
    with pytest.raises(ModelNotFound):
        mlnb.load_model(f"runs:/{info.run_id}/nothing")
    with pytest.raises(InvalidUri):
        mlnb.load_model("file:///etc/passwd")


def test_reference_profile_written_with_training_data(store, fitted) -> None:
    X, pipe = fitted
    with mlnb.start_run():
        info = mlnb.log_model(pipe, "model", training_data=X)
    profile = mlnb.load_dict(info.run_id, "model/reference_profile.json")
    assert profile


@pytest.mark.mlflow
def test_mlflow_pyfunc_loads_the_logged_directory(store, logged, monkeypatch) -> None:
    import mlflow.pyfunc

    # MLflow 3.17 refuses every deserialization (skops included) unless this is set.
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    X, pipe, info = logged
    directory = store.run_dir(info.run_id) / "model"
    pyfunc = mlflow.pyfunc.load_model(str(directory))
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(X)), pipe.predict(X))
    import mlflow.sklearn

    np.testing.assert_array_equal(mlflow.sklearn.load_model(str(directory)).predict(X), pipe.predict(X))


@pytest.mark.mlflow
def test_mlflow_loads_a_cloudpickled_model(store, monkeypatch) -> None:
    import mlflow.pyfunc
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1] * 5)
    model = make_pipeline(FunctionTransformer(lambda a: a * 2), LogisticRegression()).fit(X, y)
    with mlnb.start_run():
        info = mlnb.log_model(model, "pickled", input_example=X, allow_pickle=True)
    pyfunc = mlflow.pyfunc.load_model(str(store.run_dir(info.run_id) / "pickled"))
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(X)), model.predict(X))
    np.testing.assert_array_equal(
        mlnb.load_model(info.model_uri, allow_pickle=True).predict(X), model.predict(X)
    )


def test_a_model_is_loadable_from_another_process_once_log_model_returns(
    store_dir, fitted, monkeypatch
) -> None:
    import subprocess
    import sys

    # Buffered writes wait up to this long: nothing log_model needs may sit in the buffer.
    monkeypatch.setenv("MLNB_FLUSH_INTERVAL", "60")
    X, pipe = fitted
    mlnb.start_run()
    info = mlnb.log_model(pipe, "model", input_example=X)
    code = "import sys, mlnb\nmodel = mlnb.load_model(sys.argv[1])\nprint(type(model).__name__)\n"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, info.model_uri], capture_output=True, text=True, timeout=120
        )
    finally:
        mlnb.end_run()
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "Pipeline"
