"""How the store's costs grow with its size: 10,000, 100,000 and 1,000,000 runs, side by side
with MLflow (SQLite backend) where it can finish.

    .venv/bin/python benchmarks/bench_scale.py                 # 10k, 100k, 1M; MLflow at 10k
    .venv/bin/python benchmarks/bench_scale.py --quick         # 10k only, under two minutes
    .venv/bin/python benchmarks/bench_scale.py --sizes 10000,100000 --mlflow-sizes 10000,100000

Every run has 10 params and 10 metrics (one point each, step 0) and the tags the store writes
itself (``mlflow.runName``, ``mlflow.user``).  Params repeat 50 values per key; metric values are
distinct doubles in [0, 1) from a hash of (run, key), the same on both sides.

Where each figure comes from:

* **insert runs/s** is always the public write path, as a user's loop runs it:
  ``Store.create_run`` + ``Store.log_batch`` (10 params + 10 metrics) + ``Store.finish_run``,
  buffered, flushed at the end of the timed stretch.  It is timed over the first 10,000 runs of a
  fresh store and over the last 10,000 runs of each size (runs N-10,000 to N).
* the runs in between (10,000 to N-10,000) are written by the bulk loader
  :func:`mlnb.store.bulk.bulk_load` (the write-behind buffer's own statements, 5,000 runs per
  transaction: the same rows, indexes and latest metrics), unless ``--public-all`` asks for the
  public path all the way; its rate is printed on its own line and is not an insert figure.
* MLflow: its public path is ``MlflowClient.create_run`` + ``log_batch`` + ``set_terminated``,
  timed over its first and last ``--mlflow-timed`` runs (it commits, and syncs the disk, on every
  call, which makes 10,000 runs take minutes); the runs in between go in through MLflow's own
  ORM models in bulk (``Session.bulk_insert_mappings`` of ``SqlRun``, ``SqlTag``, ``SqlParam``,
  ``SqlMetric``, ``SqlLatestMetric``: the rows its ``create_run``/``log_batch`` write).
* searches go through ``mlnb.search_runs`` / ``mlflow.search_runs`` (DataFrames): the first call
  of the process on its own, then the median of timed calls after untimed ones.
* bytes per value: the database file once the store is closed (its WAL checkpointed into it),
  plus any WAL left, divided by the params + metrics values (20 per run).
* compare panel: ``mlnb.compare()`` to the widget state of its first render (the first 1,000
  runs), in a fresh process, as ``benchmarks/bench_compare.py`` measures it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

EXPERIMENT = "scale"
N_PARAMS = N_METRICS = 10
TIMED = 10_000  # runs timed through the public path at the start and at the end of each size
FILTER = "metrics.m3 > 0.986 AND params.p1 != 'v3'"  # about 1.4 % of the runs
ORDER = ["metrics.m2 DESC"]
TOP_ORDER = ["metrics.m2 DESC"]
_MASK = (1 << 64) - 1


def metric(i: int, j: int) -> float:
    """A double in [0, 1) from run ``i`` and metric ``j`` (splitmix64): the same on both sides."""
    z = (i * 0x9E3779B97F4A7C15 + (j + 1) * 0xD1B54A32D192ED03) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((z ^ (z >> 31)) >> 11) / (1 << 53)


def params_of(i: int) -> dict[str, str]:
    return {f"p{j}": f"v{(i * 7 + j) % 50}" for j in range(N_PARAMS)}


def metrics_of(i: int) -> dict[str, float]:
    return {f"m{j}": metric(i, j) for j in range(N_METRICS)}


def _median_time(call: Callable[[], Any], repeat: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _searches(search: Callable[..., Any], n: int, slow: bool) -> dict[str, Any]:
    """The search figures of one store through ``search(filter_string=, order_by=, max_results=)``;
    ``slow``: fewer timed calls (MLflow's take seconds)."""
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    frame = search(filter_string=FILTER, order_by=ORDER)
    out["search_first_s"] = time.perf_counter() - t0
    out["search_rows"] = len(frame)
    repeat, warmup = (5, 2) if n <= 100_000 and not slow else (3, 1) if n < 1_000_000 else (2, 0)
    out["search_s"] = _median_time(lambda: search(filter_string=FILTER, order_by=ORDER), repeat, warmup)
    top = search(order_by=TOP_ORDER, max_results=100)
    out["top_rows"] = len(top)
    out["top_s"] = _median_time(
        lambda: search(order_by=TOP_ORDER, max_results=100), *((3, 0) if slow else (15, 2))
    )
    if n >= 100_000:
        t0 = time.perf_counter()
        frame = search()
        first = time.perf_counter() - t0
        out["all_rows"] = len(frame)
        out["all_s"] = min(first, _median_time(search, 2 if n < 1_000_000 else 1, 0))
    return out


def _db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


# --- mlnb ------------------------------------------------------------------------------------------
def _public(store: Any, exp: str, start: int, stop: int) -> float:
    """Runs ``start``..``stop`` through the public write path, as a user's loop: runs/s."""
    from mlnb.entities import Metric

    t0 = time.perf_counter()
    for i in range(start, stop):
        info = store.create_run(exp, run_name=f"r{i}")
        store.log_batch(
            info.run_id,
            params=params_of(i),
            metrics=[Metric(k, v, 0, 0) for k, v in metrics_of(i).items()],
        )
        store.finish_run(info.run_id, "FINISHED")
    store.flush()
    return (stop - start) / (time.perf_counter() - t0)


def _bulk(store: Any, exp: str, start: int, stop: int) -> float:
    from mlnb.store.bulk import BulkRun, bulk_load

    def runs() -> Iterator[BulkRun]:
        for i in range(start, stop):
            yield BulkRun(f"r{i}", params_of(i), metrics_of(i))

    t0 = time.perf_counter()
    bulk_load(store, exp, runs())
    return (stop - start) / (time.perf_counter() - t0)


def build_mlnb(root: Path, n: int, public_all: bool, say: Callable[[str], None]) -> dict[str, Any]:
    from mlnb.store import open_store

    out: dict[str, Any] = {}
    store = open_store(root)
    exp = store.create_experiment(EXPERIMENT)
    first = min(n, TIMED)
    out["insert_first"] = _public(store, exp, 0, first)
    say(f"mlnb {n:,}: first {first:,} runs (public path) {out['insert_first']:,.0f} runs/s")
    middle = (first, n - TIMED) if n >= 2 * TIMED else (first, first)
    if middle[1] > middle[0]:
        fill = _public if public_all else _bulk
        out["middle_rate"] = fill(store, exp, *middle)
        out["middle_path"] = "public" if public_all else "bulk"
        say(
            f"mlnb {n:,}: runs {middle[0]:,}-{middle[1]:,} ({out['middle_path']}) "
            f"{out['middle_rate']:,.0f} runs/s"
        )
    if n > first:
        out["insert_last"] = _public(store, exp, max(middle[1], first), n)
        say(
            f"mlnb {n:,}: last {n - max(middle[1], first):,} runs (public path) {out['insert_last']:,.0f} runs/s"
        )
    else:
        out["insert_last"] = out["insert_first"]
    store.close()  # the last connection checkpoints the WAL into the database file
    out["bytes_per_value"] = _db_bytes(root / "mlnb.db") / (n * (N_PARAMS + N_METRICS))
    return out


def measure_mlnb(root: Path, n: int) -> dict[str, Any]:
    import mlnb

    mlnb.set_store(root)

    def search(**kw: Any) -> Any:
        return mlnb.search_runs(experiment_names=[EXPERIMENT], **kw)

    out = _searches(search, n, slow=False)
    mlnb.set_store(None)
    return out


def compare_first_render(root: Path) -> dict[str, float]:
    """In this (fresh) process: ``mlnb.compare()`` to the state of its first render."""
    os.environ["MLNB_STORE"] = str(root)
    import mlnb
    from mlnb.widgets import compare as cmp

    mlnb.set_experiment(EXPERIMENT)

    def first() -> int:
        panel = cmp.compare()
        panel.view.get_state()
        return int(panel.view.data["n"])

    t0 = time.perf_counter()
    rows = first()
    cold = time.perf_counter() - t0
    return {"compare_cold_s": cold, "compare_warm_s": _median_time(first, 5, 1), "compare_rows": rows}


# --- MLflow ----------------------------------------------------------------------------------------
def _mlflow_quiet() -> None:
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _mlflow_public(client: Any, exp: str, start: int, stop: int) -> float:
    from mlflow.entities import Metric, Param

    t0 = time.perf_counter()
    for i in range(start, stop):
        ts = int(time.time() * 1000)
        run = client.create_run(exp, run_name=f"r{i}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, ts, 0) for k, v in metrics_of(i).items()],
            params=[Param(k, v) for k, v in params_of(i).items()],
        )
        client.set_terminated(run.info.run_id)
    return (stop - start) / (time.perf_counter() - t0)


def _mlflow_bulk(uri: str, artifact_root: str, exp: str, start: int, stop: int) -> float:
    """Runs ``start``..``stop`` as MLflow's create_run + log_batch + set_terminated leave them,
    through its ORM models in bulk (one transaction per 5,000 runs)."""
    import uuid

    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifact_root)
    location = store.get_experiment(exp).artifact_location
    user = os.environ.get("USER") or "bench"
    t0 = time.perf_counter()
    for a in range(start, stop, 5000):
        runs, tags, params, points = [], [], [], []
        for i in range(a, min(a + 5000, stop)):
            run_id = uuid.uuid4().hex
            ts = int(time.time() * 1000)
            runs.append(
                {
                    "run_uuid": run_id,
                    "name": f"r{i}",
                    "artifact_uri": f"{location}/{run_id}/artifacts",
                    "experiment_id": int(exp),
                    "source_type": "UNKNOWN",
                    "source_name": "",
                    "entry_point_name": "",
                    "user_id": user,
                    "status": "FINISHED",
                    "start_time": ts,
                    "end_time": ts,
                    "source_version": "",
                    "lifecycle_stage": "active",
                }
            )
            tags += [
                {"run_uuid": run_id, "key": "mlflow.runName", "value": f"r{i}"},
                {"run_uuid": run_id, "key": "mlflow.user", "value": user},
            ]
            params += [{"run_uuid": run_id, "key": k, "value": v} for k, v in params_of(i).items()]
            points += [
                {"run_uuid": run_id, "key": k, "value": v, "timestamp": ts, "step": 0, "is_nan": False}
                for k, v in metrics_of(i).items()
            ]
        with store.ManagedSessionMaker() as session:
            session.bulk_insert_mappings(SqlRun, runs)
            session.bulk_insert_mappings(SqlTag, tags)
            session.bulk_insert_mappings(SqlParam, params)
            session.bulk_insert_mappings(SqlMetric, points)
            session.bulk_insert_mappings(SqlLatestMetric, points)
    store.engine.dispose()
    return (stop - start) / (time.perf_counter() - t0)


def run_mlflow(root: Path, n: int, timed: int, say: Callable[[str], None]) -> dict[str, Any]:
    _mlflow_quiet()
    import mlflow
    from mlflow import MlflowClient

    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root}/mlflow.db"
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    client = MlflowClient(uri)
    exp = client.create_experiment(EXPERIMENT, artifact_location=(root / "artifacts").as_uri())
    out["open_s"] = time.perf_counter() - t0
    timed = min(timed, n // 2)
    out["insert_first"] = _mlflow_public(client, exp, 0, timed)
    say(f"MLflow {n:,}: first {timed:,} runs (public path) {out['insert_first']:,.1f} runs/s")
    out["middle_rate"] = _mlflow_bulk(uri, str(root / "artifacts"), exp, timed, n - timed)
    say(f"MLflow {n:,}: runs {timed:,}-{n - timed:,} (its ORM, bulk) {out['middle_rate']:,.0f} runs/s")
    out["insert_last"] = _mlflow_public(client, exp, n - timed, n)
    say(f"MLflow {n:,}: last {timed:,} runs (public path) {out['insert_last']:,.1f} runs/s")
    out["timed"] = timed
    mlflow.set_tracking_uri(uri)

    def search(**kw: Any) -> Any:
        return mlflow.search_runs(experiment_names=[EXPERIMENT], **kw)

    out.update(_searches(search, n, slow=True))
    out["bytes_per_value"] = _db_bytes(root / "mlflow.db") / (n * (N_PARAMS + N_METRICS))
    return out


# --- the report --------------------------------------------------------------------------------------
def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def _ms(s: float | None) -> str:
    return "—" if s is None else (f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s")


def report(ours: dict[int, dict[str, Any]], theirs: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(ours)
    cols = [f"mlnb {_size(n)}" for n in sizes] + [f"MLflow {_size(n)}" for n in sorted(theirs)]
    cols += [f"MLflow/mlnb {_size(n)}" for n in sorted(theirs) if n in ours]
    if len(sizes) > 1:
        cols.append(f"mlnb {_size(sizes[-1])}/{_size(sizes[0])}")

    def rate(v: float | None) -> str:
        return "—" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"

    lines: list[tuple[str, str, str, Callable[[float | None], str]]] = [
        # label, key, how the ratio reads ("slower" = MLflow time / mlnb time), format
        ("insert runs/s, first 10k (public path)", "insert_first", "rate", rate),
        ("insert runs/s, last 10k (public path)", "insert_last", "rate", rate),
        ("  last / first", "insert_ratio", "none", lambda v: "—" if v is None else f"{v:.2f}"),
        ("search ~1.4 % of runs -> DataFrame", "search_s", "time", _ms),
        ("  rows", "search_rows", "none", lambda v: "—" if v is None else f"{v:,}"),
        ("  first call of the process", "search_first_s", "time", _ms),
        ("plain search_runs(), 100,000 rows", "all_s", "time", _ms),
        ("top-100 by a metric", "top_s", "time", _ms),
        ("bytes per logged value", "bytes_per_value", "bytes", lambda v: "—" if v is None else f"{v:.0f}"),
        ("compare panel first render, warm", "compare_warm_s", "none", _ms),
        ("  cold (first call of the process)", "compare_cold_s", "none", _ms),
    ]
    for d in (*ours.values(), *theirs.values()):
        d["insert_ratio"] = d["insert_last"] / d["insert_first"]
    table = [["", *cols]]
    for label, key, kind, fmt in lines:
        row = [label]
        row += [fmt(ours[n].get(key)) for n in sizes]
        row += [fmt(theirs[n].get(key)) for n in sorted(theirs)]
        for n in sorted(theirs):
            if n not in ours:
                continue
            a, b = ours[n].get(key), theirs[n].get(key)
            if a is None or b is None or kind == "none":
                row.append("")
            elif kind == "rate":
                row.append(f"{a / b:,.0f}x faster")
            else:
                row.append(f"{b / a:,.1f}x" + (" smaller" if kind == "bytes" else " faster"))
        if len(sizes) > 1:
            a, b = ours[sizes[0]].get(key), ours[sizes[-1]].get(key)
            row.append("" if a is None or b is None or kind == "none" else f"{b / a:.2f}")
        table.append(row)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    text = []
    for r in table:
        text.append(
            "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)])
        )
    for n in sizes:
        d = ours[n]
        if "middle_rate" in d:
            text.append(
                f"  mlnb {_size(n)}: runs {TIMED:,}-{n - TIMED:,} written by the "
                f"{'public path' if d['middle_path'] == 'public' else 'bulk loader'} at {d['middle_rate']:,.0f} runs/s"
            )
    for n in sorted(theirs):
        d = theirs[n]
        text.append(
            f"  MLflow {_size(n)}: insert timed over its first and last {d['timed']:,} runs; runs in "
            f"between by its ORM in bulk at {d['middle_rate']:,.0f} runs/s; opening the client {d['open_s']:.1f} s"
        )
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 runs only (under two minutes)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--mlflow-sizes", default="10000", help="'' for none")
    parser.add_argument("--mlflow-timed", type=int, default=300, help="MLflow runs timed at each end")
    parser.add_argument(
        "--public-all", action="store_true", help="no bulk loader: every run by the public path"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--_compare", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._compare is not None:  # child process: a cold panel is really cold
        print(json.dumps(compare_first_render(args._compare)))
        return
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    mlflow_sizes = [int(s) for s in args.mlflow_sizes.split(",") if s]
    if args.quick:
        mlflow_sizes, args.mlflow_timed = (
            [s for s in mlflow_sizes if s <= 10_000],
            min(args.mlflow_timed, 100),
        )
    if importlib.util.find_spec("mlflow") is None:
        mlflow_sizes = []
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    ours: dict[int, dict[str, Any]] = {}
    theirs: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mlnb-bench-scale-") as tmp:
        for n in sizes:
            root = Path(tmp) / f"mlnb-{n}"
            ours[n] = build_mlnb(root, n, args.public_all, say)
            ours[n].update(measure_mlnb(root, n))
            child = subprocess.run(
                [sys.executable, __file__, "--_compare", str(root)],
                check=True,
                capture_output=True,
                text=True,
            )
            ours[n].update(json.loads(child.stdout.strip().splitlines()[-1]))
            say(f"mlnb {n:,}: measured")
        for n in mlflow_sizes:
            theirs[n] = run_mlflow(Path(tmp) / f"mlflow-{n}", n, args.mlflow_timed, say)
            say(f"MLflow {n:,}: measured")
    import mlnb

    versions = f"mlnb {mlnb.__version__}"
    if theirs:
        import mlflow

        versions += f", MLflow {mlflow.__version__}"
    print(
        f"\nstore scale benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, {versions}; {N_PARAMS} params + {N_METRICS} metrics per run"
    )
    print(f"search: filter {FILTER!r}, order {ORDER}; top-100: order {TOP_ORDER}")
    print(report(ours, theirs))
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end)")
    if args.json:
        args.json.write_text(json.dumps({"mlnb": ours, "mlflow": theirs}, indent=1))


if __name__ == "__main__":
    main()
