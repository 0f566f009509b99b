"""SHAP summary speed: ``mlnb.explain`` side by side with ``mlflow.shap.log_explanation``.

    .venv/bin/python benchmarks/bench_explain.py                 # MLflow RF on 150 rows, extrapolated
    .venv/bin/python benchmarks/bench_explain.py --mlflow-rows 0 # MLflow on all 715 rows (minutes)
    .venv/bin/python benchmarks/bench_explain.py --no-mlflow     # mlnb side only

Data: the churn table's 715 training rows (``mlnb.datasets.travel_churn()``, 75/25 split, seed
42), the seed course's Pipeline (ColumnTransformer: StandardScaler on the numbers, OneHotEncoder
on the categories) with a RandomForestClassifier(100 trees) or a LogisticRegression.

Both sides explain the final estimator on the transformed rows and log the values, the base
values and a summary bar plot to a run. MLflow runs KernelExplainer (k-means background of 100
rows) over every row; mlnb computes exact path-dependent TreeSHAP (its own kernel, both cores)
and exact linear SHAP. mlnb's figures: the first call (nothing cached), the time until the plot
artifacts are written too, a repeat call (cache hit), and the first call in a new process
(lazy imports and loading the compiled kernel included). Exactness: mlnb's values against shap's TreeExplainer / LinearExplainer run
directly on the same transformed data. MLflow's Kernel values are estimates of interventional
SHAP values, so their distance from the exact ones is printed for information only.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import warnings
from typing import Any

import numpy as np


def _data() -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    from mlnb.datasets import travel_churn

    df = travel_churn()
    X, y = df.drop(columns="Target"), df["Target"]
    X_train, _X_test, y_train, _y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    return X_train, y_train


def _pipeline(estimator: Any) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["Age", "ServicesOpted"]
    categorical = ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]
    pre = ColumnTransformer(
        [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]
    )
    return Pipeline([("pre", pre), ("clf", estimator)])


def _import_shap() -> tuple[Any, float]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    return shap, time.perf_counter() - t0


def _direct(shap: Any, pipe: Any, Xt: Any) -> Any:
    final = pipe[-1]
    if hasattr(final, "estimators_"):
        return np.asarray(shap.TreeExplainer(final).shap_values(Xt))
    masker = shap.maskers.Independent(Xt, max_samples=len(Xt))
    return np.asarray(shap.LinearExplainer(final, masker).shap_values(Xt))


def _y_small(X: Any) -> Any:
    return (np.arange(50) % 2).astype(int)


def _mlnb_side(pipe: Any, X: Any, shap: Any) -> dict[str, Any]:
    import mlnb
    from mlnb.analysis import explain as explain_module

    explain_module.clear_cache()
    # a kernel session that has explained any model already has the compiled kernel loaded;
    # the "new process" figure below includes that one-time load
    mlnb.explain(_pipeline(type(pipe[-1])()).fit(X.iloc[:50], _y_small(X)), X.iloc[:50], run=False)
    with mlnb.start_run(run_name="bench-explain"):
        t0 = time.perf_counter()
        e = mlnb.explain(pipe, X)
        first = time.perf_counter() - t0
        e.wait()
        with_plots = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = mlnb.explain(pipe, X)
        repeat = time.perf_counter() - t0
    assert again.from_cache
    exact = float(np.max(np.abs(e.values - _direct(shap, pipe, pipe[:-1].transform(X)))))
    return {"first": first, "with_plots": with_plots, "repeat": repeat, "max_diff": exact, "values": e.values}


_FRESH = """
import sys, time
sys.path.insert(0, {here!r})
from bench_explain import _data, _pipeline
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
X, y = _data()
pipe = _pipeline({model}).fit(X, y)
import mlnb
with mlnb.start_run():
    t0 = time.perf_counter()
    e = mlnb.explain(pipe, X)
    first = time.perf_counter() - t0
    e.wait()
print(first)
"""


def _fresh_process(model: str) -> float:
    """The first explain call in a new Python process (imports and compiled-kernel load included)."""
    import subprocess
    import sys

    code = _FRESH.format(here=os.path.dirname(os.path.abspath(__file__)), model=model)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _mlflow_run(pipe: Any, sample: Any) -> tuple[float, Any]:
    import mlflow
    import mlflow.shap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mlflow.start_run():
            t0 = time.perf_counter()
            mlflow.shap.log_explanation(pipe[-1].predict_proba, sample)
            elapsed = time.perf_counter() - t0
            run_id = mlflow.active_run().info.run_id
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model_explanations_shap")
    return elapsed, np.load(os.path.join(local, "shap_values.npy"))


def _mlflow_side(pipe: Any, X: Any, rows: int, tmp: str) -> dict[str, Any] | None:
    """MLflow on all rows, or on the first ``rows`` rows scaled linearly to all."""
    try:
        import mlflow
    except ImportError:
        return None
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    mlflow.set_experiment("bench-explain")
    Xt = pipe[:-1].transform(X)
    if rows <= 0 or rows >= len(Xt):
        elapsed, values = _mlflow_run(pipe, Xt)
        return {"estimate_all": elapsed, "note": f"measured on all {len(Xt)} rows", "values": values}
    # shap.kmeans(k=min(100, rows)) fails on a sample with duplicate rows when k == rows, and a
    # sample of more than 100 rows keeps MLflow's real background size (100 k-means centres)
    rows = max(rows, 120)
    t_rows, values = _mlflow_run(pipe, Xt[:rows])
    # KernelExplainer's cost is per row (the k-means background and the plot are small fixed
    # costs, counted here as if they were per row too, which overstates MLflow a little)
    estimate = t_rows * len(Xt) / rows
    note = f"EXTRAPOLATED: measured {t_rows:.1f} s on {rows} rows, scaled linearly to {len(Xt)} rows"
    return {"estimate_all": estimate, "note": note, "values": values}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mlflow-rows", type=int, default=150, help="rows MLflow explains for the RF (0: all)"
    )
    parser.add_argument(
        "--mlflow-rows-lr", type=int, default=0, help="rows MLflow explains for the LR (0: all)"
    )
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()

    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = _data()
    shap, import_s = _import_shap()
    print(
        f"churn training rows: {len(X)}; cores: {os.cpu_count()}; `import shap`: {import_s:.2f} s (once per process)"
    )
    models = {
        "RandomForest(100)": (
            _pipeline(RandomForestClassifier(n_estimators=100, random_state=0)),
            args.mlflow_rows,
            "RandomForestClassifier(n_estimators=100, random_state=0)",
        ),
        "LogisticRegression": (_pipeline(LogisticRegression()), args.mlflow_rows_lr, "LogisticRegression()"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLNB_STORE"] = os.path.join(tmp, ".mlnb")
        for name, (pipe, rows, source) in models.items():
            pipe.fit(X, y)
            ours = _mlnb_side(pipe, X, shap)
            fresh = _fresh_process(source)
            print(f"\n{name}")
            print(
                f"  mlnb.explain, first call   {ours['first'] * 1000:9.1f} ms   (values + npy/json artifacts)"
            )
            print(f"  ... plot artifacts written {ours['with_plots'] * 1000:9.1f} ms   (bar + beeswarm PNG)")
            print(f"  mlnb.explain, repeat call  {ours['repeat'] * 1000:9.1f} ms   (cache hit)")
            print(f"  mlnb.explain, new process  {fresh * 1000:9.1f} ms   (first call incl. lazy imports)")
            print(f"  max |mlnb - shap direct|   {ours['max_diff']:.2e}    (exact when <= 1e-6)")
            theirs = None if args.no_mlflow else _mlflow_side(pipe, X, rows, tmp)
            if theirs is None:
                continue
            print(f"  mlflow.shap.log_explanation {theirs['estimate_all']:8.1f} s    ({theirs['note']})")
            print(f"  ratio MLflow / mlnb first call:   {theirs['estimate_all'] / ours['first']:9.0f}x")
            print(f"  ratio MLflow / mlnb incl. plots:  {theirs['estimate_all'] / ours['with_plots']:9.0f}x")
            print(f"  ratio MLflow / mlnb new process:  {theirs['estimate_all'] / fresh:9.0f}x")
            kernel = theirs["values"]
            exact = ours["values"][: len(kernel)]
            if kernel.shape == exact.shape:
                print(
                    f"  (MLflow's Kernel estimates differ from exact values by up to {np.max(np.abs(kernel - exact)):.3f})"
                )


if __name__ == "__main__":
    main()
