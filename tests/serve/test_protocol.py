"""Request decoding, signature checks and response encoding, without a server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlnb.flavors.signature import infer_signature
from mlnb.serve.encoding import predictions_body
from mlnb.serve.limits import host_allowed
from mlnb.serve.protocol import RequestError, media_type, parse_request


def test_nan_and_infinity_in_predictions_become_null() -> None:
    body = predictions_body(np.array([1.5, np.nan, np.inf]))
    assert json.loads(body) == {"predictions": [1.5, None, None]}
    assert b"NaN" not in body


def test_predictions_match_mlflow_layout() -> None:
    assert predictions_body(np.array([0, 1])) == b'{"predictions": [0, 1]}'
    assert predictions_body(np.array(["no", "yes"], dtype=object)) == b'{"predictions": ["no", "yes"]}'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("Application/JSON; charset=UTF-8", "json"),
        ("text/csv", "csv"),
    ],
)
def test_accepted_content_types(header: str, expected: str) -> None:
    assert media_type(header) == expected


@pytest.mark.parametrize(
    "header", [None, "", "text/plain", "application/json; charset=latin-1", "text/csv; x=1"]
)
def test_refused_content_types_are_415(header: str | None) -> None:
    with pytest.raises(RequestError) as info:
        media_type(header)
    assert info.value.status == 415


def test_signature_types_are_enforced_by_column() -> None:
    import pandas as pd

    frame = pd.DataFrame({"age": [30, 40], "city": ["a", "b"], "score": [0.5, 1.0]})
    sig = infer_signature(frame, np.array([0, 1]))
    ok = parse_request(
        b'{"dataframe_records": [{"age": 3, "city": "x", "score": 1}]}', "application/json", sig
    )
    assert list(ok.columns) == ["age", "city", "score"]
    assert ok["age"].dtype == np.int64 and ok["score"].dtype == np.float64
    with pytest.raises(RequestError, match="'age'"):
        parse_request(
            b'{"dataframe_records": [{"age": "x", "city": "x", "score": 1}]}', "application/json", sig
        )
    with pytest.raises(RequestError, match="'city'"):
        parse_request(b'{"dataframe_records": [{"age": 1, "city": 5, "score": 1}]}', "application/json", sig)
    with pytest.raises(RequestError, match="missing inputs \\['score'\\]"):
        parse_request(b'{"inputs": {"age": [1], "city": ["x"]}}', "application/json", sig)


def test_tensor_signature_checks_shape() -> None:
    sig = infer_signature(np.zeros((3, 2)), np.zeros(3))
    assert parse_request(b'{"inputs": [[1, 2]]}', "application/json", sig).shape == (1, 2)
    with pytest.raises(RequestError, match="shape"):
        parse_request(b'{"inputs": [[1, 2, 3]]}', "application/json", sig)


@pytest.mark.parametrize(
    ("header", "bind", "allowed"),
    [
        ("127.0.0.1:5000", "127.0.0.1", True),
        ("localhost", "127.0.0.1", True),
        ("[::1]:8080", "127.0.0.1", True),
        ("evil.example", "127.0.0.1", False),
        ("127.0.0.1.evil.example:80", "127.0.0.1", False),
        (None, "127.0.0.1", False),
        ("evil.example", "0.0.0.0", True),
    ],
)
def test_host_header_check(header: str | None, bind: str, allowed: bool) -> None:
    assert host_allowed(header, bind) is allowed


@pytest.mark.parametrize(
    "raw",
    [
        np.arange(-5, 5),
        np.array([0, 1, 1], dtype=np.uint8),
        np.array([True, False]),
        np.array([[1, 2], [3, 4]]),
        np.array([2**62, -(2**63)], dtype=np.int64),
        np.array([], dtype=np.int64),
    ],
)
def test_integer_and_boolean_predictions_are_written_like_the_standard_library(raw) -> None:
    expected = json.dumps({"predictions": raw.tolist()}).encode()
    assert predictions_body(raw) == expected
