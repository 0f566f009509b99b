"""Fixtures for the server extension: a jupyter_server with mlnb enabled and a store to browse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlnb.store.readonly import close_cached
from mlnb.tracking import state

# pytest_jupyter's server plugin is loaded for this directory only, by a separate pytest run
# with ``-p pytest_jupyter.jupyter_server`` (see scripts/test.sh): its autouse fixtures would
# otherwise wrap every test of the suite in a ServerApp.


def _reset() -> None:
    with state.lock:
        state.run_stack.clear()
        state.experiment_id = None
        state.last_run_id = None
        if state._store is not None:
            state._store.close()
        state._store = None
        state._explicit_uri = None


@pytest.fixture
def jp_server_config() -> dict:
    return {"ServerApp": {"jpserver_extensions": {"mlnb.jupyter": True}}}


@pytest.fixture
def project(jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``<server root>/proj`` holding a ``.mlnb`` store that the tracking API writes to."""
    monkeypatch.delenv("MLNB_STORE", raising=False)
    proj = jp_root_dir / "proj"
    proj.mkdir()
    _reset()
    state.set_store(proj / ".mlnb")
    yield proj
    _reset()
    close_cached()
