"""A real ``mlnb serve`` process under abusive clients: every limit answers, /ping keeps answering.

Each test is a regression test of issue #15's starvation report: a CSV header of 40,000
duplicate names froze /ping for 37 s, a 300 MB header was read in full, three 45 MB bodies took
the server to 3.9 GB, a slow-loris client held a connection for 45 s, and nothing capped the
requests in flight.  /ping is measured from another process while abusive clients run in others.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import mlnb
from mlnb.serve.limits import MIB, ServeLimits
from mlnb.tracking import state
from tests.processes import stop_process
from tests.serve import abuse
from tests.serve.conftest import churn_pipeline

PING_P99_S = 0.100  # the bound for /ping under load and under each abusive request
LIMITS = ServeLimits(
    max_body_bytes=2 * MIB, read_timeout=2.0, header_timeout=2.0, max_concurrency=4, workers=2
)
OPTIONS = [
    "--max-body-mb",
    "2",
    "--read-timeout",
    "2",
    "--header-timeout",
    "2",
    "--max-concurrency",
    "4",
    "--predict-workers",
    "2",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


@dataclass
class Cli:
    proc: object
    port: int
    pid: int
    idle_rss: int


def _log_churn_model(store_dir: Path) -> str:
    """Log the churn pipeline into a store of its own; the model's URI (no store stays active)."""
    mlnb.set_store(store_dir)
    try:
        X, model = churn_pipeline()
        with mlnb.start_run():
            return mlnb.log_model(model, "model", input_example=X).model_uri
    finally:
        with state.lock:
            state.run_stack.clear()
        mlnb.set_store(None)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    store_dir = tmp_path_factory.mktemp("serve-limits") / ".mlnb"
    model_uri = _log_churn_model(store_dir)
    proc, port = abuse.start_server(Path(store_dir), model_uri, OPTIONS)
    try:
        assert abuse.post(port, abuse.records_body(2))[0] == 200
        # the idle size, once both decoding processes have predicted once
        for _ in range(4):
            abuse.post(port, abuse.records_body(50))
        yield Cli(proc, port, proc.pid, abuse.rss_bytes(proc.pid))
    finally:
        stop_process(proc, group=True)


def _assert_ping_quick(result: dict) -> None:
    assert result["pings"] >= 150, result
    assert result["ping_failures"] == 0, result
    assert result["ping_p99"] <= PING_P99_S, result


def test_csv_header_of_40000_duplicate_names_is_refused_at_once(cli: Cli) -> None:
    t0 = time.monotonic()
    status, _, body = abuse.post(cli.port, abuse.duplicate_csv_header(40_000), "text/csv")
    assert time.monotonic() - t0 < 2
    assert status == 400
    assert json.loads(body)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "40000 columns" in json.loads(body)["message"]
    result = abuse.measure(cli.port, cli.pid, ["duplicate-csv", "duplicate-csv"], seconds=4)
    assert set(result["statuses"]["duplicate-csv"]) == {"400"}
    _assert_ping_quick(result)


def test_duplicate_names_under_the_column_cap_are_refused(cli: Cli) -> None:
    names = ",".join([*abuse.ROW, "Age"])
    values = ",".join([*map(str, abuse.ROW.values()), "31"])
    status, _, body = abuse.post(cli.port, f"{names}\n{values}\n".encode(), "text/csv")
    assert status == 400 and "duplicate" in json.loads(body)["message"]


def test_too_many_json_columns_are_refused(cli: Cli) -> None:
    columns = [f"c{i}" for i in range(LIMITS.max_columns + 1)]
    body = json.dumps({"dataframe_split": {"columns": columns, "data": [[0] * len(columns)]}}).encode()
    status, _, reply = abuse.post(cli.port, body)
    assert status == 400 and json.loads(reply)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    record = json.dumps({"dataframe_records": [dict.fromkeys(columns, 1)]}).encode()
    assert abuse.post(cli.port, record)[0] == 400


def test_huge_header_gets_431_and_is_not_read(cli: Cli) -> None:
    status, sent, seconds = abuse.huge_header(cli.port, total=300 * MIB)
    assert status == 431
    assert sent < 32 * MIB  # the server closed long before 300 MB
    assert seconds < 10
    result = abuse.measure(cli.port, cli.pid, ["huge-header", "huge-header"], seconds=4)
    assert set(result["statuses"]["huge-header"]) == {"431"}
    _assert_ping_quick(result)


def test_body_over_the_cap_gets_413_without_being_held(cli: Cli) -> None:
    body = abuse.body_of_size(45 * MIB)
    statuses = []

    def send() -> None:
        try:
            statuses.append(abuse.post(cli.port, body)[0])
        except OSError as exc:  # the server may close before the whole body is sent
            statuses.append(type(exc).__name__)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [413, 413, 413]
    assert abuse.rss_bytes(cli.pid) < cli.idle_rss + 3 * LIMITS.max_body_bytes + 64 * MIB


def test_bodies_at_the_cap_keep_memory_within_the_bound(cli: Cli) -> None:
    bound = LIMITS.memory_bound_bytes(cli.idle_rss)
    result = abuse.measure(cli.port, cli.pid, ["max-body"] * 3, seconds=6, body_size=LIMITS.max_body_bytes)
    assert result["statuses"]["max-body"].get("200", 0) >= 3, result
    assert set(result["statuses"]["max-body"]) <= {"200", "503"}, result
    assert result["peak_rss"] <= bound, (result["peak_rss"] / MIB, bound / MIB)
    _assert_ping_quick(result)


def test_slow_loris_headers_get_408(cli: Cli) -> None:
    status, held = abuse.slow_loris(cli.port, gap=0.2, limit=30)
    assert status == 408
    assert held < LIMITS.header_timeout + 2
    status, held = abuse.idle_connection(cli.port, limit=30)
    assert status == 408 and held < LIMITS.header_timeout + 2
    result = abuse.measure(cli.port, cli.pid, ["slow-loris"] * 6, seconds=5)
    assert set(result["statuses"]["slow-loris"]) == {"408"}
    _assert_ping_quick(result)


def test_slow_body_gets_408(cli: Cli) -> None:
    status, held = abuse.slow_body(cli.port, gap=0.2, limit=30)
    assert status == 408
    assert held < LIMITS.read_timeout + 2


def _open_slow_request(port: int) -> socket.socket:
    body = abuse.records_body(1)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:5]
    )
    return sock


def test_requests_beyond_the_concurrency_cap_get_503_and_ping_answers(cli: Cli) -> None:
    held = [_open_slow_request(cli.port) for _ in range(LIMITS.max_concurrency)]
    try:
        time.sleep(0.3)
        status, headers, body = abuse.post(cli.port, abuse.records_body(1))
        assert status == 503
        assert headers["retry-after"] == "1"
        assert json.loads(body)["error_code"] == "SERVICE_UNAVAILABLE"
        for path in ("/ping", "/health", "/version"):
            assert abuse.get(cli.port, path)[0] == 200
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert abuse.post(cli.port, abuse.records_body(1))[0] == 200


def test_ping_p99_under_load_and_abuse_from_several_processes(cli: Cli) -> None:
    clients = ["valid", "valid", "max-body", "duplicate-csv", "slow-loris", "huge-header"]
    bound = LIMITS.memory_bound_bytes(cli.idle_rss)
    result = abuse.measure(cli.port, cli.pid, clients, seconds=15, body_size=LIMITS.max_body_bytes)
    statuses = result["statuses"]
    assert statuses["valid"].get("200", 0) >= 20, result
    assert set(statuses["valid"]) <= {"200", "503"}, result
    assert set(statuses["duplicate-csv"]) <= {"400", "503"}, result
    assert set(statuses["huge-header"]) == {"431"}, result
    assert set(statuses["slow-loris"]) == {"408"}, result
    assert result["peak_rss"] <= bound, (result["peak_rss"] / MIB, bound / MIB)
    _assert_ping_quick(result)
    assert abuse.get(cli.port, "/ping")[0] == 200


def test_a_killed_decoding_process_is_replaced(cli: Cli) -> None:
    import os
    import signal

    workers = abuse.process_tree(cli.pid)[1:]
    assert len(workers) == LIMITS.workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
    time.sleep(0.2)
    for _ in range(2 * LIMITS.workers):
        status, _, body = abuse.post(cli.port, abuse.records_body(2))
        assert status == 200, body
    replaced = abuse.process_tree(cli.pid)[1:]
    assert len(replaced) == LIMITS.workers and not set(replaced) & set(workers)


def test_no_decoding_process_outlives_the_server(tmp_path: Path) -> None:
    """Also those forked after the event loop started (replacing a killed one)."""
    import os
    import signal

    store_dir = tmp_path / ".mlnb"
    model_uri = _log_churn_model(store_dir)
    proc, port = abuse.start_server(store_dir, model_uri, ["--predict-workers", "2"])
    try:
        for pid in abuse.process_tree(proc.pid)[1:]:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        for _ in range(4):
            assert abuse.post(port, abuse.records_body(2))[0] == 200
        workers = abuse.process_tree(proc.pid)[1:]
        assert len(workers) == 2
    finally:
        stop_process(proc, group=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.1)
    alive = [pid for pid in workers if _running(pid)]
    for pid in alive:  # leave nothing behind, then fail
        os.kill(pid, signal.SIGKILL)
    assert not alive


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
