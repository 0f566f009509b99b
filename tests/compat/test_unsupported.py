"""MLflow names mlnb does not cover raise an error that says so, names the MLflow feature and
says where to look, while ``hasattr`` and ``except ImportError`` keep working."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

import mlnb
from mlnb.errors import MlnbError, ModuleNotSupportedByMlnb, NotSupportedByMlnb
from mlnb.unsupported import UNSUPPORTED, attribute_error

TOP_LEVEL = sorted(name for name in UNSUPPORTED if "." not in name)


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_unsupported_name_raises_an_attribute_error_naming_the_feature(name):
    feature, hint = UNSUPPORTED[name]
    with pytest.raises(NotSupportedByMlnb) as info:
        getattr(mlnb, name)
    error = info.value
    assert isinstance(error, AttributeError) and isinstance(error, MlnbError)
    assert error.error_code == "NOT_IMPLEMENTED"
    assert error.mlflow_name == f"mlflow.{name}" and error.feature == feature
    message = str(error)
    assert f"mlflow.{name}" in message and feature in message and hint in message
    assert "mlnb does not cover" in message and "README" in message
    assert not hasattr(mlnb, name)


def test_unsupported_module_import_raises_an_import_error_naming_the_feature():
    with pytest.raises(
        ModuleNotSupportedByMlnb, match=r"mlflow\.deployments .*MLflow Deployments.*mlnb\.serve"
    ):
        importlib.import_module("mlnb.deployments")
    with pytest.raises(ImportError, match=r"mlflow\.trace belongs to MLflow Tracing"):
        exec("from mlnb import trace", {})
    try:
        import mlnb.genai  # noqa: F401
    except ImportError as error:  # what `import mlflow.genai` with only the import changed meets
        assert isinstance(error, MlnbError)
        assert "mlnb does not cover" in str(error)
    else:
        raise AssertionError("import mlnb.genai succeeded")
    assert "mlnb.genai" not in sys.modules


def test_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError) as info:
        mlnb.no_such_name_anywhere  # noqa: B018
    assert type(info.value) is AttributeError
    assert str(info.value) == "module 'mlnb' has no attribute 'no_such_name_anywhere'"
    with pytest.raises(ModuleNotFoundError) as module_info:
        importlib.import_module("mlnb.no_such_module")
    assert type(module_info.value) is ModuleNotFoundError


def test_submodule_attribute_errors_for_facades():
    error = attribute_error("spark_udf", "mlnb.pyfunc")
    assert isinstance(error, NotSupportedByMlnb)
    assert error.mlflow_name == "mlflow.pyfunc.spark_udf" and "Spark" in str(error)
    plain = attribute_error("nothing", "mlnb.pyfunc")
    assert type(plain) is AttributeError and "'mlnb.pyfunc'" in str(plain)


def test_import_mlnb_stays_light_with_the_finder():
    code = "import sys, mlnb; print('mlnb.unsupported' in sys.modules, mlnb.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"


def test_mlflow_exception_catches_mlnb_errors(store):
    from mlnb.exceptions import MlflowException

    assert mlnb.MlflowException is MlflowException
    with pytest.raises(MlflowException) as info:
        mlnb.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.mlflow
def test_every_public_mlflow_name_is_provided_or_explained():
    mlflow = pytest.importorskip("mlflow")
    silent = []
    for name in sorted(set(mlflow.__all__)):
        try:
            getattr(mlnb, name)
        except NotSupportedByMlnb:
            continue
        except AttributeError:
            silent.append(name)
    assert not silent, f"mlflow names with neither an mlnb counterpart nor an explanation: {silent}"


@pytest.mark.mlflow
def test_every_unsupported_entry_is_a_real_mlflow_name():
    mlflow = pytest.importorskip("mlflow")
    removed_in_mlflow_3 = {"recipes"}
    unknown = []
    for name in sorted(set(UNSUPPORTED) - removed_in_mlflow_3):
        module, _, attr = name.rpartition(".")
        if module:
            found = hasattr(importlib.import_module(f"mlflow.{module}"), attr)
        else:
            found = name in dir(mlflow) or importlib.util.find_spec(f"mlflow.{name}") is not None
        if not found:
            unknown.append(name)
    assert not unknown, f"not MLflow names: {unknown}"
