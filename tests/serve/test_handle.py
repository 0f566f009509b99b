"""mlnb.serve from a real kernel, and `mlnb serve --workers 2` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

import mlnb
from tests.processes import stop_process
from tests.serve.conftest import churn_pipeline

pytestmark = pytest.mark.slow

CELLS = [
    """
import time, mlnb
from tests.serve.conftest import churn_pipeline
X, pipe = churn_pipeline()
with mlnb.start_run():
    info = mlnb.log_model(pipe, "model", input_example=X)
server = mlnb.serve(info.model_uri)
print(server.url.startswith("http://127.0.0.1:"))
""",
    # The kernel keeps executing cells while the server thread runs.
    """
t0 = time.perf_counter()
print(sum(range(1000)), time.perf_counter() - t0 < 1.0)
print(server.predict(X.head(7)).tolist() == pipe.predict(X.head(7)).tolist())
""",
    "server.stop(); print(server.running)",
]


def test_serve_from_a_real_kernel_keeps_it_responsive(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    assert texts[0].strip() == "True"
    assert texts[1].split() == ["499500", "True", "True"]
    assert texts[2].strip() == "False"


def test_cli_with_two_workers(store_dir: Path) -> None:
    X, model = churn_pipeline()
    with mlnb.start_run():
        info = mlnb.log_model(model, "model", input_example=X)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).parent / "mlnb"
    proc = subprocess.Popen(
        [str(exe), "--store", str(store_dir), "serve", info.model_uri, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "mlnb serve exited"
            try:
                if httpx.get(url + "/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = {"dataframe_split": json.loads(X.head(9).to_json(orient="split", index=False))}
        for _ in range(4):
            r = httpx.post(url + "/invocations", json=body, timeout=30)
            assert r.json() == {"predictions": model.predict(X.head(9)).tolist()}
    finally:
        stop_process(proc, group=True, grace=20)


def test_cli_refuses_a_missing_model(store_dir: Path) -> None:
    exe = Path(sys.executable).parent / "mlnb"
    with mlnb.start_run() as run:
        pass
    mlnb.flush()  # the run is committed within 0.2 s; the CLI process must not race that
    done = subprocess.run(
        [str(exe), "--store", str(store_dir), "serve", f"runs:/{run.info.run_id}/nothing"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no model" in done.stderr
