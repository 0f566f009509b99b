"""Abusive and ordinary clients of a real ``mlnb serve`` process, and what they measure.

Stdlib only: the client processes are spawned and import this module alone.  Used by
tests/serve/test_limits.py and benchmarks/bench_serve_abuse.py.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.processes import stop_process

ROW = {
    "Age": 30,
    "FrequentFlyer": "No",
    "AnnualIncomeClass": "Low Income",
    "ServicesOpted": 3,
    "AccountSyncedToSocialMedia": "No",
    "BookedHotelOrNot": "Yes",
}
JSON = "application/json"


# --- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(store_dir: Path, model_uri: str, options: list[str], timeout: float = 90) -> tuple[Any, int]:
    """``mlnb serve`` in its own process group; returns it once ``/ping`` answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "mlnb", "--store", str(store_dir), "serve", model_uri, "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlnb serve exited with {proc.returncode}: {proc.stderr.read()[-2000:]!r}")
        try:
            if get(port, "/ping", timeout=1)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    stop_process(proc, group=True)
    raise RuntimeError(f"mlnb serve did not answer /ping within {timeout} s")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the server and its decoding processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pid: int) -> int:
    """VmRSS summed over the process and its descendants (shared pages count once per process)."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


# --- requests -----------------------------------------------------------------------------------
def get(port: int, path: str, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def post(
    port: int, body: bytes, content_type: str = JSON, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/invocations", body=body, headers={"Content-Type": content_type})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def records_body(n_rows: int) -> bytes:
    return json.dumps({"dataframe_records": [ROW] * n_rows}).encode()


def body_of_size(size: int) -> bytes:
    """A valid string-heavy ``dataframe_records`` body of at most ``size`` bytes."""
    one = len(json.dumps(ROW)) + 2
    return records_body(max(1, (size - 40) // one))


def duplicate_csv_header(names: int = 40_000) -> bytes:
    return (",".join(["a"] * names) + "\n" + ",".join(["1"] * names) + "\n").encode()


def read_response(sock: socket.socket, timeout: float) -> tuple[int | None, bytes]:
    """The status and JSON body the server sent before closing (None when it sent nothing)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def huge_header(port: int, total: int = 300 * 1024 * 1024) -> tuple[int | None, int, float]:
    """Send one header of up to ``total`` bytes; returns (status, bytes sent, seconds held)."""
    t0 = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ".encode())
        chunk = b"x" * 65536
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        status, _ = read_response(sock, 10)
    return status, sent, time.monotonic() - t0


def slow_loris(port: int, gap: float = 0.5, limit: float = 45) -> tuple[int | None, float]:
    """Trickle a request head a byte at a time; returns (status, seconds the server held on)."""
    head = f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: " + "a" * 400
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        try:
            for byte in head.encode():
                sock.sendall(bytes([byte]))
                time.sleep(gap)
                if time.monotonic() - t0 > limit:
                    break
        except OSError:
            pass
        status, _ = read_response(sock, 5)
    return status, time.monotonic() - t0


def slow_body(port: int, gap: float = 0.5, limit: float = 45) -> tuple[int | None, float]:
    """Complete headers, then trickle the body; returns (status, seconds the server held on)."""
    body = records_body(1)
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.sendall(head.encode())
        try:
            for byte in body:
                sock.sendall(bytes([byte]))
                time.sleep(gap)
                if time.monotonic() - t0 > limit:
                    break
        except OSError:
            pass
        status, _ = read_response(sock, 5)
    return status, time.monotonic() - t0


def idle_connection(port: int, limit: float = 45) -> tuple[int | None, float]:
    """Connect and send nothing; returns (status, seconds until the server closed)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        status, _ = read_response(sock, limit)
    return status, time.monotonic() - t0


# --- client processes ----------------------------------------------------------------------------
def ping_probe(port: int, seconds: float, out: Any, interval: float = 0.01) -> None:
    """GET /ping on one keep-alive connection every ``interval`` s; put the latencies on ``out``."""
    latencies: list[float] = []
    failures = 0
    conn = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/ping")
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            if conn is not None:
                conn.close()
            conn = None
        latency = time.perf_counter() - t0
        if ok:
            latencies.append(latency)
        else:
            failures += 1
        time.sleep(max(0.0, interval - latency))
    out.put({"latencies": latencies, "failures": failures})


def hammer(port: int, seconds: float, kind: str, out: Any, body_size: int = 4 * 1024 * 1024) -> None:
    """Send ``kind`` requests back to back for ``seconds``; put the count of each status on ``out``.

    ``max-body`` sends valid bodies of ``body_size`` bytes (the server's cap), ``over-body``
    valid bodies of 45 MB, ``slow-body`` trickles a body a byte every 0.2 s.
    """
    statuses: dict[str, int] = {}
    big = body_of_size(body_size) if kind == "max-body" else b""
    over = body_of_size(45 * 1024 * 1024) if kind == "over-body" else b""
    make: dict[str, Callable[[], Any]] = {
        "valid": lambda: post(port, records_body(1 + len(statuses) % 100)),
        "duplicate-csv": lambda: post(port, duplicate_csv_header(), "text/csv"),
        "huge-header": lambda: huge_header(port, total=8 * 1024 * 1024),
        "slow-loris": lambda: slow_loris(port, gap=0.2, limit=seconds),
        "max-body": lambda: post(port, big),
        "over-body": lambda: post(port, over),
        "slow-body": lambda: slow_body(port, gap=0.2, limit=seconds),
    }
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            result = make[kind]()
            status = str(result[0])
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        statuses[status] = statuses.get(status, 0) + 1
    out.put({kind: statuses})


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def p50(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


def measure(
    port: int, server_pid: int, clients: list[str], seconds: float, body_size: int = 4 * 1024 * 1024
) -> dict[str, Any]:
    """Run ``clients`` (kinds of :func:`hammer`, one process each) for ``seconds`` while another
    process pings; returns /ping latencies, the clients' statuses and the server's peak RSS."""
    import multiprocessing
    import threading

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=hammer, args=(port, seconds, kind, out, body_size)) for kind in clients]
    probe = ctx.Process(target=ping_probe, args=(port, seconds, out))
    peak = [rss_bytes(server_pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_bytes(server_pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for proc in procs:
        proc.start()
    time.sleep(min(1.0, seconds / 5))  # let the clients get going before pinging
    probe.start()
    results = [out.get(timeout=seconds + 120) for _ in range(len(procs) + 1)]
    for proc in [*procs, probe]:
        proc.join(30)
    done.set()
    sampler.join()
    statuses: dict[str, dict[str, int]] = {}
    ping: dict[str, Any] = {}
    for result in results:
        if "latencies" in result:
            ping = result
        else:
            for kind, counts in result.items():
                merged = statuses.setdefault(kind, {})
                for status, n in counts.items():
                    merged[status] = merged.get(status, 0) + n
    return {
        "ping_p50": p50(ping["latencies"]),
        "ping_p99": p99(ping["latencies"]),
        "ping_max": max(ping["latencies"]),
        "pings": len(ping["latencies"]),
        "ping_failures": ping["failures"],
        "statuses": statuses,
        "peak_rss": peak[0],
    }
