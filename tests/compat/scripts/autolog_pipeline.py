"""MLflow's sklearn-autolog example for a Pipeline fitted inside an explicit run: the steps'
parameters are logged with the ``step__param`` names and the model lands under ``model/``."""

from pprint import pprint

import mlflow
import numpy as np
from _steps import done, step
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def fetch_logged_data(run_id):
    client = mlflow.tracking.MlflowClient()
    data = client.get_run(run_id).data
    tags = {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")}
    artifacts = [f.path for f in client.list_artifacts(run_id, "model")]
    return {"params": data.params, "metrics": data.metrics, "tags": tags, "artifacts": artifacts}


with step("sklearn.autolog"):
    mlflow.sklearn.autolog()

X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
y = np.dot(X, np.array([1, 2])) + 3
pipe = Pipeline([("scaler", StandardScaler()), ("lr", LinearRegression())])

with step("fit_in_run"), mlflow.start_run() as run:
    pipe.fit(X, y)

with step("client_read_back"):
    logged = fetch_logged_data(run.info.run_id)
    for key, data in logged.items():
        print("-" * 10, key, "-" * 10)
        pprint(data)

with step("pipeline_params"):
    assert {"steps", "scaler", "lr", "scaler__with_mean", "lr__fit_intercept"} <= set(logged["params"])

with step("pipeline_metrics"):
    assert abs(logged["metrics"]["training_score"] - pipe.score(X, y)) < 1e-9

with step("pipeline_tags"):
    assert logged["tags"]["estimator_name"] == "Pipeline"
    assert logged["tags"]["estimator_class"] == "sklearn.pipeline.Pipeline"

with step("model_artifacts"):
    assert "model/MLmodel" in logged["artifacts"]

done()
