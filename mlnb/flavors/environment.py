"""The environment files of a model directory, built from installed package versions.

``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` in the shapes MLflow writes them.
Versions come from :mod:`importlib.metadata`, never from a ``pip`` subprocess, so this costs
microseconds instead of the seconds MLflow spends inferring requirements.
"""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"

# What an sklearn model needs at load time; mlflow is listed so the environment can serve it.
_BASE_PACKAGES = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy")
_SERIALIZER_PACKAGE = {"skops": "skops", "cloudpickle": "cloudpickle"}


@lru_cache(maxsize=64)
def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _pin(package: str) -> str:
    version = installed_version(package)
    return package if version is None else f"{package}=={version}"


def requirements(serialization: str = "skops") -> list[str]:
    """Pinned pip requirements for a scikit-learn model saved with ``serialization``.

    Examples
    --------
    >>> requirements("skops")  # doctest: +SKIP
    ['mlflow==3.17.2', 'numpy==2.4.6', 'pandas==3.1.1', 'scikit-learn==1.9.1', 'scipy==1.17.1', 'skops==0.16.0']
    """
    packages = {*_BASE_PACKAGES, _SERIALIZER_PACKAGE[serialization]}
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


def environment_files(serialization: str = "skops") -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` for requirements.txt, python_env.yaml and conda.yaml."""
    import yaml

    reqs = requirements(serialization)
    return [
        (CONDA_ENV_FILE, yaml.safe_dump(conda_env(reqs), default_flow_style=False).encode()),
        (
            PYTHON_ENV_FILE,
            yaml.safe_dump(python_env(), default_flow_style=False, sort_keys=False).encode(),
        ),
        (REQUIREMENTS_FILE, "\n".join(reqs).encode()),
    ]
