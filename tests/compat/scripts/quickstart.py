"""The MLflow docs' tracking quickstart, as a user types it: train an iris classifier, log it,
register it, load it back as a generic Python model and predict, then find the run again.

The quickstart points ``set_tracking_uri`` at a local tracking server; here it takes the
database the harness gives in ``MLFLOW_TRACKING_URI`` (a ``sqlite:///`` file in a temp dir).
"""

import os

import mlflow
import pandas as pd
from _steps import done, step
from mlflow.models import infer_signature
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

with step("set_tracking_uri"):
    mlflow.set_tracking_uri(uri=os.environ["MLFLOW_TRACKING_URI"])
    assert mlflow.get_tracking_uri() == os.environ["MLFLOW_TRACKING_URI"]

X, y = datasets.load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
params = {"solver": "lbfgs", "max_iter": 1000, "random_state": 8888}
lr = LogisticRegression(**params)
lr.fit(X_train, y_train)
y_pred = lr.predict(X_test)
accuracy = accuracy_score(y_test, y_pred)

with step("set_experiment"):
    experiment = mlflow.set_experiment("MLflow Quickstart")
    assert experiment.name == "MLflow Quickstart"

with step("start_run"):
    run = mlflow.start_run()
    assert mlflow.active_run().info.run_id == run.info.run_id

with step("log_params"):
    mlflow.log_params(params)

with step("log_metric"):
    mlflow.log_metric("accuracy", accuracy)

with step("set_tag"):
    mlflow.set_tag("Training Info", "Basic LR model for iris data")

with step("infer_signature"):
    signature = infer_signature(X_train, lr.predict(X_train))
    assert signature.inputs is not None and signature.outputs is not None

with step("sklearn.log_model"):
    model_info = mlflow.sklearn.log_model(
        sk_model=lr,
        name="iris_model",
        signature=signature,
        input_example=X_train,
        registered_model_name="tracking-quickstart",
    )
    assert model_info.model_uri
    assert model_info.registered_model_version == 1

with step("end_run"):
    mlflow.end_run()
    assert mlflow.active_run() is None

with step("pyfunc.load_model"):
    loaded_model = mlflow.pyfunc.load_model(model_info.model_uri)

with step("pyfunc.predict"):
    predictions = loaded_model.predict(X_test)
    result = pd.DataFrame(X_test, columns=datasets.load_iris().feature_names)
    result["actual_class"] = y_test
    result["predicted_class"] = predictions
    assert (result["predicted_class"] == lr.predict(X_test)).all()

with step("search_runs"):
    runs = mlflow.search_runs(experiment_names=["MLflow Quickstart"])
    assert len(runs) == 1
    assert runs.loc[0, "run_id"] == run.info.run_id
    assert runs.loc[0, "metrics.accuracy"] == accuracy
    assert runs.loc[0, "params.solver"] == "lbfgs"
    assert runs.loc[0, "tags.Training Info"] == "Basic LR model for iris data"

with step("load_registered_model"):
    registered = mlflow.pyfunc.load_model("models:/tracking-quickstart/1")
    assert (registered.predict(X_test) == predictions).all()

done()
