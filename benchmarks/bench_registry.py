"""Model registry speed: mlnb side by side with MLflow's registry (SQLite backend) in one run.

    .venv/bin/python benchmarks/bench_registry.py            # 300 mlnb / 100 MLflow versions
    .venv/bin/python benchmarks/bench_registry.py --quick    # 100 / 40

Measured per operation: register a version (mlnb.register_model, which also checks the run and
its MLmodel file; MLflow's MlflowClient.create_model_version, which checks nothing), move an
alias, resolve ``models:/<name>@<alias>`` to the model's location, and search the versions of
one model (the same number of versions on both sides).  Rates are per second and do not depend on the count for these workloads.
Also: wall time for 8 processes registering 10 versions each into one store (mlnb only).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _rate(n: int, fn: Callable[[int], Any]) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t0)


def _mlnb_side(n: int, n_search: int) -> dict[str, float]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import mlnb

    X = np.random.default_rng(0).normal(size=(50, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    with mlnb.start_run():
        uri = mlnb.log_model(model, "model").model_uri
    out = {"register": _rate(n, lambda _i: mlnb.register_model(uri, "bench"))}
    out["alias"] = _rate(n, lambda i: mlnb.set_registered_model_alias("bench", "champion", i + 1))
    from mlnb.registry.uris import resolve_model_uri

    out["resolve"] = _rate(n, lambda _i: resolve_model_uri("models:/bench@champion"))
    for _ in range(n_search):  # the same number of versions as on MLflow's side
        mlnb.register_model(uri, "searched")
    out["search"] = _rate(20, lambda _i: mlnb.search_model_versions("name = 'searched'"))
    return out


def _mlflow_side(n: int, tmp: str) -> dict[str, float] | None:
    try:
        import mlflow
        from mlflow import MlflowClient
    except ImportError:
        return None
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    client = MlflowClient()
    mlflow.set_experiment(experiment_id=client.create_experiment("bench", artifact_location=f"{tmp}/mlruns"))
    with mlflow.start_run() as run:
        mlflow.log_text("flavors: {}\n", "model/MLmodel")
    source = f"{run.info.artifact_uri}/model"
    client.create_registered_model("bench")
    out = {
        "register": _rate(n, lambda _i: client.create_model_version("bench", source, run_id=run.info.run_id))
    }
    out["alias"] = _rate(n, lambda i: client.set_registered_model_alias("bench", "champion", str(i + 1)))
    out["resolve"] = _rate(n, lambda _i: client.get_model_version_by_alias("bench", "champion").source)
    out["search"] = _rate(20, lambda _i: client.search_model_versions("name = 'bench'"))
    return out


def _register_ten(store: str, uri: str, barrier: Any) -> list[int]:
    os.environ["MLNB_STORE"] = store
    import mlnb

    mlnb.search_registered_models()  # imports and store opening are not part of the timing
    barrier.wait()
    return [mlnb.register_model(uri, "concurrent").version for _ in range(10)]


def _concurrent(store: str) -> tuple[float, bool]:
    import numpy as np
    from sklearn.dummy import DummyClassifier

    import mlnb

    model = DummyClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1])
    with mlnb.start_run():
        uri = mlnb.log_model(model, "model").model_uri
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(9)
    with ctx.Pool(8) as pool:
        pending = pool.starmap_async(_register_ten, [(store, uri, barrier)] * 8)
        barrier.wait()
        t0 = time.perf_counter()
        numbers = sorted(v for chunk in pending.get() for v in chunk)
        elapsed = time.perf_counter() - t0
    return elapsed, numbers == list(range(1, 81))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_mlnb, n_mlflow = (100, 40) if args.quick else (300, 100)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLNB_STORE"] = os.path.join(tmp, ".mlnb")
        ours = _mlnb_side(n_mlnb, n_mlflow)
        theirs = _mlflow_side(n_mlflow, tmp)
        elapsed, gapless = _concurrent(os.environ["MLNB_STORE"])
    labels = {
        "register": "register a version",
        "alias": "move an alias",
        "resolve": "resolve models:/name@alias",
        "search": f"search {n_mlflow} versions of a model",
    }
    print(f"{'operation (per second)':34} {'mlnb':>10} {'MLflow':>10} {'ratio':>8}")
    for key, label in labels.items():
        mine = ours[key]
        other = theirs[key] if theirs else float("nan")
        print(f"{label:34} {mine:10.0f} {other:10.0f} {mine / other:7.1f}x")
    print(f"8 processes x 10 registrations: {elapsed:.2f} s wall, versions 1..80 gapless: {gapless}")


if __name__ == "__main__":
    main()
