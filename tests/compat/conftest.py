"""Fixtures of the compatibility suite: one test body, run on mlnb and on real MLflow.

``mlf`` is the tracking module under test (``mlnb`` or ``mlflow``) on a fresh temporary store.
A test body is written once against ``mlf``, as an MLflow user writes it, and hands what it saw
(normalised: no ids, no clocks) to ``agree``; when both sides have run, ``agree`` asserts they saw
the same thing.  The MLflow side runs first, so a difference fails the mlnb side's test, which is
the one that has to change.  Without the ``mlflow`` package (or with ``-m "not mlflow"``) the mlnb
side still runs its own assertions.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.compat.examples import (
    EXAMPLES,
    SIDES,
    ExampleRun,
    copy_mlflow_template,
    format_table,
    make_mlflow_template,
    run_examples,
)

SIDE_PARAMS = [pytest.param("mlflow", marks=pytest.mark.mlflow, id="mlflow"), pytest.param("mlnb", id="mlnb")]

_RECORDS: dict[str, dict[str, Any]] = {}
_EXAMPLE_RESULTS: dict[tuple[str, str], ExampleRun] = {}


@pytest.fixture(scope="session")
def mlflow_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty MLflow database (creating MLflow's tables costs seconds each time)."""
    pytest.importorskip("mlflow")
    return make_mlflow_template(tmp_path_factory.mktemp("mlflow-template"))


def _fresh_mlflow(tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    import mlflow
    import mlflow.tracking.fluent as fluent

    db = copy_mlflow_template(template, tmp_path / "mlflow.db")
    while mlflow.active_run() is not None:
        mlflow.end_run()
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    fluent._last_active_run_id.set(None)
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    mlflow.set_registry_uri(f"sqlite:///{db}")
    return mlflow


def _fresh_mlnb(tmp_path: Path, request: pytest.FixtureRequest) -> ModuleType:
    import mlnb

    request.getfixturevalue("store")  # resets mlnb's tracking state now and after the test
    if hasattr(mlnb, "set_tracking_uri"):
        mlnb.set_tracking_uri(f"sqlite:///{tmp_path / 'mlnb.db'}")
    else:
        mlnb.set_store(tmp_path / ".mlnb")
    return mlnb


@pytest.fixture(params=SIDE_PARAMS)
def mlf(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """``mlnb`` or ``mlflow``, tracking to a fresh store in ``tmp_path``, no run active."""
    monkeypatch.chdir(tmp_path)
    # MLflow writes some of its state into the environment (set_experiment sets
    # MLFLOW_EXPERIMENT_ID), which mlnb reads as a user's setting: each test starts without any
    # and leaves none behind
    saved = {k: v for k, v in os.environ.items() if k.startswith(("MLFLOW_", "MLNB_"))}
    for name in saved:
        monkeypatch.delenv(name)
    if request.param == "mlflow":
        module = _fresh_mlflow(tmp_path, request.getfixturevalue("mlflow_template_db"), monkeypatch)
    else:
        module = _fresh_mlnb(tmp_path, request)
    yield module
    while module.active_run() is not None:
        module.end_run()
    if request.param == "mlflow":
        module.set_registry_uri(None)  # a process-wide setting: later tests must not inherit it
    for name in [k for k in os.environ if k.startswith(("MLFLOW_", "MLNB_"))]:
        del os.environ[name]  # monkeypatch's undo then puts back what was there before the test


@pytest.fixture
def fresh_sqlite_uri(mlf: ModuleType, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``fresh_sqlite_uri(name)``: the ``sqlite:///`` URI of a new, empty store for the side."""

    def make(name: str) -> str:
        (tmp_path / name).mkdir()
        db = tmp_path / name / "store.db"
        if mlf.__name__ == "mlflow":
            copy_mlflow_template(request.getfixturevalue("mlflow_template_db"), db)
        return f"sqlite:///{db}"

    return make


def submodule(mlf: ModuleType, name: str) -> ModuleType:
    """``mlflow.<name>`` or ``mlnb.<name>``, as ``from mlflow.<name> import ...`` would load it."""
    return importlib.import_module(f"{mlf.__name__}.{name}")


def client_of(mlf: ModuleType) -> Any:
    """A new ``MlflowClient`` of the side under test, the way a user makes one."""
    return submodule(mlf, "tracking").MlflowClient()


def error_code_of(call: Callable[[], Any]) -> str:
    """The ``error_code`` of what ``call`` raises (the exception's type name if it has none)."""
    try:
        call()
    except Exception as exc:
        return getattr(exc, "error_code", None) or f"<{type(exc).__name__} without error_code: {exc}>"
    raise AssertionError("the call raised nothing")


@pytest.fixture
def agree(request: pytest.FixtureRequest, mlf: ModuleType) -> Callable[[str, Any], None]:
    """``agree(label, value)``: record what this side saw; if the other side already ran the same
    test, assert both saw the same ``value`` under ``label``."""
    params = {k: v for k, v in request.node.callspec.params.items() if k != "mlf"}
    key = f"{request.node.module.__name__}::{request.node.originalname}[{sorted(params.items())}]"
    side = mlf.__name__

    def record(label: str, value: Any) -> None:
        sides = _RECORDS.setdefault(f"{key}::{label}", {})
        sides[side] = value
        other = "mlflow" if side == "mlnb" else "mlnb"
        if other in sides:
            assert sides["mlnb"] == sides["mlflow"], (
                f"{label}: mlnb and MLflow differ\n  mlnb:   {sides['mlnb']!r}\n  MLflow: {sides['mlflow']!r}"
            )

    return record


@pytest.fixture(scope="session")
def example_runs(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[str], dict]:
    """``example_runs(side)``: every example script's ``ExampleRun`` on that side, keyed by script.

    The first call for a side runs all the scripts at once in subprocesses (fresh directory each).
    """
    root = tmp_path_factory.mktemp("examples")

    def get(side: str) -> dict[str, ExampleRun]:
        if not any(s == side for _, s in _EXAMPLE_RESULTS):
            template = request.getfixturevalue("mlflow_template_db") if side == "mlflow" else None
            _EXAMPLE_RESULTS.update(run_examples([(s, side) for s in EXAMPLES], root, template=template))
        return {script: run for (script, s), run in _EXAMPLE_RESULTS.items() if s == side}

    return get


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The steps each example ran on each side, after a session that ran them."""
    if _EXAMPLE_RESULTS:
        terminalreporter.write_sep("=", "MLflow examples with only the import changed: steps OK")
        terminalreporter.write_line(format_table(_EXAMPLE_RESULTS))
        sides = sorted({side for _, side in _EXAMPLE_RESULTS}, key=SIDES.index)
        terminalreporter.write_line(f"(sides run: {', '.join(sides)})")
