"""mlnb serve and `mlflow models serve --env-manager local` answer the same requests identically."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mlnb
from tests.processes import stop_process
from tests.serve.conftest import churn_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/ping", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer /ping within {timeout} s")


def _start(cmd: list[str], env: dict[str, str], url: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_ready(url, proc)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, object]]:
    store_dir = tmp_path_factory.mktemp("compat") / ".mlnb"
    mlnb.set_store(store_dir)
    try:
        X, model = churn_pipeline()
        with mlnb.start_run():
            info = mlnb.log_model(model, "model", input_example=X)
        version = mlnb.register_model(info.model_uri, "churn")
        model_dir = mlnb.get_store().run_dir(info.run_id) / "model"
    finally:
        mlnb.set_store(None)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"  # MLflow 3.17 refuses skops without it
    ours_port, theirs_port = _free_port(), _free_port()
    ours_url, theirs_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{theirs_port}"
    uri = f"models:/churn/{version.version}"
    theirs = _start(
        [
            str(BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-p",
            str(theirs_port),
        ],
        env,
        theirs_url,
    )
    try:
        ours = _start(
            [str(BIN / "mlnb"), "--store", str(store_dir), "serve", uri, "--port", str(ours_port)],
            env,
            ours_url,
        )
    except BaseException:
        os.killpg(theirs.pid, signal.SIGTERM)
        theirs.wait()
        raise
    yield ours_url, theirs_url, X
    for proc in (ours, theirs):
        stop_process(proc, group=True)


def _bodies(X) -> dict[str, tuple[bytes, str]]:
    rows = X.head(25)
    split = json.loads(rows.to_json(orient="split", index=False))
    records = rows.to_dict(orient="records")
    return {
        "dataframe_split": (json.dumps({"dataframe_split": split}).encode(), "application/json"),
        "dataframe_records": (json.dumps({"dataframe_records": records}).encode(), "application/json"),
        "instances": (json.dumps({"instances": records}).encode(), "application/json"),
        "inputs": (json.dumps({"inputs": rows.to_dict(orient="list")}).encode(), "application/json"),
        "csv": (rows.to_csv(index=False).encode(), "text/csv"),
    }


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "instances", "inputs", "csv"])
def test_same_json_as_mlflow(two_servers, fmt: str) -> None:
    ours_url, theirs_url, X = two_servers
    body, content_type = _bodies(X)[fmt]
    headers = {"Content-Type": content_type}
    ours = httpx.post(ours_url + "/invocations", content=body, headers=headers, timeout=30)
    theirs = httpx.post(theirs_url + "/invocations", content=body, headers=headers, timeout=30)
    assert theirs.status_code == ours.status_code == 200
    assert ours.text == theirs.text
    assert ours.headers["content-type"] == theirs.headers["content-type"]


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"unknown": 1}', b'{"dataframe_records": [{"Age": 30}]}'],
    ids=["bad-json", "list", "unknown-key", "missing-columns"],
)
def test_same_status_as_mlflow_on_bad_input(two_servers, body: bytes) -> None:
    ours_url, theirs_url, _ = two_servers
    headers = {"Content-Type": "application/json"}
    ours = httpx.post(ours_url + "/invocations", content=body, headers=headers, timeout=30)
    theirs = httpx.post(theirs_url + "/invocations", content=body, headers=headers, timeout=30)
    assert ours.status_code == theirs.status_code
    assert ours.json()["error_code"] == theirs.json()["error_code"]


def test_ping_matches(two_servers) -> None:
    ours_url, theirs_url, _ = two_servers
    ours, theirs = httpx.get(ours_url + "/ping"), httpx.get(theirs_url + "/ping")
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
