"""MLflow's elastic-net wine example (``examples/sklearn_elasticnet_wine/train.py``).

The original downloads the wine-quality CSV; this one builds a table with the same columns from a
seeded generator (no network), and keeps every MLflow call: params, metrics, the registry branch
chosen from the tracking URI's scheme, then the model found again by name.
"""

import sys
import warnings
from urllib.parse import urlparse

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from _steps import done, step
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

COLUMNS = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
]  # fmt: skip


def wine_quality(n=1599, seed=40):
    """A wine-quality-shaped table: eleven physico-chemical columns and a 3..8 ``quality``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(COLUMNS))), columns=COLUMNS)
    score = 5.6 + 0.4 * X["alcohol"] - 0.3 * X["volatile acidity"] + 0.15 * X["sulphates"]
    quality = np.clip(np.round(score + rng.normal(scale=0.6, size=n)), 3, 8).astype(int)
    return X.assign(quality=quality)


def eval_metrics(actual, pred):
    rmse = np.sqrt(mean_squared_error(actual, pred))
    mae = mean_absolute_error(actual, pred)
    r2 = r2_score(actual, pred)
    return rmse, mae, r2


warnings.filterwarnings("ignore")
np.random.seed(40)
data = wine_quality()
train, test = train_test_split(data)
train_x = train.drop(["quality"], axis=1)
test_x = test.drop(["quality"], axis=1)
train_y = train[["quality"]]
test_y = test[["quality"]]
alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5

with step("start_run"):
    run = mlflow.start_run()

lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
lr.fit(train_x, train_y)
predicted_qualities = lr.predict(test_x)
(rmse, mae, r2) = eval_metrics(test_y, predicted_qualities)
print(f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f}):")
print(f"  RMSE: {rmse}\n  MAE: {mae}\n  R2: {r2}")

with step("log_param"):
    mlflow.log_param("alpha", alpha)
    mlflow.log_param("l1_ratio", l1_ratio)

with step("log_metric"):
    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("r2", r2)
    mlflow.log_metric("mae", mae)

with step("infer_signature"):
    signature = infer_signature(train_x, predicted_qualities)

with step("get_tracking_uri"):
    tracking_url_type_store = urlparse(mlflow.get_tracking_uri()).scheme
    assert tracking_url_type_store == "sqlite"

with step("sklearn.log_model_registered"):
    if tracking_url_type_store != "file":
        mlflow.sklearn.log_model(
            lr, "model", registered_model_name="ElasticnetWineModel", signature=signature
        )
    else:
        mlflow.sklearn.log_model(lr, "model", signature=signature)

with step("end_run"):
    mlflow.end_run()

with step("run_read_back"):
    finished = mlflow.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.data.params == {"alpha": "0.5", "l1_ratio": "0.5"}
    assert finished.data.metrics["rmse"] == rmse

with step("sklearn.load_model"):
    reloaded = mlflow.sklearn.load_model("models:/ElasticnetWineModel/1")
    np.testing.assert_allclose(reloaded.predict(test_x), predicted_qualities)

done()
