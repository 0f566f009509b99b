"""``mlnb serve`` side by side with ``mlflow models serve --env-manager local``, same model.

One LogisticRegression Pipeline (ColumnTransformer + OneHotEncoder + StandardScaler) on the
travel churn table, logged once with mlnb; MLflow serves the very same directory.  Prints:

- start-up: process spawn until ``/ping`` answers 200 (target: mlnb >= 5x faster);
- 1-row ``/invocations`` p50 against the model's own in-process 1-row predict (target: within
  1 ms of it);
- sequential requests/s over one keep-alive connection (target: >= 3x MLflow);
- one 10,000-row ``dataframe_split`` request, median of 20 (target: >= 2x faster).

    .venv/bin/python benchmarks/bench_serve.py [--requests 300] [--startups 3]

Requests alternate between the two servers in blocks (25 one-row requests, 5 of 10,000 rows)
so that both see the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(cmd: list[str], port: int, env: dict[str, str]) -> tuple[subprocess.Popen, float]:
    import httpx

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                return proc, time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.02)
    _stop(proc)
    raise SystemExit(f"{cmd[0]} did not start within 120 s")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class _Conn:
    """One keep-alive HTTP/1.1 connection with TCP_NODELAY: a client too thin to hide the server."""

    def __init__(self, url: str) -> None:
        import http.client

        port = int(url.rsplit(":", 1)[1])
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def post(self, body: bytes) -> bytes:
        self.conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise SystemExit(f"server answered {resp.status}: {data[:200]!r}")
        return data

    def close(self) -> None:
        self.conn.close()


class _InProcess:
    """The model's own predict on the same rows, timed in the same rounds as the servers."""

    def __init__(self, model: Any, one: Any, big: Any, one_body: bytes) -> None:
        self.model, self.frames = model, {one_body: one}
        self.big = big

    def post(self, body: bytes) -> Any:
        return self.model.predict(self.frames.get(body, self.big))

    def close(self) -> None:
        pass


def _import_floor(model: Any, repeat: int = 3) -> float:
    """Seconds a fresh interpreter needs to import what loading ``model`` with skops needs.

    Every server that loads this model safely pays at least this before it can answer.
    """
    modules = {type(model).__module__}
    for value in model.get_params(deep=True).values():
        if hasattr(value, "get_params"):
            modules.add(type(value).__module__)
    code = "import gc; gc.disable(); import " + ", ".join([*sorted(modules), "skops.io"])
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _interleaved(conns: dict[str, Any], one: bytes, big: bytes, n: int) -> dict[str, dict[str, float]]:
    """Alternate between the contenders in small blocks so all see the same machine load."""
    lat: dict[str, list[float]] = {k: [] for k in conns}
    spent: dict[str, float] = dict.fromkeys(conns, 0.0)
    bigs: dict[str, list[float]] = {k: [] for k in conns}
    try:
        for conn in conns.values():
            for _ in range(20):
                conn.post(one)
        block = 25
        for _ in range(max(1, n // block)):
            for name, conn in conns.items():
                t_block = time.perf_counter()
                for _ in range(block):
                    t0 = time.perf_counter()
                    conn.post(one)
                    lat[name].append(time.perf_counter() - t0)
                spent[name] += time.perf_counter() - t_block
        # big requests in blocks of 5 too: a server sees a stream of requests, not one request
        # right after another process filled the caches with its own (median of 20 each)
        for _ in range(4):
            for name, conn in conns.items():
                for _ in range(5):
                    t0 = time.perf_counter()
                    conn.post(big)
                    bigs[name].append(time.perf_counter() - t0)
    finally:
        for conn in conns.values():
            conn.close()
    return {
        name: {
            "p50_ms": statistics.median(lat[name]) * 1e3,
            "rps": len(lat[name]) / spent[name],
            "big_ms": statistics.median(bigs[name]) * 1e3,
        }
        for name in conns
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--startups", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    store_dir = tmp / ".mlnb"
    os.environ["MLNB_STORE"] = str(store_dir)
    import mlnb
    from mlnb.datasets import travel_churn

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.serve.conftest import churn_pipeline

    X, model = churn_pipeline()
    with mlnb.start_run():
        info = mlnb.log_model(model, "model", input_example=X)
    model_dir = mlnb.get_store().run_dir(info.run_id) / "model"

    one_row = X.head(1)
    one = json.dumps({"dataframe_split": json.loads(one_row.to_json(orient="split", index=False))}).encode()
    big_frame = travel_churn(n_rows=10_000, seed=1).drop(columns="Target")
    big = json.dumps({"dataframe_split": json.loads(big_frame.to_json(orient="split", index=False))}).encode()

    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    commands = {
        "mlnb": [str(BIN / "mlnb"), "--store", str(store_dir), "serve", info.model_uri, "--port"],
        "mlflow": [
            str(BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-p",
        ],
    }
    startups: dict[str, list[float]] = {name: [] for name in commands}
    running: dict[str, tuple[subprocess.Popen, int]] = {}
    try:
        for i in range(args.startups):
            for name, cmd in commands.items():
                port = _free_port()
                proc, seconds = _start(cmd, port, env)
                startups[name].append(seconds)
                if i == args.startups - 1:
                    running[name] = (proc, port)
                else:
                    _stop(proc)
        conns: dict[str, Any] = {
            name: _Conn(f"http://127.0.0.1:{port}") for name, (_, port) in running.items()
        }
        conns["in-process"] = _InProcess(model, one_row, big_frame, one)
        results = _interleaved(conns, one, big, args.requests)
    finally:
        for proc, _ in running.values():
            _stop(proc)
    for name in commands:
        results[name]["startup_s"] = statistics.median(startups[name])

    ours, theirs = results["mlnb"], results["mlflow"]
    inproc_ms, inproc_big_ms = results["in-process"]["p50_ms"], results["in-process"]["big_ms"]
    print(
        f"model: {type(model).__name__} pipeline, {len(X)} training rows; {args.requests} sequential requests"
    )
    print(f"in-process 1-row predict p50:      {inproc_ms:8.2f} ms   (10,000 rows: {inproc_big_ms:.0f} ms)")
    print(f"{'':34} {'mlnb':>10} {'mlflow':>10} {'ratio':>8}")
    rows = [
        ("start-up to /ping (s)", "startup_s", "{:10.2f}", False),
        ("1-row /invocations p50 (ms)", "p50_ms", "{:10.2f}", False),
        ("sequential requests/s", "rps", "{:10.0f}", True),
        ("10,000-row request (ms)", "big_ms", "{:10.0f}", False),
    ]
    for label, key, fmt, higher_better in rows:
        ratio = ours[key] / theirs[key] if higher_better else theirs[key] / ours[key]
        print(f"{label:34} {fmt.format(ours[key])} {fmt.format(theirs[key])} {ratio:7.1f}x")
    gap = ours["p50_ms"] - inproc_ms
    floor_s = _import_floor(model)
    print()
    print("Bounds that hold for any server of this model (what the targets are measured against):")
    print(
        f"  start-up: importing scikit-learn's modules for it and skops takes {floor_s:.2f} s in a fresh "
        f"interpreter -> at best {theirs['startup_s'] / floor_s:.1f}x MLflow's start-up"
    )
    print(
        f"  sequential requests: the model's own 1-row predict takes {inproc_ms:.2f} ms -> at most "
        f"{1000 / inproc_ms:.0f} requests/s with zero HTTP and parsing cost -> at best "
        f"{1000 / inproc_ms / theirs['rps']:.1f}x MLflow's {theirs['rps']:.0f} requests/s"
    )
    print()
    print(f"1-row p50 minus in-process predict: {gap:.2f} ms (target <= 1 ms)")
    print(
        f"requests/s ratio {ours['rps'] / theirs['rps']:.1f}x (target >= 3x); "
        f"10k rows {theirs['big_ms'] / ours['big_ms']:.1f}x (>= 2x); "
        f"start-up {theirs['startup_s'] / ours['startup_s']:.1f}x (>= 5x)"
    )


if __name__ == "__main__":
    main()
