"""Environment files come from installed versions, without spawning a process."""

from __future__ import annotations

import platform
import subprocess

import pytest
import yaml

from mlnb.flavors import environment


def test_files_are_built_without_a_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("environment files must not spawn a process")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    files = dict(environment.environment_files("skops"))
    assert set(files) == {"requirements.txt", "python_env.yaml", "conda.yaml"}


def test_python_env_and_conda_shapes() -> None:
    files = dict(environment.environment_files("cloudpickle"))
    env = yaml.safe_load(files["python_env.yaml"])
    assert env["python"] == platform.python_version()
    assert env["dependencies"] == ["-r requirements.txt"]
    assert list(yaml.safe_load(files["python_env.yaml"])) == ["python", "build_dependencies", "dependencies"]
    conda = yaml.safe_load(files["conda.yaml"])
    assert conda["name"] == "mlflow-env"
    assert conda["dependencies"][0] == f"python={platform.python_version()}"
    pip = conda["dependencies"][-1]["pip"]
    assert any(r.startswith("cloudpickle==") for r in pip)
    assert pip == files["requirements.txt"].decode().splitlines()
