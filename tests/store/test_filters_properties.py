"""Property tests: any filter text and any order_by list give results or an MlnbError, quickly.

Every case runs a real search on a small real store (runs with metrics, params, tags and a
2,000-character tag value): never another exception, a crash or a hang.  Inputs that once
broke something are kept in ``tests/corpus/filters`` (replayed by test_filters_corpus.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlnb
from mlnb.errors import InvalidParameter, MlnbError
from mlnb.registry.client import MlflowClient
from mlnb.store.filters import MAX_NESTING, MAX_ORDER_BY_KEYS, parse_filter
from mlnb.store.like import like
from tests.conftest import _reset_tracking_state

CASE_SECONDS = 5.0  # what one search may take, whatever its input


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store with three runs, made the active one; yields the default experiment's id."""
    patch = pytest.MonkeyPatch()
    patch.setenv("MLNB_STORE", str(Path(tmp_path_factory.mktemp("filters")) / ".mlnb"))
    patch.delenv("MLNB_TRACKING_URI", raising=False)
    patch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _reset_tracking_state()
    for i in range(3):
        with mlnb.start_run(run_name=f"r{i}"):
            mlnb.log_metrics({"m": float(i), "k": -float(i), "x": float("nan") if i == 1 else 1.0})
            mlnb.log_params({"p": str(i), "q": "a" * 50})
            mlnb.set_tags({"t": "a" * 2000, "u": f"Ü{i}%_"})
    yield mlnb.get_experiment_by_name("Default").experiment_id
    _reset_tracking_state()
    patch.undo()


def _search(**kwargs: Any) -> None:
    """One search; any outcome but an MlnbError, or taking too long, fails the case."""
    started = time.perf_counter()
    try:
        mlnb.search_runs(**kwargs)
    except MlnbError:
        pass
    elapsed = time.perf_counter() - started
    assert elapsed < CASE_SECONDS, f"search took {elapsed:.1f} s: {kwargs!r:.300}"


_SETTINGS = settings(
    max_examples=200,
    deadline=None,  # each case checks its own time (CASE_SECONDS); shared CI machines jitter
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- filters --------------------------------------------------------------------------------------
_odd = st.sampled_from(["\ud800", "\udfff", "\x00", "(", ")", "'", '"', "`", "%", "_", ".", "\\", ","])
_chars = st.one_of(st.characters(), _odd)


@pytest.mark.timeout(120)
@_SETTINGS
@given(text=st.text(_chars, max_size=60))
def test_random_text_filter(world: str, text: str) -> None:
    _search(filter_string=text)


_VOCAB = [
    "(",
    ")",
    "(",
    ")",
    ",",
    "AND",
    "OR",
    "and",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "ILIKE",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "<>",
    "metrics.m",
    "metrics.x",
    "metric.`k`",
    "params.p",
    "param.q",
    "tags.t",
    "tags.u",
    "tag.`u`",
    "attributes.status",
    "attributes.run_id",
    "attributes.start_time",
    "attr.end_time",
    "run_name",
    "created",
    "`Run name`",
    "datasets.name",
    "datasets.digest",
    "dataset.context",
    "artifact_uri",
    "metrics.",
    "params.`",
    "tags.''",
    "unknown.k",
    "Metrics.m",
    "0",
    "-1",
    "1.5",
    "1e999",
    "-1e999",
    "9" * 30,
    "-" + "9" * 400,
    "9" * 5000,
    ".5",
    "+1",
    "nan",
    "'x'",
    "'0'",
    "'1'",
    "''",
    "'it''s'",
    '"dq"',
    "'%'",
    "'%a%a%a%a%a%a%a%b'",
    "'_%_'",
    "'" + "%a" * 300 + "b'",
    "'" + "x" * 3000 + "'",
    "'\x00'",
    "'\ud800'",
    "'Ü%'",
    "'unterminated",
]


@pytest.mark.timeout(150)
@_SETTINGS
@given(tokens=st.lists(st.sampled_from(_VOCAB), max_size=25))
def test_token_sequence_filter(world: str, tokens: list[str]) -> None:
    _search(filter_string=" ".join(tokens))


@st.composite
def _nested(draw: Any) -> tuple[str, int]:
    """A filter whose parentheses nest ``depth`` deep, in one of several shapes."""
    depth = draw(st.integers(0, 300))
    text = draw(st.sampled_from(["metrics.m >= 0", "params.p IS NOT NULL", "tags.u LIKE '%'"]))
    shapes = ["({})", "(metrics.m > -1 AND {})", "({} OR attributes.status = 'x')", "(({}))"]
    levels = 0
    while levels < depth:
        shape = draw(st.sampled_from(shapes))
        text = shape.format(text)
        levels += shape.count("(")
    return text, levels


@pytest.mark.timeout(120)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_nested())
def test_nested_parentheses(world: str, case: tuple[str, int]) -> None:
    text, depth = case
    if depth > MAX_NESTING:
        with pytest.raises(MlnbError, match=f"at most {MAX_NESTING} levels"):
            parse_filter(text)
    else:
        parse_filter(text)
    _search(filter_string=text)


# --- order_by -------------------------------------------------------------------------------------
_ORDER_KEYS = [
    "metrics.m", "metrics.k", "metrics.x", "metrics.none", "params.p", "params.q", "tags.t",
    "tags.u", "attributes.start_time", "attributes.end_time", "attributes.run_name", "run_id",
    "status", "created", "artifact_uri", "datasets.name", "nonsense", "metrics.", "`metrics`.m",
    "", " ", "metrics.m DESC DESC", "tags.\ud800", "params.\x00",
]  # fmt: skip
_DIRECTIONS = ["", " ASC", " DESC", " desc", " sideways", "  DESC"]


@st.composite
def _order_by(draw: Any) -> list[Any]:
    n = draw(st.one_of(st.integers(0, MAX_ORDER_BY_KEYS + 2), st.integers(0, 2000)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    fresh = draw(st.booleans())  # distinct made-up keys, or repeats from the list above
    clauses: list[Any] = []
    for i in range(n):
        key = f"{rng.choice(['metrics', 'params', 'tags'])}.k{i}" if fresh else rng.choice(_ORDER_KEYS)
        clauses.append(key + rng.choice(_DIRECTIONS))
    if n and draw(st.integers(0, 9)) == 0:
        clauses[rng.randrange(n)] = draw(st.sampled_from([None, 3, b"metrics.m", ["metrics.m"]]))
    return clauses


@pytest.mark.timeout(150)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_by=_order_by())
def test_order_by_lists(world: str, order_by: list[Any]) -> None:
    if len(order_by) > MAX_ORDER_BY_KEYS:
        with pytest.raises(InvalidParameter, match=f"at most {MAX_ORDER_BY_KEYS}"):
            mlnb.search_runs(order_by=order_by)
        return
    _search(order_by=order_by)
    started = time.perf_counter()
    try:  # the paged client path builds its own keyset query
        MlflowClient().search_runs([world], order_by=order_by, max_results=2)
    except MlnbError:
        pass
    assert time.perf_counter() - started < CASE_SECONDS


# --- LIKE -----------------------------------------------------------------------------------------
def _like_reference(value: str, pattern: str) -> bool:
    """SQL LIKE by dynamic programming over (pattern prefix, value prefix)."""
    reach = [True] + [False] * len(value)  # which value prefixes the pattern prefix matches
    for ch in pattern:
        if ch == "%":
            for j in range(1, len(reach)):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j] and (ch == "_" or value[j] == ch) for j in range(len(value))]
    return reach[-1]


_like_chars = st.sampled_from([*"aAb%_.\\*[\n", "É", "é", "İ", "ß"])


@pytest.mark.timeout(60)
@settings(max_examples=1500, deadline=None)
@given(value=st.text(_like_chars, max_size=15), pattern=st.text(_like_chars, max_size=10), ci=st.booleans())
def test_like_agrees_with_a_reference(value: str, pattern: str, ci: bool) -> None:
    expected = _like_reference(value.lower(), pattern.lower()) if ci else _like_reference(value, pattern)
    assert like(value, pattern, ci) is expected
