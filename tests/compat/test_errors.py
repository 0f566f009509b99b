"""What goes wrong, on both sides: the ``error_code`` a user's ``except`` clause can test."""

from __future__ import annotations

import importlib

import pytest

from tests.compat.conftest import client_of, error_code_of


def test_get_missing_run(mlf, agree):
    code = error_code_of(lambda: mlf.get_run("0" * 32))
    assert code == "RESOURCE_DOES_NOT_EXIST"
    agree("code", code)


def test_get_missing_experiment(mlf, agree):
    code = error_code_of(lambda: mlf.get_experiment("424242"))
    assert code == "RESOURCE_DOES_NOT_EXIST"
    agree("code", code)


def test_duplicate_experiment_name(mlf, agree):
    mlf.create_experiment("twice")
    code = error_code_of(lambda: mlf.create_experiment("twice"))
    assert code == "RESOURCE_ALREADY_EXISTS"
    agree("code", code)


def test_param_logged_again_with_another_value(mlf, agree):
    with mlf.start_run():
        mlf.log_param("a", 1)
        mlf.log_param("a", 1)  # the same value again is accepted
        code = error_code_of(lambda: mlf.log_param("a", 2))
    assert code == "INVALID_PARAMETER_VALUE"
    agree("code", code)


def test_start_run_while_one_is_active(mlf, agree):
    # MLflow raises a bare Exception here (no error_code); what a user needs is the way out
    with mlf.start_run() as outer:
        with pytest.raises(Exception) as info:
            mlf.start_run()
        still_active = mlf.active_run().info.run_id == outer.info.run_id
    assert "nested=True" in str(info.value)
    assert still_active
    agree("outer run still active", still_active)


def test_set_deleted_experiment(mlf, agree):
    exp_id = mlf.create_experiment("gone")
    mlf.delete_experiment(exp_id)
    code = error_code_of(lambda: mlf.set_experiment("gone"))
    assert code == "INVALID_PARAMETER_VALUE"
    agree("code", code)


@pytest.mark.parametrize(
    "bad_filter",
    ["metrics.acc >>> 1", "params.model = rf", "nosuchprefix.a = 'x'", "metrics.acc = 'text'"],
)
def test_malformed_filter(mlf, agree, bad_filter):
    code = error_code_of(lambda: mlf.search_runs(experiment_ids=["0"], filter_string=bad_filter))
    assert code == "INVALID_PARAMETER_VALUE"
    agree("code", code)


def test_missing_registered_model(mlf, agree):
    code = error_code_of(lambda: client_of(mlf).get_registered_model("nope"))
    assert code == "RESOURCE_DOES_NOT_EXIST"
    agree("code", code)


def test_missing_alias(mlf, agree):
    client = client_of(mlf)
    client.create_registered_model("aliased")
    code = error_code_of(lambda: client.get_model_version_by_alias("aliased", "champion"))
    agree("code", code)


def test_errors_are_caught_as_mlflow_exception(mlf):
    exceptions = importlib.import_module(f"{mlf.__name__}.exceptions")
    assert mlf.MlflowException is exceptions.MlflowException
    with pytest.raises(exceptions.MlflowException) as info:
        mlf.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
