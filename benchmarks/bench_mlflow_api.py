"""``mlnb.shap.log_explanation`` and ``mlnb.evaluate`` side by side with MLflow's, same process.

    .venv/bin/python benchmarks/bench_mlflow_api.py                    # MLflow SHAP on 200 rows
    .venv/bin/python benchmarks/bench_mlflow_api.py --mlflow-rows 0    # MLflow SHAP on all rows

Data: the churn table (``mlnb.datasets.travel_churn()``, 75/25 split, seed 42) and the course's
Pipeline (ColumnTransformer: StandardScaler + OneHotEncoder) with RandomForestClassifier(100).

SHAP: both explain ``forest.predict_proba`` on the transformed training rows (MLflow's
``log_explanation`` cannot take the raw frame: its k-means background needs numbers, and shap
cannot wrap a Pipeline fitted on a DataFrame). mlnb is also timed on ``pipeline.predict_proba``
with the raw frame (values summed per raw column). MLflow runs KernelExplainer row by row, so it
is timed on ``--mlflow-rows`` rows and extrapolated linearly.

Evaluate: ``evaluate(model_uri, test_frame, targets=..., model_type="classifier")`` on both, the
model logged by each library first, MLflow with and without its default SHAP plots.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import warnings
from typing import Any


def _fitted() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlnb.datasets import travel_churn

    df = travel_churn()
    X, y = df.drop(columns="Target"), df["Target"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    categorical = ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["Age", "ServicesOpted"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", RandomForestClassifier(n_estimators=100, random_state=0))])
    return pipe.fit(X_train, y_train), X_train, X_test, y_train, y_test


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlflow-rows", type=int, default=200, help="0: all rows")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    root = tempfile.mkdtemp()
    os.environ["MLNB_STORE"] = os.path.join(root, ".mlnb")
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"

    import mlflow
    import mlflow.shap
    import mlflow.sklearn

    import mlnb
    import mlnb.shap

    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    experiment = mlflow.create_experiment("bench", artifact_location=f"file://{root}/mlflow-artifacts")
    pipe, X_train, X_test, _, y_test = _fitted()
    forest, matrix = pipe[-1], pipe[:-1].transform(X_train)
    n = len(matrix)

    with mlnb.start_run():
        t = time.perf_counter()
        mlnb.shap.log_explanation(forest.predict_proba, matrix)
        mine = time.perf_counter() - t
        t = time.perf_counter()
        mlnb.shap.log_explanation(pipe.predict_proba, X_train)
        mine_pipe = time.perf_counter() - t
    rows = n if args.mlflow_rows <= 0 else min(n, args.mlflow_rows)
    with mlflow.start_run(experiment_id=experiment):
        t = time.perf_counter()
        mlflow.shap.log_explanation(forest.predict_proba, matrix[:rows])
        theirs = (time.perf_counter() - t) * n / rows
    print(f"log_explanation, RandomForest(100), {n} rows x {matrix.shape[1]} features")
    print(f"  mlnb   forest.predict_proba (transformed):  {mine:8.2f} s")
    print(f"  mlnb   pipeline.predict_proba (raw frame):  {mine_pipe:8.2f} s")
    extrapolated = "" if rows == n else f"  (measured on {rows} rows, extrapolated)"
    print(f"  MLflow forest.predict_proba (transformed):  {theirs:8.2f} s{extrapolated}")
    print(f"  speed-up: {theirs / mine:,.0f}x")

    data = X_test.assign(Target=y_test)
    with mlnb.start_run():
        uri = mlnb.log_model(pipe, "model").model_uri
    t = time.perf_counter()
    mlnb.evaluate(uri, data, targets="Target", model_type="classifier")
    mine_eval = time.perf_counter() - t
    with mlflow.start_run(experiment_id=experiment):
        their_uri = mlflow.sklearn.log_model(pipe, name="model", serialization_format="cloudpickle").model_uri
    timings = {}
    for label, config in [
        ("default (SHAP plots)", None),
        ("log_model_explainability=False", {"log_model_explainability": False}),
    ]:
        with mlflow.start_run(experiment_id=experiment):
            t = time.perf_counter()
            try:
                mlflow.models.evaluate(
                    their_uri, data, targets="Target", model_type="classifier", evaluator_config=config
                )
                timings[label] = f"{time.perf_counter() - t:8.2f} s"
            except Exception as exc:  # MLflow's SHAP step fails on pandas string columns
                timings[label] = f"fails after {time.perf_counter() - t:.1f} s: {type(exc).__name__}"
    print(f"evaluate, same Pipeline, {len(data)} test rows, logged to a run")
    print(f"  mlnb:                                   {mine_eval:8.2f} s")
    for label, outcome in timings.items():
        print(f"  MLflow {label:<33}{outcome}")


if __name__ == "__main__":
    main()
