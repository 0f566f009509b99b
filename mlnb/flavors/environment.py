"""The environment files of a model directory, built from installed package versions.

``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` in the shapes MLflow writes them.
Versions come from :mod:`importlib.metadata`, never from a ``pip`` subprocess, so this costs
microseconds instead of the seconds MLflow spends inferring requirements.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"

# What an sklearn model needs at load time; mlflow is listed so the environment can serve it.
_BASE_PACKAGES = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy")
_SERIALIZER_PACKAGE = {"skops": "skops", "cloudpickle": "cloudpickle", "pickle": None, "code": "cloudpickle"}
# A python_function model needs mlflow (or mlnb) to load and pandas for its inputs.
PYFUNC_PACKAGES = ("mlflow", "cloudpickle", "numpy", "pandas")


@dataclass(frozen=True)
class Requirements:
    """What the caller said about the model's environment (MLflow's log_model keywords).

    ``pip_requirements`` replaces the inferred list, ``extra_pip_requirements`` adds to it,
    ``conda_env`` (a dict) replaces ``conda.yaml`` and supplies the pip list when no other is
    given; ``base`` names the packages inferred when nothing replaces them.
    """

    pip_requirements: list[str] | None = None
    extra_pip_requirements: list[str] | None = None
    conda_env: dict[str, Any] | None = None
    base: tuple[str, ...] = _BASE_PACKAGES

    def __post_init__(self) -> None:
        from mlnb.errors import InvalidParameter

        if self.pip_requirements is not None and self.extra_pip_requirements is not None:
            raise InvalidParameter(
                "pass pip_requirements (the full list) or extra_pip_requirements (added to the "
                "inferred list), not both"
            )
        if self.conda_env is not None and (self.pip_requirements or self.extra_pip_requirements):
            raise InvalidParameter("pass conda_env or pip_requirements/extra_pip_requirements, not both")
        for name in ("pip_requirements", "extra_pip_requirements"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, str) or not all(isinstance(v, str) for v in value)):
                raise InvalidParameter(f"{name} must be a list of requirement strings, got {value!r}")
        if self.conda_env is not None and not isinstance(self.conda_env, dict):
            raise InvalidParameter(
                f"conda_env must be a dict in conda.yaml's shape, got {type(self.conda_env).__name__}"
            )


def _conda_pip(env: dict[str, Any]) -> list[str]:
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            return [str(p) for p in dep["pip"]]
    return []


@lru_cache(maxsize=64)
def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _pin(package: str) -> str:
    version = installed_version(package)
    return package if version is None else f"{package}=={version}"


def requirements(serialization: str = "skops", base: tuple[str, ...] = _BASE_PACKAGES) -> list[str]:
    """Pinned pip requirements for a scikit-learn model saved with ``serialization``.

    Examples
    --------
    >>> requirements("skops")  # doctest: +SKIP
    ['mlflow==3.17.2', 'numpy==2.4.6', 'pandas==3.1.1', 'scikit-learn==1.9.1', 'scipy==1.17.1', 'skops==0.16.0']
    """
    extra = _SERIALIZER_PACKAGE.get(serialization)
    packages = {*base, *([extra] if extra else [])}
    return sorted(_pin(p) for p in packages)


def python_env(python_version: str | None = None) -> dict[str, object]:
    """The content of ``python_env.yaml`` (python version, build tools, ``-r requirements.txt``)."""
    return {
        "python": python_version or platform.python_version(),
        "build_dependencies": [_pin("pip"), _pin("setuptools"), _pin("wheel")],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }


def conda_env(reqs: list[str], python_version: str | None = None) -> dict[str, object]:
    """The content of ``conda.yaml``: conda-forge, python, pip and the pip requirements."""
    pip_version = installed_version("pip")
    return {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={python_version or platform.python_version()}",
            f"pip<={pip_version}" if pip_version else "pip",
            {"pip": list(reqs)},
        ],
        "name": "mlflow-env",
    }


def environment_files(
    serialization: str = "skops", wanted: Requirements | None = None
) -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` for requirements.txt, python_env.yaml and conda.yaml."""
    import yaml

    wanted = wanted or Requirements()
    if wanted.pip_requirements is not None:
        reqs = list(wanted.pip_requirements)
    elif wanted.conda_env is not None:
        reqs = _conda_pip(wanted.conda_env)
    else:
        reqs = requirements(serialization, wanted.base) + list(wanted.extra_pip_requirements or [])
    conda = wanted.conda_env if wanted.conda_env is not None else conda_env(reqs)
    return [
        (CONDA_ENV_FILE, yaml.safe_dump(conda, default_flow_style=False).encode()),
        (
            PYTHON_ENV_FILE,
            yaml.safe_dump(python_env(), default_flow_style=False, sort_keys=False).encode(),
        ),
        (REQUIREMENTS_FILE, "\n".join(reqs).encode()),
    ]
