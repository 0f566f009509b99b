"""A corpus of malformed requests: each gets a 4xx JSON error, and the server keeps serving."""

from __future__ import annotations

import json

import pytest

from tests.serve.conftest import SMALL_BODY_CAP, Served

MARKER = "ZQX_SECRET_ZQX"
JSON = "application/json"
GOOD_ROW = {
    "Age": 30,
    "FrequentFlyer": "No",
    "AnnualIncomeClass": "Low Income",
    "ServicesOpted": 3,
    "AccountSyncedToSocialMedia": "No",
    "BookedHotelOrNot": "Yes",
}
COLUMNS = list(GOOD_ROW)
WIDE = [f"c{i}" for i in range(3000)]  # more columns than the server's default limit (2,048)


def _row(**changes: object) -> dict:
    return {**GOOD_ROW, **changes}


def _records(*rows: dict) -> bytes:
    return json.dumps({"dataframe_records": list(rows)}).encode()


def _nested(depth: int) -> bytes:
    return b'{"inputs": ' + b"[" * depth + b"]" * depth + b"}"


CASES: list[tuple[str, bytes, str | None, dict[str, str]]] = [
    # bad JSON
    ("empty body", b"", JSON, {}),
    ("whitespace body", b"   \n ", JSON, {}),
    ("truncated object", b'{"dataframe_split": {', JSON, {}),
    ("trailing garbage", b'{"inputs": {}} xx' + MARKER.encode(), JSON, {}),
    ("single quotes", b"{'inputs': [[1]]}", JSON, {}),
    ("bare marker", MARKER.encode(), JSON, {}),
    ("invalid utf-8", b'{"inputs": "\xff\xfe"}', JSON, {}),
    ("utf-16 body", json.dumps({"inputs": [[1]]}).encode("utf-16"), JSON, {}),
    ("nan literal top", b"NaN", JSON, {}),
    # wrong top-level shapes and keys
    ("json list", b"[1, 2, 3]", JSON, {}),
    ("json string", json.dumps(MARKER).encode(), JSON, {}),
    ("json number", b"42", JSON, {}),
    ("json null", b"null", JSON, {}),
    ("empty object", b"{}", JSON, {}),
    ("unknown key", json.dumps({MARKER: [[1]]}).encode(), JSON, {}),
    ("old mlflow 1 format", json.dumps({"columns": COLUMNS, "data": [[1] * 6]}).encode(), JSON, {}),
    ("two formats", json.dumps({"inputs": [GOOD_ROW], "instances": [GOOD_ROW]}).encode(), JSON, {}),
    ("split not object", json.dumps({"dataframe_split": [[1]]}).encode(), JSON, {}),
    ("split without data", json.dumps({"dataframe_split": {"columns": COLUMNS}}).encode(), JSON, {}),
    (
        "split extra key",
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [], MARKER: 1}}).encode(),
        JSON,
        {},
    ),
    (
        "split data not list",
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": MARKER}}).encode(),
        JSON,
        {},
    ),
    (
        "split row not list",
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [MARKER]}}).encode(),
        JSON,
        {},
    ),
    (
        "split short row",
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [[30, "No"]]}}).encode(),
        JSON,
        {},
    ),
    (
        "split columns not strings",
        json.dumps({"dataframe_split": {"columns": [1, 2], "data": [[1, 2]]}}).encode(),
        JSON,
        {},
    ),
    (
        "split duplicate columns",
        json.dumps(
            {"dataframe_split": {"columns": [*COLUMNS, "Age"], "data": [[*list(GOOD_ROW.values()), 1]]}}
        ).encode(),
        JSON,
        {},
    ),
    (
        "split nested cell",
        json.dumps(
            {"dataframe_split": {"columns": COLUMNS, "data": [[[30], "No", "Low Income", 3, "No", "Yes"]]}}
        ).encode(),
        JSON,
        {},
    ),
    ("records not list", json.dumps({"dataframe_records": {"Age": 1}}).encode(), JSON, {}),
    ("records of numbers", json.dumps({"dataframe_records": [1, 2]}).encode(), JSON, {}),
    ("records nested value", _records(_row(Age={"x": MARKER})), JSON, {}),
    ("instances string", json.dumps({"instances": MARKER}).encode(), JSON, {}),
    (
        "instances ragged columns",
        json.dumps({"instances": {"Age": [1, 2], "FrequentFlyer": ["No"]}}).encode(),
        JSON,
        {},
    ),
    ("inputs scalar columns", json.dumps({"inputs": {k: v for k, v in GOOD_ROW.items()}}).encode(), JSON, {}),
    ("inputs list of strings", json.dumps({"inputs": [MARKER]}).encode(), JSON, {}),
    ("inputs unnamed rows wrong width", json.dumps({"inputs": [[1, 2]]}).encode(), JSON, {}),
    ("empty inputs object", b'{"inputs": {}}', JSON, {}),
    ("empty inputs list", b'{"inputs": []}', JSON, {}),
    ("empty records", b'{"dataframe_records": []}', JSON, {}),
    ("zero rows", json.dumps({"dataframe_split": {"columns": COLUMNS, "data": []}}).encode(), JSON, {}),
    # wrong columns and types
    ("age is NaN literal", _records(GOOD_ROW).replace(b'"Age": 30', b'"Age": NaN'), JSON, {}),
    ("age is Infinity", _records(GOOD_ROW).replace(b'"Age": 30', b'"Age": 1e999'), JSON, {}),
    ("missing column", _records({k: v for k, v in GOOD_ROW.items() if k != "Age"}), JSON, {}),
    ("only unknown columns", _records({MARKER: 1}), JSON, {}),
    ("age is text", _records(_row(Age=MARKER)), JSON, {}),
    ("age is fractional", _records(_row(Age=30.5)), JSON, {}),
    ("age is null", _records(_row(Age=None)), JSON, {}),
    ("age is bool", _records(_row(Age=True)), JSON, {}),
    ("services is text", _records(_row(ServicesOpted="three")), JSON, {}),
    ("flyer is number", _records(_row(FrequentFlyer=1)), JSON, {}),
    ("flyer is bool", _records(_row(FrequentFlyer=False)), JSON, {}),
    ("age huge int", _records(_row(Age=10**30)), JSON, {}),
    ("age huge float", _records(_row(Age=1e30)), JSON, {}),
    ("age just past int64", _records(_row(Age=2**63)), JSON, {}),
    ("age infinity", b'{"dataframe_records": [{"Age": Infinity}]}', JSON, {}),
    ("csv wrong columns", f"a,b\n1,{MARKER}\n".encode(), "text/csv", {}),
    ("csv age text", f"{','.join(COLUMNS)}\n{MARKER},No,Low Income,3,No,Yes\n".encode(), "text/csv", {}),
    ("csv empty", b"", "text/csv", {}),
    ("csv invalid utf-8", b"Age\n\xff\xfe\n", "text/csv", {}),
    # deep nesting
    ("deep nesting 100", _nested(100), JSON, {}),
    ("deep nesting 100000", _nested(100_000), JSON, {}),
    # content types
    ("missing content type", _records(GOOD_ROW), None, {}),
    ("text/plain", _records(GOOD_ROW), "text/plain", {}),
    ("form encoded", b"a=1", "application/x-www-form-urlencoded", {}),
    ("json latin-1 charset", _records(GOOD_ROW), "application/json; charset=latin-1", {}),
    ("json unknown parameter", _records(GOOD_ROW), "application/json; format=pandas-split", {}),
    ("parquet not supported", b"PAR1", "application/vnd.apache.parquet", {}),
    ("garbage content type", _records(GOOD_ROW), MARKER, {}),
    # too many columns (issue #15: 40,000 duplicate CSV names froze the server for 37 s)
    (
        "csv 40000 duplicate names",
        (",".join(["a"] * 40_000) + "\n" + "1," * 39_999 + "1\n").encode(),
        "text/csv",
        {},
    ),
    ("csv 3000 names", (",".join(f"c{i}" for i in range(3000)) + "\n").encode(), "text/csv", {}),
    (
        "csv duplicate names",
        f"{','.join(COLUMNS)},Age\n30,No,Low Income,3,No,Yes,1\n".encode(),
        "text/csv",
        {},
    ),
    (
        "split 3000 columns",
        json.dumps({"dataframe_split": {"columns": WIDE, "data": [[0] * 3000]}}).encode(),
        JSON,
        {},
    ),
    ("records 3000 keys", _records(dict.fromkeys(WIDE, 0)), JSON, {}),
    ("inputs 3000 columns", json.dumps({"inputs": {c: [0] for c in WIDE}}).encode(), JSON, {}),
    ("rows 3000 wide", json.dumps({"inputs": [[0] * 3000]}).encode(), JSON, {}),
    # limits and hosts
    ("huge body", b'{"inputs": {"Age": [' + b"1," * SMALL_BODY_CAP + b"1]}}", JSON, {}),
    ("content-length lie", _records(GOOD_ROW), JSON, {"Content-Length": str(10 * SMALL_BODY_CAP)}),
    ("host evil.example", _records(GOOD_ROW), JSON, {"Host": "evil.example"}),
    ("host rebinding lookalike", _records(GOOD_ROW), JSON, {"Host": "127.0.0.1.evil.example"}),
    ("host empty", _records(GOOD_ROW), JSON, {"Host": ""}),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize(("name", "body", "content_type", "headers"), CASES, ids=[c[0] for c in CASES])
def test_malformed_request_gets_4xx_json(
    server: Served, name: str, body: bytes, content_type: str | None, headers: dict[str, str]
) -> None:
    if "Content-Length" in headers:
        r = _raw_post(server, body, content_type, headers)
        status, text = r
    else:
        resp = server.invoke(body, content_type, **headers)
        status, text = resp.status_code, resp.text
    assert 400 <= status < 500, (name, status, text[:300])
    payload = json.loads(text)
    assert set(payload) == {"error_code", "message"}
    assert MARKER not in text
    assert "Traceback" not in text and 'File "' not in text
    ping = server.client.get(server.url + "/ping")
    assert ping.status_code == 200


def _raw_post(
    server: Served, body: bytes, content_type: str | None, headers: dict[str, str]
) -> tuple[int, str]:
    """A request whose Content-Length claims more than it sends (httpx would refuse to lie)."""
    import socket

    head = ["POST /invocations HTTP/1.1", f"Host: 127.0.0.1:{server.handle.port}", "Connection: close"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    head += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", server.handle.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_text, _, payload = data.partition(b"\r\n\r\n")
    return int(head_text.split()[1]), payload.decode()


def test_server_still_predicts_after_the_corpus(server: Served) -> None:
    r = server.invoke(_records(GOOD_ROW))
    assert r.status_code == 200
    assert r.json()["predictions"] == server.model.predict(server.X.head(0).__class__([GOOD_ROW])).tolist()


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/invocations"), ("POST", "/ping"), ("GET", "/" + MARKER)]
)
def test_wrong_method_or_path_is_json(server: Served, method: str, path: str) -> None:
    r = server.client.request(method, server.url + path)
    assert r.status_code in (404, 405)
    assert set(r.json()) == {"error_code", "message"}
    assert MARKER not in r.text
