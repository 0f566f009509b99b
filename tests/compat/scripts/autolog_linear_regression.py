"""MLflow's sklearn-autolog example for a plain estimator: turn autolog on, fit outside any
run, find the run autolog made with ``last_active_run`` and read it back with the client."""

from pprint import pprint

import mlflow
import numpy as np
from _steps import done, step
from autolog_utils import fetch_logged_data, model_files
from sklearn.linear_model import LinearRegression

with step("sklearn.autolog"):
    mlflow.sklearn.autolog()

X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
y = np.dot(X, np.array([1, 2])) + 3

with step("fit_under_autolog"):
    model = LinearRegression()
    model.fit(X, y)

with step("last_active_run"):
    run_id = mlflow.last_active_run().info.run_id
    print(f"Logged data and model in run {run_id}")

with step("client_read_back"):
    logged = fetch_logged_data(run_id)
    for key, data in logged.items():
        print(f"---------- logged {key} ----------")
        pprint(data)

with step("autolog_params"):
    assert logged["params"]["fit_intercept"] == "True"
    assert set(logged["params"]) >= {"copy_X", "fit_intercept", "n_jobs", "positive"}

with step("autolog_metrics"):
    metrics = logged["metrics"]
    assert {"training_score", "training_r2_score", "training_mean_squared_error"} <= set(metrics)
    assert abs(metrics["training_score"] - model.score(X, y)) < 1e-9

with step("autolog_tags"):
    assert logged["tags"]["estimator_name"] == "LinearRegression"
    assert logged["tags"]["estimator_class"] == "sklearn.linear_model._base.LinearRegression"

with step("autolog_model_artifact"):
    assert "model/MLmodel" in model_files(run_id)

done()
