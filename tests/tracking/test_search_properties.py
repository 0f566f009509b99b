"""search_runs against a brute-force Python evaluation of the same filter over the same runs."""

from __future__ import annotations

import math
import re
import tempfile
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlnb
from mlnb.errors import InvalidParameter
from tests.conftest import _reset_tracking_state

TEXTS = ["a", "b", "ab", "A", "' OR 1=1 --", "%", "_", "a'b", 'q"q', "é", "Ä", " ", "x%y", "\\", "a_b"]
NUMBERS = [0.0, -0.0, 1.0, -1.5, 0.5, 1e308, -1e308, math.inf, -math.inf, math.nan, 2.0]
PATTERNS = ["%", "a%", "%b", "_", "A%", "é%", "%'%", "a_b", "\\%", "%\\", "x%y", ""]
KEYS = ["k1", "k 2"]

run_spec = st.fixed_dictionaries(
    {
        "params": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TEXTS), max_size=2),
        "tags": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TEXTS), max_size=2),
        "metrics": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(NUMBERS), max_size=2),
        "status": st.sampled_from(["FINISHED", "FAILED", "KILLED"]),
    }
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def comparison(draw: Any) -> tuple[str, tuple]:
    kind = draw(st.sampled_from(["metrics", "params", "tags", "attributes"]))
    if kind == "attributes":
        op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE"]))
        value = draw(st.sampled_from(["FINISHED", "FAILED", "finished", "F%", "%ED"]))
        return f"attributes.status {op} {_quote(value)}", ("attr", op, value)
    key = draw(st.sampled_from(KEYS))
    ident = f"{kind}.`{key}`"
    if kind == "metrics":
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        value = draw(st.sampled_from([0.0, -0.0, 1.0, 0.5, -1.5, 1e308, 3.0]))
        return f"{ident} {op} {value!r}", (kind, key, op, value)
    op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"]))
    if op in ("IS NULL", "IS NOT NULL"):
        return f"{ident} {op}", (kind, key, op, None)
    value = draw(st.sampled_from(PATTERNS if "LIKE" in op else TEXTS))
    return f"{ident} {op} {_quote(value)}", (kind, key, op, value)


@st.composite
def filters(draw: Any, depth: int = 0) -> tuple[str, tuple]:
    if depth >= 2 or draw(st.booleans()):
        return draw(comparison())
    op = draw(st.sampled_from(["AND", "OR"]))
    items = [draw(filters(depth + 1)) for _ in range(draw(st.integers(2, 3)))]
    return "(" + f" {op} ".join(t for t, _ in items) + ")", (op, [n for _, n in items])


def _like(value: str, pattern: str, ci: bool) -> bool:
    if ci:
        value, pattern = value.lower(), pattern.lower()
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _text_holds(value: str | None, op: str, target: Any) -> bool:
    if op == "IS NULL":
        return value is None
    if op == "IS NOT NULL":
        return value is not None
    if value is None:
        return False
    return {
        "=": lambda: value == target,
        "!=": lambda: value != target,
        "LIKE": lambda: _like(value, target, False),
        "ILIKE": lambda: _like(value, target, True),
    }[op]()


def _holds(node: tuple, run: dict) -> bool:
    if node[0] in ("AND", "OR"):
        results = [_holds(item, run) for item in node[1]]
        return all(results) if node[0] == "AND" else any(results)
    if node[0] == "attr":
        return _text_holds(run["status"], node[1], node[2])
    kind, key, op, target = node
    value = run[kind].get(key)
    if kind == "metrics":
        if value is None:
            return False
        return {
            "=": value == target,
            "!=": value != target,
            "<": value < target,
            "<=": value <= target,
            ">": value > target,
            ">=": value >= target,
        }[op]
    return _text_holds(value, op, target)


def _populate(specs: list[dict]) -> list[tuple[str, dict]]:
    created = []
    for spec in specs:
        with mlnb.start_run() as run:
            mlnb.log_params(spec["params"])
            mlnb.set_tags(spec["tags"])
            mlnb.log_metrics(spec["metrics"])
        mlnb.set_terminated(run.info.run_id, spec["status"])
        created.append((run.info.run_id, spec))
    return created


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(run_spec, min_size=1, max_size=8), st.lists(filters(), min_size=1, max_size=6))
def test_filter_results_equal_brute_force(specs: list[dict], cases: list[tuple[str, tuple]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            created = _populate(specs)
            for text, node in cases:
                expected = {rid for rid, spec in created if _holds(node, spec)}
                frame = mlnb.search_runs(filter_string=text)
                assert set(frame["run_id"]) == expected, text
        finally:
            _reset_tracking_state()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(run_spec, min_size=2, max_size=8), st.sampled_from(KEYS), st.booleans())
def test_order_by_metric_matches_python_sort(specs: list[dict], key: str, desc: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            created = _populate(specs)
            frame = mlnb.search_runs(order_by=[f"metrics.`{key}` {'DESC' if desc else 'ASC'}"])
            got = [(frame[f"metrics.{key}"] if f"metrics.{key}" in frame else [None] * len(frame))]
            values = list(got[0])
            present = [
                v for rid, s in created if (v := s["metrics"].get(key)) is not None and not math.isnan(v)
            ]
            numbers = sorted(present, reverse=desc)
            head = [v for v in values[: len(numbers)]]
            assert head == numbers
            # NaN, then runs without the metric, come after every number
            assert all(v is None or math.isnan(v) for v in values[len(numbers) :])
        finally:
            _reset_tracking_state()


key_text = st.from_regex(r"[\w.\-/: ]{1,40}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(key=key_text, value=st.text(max_size=30))
def test_any_loggable_key_round_trips_through_search(key: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            with mlnb.start_run() as run:
                try:
                    mlnb.log_param(key, value)
                except InvalidParameter:
                    return
                mlnb.set_tag(key, value)
                mlnb.log_metric(key, 1.25)
            rid = run.info.run_id
            q = _quote(value)
            assert list(mlnb.search_runs(filter_string=f"params.`{key}` = {q}")["run_id"]) == [rid]
            assert list(
                mlnb.search_runs(filter_string=f'tags."{key.replace(chr(34), chr(34) * 2)}" = {q}')["run_id"]
            ) == [rid]
            frame = mlnb.search_runs(filter_string=f"metrics.`{key}` = 1.25")
            assert list(frame["run_id"]) == [rid]
            assert frame[f"params.{key}"][0] == value
            assert frame[f"metrics.{key}"][0] == 1.25
        finally:
            _reset_tracking_state()


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324]),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(width=32).map(np.float32),
        st.integers(-1000, 1000).map(np.int64),
        st.floats(allow_nan=True).map(np.float64),
    )
)
def test_metric_values_round_trip_exactly(value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            with mlnb.start_run() as run:
                mlnb.log_metric("m", value)
            expected = float(value)
            (point,) = mlnb.get_metric_history(run.info.run_id, "m")
            latest = mlnb.get_run(run.info.run_id).data.metrics["m"]
            for got in (point.value, latest):
                if math.isnan(expected):
                    assert math.isnan(got)
                else:
                    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)
        finally:
            _reset_tracking_state()


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.text(), st.integers(99_999, 100_002).map(lambda n: "é" * n), st.integers(), st.floats()
    )
)
def test_param_values_round_trip_or_are_rejected(value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _reset_tracking_state()
        mlnb.set_store(tmp)
        try:
            with mlnb.start_run() as run:
                try:
                    mlnb.log_param("p", value)
                except InvalidParameter as exc:
                    assert "p" in str(exc)
                    assert mlnb.get_run(run.info.run_id).data.params == {}
                    return
            assert mlnb.get_run(run.info.run_id).data.params["p"] == str(value)
        finally:
            _reset_tracking_state()
