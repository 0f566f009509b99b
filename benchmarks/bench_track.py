"""Tracking overhead of ``%%track`` vs the bare cell vs ``mlflow.sklearn.autolog()``, one process.

The cell fits a LogisticRegression Pipeline and a RandomForest (100 trees) Pipeline on the
954-row travel_churn table and scores both.  Each variant runs in the same IPython
InteractiveShell after a warm-up; medians are reported.  Also: ``%load_ext mlnb`` cost
(including ``import mlnb``) in a fresh interpreter.

    .venv/bin/python benchmarks/bench_track.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

SETUP = """
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from mlnb.datasets import travel_churn
df = travel_churn()
X, y = df.drop(columns="Target"), df["Target"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
num = ["Age", "ServicesOpted"]
cat = ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]
"""

BODY = """pre = ColumnTransformer([("num", StandardScaler(), num), ("cat", OneHotEncoder(), cat)])
lr = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))]).fit(X_train, y_train)
rf = Pipeline([("pre", pre), ("clf", RandomForestClassifier(n_estimators=100, random_state=0))])
rf.fit(X_train, y_train)
lr_accuracy = accuracy_score(y_test, lr.predict(X_test))
rf_accuracy = accuracy_score(y_test, rf.predict(X_test))
"""


STEPS: list[dict[str, float]] = []  # per tracked cell: seconds spent in each tracking step


def _time_cells(shell, codes: list[str], repeat: int) -> list[list[float]]:
    """Median-friendly timings of each code, interleaved so machine noise hits all alike."""
    from IPython.utils.capture import capture_output

    from mlnb.capture.session import wait
    from mlnb.magics import _loaded

    times: list[list[float]] = [[] for _ in codes]
    with capture_output():
        for code in codes:
            shell.run_cell(code)  # warm-up
        for _ in range(repeat):
            for i, code in enumerate(codes):
                t0 = time.perf_counter()
                result = shell.run_cell(code)
                times[i].append(time.perf_counter() - t0)
                wait()  # background model writes finish here, outside every timing
                if code.startswith("%%track") and id(shell) in _loaded:
                    STEPS.append(dict(_loaded[id(shell)].last_result.timings))
                if not result.success:
                    raise RuntimeError(f"cell failed: {result.error_in_exec or result.error_before_exec}")
    return times


def skops_write_time(models: list, repeat: int) -> float:
    """skops's part of saving these models: serialize, list the types to trust, write + fsync.

    Timed with the collector paused, as mlnb's background model writer runs.
    """
    import gc

    from mlnb.flavors.skops_io import dump_skops

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            gc.collect()
            gc.disable()
            t0 = time.perf_counter()
            for i, model in enumerate(models):
                data, _trusted = dump_skops(model)
                with open(os.path.join(tmp, f"{i}.skops"), "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            times.append(time.perf_counter() - t0)
            gc.enable()
    return statistics.median(times)


def load_ext_cost() -> float:
    code = (
        "import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "t0 = time.perf_counter()\nshell.run_line_magic('load_ext', 'mlnb')\n"
        "print(time.perf_counter() - t0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-track-")
    os.environ["MLNB_STORE"] = os.path.join(tmp, ".mlnb")

    import matplotlib

    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mlnb")
    shell.run_cell(SETUP)

    bare, tracked = _time_cells(shell, [BODY, "%%track -n bench\n" + BODY], args.repeat)
    import mlnb

    last = mlnb.last_active_run()
    assert last is not None and last.info.status == "FINISHED", last
    # median over the tracked cells of each step's time
    steps = {k: statistics.median(t.get(k, 0.0) for t in STEPS) for k in STEPS[-1]}
    bare_s = statistics.median(bare)
    tracked_s = statistics.median(tracked)
    overhead = tracked_s - bare_s
    min_overhead = min(tracked) - min(bare)
    models_s = steps.get("models (background)", 0.0)
    print(f"%load_ext mlnb (incl. import mlnb): {load_ext_cost() * 1000:7.1f} ms  (target <= 200 ms)")
    print(f"bare cell                 median {bare_s * 1000:8.1f} ms  ({args.repeat} runs)")
    print(f"%%track cell              median {tracked_s * 1000:8.1f} ms")
    print(
        f"  mlnb overhead (cell wall time) {overhead * 1000:8.1f} ms  medians; {min_overhead * 1000:.1f} ms on minima"
    )
    print(
        f"  model writes, after the cell   {models_s * 1000:8.1f} ms  (skops; the next cell waits for them)"
    )
    foreground = sum(
        steps.get(k, 0.0) for k in ("total: before the cell", "instrumenting", "total: after the cell")
    )
    measured = max(overhead, foreground)  # wall-time differences drown in noise on a busy machine
    print(f"  overhead + model writes        {(measured + models_s) * 1000:8.1f} ms")
    skops_s = skops_write_time([shell.user_ns["lr"], shell.user_ns["rf"]], args.repeat)
    own_models_s = max(models_s - skops_s, 0.0)
    beyond_skops = measured + own_models_s
    print(f"    of the model writes, skops's own (dumps + trust list + file): {skops_s * 1000:.1f} ms")
    print(f"    and mlnb's (signature, MLmodel, environment, profile, rows):  {own_models_s * 1000:.1f} ms")
    print(f"  overhead beyond the skops write time {beyond_skops * 1000:8.1f} ms  (target <= 50 ms)")
    print(
        f"  own work per cell (hooks)    {foreground * 1000:8.1f} ms  (median; excl. models; target <= 50 ms)"
    )
    for name, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"    step {name:<20} {seconds * 1000:8.1f} ms")
    if args.no_mlflow:
        return
    import mlflow

    mlflow.set_tracking_uri("sqlite:///" + os.path.join(tmp, "mlflow.db"))
    mlflow.set_experiment("bench")
    mlflow.sklearn.autolog(silent=True)
    try:
        (autolog,) = _time_cells(shell, [BODY], args.repeat)
    finally:
        mlflow.sklearn.autolog(disable=True)
    autolog_s = statistics.median(autolog)
    autolog_overhead = autolog_s - bare_s
    print(f"mlflow.sklearn.autolog    median {autolog_s * 1000:8.1f} ms")
    print(f"  autolog overhead               {autolog_overhead * 1000:8.1f} ms")
    print(
        f"autolog overhead / mlnb overhead:                 {autolog_overhead / measured:6.1f}x  (target >= 100x)"
    )
    print(f"autolog overhead / mlnb overhead beyond skops writes: {autolog_overhead / beyond_skops:6.1f}x")
    total = measured + models_s
    print(f"autolog overhead / (mlnb overhead + model writes): {autolog_overhead / total:6.1f}x")


if __name__ == "__main__":
    main()
