"""The shape of the store's costs on 200,000 runs: ratios measured within one run, never times.

The store holds two experiments of 100,000 runs × (10 params + 10 metrics).  The first 10,000
runs of the fresh store and the last 10,000 go through the public write path (``create_run`` +
``log_batch`` + ``finish_run``, as a user's loop); the 180,000 in between through the bulk
loader (:func:`mlnb.store.bulk.bulk_load`, the write-behind buffer's own statements).

* inserts: the last 10,000 runs go in at ≥ 0.8× the rate of the first 10,000;
* search: twice the matched rows cost at most three times as much, and the same rows cost
  about the same whether the searched experiments hold 100,000 or 200,000 runs (experiment
  ``b``'s ``m3`` values stay below every threshold searched, so it adds runs but no rows);
* size: at most 120 bytes of database per logged value, indexes included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlnb.entities import Metric
from mlnb.store import open_store
from mlnb.store.bulk import BulkRun, bulk_load

pytestmark = pytest.mark.slow

PER_EXPERIMENT = 100_000
TIMED = 10_000
N_PARAMS = N_METRICS = 10
MAX_BYTES_PER_VALUE = 120
B_CEILING = 0.9  # experiment b's metric values lie in [0, 0.9): no threshold below matches them
_MASK = (1 << 64) - 1


def _uniform(i: int, j: int) -> float:
    """A double in [0, 1) from run ``i`` and metric ``j`` (splitmix64), without shared state."""
    z = (i * 0x9E3779B97F4A7C15 + (j + 1) * 0xD1B54A32D192ED03) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((z ^ (z >> 31)) >> 11) / (1 << 53)


def _params(i: int) -> dict[str, str]:
    return {f"p{j}": f"v{(i * 7 + j) % 50}" for j in range(N_PARAMS)}


def _metrics(i: int, scale: float) -> dict[str, float]:
    return {f"m{j}": _uniform(i, j) * scale for j in range(N_METRICS)}


def _public(store: Any, exp: str, runs: range, scale: float) -> float:
    """``runs`` through the public write path, flushed: runs per second."""
    t0 = time.perf_counter()
    for i in runs:
        info = store.create_run(exp, run_name=f"r{i}")
        store.log_batch(
            info.run_id,
            params=_params(i),
            metrics=[Metric(k, v, 0, 0) for k, v in _metrics(i, scale).items()],
        )
        store.finish_run(info.run_id, "FINISHED")
    store.flush()
    return len(runs) / (time.perf_counter() - t0)


def _bulk(store: Any, exp: str, runs: range, scale: float) -> None:
    def rows() -> Iterator[BulkRun]:
        for i in runs:
            yield BulkRun(f"r{i}", _params(i), _metrics(i, scale))

    bulk_load(store, exp, rows())


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("scaling") / ".mlnb"
    store = open_store(root)
    a = store.create_experiment("a")
    b = store.create_experiment("b")
    n = PER_EXPERIMENT
    first = _public(store, a, range(TIMED), 1.0)
    _bulk(store, a, range(TIMED, n), 1.0)
    _bulk(store, b, range(n, 2 * n - TIMED), B_CEILING)
    last = _public(store, b, range(2 * n - TIMED, 2 * n), B_CEILING)
    store.close()  # the last connection checkpoints the WAL into the database file
    size = sum(p.stat().st_size for p in (root / "mlnb.db", root / "mlnb.db-wal") if p.exists())
    store = open_store(root)
    yield {
        "store": store,
        "a": a,
        "b": b,
        "insert_first": first,
        "insert_last": last,
        "bytes_per_value": size / (2 * n * (N_PARAMS + N_METRICS)),
    }
    store.close()


def _best_time(call: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    """The fastest of ``repeat`` calls (after one untimed), and the rows it returned."""
    rows = call()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        assert call() == rows
        best = min(best, time.perf_counter() - t0)
    return best, rows


@pytest.mark.xfail(
    strict=True,
    reason=(
        "the public insert path's rate at 200,000 runs is 0.41-0.52x its rate on a fresh store "
        "(1M runs: 0.40x, benchmarks/bench_scale.py): each new metric value lands on a random page "
        "of latest_metrics' (key, value) index; flattening it is the compact-database step"
    ),
)
def test_insert_rate_stays_flat(big: dict[str, Any]) -> None:
    first, last = big["insert_first"], big["insert_last"]
    assert last >= 0.8 * first, (
        f"runs 190,000-200,000 went in at {last:,.0f} runs/s, the first 10,000 at {first:,.0f} "
        f"runs/s ({last / first:.2f}x)"
    )


@pytest.mark.parametrize("matched", [1_500, 5_000])
def test_search_time_follows_the_rows_it_returns(big: dict[str, Any], matched: int) -> None:
    """2× the rows: ≤ 3× the time; the same rows from 100,000 or 200,000 runs: about the same time."""
    store, a, b = big["store"], big["a"], big["b"]

    def search(experiments: list[str], rows: int) -> Callable[[], int]:
        threshold = 1 - rows / PER_EXPERIMENT  # metric values are uniform in [0, 1) in experiment a
        query = f"metrics.m3 > {threshold!r} AND params.p1 != 'v3'"
        return lambda: len(store.search_runs(experiments, query, ["metrics.m2 DESC"]).run_ids)

    times: dict[tuple[int, int], float] = {}
    for scope in ([a], [a, b]):
        for rows in (matched, 2 * matched):
            times[len(scope), rows], found = _best_time(search(scope, rows))
            assert 0.9 * rows * 0.98 < found < 1.1 * rows  # params.p1 != 'v3' drops 1 run in 50
    for scope in (1, 2):
        one, two = times[scope, matched], times[scope, 2 * matched]
        assert two <= 3 * one, (
            f"{2 * matched:,} rows took {two * 1000:.1f} ms, {matched:,} rows {one * 1000:.1f} ms "
            f"({two / one:.1f}x) over {scope * PER_EXPERIMENT:,} runs"
        )
    for rows in (matched, 2 * matched):
        small, large = times[1, rows], times[2, rows]
        assert large <= 1.5 * small, (
            f"{rows:,} rows took {large * 1000:.1f} ms from 200,000 runs, {small * 1000:.1f} ms from "
            f"100,000 ({large / small:.1f}x): a search's cost must not grow with the runs it skips"
        )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "the database takes 186-194 bytes per logged value today (10,000-1,000,000 runs, "
        "benchmarks/bench_scale.py; MLflow 299): the compact database of the issue is a later step"
    ),
)
def test_bytes_per_logged_value(big: dict[str, Any]) -> None:
    per_value = big["bytes_per_value"]
    assert per_value <= MAX_BYTES_PER_VALUE, (
        f"{per_value:.0f} bytes of database per logged value (bound {MAX_BYTES_PER_VALUE})"
    )
