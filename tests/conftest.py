"""Shared fixtures: a fresh store per test, in ``tmp_path``, with the tracking state reset."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlnb.tracking import state

_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """IPython's InteractiveShell installs its own ``__main__``; spawn-based multiprocessing in a
    later test needs the real one back."""
    yield
    if sys.modules.get("__main__") is not _MAIN:
        sys.modules["__main__"] = _MAIN


def _reset_tracking_state() -> None:
    with state.lock:
        state.run_stack.clear()
        state.experiment_id = None
        state.last_run_id = None
        if state._store is not None:
            try:
                state._store.close()
            except Exception:
                pass
        state._store = None
        state._explicit_uri = None
        state._registry_uri = None
        state._registry_uri = None


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``.mlnb`` directory of a fresh store, made the active one through ``MLNB_STORE``."""
    path = tmp_path / ".mlnb"
    monkeypatch.setenv("MLNB_STORE", str(path))
    monkeypatch.delenv("MLNB_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _reset_tracking_state()
    return path


@pytest.fixture
def store(store_dir: Path) -> Iterator[object]:
    """A fresh store (SqlStore) in ``tmp_path``; the tracking API writes to it."""
    yield state.get_store()
    _reset_tracking_state()
