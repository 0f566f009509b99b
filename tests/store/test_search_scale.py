"""Search results do not depend on how the store reads them: the details of the matched runs
are read in batches (:data:`mlnb.store.search_details.READ_BATCH` runs), and a search ordered
by a metric without a filter walks that metric's index.  On both sides of each boundary the
rows, their order and every value (NaN, inf, -0.0, absent) are those of a plain reference
read: :meth:`Store.get_run` for each run, and the order MLflow defines, computed in Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlnb.store import close_shared_stores, open_store, search_details
from mlnb.store.base import Store

from .search_scale_store import bulk_runs

BATCH = search_details.READ_BATCH
SIZES = [1, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH + 1]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str, dict[str, Any]]]:
    """A store of 2 × BATCH + 1 runs; a few have NaN, inf, -0.0, other keys and a tag."""
    store = open_store(str(Path(tmp_path_factory.mktemp("scale")) / "store"))
    exp = store.create_experiment("scale")
    n = 2 * BATCH + 1
    special = frozenset({0, 7, BATCH - 2, BATCH + 3, n - 1})
    ids = bulk_runs(store, exp, n, n_params=3, n_metrics=10, special=special)
    other = store.create_experiment("other")  # runs outside the searched experiment
    bulk_runs(store, other, 50, n_params=3, n_metrics=10, seed=1)
    yield store, exp, {rid: store.get_run(rid) for rid in ids}  # the reference read, once
    store.close()
    close_shared_stores()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b and type(a) is type(b)


def _check_details(runs: dict[str, Any], result: Any) -> None:
    n = len(result.rows)
    for columns in (result.params, result.metrics, result.tags):
        for key, values in columns.items():
            assert len(values) == n, key
    if result.metric_block is not None:
        keys = sorted(result.metrics)
        assert result.metric_block.shape == (len(keys), n)
        for row, key in zip(result.metric_block.tolist(), keys, strict=True):
            assert all(map(_same, row, result.metrics[key])), key
    for i, run_id in enumerate(result.run_ids):
        run = runs[run_id]
        for got, expected in (
            (result.params, run.data.params),
            (result.metrics, run.data.metrics),
            (result.tags, run.data.tags),
        ):
            mine = {k: v[i] for k, v in got.items() if v[i] is not None}
            assert mine.keys() == expected.keys(), run_id
            for key, value in expected.items():
                assert _same(mine[key], value), (run_id, key, mine[key], value)


def _reference_order(runs: dict[str, Any], metric: str | None, descending: bool) -> list[str]:
    """MLflow's order: by the metric (NaN after every number, runs without it last), then start
    time descending, then run id."""

    def key(run: Any) -> tuple[Any, ...]:
        start, rid = -run.info.start_time, run.info.run_id
        if metric is None:
            return (start, rid)
        value = run.data.metrics.get(metric)
        if value is None:
            return (2, 0.0, start, rid)
        if math.isnan(value):
            return (1, 0.0, start, rid)
        return (0, -value if descending else value, start, rid)

    return [run.info.run_id for run in sorted(runs.values(), key=key)]


@pytest.mark.parametrize("size", SIZES)
def test_details_of_every_result_size_match_a_plain_read(big: Any, size: int) -> None:
    store, exp, runs = big
    result = store.search_runs([exp], max_results=size)
    assert result.run_ids == _reference_order(runs, None, False)[:size]
    _check_details(runs, result)


@pytest.mark.parametrize("size", SIZES)
def test_filtered_results_of_every_size_match_a_plain_read(big: Any, size: int) -> None:
    """A filter and an order by metric (NaN and absent values included) across the batches."""
    store, exp, runs = big
    result = store.search_runs([exp], "params.p1 != 'none'", ["metrics.m0 DESC"], max_results=size)
    assert result.run_ids == _reference_order(runs, "m0", True)[:size]
    _check_details(runs, result)


@pytest.mark.parametrize("size", [1, 3, 99, 100, 101, 2 * BATCH + 1, 5 * BATCH])
@pytest.mark.parametrize("order", ["m0 DESC", "m0 ASC", "m3 DESC", "m3", "m9 DESC", "m9 ASC", "m2 ASC"])
def test_top_runs_by_a_metric_match_the_reference_order(big: Any, size: int, order: str) -> None:
    """Top-N by a metric without a filter, on both sides of the runs that have a number for it:
    m0 has NaN in a few runs, m3 is absent from a few, m9 has ties, m2 holds -0.0."""
    store, exp, runs = big
    metric, _, direction = order.partition(" ")
    result = store.search_runs([exp], order_by=[f"metrics.{order}"], max_results=size)
    assert result.run_ids == _reference_order(runs, metric, direction == "DESC")[:size]
    _check_details(runs, result)


def test_top_runs_by_a_metric_and_a_second_key(big: Any) -> None:
    store, exp, _ = big
    got = store.search_runs([exp], order_by=["metrics.m9 DESC", "params.p2"], max_results=300).run_ids
    everything = store.search_runs([exp], "attributes.run_name != ''", ["metrics.m9 DESC", "params.p2"])
    assert got == everything.run_ids[:300]  # a filter takes the general path: same order


# LIKE 'prefix%' reads the index between the prefix and its successor: values at the edges
# (U+10FFFF has no successor; U+D7FF's is U+E000, past the surrogates)
EDGE_VALUES = [
    "a",
    "ab",
    "ab\U0010ffff",
    "ab\U0010ffffz",
    "ac",
    "a\ud7ff",
    "a\ud7ffx",
    "a\ue000",
    "b",
    "",
    "_x",
    "%",
]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    store = open_store(str(Path(tmp_path_factory.mktemp("edges")) / "store"))
    exp = store.create_experiment("edges")
    for i, value in enumerate(EDGE_VALUES):
        run_id = store.create_run(exp, run_name=f"r{i}", start_time=i).run_id
        store.log_batch(run_id, params={"p": value}, tags={"t": value})
    store.flush()
    yield store, exp
    store.close()
    close_shared_stores()


@pytest.mark.parametrize(
    "pattern",
    [
        "a%",
        "ab%",
        "ab\U0010ffff%",
        "ab\U0010ffff",
        "a_",
        "%b",
        "\ue000%",
        "a\ue000%",
        "a\ud7ff%",
        "%",
        "_%",
        "b",
    ],
)
@pytest.mark.parametrize("kind", ["params", "tags"])
def test_like_prefix_range_keeps_every_match(edges: Any, pattern: str, kind: str) -> None:
    store, exp = edges
    from mlnb.store.like import like

    result = store.search_runs([exp], f"{kind}.{'p' if kind == 'params' else 't'} LIKE '{pattern}'")
    column = result.params.get("p") if kind == "params" else result.tags.get("t")
    got = sorted(column or [])
    expected = sorted(v for v in EDGE_VALUES if like(v, pattern, False))
    assert got == expected


def test_or_of_indexed_comparisons_matches_a_plain_read(big: Any) -> None:
    store, exp, runs = big
    result = store.search_runs([exp], "metrics.m4 > 0.98 OR params.p1 = 'v3' OR metrics.m3 < 0.01")
    expected = {
        rid
        for rid, run in runs.items()
        if run.data.metrics.get("m4", -1) > 0.98
        or run.data.params.get("p1") == "v3"
        or run.data.metrics.get("m3", 2) < 0.01
    }
    assert len(result.run_ids) == len(set(result.run_ids))
    assert set(result.run_ids) == expected
    _check_details(runs, result)
