"""The customer-churn MLflow course's code, end to end: preprocess with pandas, train a logistic
regression and a random forest (the course's LightGBM model is left out: not a dependency here),
log params, metrics and models, pick the best run with ``search_runs``, register it, move versions
through stages and aliases with ``MlflowClient``, load by ``models:/`` URIs and evaluate.

The course reads a customer-travel CSV; this builds a table with its columns from a seeded
generator, so the script needs no download.
"""

import os

import mlflow
import numpy as np
import pandas as pd
from _steps import done, step
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

NAME = "churn-classifier"


def customer_travel(n=954, seed=7):
    """A table with the course data's columns: age, flyer/income/services/social/hotel, Target."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "Age": rng.integers(27, 39, n),
            "FrequentFlyer": rng.choice(["Yes", "No", "No Record"], n, p=[0.3, 0.63, 0.07]),
            "AnnualIncomeClass": rng.choice(["Low Income", "Middle Income", "High Income"], n),
            "ServicesOpted": rng.integers(1, 7, n),
            "AccountSyncedToSocialMedia": rng.choice(["Yes", "No"], n, p=[0.38, 0.62]),
            "BookedHotelOrNot": rng.choice(["Yes", "No"], n, p=[0.4, 0.6]),
        }
    )
    logit = -2.2 + 1.3 * (df["FrequentFlyer"] == "Yes") + 1.0 * (df["AnnualIncomeClass"] == "High Income")
    logit = (
        logit - 0.08 * (df["Age"] - 33) + 0.15 * df["ServicesOpted"] - 0.5 * (df["BookedHotelOrNot"] == "Yes")
    )
    df["Target"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


# preprocessing, as the course does it with pandas
df = customer_travel()
df["AnnualIncomeClass"] = df["AnnualIncomeClass"].map({"Low Income": 0, "Middle Income": 1, "High Income": 2})
df = pd.get_dummies(
    df, columns=["FrequentFlyer", "AccountSyncedToSocialMedia", "BookedHotelOrNot"], drop_first=True
)
df = df.astype({c: "int64" for c in df.columns if df[c].dtype == bool})
X = df.drop(columns="Target")
y = df["Target"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42, stratify=y)

with step("set_tracking_uri"):
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])

with step("set_experiment"):
    experiment = mlflow.set_experiment("churn-course")

models = {
    "logistic_regression": LogisticRegression(max_iter=1000),
    "random_forest": RandomForestClassifier(n_estimators=100, max_depth=6, random_state=0),
}
run_ids = {}
for run_name, model in models.items():
    model.fit(X_train, y_train)
    y_pred = model.predict(X_test)
    metrics = {
        "accuracy": accuracy_score(y_test, y_pred),
        "f1": f1_score(y_test, y_pred),
        "roc_auc": roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]),
    }
    with step(f"{run_name}.start_run"):
        run = mlflow.start_run(run_name=run_name)
        run_ids[run_name] = run.info.run_id
    with step(f"{run_name}.log_params"):
        # get_params() holds None values (max_depth, class_weight, ...): MLflow logs them as "None"
        mlflow.log_params(model.get_params())
    with step(f"{run_name}.log_metrics"):
        mlflow.log_metrics(metrics)
    with step(f"{run_name}.set_tags"):
        mlflow.set_tags({"model_type": type(model).__name__, "course": "churn"})
    with step(f"{run_name}.log_input"):
        training = mlflow.data.from_pandas(
            X_train.assign(Target=y_train), name="customer-travel", targets="Target"
        )
        mlflow.log_input(training, context="training")
    with step(f"{run_name}.log_artifact"):
        report = pd.DataFrame({"actual": y_test.values, "predicted": y_pred})
        report.to_csv("predictions.csv", index=False)
        mlflow.log_artifact("predictions.csv", artifact_path="reports")
    with step(f"{run_name}.log_model"):
        signature = infer_signature(X_train, model.predict(X_train))
        # MLflow's default skops format refuses a forest's tree objects: the course's pickled
        # models are asked for explicitly, the logistic regression keeps the default format
        fmt = {"serialization_format": "cloudpickle"} if run_name == "random_forest" else {}
        mlflow.sklearn.log_model(
            model, name="model", signature=signature, input_example=X_train.head(3), **fmt
        )
    with step(f"{run_name}.end_run"):
        mlflow.end_run()

with step("search_runs_best"):
    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id], order_by=["metrics.f1 DESC"])
    assert len(runs) == 2
    assert list(runs["metrics.f1"]) == sorted(runs["metrics.f1"], reverse=True)
    best_run_id = runs.iloc[0]["run_id"]
    other_run_id = runs.iloc[1]["run_id"]
    assert runs.iloc[0][
        "params.max_iter"
        if runs.iloc[0]["tags.mlflow.runName"] == "logistic_regression"
        else "params.max_depth"
    ]

with step("get_run_inputs_and_artifacts"):
    forest_run = mlflow.get_run(run_ids["random_forest"])
    (dataset_input,) = forest_run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "customer-travel"
    assert [(t.key, t.value) for t in dataset_input.tags] == [("mlflow.data.context", "training")]
    files = [f.path for f in MlflowClient().list_artifacts(run_ids["random_forest"], "reports")]
    assert files == ["reports/predictions.csv"]

with step("search_runs_filter"):
    forests = mlflow.search_runs(
        experiment_names=["churn-course"], filter_string="params.max_depth = '6' and metrics.accuracy > 0"
    )
    assert list(forests["run_id"]) == [run_ids["random_forest"]]
    assert forests.iloc[0]["params.class_weight"] == "None"

with step("register_model"):
    v1 = mlflow.register_model(f"runs:/{other_run_id}/model", NAME)
    v2 = mlflow.register_model(f"runs:/{best_run_id}/model", NAME)
    assert (v1.version, v2.version) == ("1", "2") or (v1.version, v2.version) == (1, 2)

client = MlflowClient()

with step("client.update_model_version"):
    client.update_model_version(NAME, v2.version, description="Best F1 of the course's models.")
    assert client.get_model_version(NAME, v2.version).description == "Best F1 of the course's models."

with step("client.transition_stages"):
    client.transition_model_version_stage(NAME, v1.version, "Production")
    client.transition_model_version_stage(NAME, v2.version, "Staging")
    client.transition_model_version_stage(NAME, v2.version, "Production", archive_existing_versions=True)
    assert client.get_model_version(NAME, v1.version).current_stage == "Archived"

with step("client.get_latest_versions"):
    latest = client.get_latest_versions(NAME, stages=["Production"])
    assert [str(v.version) for v in latest] == [str(v2.version)]

with step("client.aliases"):
    client.set_registered_model_alias(NAME, "champion", v2.version)
    client.set_registered_model_alias(NAME, "challenger", v1.version)
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == str(v2.version)
    aliases = {alias: str(version) for alias, version in client.get_registered_model(NAME).aliases.items()}
    assert aliases == {"champion": str(v2.version), "challenger": str(v1.version)}

with step("search_model_versions"):
    versions = mlflow.search_model_versions(filter_string=f"name = '{NAME}'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]

with step("pyfunc.load_model_stage"):
    production = mlflow.pyfunc.load_model(f"models:/{NAME}/Production")
    expected = models["random_forest" if best_run_id == run_ids["random_forest"] else "logistic_regression"]
    np.testing.assert_array_equal(production.predict(X_test), expected.predict(X_test))

with step("pyfunc.load_model_alias"):
    champion = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    np.testing.assert_array_equal(champion.predict(X_test), expected.predict(X_test))

with step("sklearn.load_model_version"):
    challenger = mlflow.sklearn.load_model(f"models:/{NAME}/{v1.version}")
    assert challenger.predict_proba(X_test).shape == (len(X_test), 2)

with step("evaluate"):
    eval_data = X_test.assign(Target=y_test.values)
    with mlflow.start_run(run_name="evaluate_champion"):
        result = mlflow.evaluate(
            f"models:/{NAME}@champion",
            eval_data,
            targets="Target",
            model_type="classifier",
            evaluator_config={"log_model_explainability": False},
        )
    assert abs(result.metrics["accuracy_score"] - accuracy_score(y_test, expected.predict(X_test))) < 1e-9

with step("client.delete_alias"):
    client.delete_registered_model_alias(NAME, "challenger")
    assert list(client.get_registered_model(NAME).aliases) == ["champion"]

done()
