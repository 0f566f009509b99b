"""mlnb.pyfunc: load_model -> PyFuncModel, custom Python models as code (default) or cloudpickle (opt-in)."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

import mlnb
from mlnb.errors import IntegrityError, InvalidParameter, UnsupportedModel
from mlnb.flavors.python_model import PythonModel

SCALER = textwrap.dedent(
    """
    import mlnb
    from mlnb.models import set_model


    class Scale(mlnb.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["factor"]) as fh:
                self.factor = float(fh.read())

        def predict(self, context, model_input, params=None):
            shift = (params or {}).get("shift", 0) + context.model_config.get("offset", 0)
            return model_input["a"] * self.factor + model_input["b"] + shift


    set_model(Scale())
    """
)

HINTED = textwrap.dedent(
    """
    import mlnb
    from mlnb.models import set_model


    class Lengths(mlnb.pyfunc.PythonModel):
        def predict(self, model_input: list[str], params=None):
            return [len(text) for text in model_input]


    set_model(Lengths())
    """
)


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2


@pytest.fixture
def code_model(tmp_path):
    (tmp_path / "scale.py").write_text(SCALER)
    (tmp_path / "factor.txt").write_text("3")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10, 20, 30]})
    kwargs = {
        "python_model": str(tmp_path / "scale.py"),
        "artifacts": {"factor": str(tmp_path / "factor.txt")},
        "model_config": {"offset": 100},
        "input_example": frame,
    }
    return frame, kwargs


def test_models_from_code_logs_loads_and_predicts(store, code_model) -> None:
    frame, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="scaler", **kwargs)
    assert (info.flavor, info.serialization) == ("python_function", "code")
    flavor = info.flavors["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.loaders.code_model"
    assert flavor["model_code_path"] == "scale.py"
    assert flavor["artifacts"]["factor"]["path"] == "artifacts/factor.txt"
    assert flavor["config"] == {"offset": 100}
    assert [c["name"] for c in json.loads(info.signature_dict["inputs"])] == ["a", "b"]
    model = mlnb.pyfunc.load_model(info.model_uri)
    expected = frame["a"] * 3 + frame["b"] + 100
    pd.testing.assert_series_equal(model.predict(frame), expected)
    pd.testing.assert_series_equal(model.predict(frame, params={"shift": 1}), expected + 1)
    assert type(model.unwrap_python_model()).__name__ == "Scale"
    assert model.metadata.artifact_path == "scaler"
    assert model.model_config == {"offset": 100}


def test_model_config_at_load_time_overrides_the_saved_one(store, code_model) -> None:
    frame, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", **kwargs)
    model = mlnb.pyfunc.load_model(info.model_uri, model_config={"offset": 0})
    pd.testing.assert_series_equal(model.predict(frame), frame["a"] * 3 + frame["b"])


def test_signature_enforcement_orders_converts_and_names_missing_columns(store, code_model) -> None:
    frame, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", **kwargs)
    model = mlnb.pyfunc.load_model(info.model_uri)
    expected = model.predict(frame)
    # reordered columns, an extra column, ints where doubles are expected: all fine
    shuffled = pd.DataFrame({"b": [10, 20, 30], "z": [0, 0, 0], "a": [1, 2, 3]})
    pd.testing.assert_series_equal(model.predict(shuffled), expected)
    with pytest.raises(InvalidParameter, match=r"Model is missing inputs \['b'\]"):
        model.predict(frame[["a"]])
    with pytest.raises(InvalidParameter, match="Incompatible input types for column b"):
        model.predict(frame.assign(b=[1.5, 2.5, 3.5]))
    with pytest.raises(InvalidParameter, match="Incompatible input types for column a"):
        model.predict(frame.assign(a=["x", "y", "z"]))
    nullable = frame.astype({"b": "Int64"})
    pd.testing.assert_series_equal(model.predict(nullable), expected)


def test_registered_and_loaded_by_alias(store, code_model) -> None:
    frame, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", registered_model_name="scaler", **kwargs)
    assert info.registered_model_version == 1
    mlnb.set_registered_model_alias("scaler", "prod", 1)
    assert len(mlnb.pyfunc.load_model("models:/scaler@prod").predict(frame)) == 3


def test_type_hinted_predict_gets_a_list(store, tmp_path) -> None:
    (tmp_path / "lengths.py").write_text(HINTED)
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", python_model=tmp_path / "lengths.py")
    model = mlnb.pyfunc.load_model(info.model_uri)
    assert model.predict(pd.DataFrame({"text": ["abc", "d"]})) == [3, 1]
    assert model.predict(["abcd"]) == [4]


def test_a_code_file_that_sets_no_model_is_refused(store, tmp_path) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", python_model=str(tmp_path / "empty.py"))
    with pytest.raises(InvalidParameter, match="did not call set_model"):
        mlnb.pyfunc.load_model(info.model_uri)


def test_a_changed_code_file_is_refused_before_it_runs(store, code_model, tmp_path) -> None:
    _, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", **kwargs)
    marker = tmp_path / "ran"
    code = mlnb.get_store().run_dir(info.run_id) / "m" / "scale.py"
    code.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    with pytest.raises(IntegrityError, match="modified"):
        mlnb.pyfunc.load_model(info.model_uri)
    assert not marker.exists()


def test_an_object_needs_the_cloudpickle_opt_in_to_save(store) -> None:
    with mlnb.start_run():
        with pytest.raises(UnsupportedModel, match="serialization_format='cloudpickle'"):
            mlnb.pyfunc.log_model(name="m", python_model=Doubler())
        info = mlnb.pyfunc.log_model(name="m", python_model=Doubler(), serialization_format="cloudpickle")
    assert info.flavors["python_function"]["python_model"] == "python_model.pkl"
    # logging it with cloudpickle was the opt-in: the stored, hash-checked model loads as is
    model = mlnb.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(model.predict(np.array([1, 2])), [2, 4])
    with pytest.raises(InvalidParameter, match="allow_pickle=True"):
        mlnb.pyfunc.load_model(info.model_uri, allow_pickle=False)


def test_a_saved_cloudpickle_directory_needs_allow_pickle(tmp_path) -> None:
    mlnb.pyfunc.save_model(tmp_path / "m", python_model=Doubler(), serialization_format="cloudpickle")
    with pytest.raises(InvalidParameter, match="allow_pickle=True"):
        mlnb.pyfunc.load_model(tmp_path / "m")
    model = mlnb.pyfunc.load_model(tmp_path / "m", allow_pickle=True)
    np.testing.assert_array_equal(model.predict(np.array([1, 2])), [2, 4])


def test_sklearn_models_load_as_pyfunc_with_their_raw_model(store) -> None:
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    reg = LinearRegression().fit(X, [2.0, 4.0, 6.0, 8.0])
    with mlnb.start_run():
        info = mlnb.sklearn.log_model(reg, name="reg", input_example=X)
    model = mlnb.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(model.predict(X), reg.predict(X))
    assert isinstance(model.get_raw_model(), LinearRegression)
    with pytest.raises(InvalidParameter, match="get_raw_model"):
        model.unwrap_python_model()


def test_flavor_loaders_refuse_the_other_kind(store, code_model) -> None:
    _, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", **kwargs)
    with pytest.raises(InvalidParameter, match=r"mlnb\.pyfunc\.load_model"):
        mlnb.sklearn.load_model(info.model_uri)


def test_save_model_and_load_from_the_directory(code_model, tmp_path) -> None:
    frame, kwargs = code_model
    mlnb.pyfunc.save_model(tmp_path / "saved", **kwargs)
    model = mlnb.pyfunc.load_model(str(tmp_path / "saved"))
    pd.testing.assert_series_equal(model.predict(frame), frame["a"] * 3 + frame["b"] + 100)
    assert model.metadata.load_input_example().equals(frame)


def test_loader_module_models_are_refused_clearly(store) -> None:
    with mlnb.start_run(), pytest.raises(InvalidParameter, match="loader_module"):
        mlnb.pyfunc.log_model(name="m", loader_module="my_loader", data_path="data")


def test_a_python_model_serves(store, code_model) -> None:
    import httpx

    frame, kwargs = code_model
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", **kwargs)
    with mlnb.serve(info.model_uri) as server:
        body = {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
        r = httpx.post(server.url + "/invocations", json=body)
    assert r.status_code == 200
    assert r.json() == {"predictions": (frame["a"] * 3 + frame["b"] + 100).tolist()}


def test_a_plain_function_set_as_the_model_predicts(store, tmp_path) -> None:
    source = textwrap.dedent(
        """
        from mlnb.models import set_model


        def shout(model_input: list[str]) -> list[str]:
            return [text.upper() for text in model_input]


        set_model(shout)
        """
    )
    (tmp_path / "shout.py").write_text(source)
    with mlnb.start_run():
        info = mlnb.pyfunc.log_model(name="m", python_model=str(tmp_path / "shout.py"))
    assert mlnb.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"t": ["ab", "c"]})) == ["AB", "C"]


def test_set_model_refuses_a_path_and_non_models() -> None:
    from mlnb.models import set_model

    with pytest.raises(InvalidParameter, match="not a path"):
        set_model("model.py")
    with pytest.raises(InvalidParameter, match="predict"):
        set_model(42)
