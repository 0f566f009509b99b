"""Store and tracking API speed: mlnb side by side with MLflow (SQLite backend) in one run.

    .venv/bin/python benchmarks/bench_store.py            # full sizes from the issue
    .venv/bin/python benchmarks/bench_store.py --quick    # smaller sizes, a minute or so

MLflow is slow enough that its side runs on fewer runs/calls than mlnb's; both are reported
as rates (per second), which do not depend on the count for these append-only workloads.
The search comparison uses the same data set size on both sides and the same protocol: the
first call is reported on its own, then steady-state medians after a few untimed calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _import_time(module: str, repeat: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def _mlflow() -> object | None:
    try:
        import mlflow
    except ImportError:
        return None
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    return mlflow


def _fill(api: object, n: int, offset: int = 0) -> float:
    t0 = time.perf_counter()
    for i in range(offset, offset + n):
        with api.start_run(run_name=f"r{i}"):
            api.log_params({f"p{j}": f"v{(i * 7 + j) % 50}" for j in range(10)})
            api.log_metrics({f"m{j}": ((i * 31 + j * 17) % 1000) / 1000 for j in range(10)})
    if hasattr(api, "flush"):
        api.flush()
    return n / (time.perf_counter() - t0)


def _log_loop(api: object, n: int) -> float:
    with api.start_run():
        t0 = time.perf_counter()
        for i in range(n):
            api.log_metric("loss", 1.0 / (i + 1), step=i)
        if hasattr(api, "flush"):
            api.flush()
        return n / (time.perf_counter() - t0)


FILTER = "metrics.m3 > 0.985 AND params.p1 != 'v3'"
ORDER = ["metrics.m2 DESC"]


def _search(api: object, exp: str, repeat: int = 15, warmup: int = 3) -> tuple[float, float, int]:
    """(first call, steady-state median, rows): the same protocol for both libraries.

    The first call pays one-time costs (imports, cold pages); the next ``warmup`` calls are
    untimed while caches and Python's adaptive interpreter settle; then ``repeat`` timed calls.
    """
    t0 = time.perf_counter()
    frame = api.search_runs(experiment_names=[exp], filter_string=FILTER, order_by=ORDER)
    first = time.perf_counter() - t0
    rows = len(frame)
    for _ in range(warmup):
        api.search_runs(experiment_names=[exp], filter_string=FILTER, order_by=ORDER)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        frame = api.search_runs(experiment_names=[exp], filter_string=FILTER, order_by=ORDER)
        times.append(time.perf_counter() - t0)
        assert len(frame) == rows
    return first, statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_runs, n_mlflow_runs = (2000, 150) if args.quick else (10_000, 400)
    n_calls, n_mlflow_calls = (10_000, 500) if args.quick else (10_000, 2000)
    n_search, n_mlflow_search = (20_000, 1000) if args.quick else (100_000, 10_000)

    import mlnb

    mlflow = _mlflow()
    rows = []
    t_import = _import_time("mlnb")
    rows.append(("import mlnb (fresh interpreter, median)", f"{t_import * 1000:.0f} ms", "target <= 150 ms"))
    if mlflow is not None:
        rows.append(("import mlflow (same)", f"{_import_time('mlflow', 3) * 1000:.0f} ms", ""))

    with tempfile.TemporaryDirectory() as tmp:
        mlnb.set_store(os.path.join(tmp, "mlnb"))
        mlnb.set_experiment("insert")
        ours = _fill(mlnb, n_runs)
        mlnb.set_experiment("loop")
        our_loop = _log_loop(mlnb, n_calls)
        if mlflow is not None:
            mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
            mlflow.set_experiment("insert")
            theirs = _fill(mlflow, n_mlflow_runs)
            mlflow.set_experiment("loop")
            their_loop = _log_loop(mlflow, n_mlflow_calls)
            rows.append(
                (
                    f"insert runs x (10 params + 10 metrics), runs/s (mlnb {n_runs:,}, MLflow {n_mlflow_runs:,})",
                    f"{ours:,.0f} vs {theirs:,.0f}",
                    f"{ours / theirs:.0f}x (target >= 50x)",
                )
            )
            rows.append(
                (
                    f"log_metric loop, calls/s (mlnb {n_calls:,}, MLflow {n_mlflow_calls:,})",
                    f"{our_loop:,.0f} vs {their_loop:,.0f}",
                    f"{our_loop / their_loop:.0f}x (target >= 20x)",
                )
            )
        else:
            rows.append(("insert runs/s (mlnb)", f"{ours:,.0f}", "MLflow not installed"))
            rows.append(("log_metric calls/s (mlnb)", f"{our_loop:,.0f}", ""))

        # search: the same data on both sides at n_mlflow_search, then mlnb alone at n_search
        mlnb.set_experiment("search-small")
        _fill(mlnb, n_mlflow_search)
        first_small, ours_small, matched_small = _search(mlnb, "search-small")
        if mlflow is not None:
            mlflow.set_experiment("search-small")
            _fill(mlflow, n_mlflow_search)
            their_first, theirs_small, their_rows = _search(mlflow, "search-small", repeat=5)
            assert their_rows == matched_small, (their_rows, matched_small)
            rows.append(
                (
                    f"search_runs filter+order over {n_mlflow_search:,} runs -> DataFrame ({matched_small} rows)",
                    f"{ours_small * 1000:.1f} ms vs {theirs_small * 1000:.0f} ms",
                    f"{theirs_small / ours_small:.0f}x (target >= 50x)",
                )
            )
            rows.append(
                (
                    "  ... first call of the process (imports, cold pages)",
                    f"{first_small * 1000:.1f} ms vs {their_first * 1000:.0f} ms",
                    f"{their_first / first_small:.0f}x",
                )
            )
        mlnb.set_experiment("search-big")
        _fill(mlnb, n_search)
        _first_big, ours_big, matched_big = _search(mlnb, "search-big")
        rows.append(
            (
                f"search_runs filter+order over {n_search:,} runs -> DataFrame ({matched_big} rows)",
                f"{ours_big * 1000:.1f} ms",
                "target <= 100 ms",
            )
        )
        mlnb.set_store(None)

    width = max(len(r[0]) for r in rows)
    print(
        f"\nmlnb {mlnb.__version__} store benchmark — {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}" + (f", MLflow {mlflow.__version__}" if mlflow else "")
    )
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>24}  {note}")


if __name__ == "__main__":
    main()
