"""README's "MLflow compatibility" section is the contract: every name it lists as covered
resolves on mlnb (and is MLflow's), every name it lists as not covered gets the explaining error."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import mlnb
from mlnb.errors import ModuleNotSupportedByMlnb, NotSupportedByMlnb
from mlnb.unsupported import UNSUPPORTED

README = Path(__file__).resolve().parents[2] / "README.md"


def _table(heading: str) -> list[list[str]]:
    text = README.read_text()
    section = text.split("## MLflow compatibility", 1)[1]
    body = section.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("| ") and "`" in line]
    # a cell's names are its backticked words before any parenthesised remark
    return [
        [re.findall(r"`([^`]+)`", cell.split("(")[0]) for cell in row.strip("|").split("|")] for row in rows
    ]


def _covered() -> list[tuple[str, str]]:
    pairs = []
    for module_cell, names_cell in _table("Covered"):
        for name in names_cell:
            pairs.append((module_cell[0], name))
    return pairs


COVERED = _covered()
NOT_COVERED = sorted({name for row in _table("Not covered") for name in row[1]})


def test_readme_lists_both_tables():
    assert len(COVERED) > 100
    assert {module for module, _ in COVERED} >= {
        "mlflow",
        "mlflow.MlflowClient",
        "mlflow.sklearn",
        "mlflow.pyfunc",
    }
    assert len(NOT_COVERED) > 20


def _resolve_on_mlnb(module: str, name: str):
    if module == "mlflow":
        return getattr(mlnb, name)
    if module == "mlflow.MlflowClient":
        return getattr(mlnb.MlflowClient, name)
    return getattr(importlib.import_module(module.replace("mlflow", "mlnb", 1)), name)


@pytest.mark.parametrize(("module", "name"), COVERED, ids=[f"{m}.{n}" for m, n in COVERED])
def test_covered_name_resolves_on_mlnb(module, name):
    assert _resolve_on_mlnb(module, name) is not None


def test_client_is_also_under_tracking():
    from mlnb.tracking import MlflowClient

    assert MlflowClient is mlnb.MlflowClient


@pytest.mark.mlflow
def test_covered_names_are_mlflow_names():
    mlflow = pytest.importorskip("mlflow")
    missing = []
    for module, name in COVERED:
        if module == "mlflow":
            owner = mlflow
        elif module == "mlflow.MlflowClient":
            owner = mlflow.MlflowClient
        else:
            owner = importlib.import_module(module)
        if not hasattr(owner, name):
            missing.append(f"{module}.{name}")
    assert not missing, f"README lists as covered names MLflow does not have: {missing}"


@pytest.mark.parametrize("dotted", NOT_COVERED)
def test_not_covered_name_gets_the_explaining_error(dotted):
    relative = dotted.removeprefix("mlflow.")
    assert relative in UNSUPPORTED, f"{dotted} is in README's list but not in mlnb/unsupported.py"
    if "." in relative:  # an attribute of a covered module: that module's own __getattr__ reports it
        return
    with pytest.raises(NotSupportedByMlnb, match=re.escape(dotted)):
        getattr(mlnb, relative)
    with pytest.raises(ModuleNotSupportedByMlnb, match=re.escape(dotted)):
        exec(f"from mlnb import {relative}", {})
