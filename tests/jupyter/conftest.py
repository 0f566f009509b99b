"""Fixtures for the server extension: a jupyter_server with mlnb enabled and a store to browse."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlnb.store import close_shared_stores
from mlnb.tracking import state
from tests.jupyter.routes import ApiServer
from tests.processes import stop_process

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
    close_shared_stores()


@pytest.fixture(scope="session")
def routes_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A ``proj`` directory with a closed store of :func:`tests.jupyter.routes.make_runs`,
    built once per session and copied by :func:`routes_runs` (much faster than logging anew)."""
    from tests.jupyter.routes import make_runs

    proj = tmp_path_factory.mktemp("routes") / "proj"
    proj.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLNB_STORE", raising=False)
        _reset()
        state.set_store(proj / ".mlnb")
        try:
            ids = make_runs(proj)
        finally:
            _reset()
    return proj, ids


@pytest.fixture
def routes_runs(
    routes_template: tuple[Path, dict[str, str]], jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The run ids of a copy of :func:`routes_template` at ``<server root>/proj``."""
    monkeypatch.delenv("MLNB_STORE", raising=False)
    shutil.copytree(routes_template[0], jp_root_dir / "proj")
    yield routes_template[1]
    close_shared_stores()


@pytest.fixture(scope="session")
def api_server(
    routes_template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """A ``jupyter server`` process with mlnb enabled, rooted at a copy of the routes' store:
    many requests without a server per test (the corpus replay and the property tests)."""
    base = tmp_path_factory.mktemp("api-server")
    root = base / "root"
    root.mkdir()
    shutil.copytree(routes_template[0], root / "proj")
    config = base / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"mlnb.jupyter": True}}})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLNB_")}
    checkout = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [checkout, env.get("PYTHONPATH")]))
    env.update(
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTER_DATA_DIR=str(base / "data"),
        IPYTHONDIR=str(base / "ipython"),
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = base / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ApiServer(port, token, routes_template[1], log)
    deadline = time.monotonic() + 60
    try:
        while server.status("experiments") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        stop_process(proc, grace=20)
