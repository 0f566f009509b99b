"""The scoring server's limits: defaults, the options that set them, and refusals of bad values."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlnb.errors import InvalidParameter
from mlnb.serve.handle import make_limits
from mlnb.serve.limits import MAX_BODY_ENV, MIB, ServeLimits


def test_defaults() -> None:
    limits = ServeLimits()
    assert limits.max_body_bytes == 16 * MIB < 45 * MIB  # issue #15: three 45 MB bodies took 3.9 GB
    assert (limits.max_columns, limits.max_header_bytes) == (2048, 64 * 1024)
    assert (limits.read_timeout, limits.header_timeout) == (30.0, 10.0)
    assert (limits.max_concurrency, limits.workers) == (8, 2)


def test_options_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_BODY_ENV, str(3 * MIB))
    assert make_limits().max_body_bytes == 3 * MIB
    limits = make_limits(max_body_mb=0.5, max_columns=10, max_header_kb=8, read_timeout=0.5, workers=0)
    assert (limits.max_body_bytes, limits.max_columns, limits.max_header_bytes) == (MIB // 2, 10, 8192)
    assert (limits.read_timeout, limits.workers, limits.max_concurrency) == (0.5, 0, 8)
    assert ServeLimits.from_env() == ServeLimits.default()
    monkeypatch.setenv("MLNB_SERVE_LIMITS", limits.to_env())
    assert ServeLimits.from_env() == limits


@pytest.mark.parametrize(
    "bad",
    [
        {"max_body_mb": 0},
        {"max_columns": 0},
        {"max_concurrency": -1},
        {"read_timeout": 0},
        {"header_timeout": float("nan")},
        {"workers": -1},
    ],
)
def test_bad_values_are_refused(bad: dict) -> None:
    with pytest.raises(InvalidParameter, match="serve limit"):
        make_limits(**bad)


def test_memory_bound_grows_with_each_limit() -> None:
    base = ServeLimits()
    bound = base.memory_bound_bytes(0)
    assert ServeLimits(max_concurrency=16).memory_bound_bytes(0) > bound
    assert ServeLimits(workers=4).memory_bound_bytes(0) > bound
    assert ServeLimits(max_body_bytes=32 * MIB).memory_bound_bytes(0) > bound
    assert base.memory_bound_bytes(100) == bound + 100


def test_cli_refuses_a_bad_limit_in_one_line(tmp_path) -> None:
    store = str(tmp_path / ".mlnb")
    result = subprocess.run(
        [sys.executable, "-m", "mlnb", "--store", store, "serve", "runs:/x/model", "--max-concurrency", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "max_concurrency must be a whole number >= 1, got 0" in result.stderr
    assert "Traceback" not in result.stderr
