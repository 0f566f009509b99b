"""The scoring server over real HTTP on 127.0.0.1: every request format, and refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.serve.conftest import SMALL_BODY_CAP, Served

MARKER = "ZQX_SECRET_ZQX"


def _split(frame) -> dict:
    return json.loads(frame.to_json(orient="split", index=False))


def _expected(server: Served, n: int = 20) -> tuple[object, list]:
    rows = server.X.head(n)
    return rows, server.model.predict(rows).tolist()


def test_ping_health_version(server: Served) -> None:
    for path in ("/ping", "/health"):
        r = server.client.get(server.url + path)
        assert (r.status_code, r.text, r.headers["content-type"]) == (200, "\n", "application/json")
    assert server.client.get(server.url + "/version").text == __import__("mlnb").__version__


def test_dataframe_split(server: Served) -> None:
    rows, expected = _expected(server)
    r = server.invoke(json.dumps({"dataframe_split": _split(rows)}))
    assert r.status_code == 200
    assert r.json() == {"predictions": expected}


def test_dataframe_records(server: Served) -> None:
    rows, expected = _expected(server)
    r = server.invoke(json.dumps({"dataframe_records": rows.to_dict(orient="records")}))
    assert r.json() == {"predictions": expected}


def test_instances(server: Served) -> None:
    rows, expected = _expected(server)
    r = server.invoke(json.dumps({"instances": rows.to_dict(orient="records")}))
    assert r.json() == {"predictions": expected}


def test_inputs(server: Served) -> None:
    rows, expected = _expected(server)
    r = server.invoke(json.dumps({"inputs": rows.to_dict(orient="list")}))
    assert r.json() == {"predictions": expected}


def test_csv(server: Served) -> None:
    rows, expected = _expected(server)
    r = server.invoke(rows.to_csv(index=False), "text/csv")
    assert r.json() == {"predictions": expected}


def test_handle_predicts_like_the_model(server: Served) -> None:
    np.testing.assert_array_equal(server.handle.predict(server.X), server.model.predict(server.X))


def test_missing_column_names_it(server: Served) -> None:
    rows = server.X.head(2).drop(columns="Age")
    r = server.invoke(json.dumps({"dataframe_split": _split(rows)}))
    assert r.status_code == 400
    assert "Age" in r.json()["message"]


def test_wrong_type_names_the_column(server: Served) -> None:
    records = server.X.head(2).to_dict(orient="records")
    records[1]["ServicesOpted"] = MARKER
    r = server.invoke(json.dumps({"dataframe_records": records}))
    assert r.status_code == 400
    body = r.json()
    assert "ServicesOpted" in body["message"] and MARKER not in body["message"]


def test_body_over_the_cap_is_413(server: Served) -> None:
    big = b'{"inputs": {"Age": [' + b"1," * SMALL_BODY_CAP + b"1]}}"
    r = server.invoke(big)
    assert r.status_code == 413
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_chunked_body_over_the_cap_is_413(server: Served) -> None:
    def chunks():
        yield b'{"inputs": {"Age": ['
        for _ in range(SMALL_BODY_CAP // 10_000 + 5):
            yield b"1," * 5000

    r = server.client.post(
        server.url + "/invocations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_non_loopback_host_header_is_refused(server: Served) -> None:
    r = server.client.get(server.url + "/ping", headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"
    assert (
        server.client.get(
            server.url + "/ping", headers={"Host": f"localhost:{server.handle.port}"}
        ).status_code
        == 200
    )


def test_nan_prediction_is_valid_json(tmp_path) -> None:
    from sklearn.linear_model import LinearRegression

    import mlnb

    mlnb.set_store(tmp_path / ".mlnb")
    try:
        X = np.arange(8.0).reshape(4, 2)
        model = LinearRegression().fit(X, [1.0, 2.0, 3.0, 4.0])
        model.intercept_ = np.nan  # a model whose predictions are NaN
        with mlnb.start_run():
            info = mlnb.log_model(model, "m", input_example=X)
        with mlnb.serve(info.model_uri) as server:
            import httpx

            r = httpx.post(server.url + "/invocations", json={"inputs": [[1.0, 2.0]]})
    finally:
        mlnb.set_store(None)
    assert r.status_code == 200
    assert r.text == '{"predictions": [null]}'


def test_stop_releases_the_port(tmp_path) -> None:
    import httpx

    import mlnb
    from tests.serve.conftest import churn_pipeline

    mlnb.set_store(tmp_path / ".mlnb")
    try:
        X, model = churn_pipeline()
        with mlnb.start_run():
            info = mlnb.log_model(model, "model", input_example=X)
        server = mlnb.serve(info.model_uri)
    finally:
        mlnb.set_store(None)
    assert httpx.get(server.url + "/ping").status_code == 200
    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/ping", timeout=2)


def test_serve_with_worker_processes_from_a_threaded_process(server: Served) -> None:
    """mlnb.serve(workers=1) predicts in a fresh (spawned) process, the kernel-safe way."""
    import os

    import mlnb

    mlnb.set_store(server.store_dir)
    try:
        handle = mlnb.serve(server.model_uri, workers=1, max_body_mb=1)
    finally:
        mlnb.set_store(None)
    with handle:
        assert len(handle.worker_pids) == 1 and handle.worker_pids[0] != os.getpid()
        rows, expected = _expected(server)
        r = server.client.post(
            handle.url + "/invocations",
            content=json.dumps({"dataframe_split": _split(rows)}),
            headers={"Content-Type": "application/json"},
        )
        assert r.json() == {"predictions": expected}
        big = server.client.post(
            handle.url + "/invocations",
            content=b" " * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413
    assert not handle.running
