"""MLflow's sklearn-autolog example for a grid search: the parent run holds the best
parameters and the best estimator, one child run per candidate holds its scores, and the
children are found with a ``tags.mlflow.parentRunId`` filter."""

from pprint import pprint

import mlflow
import pandas as pd
from _steps import done, step
from autolog_utils import fetch_logged_data, model_files
from sklearn import datasets, svm
from sklearn.model_selection import GridSearchCV

with step("sklearn.autolog"):
    mlflow.sklearn.autolog()

iris = datasets.load_iris()
parameters = {"kernel": ("linear", "rbf"), "C": [1, 10]}
clf = GridSearchCV(svm.SVC(), parameters)

with step("fit_in_run"), mlflow.start_run() as run:
    clf.fit(iris.data, iris.target)

with step("parent_read_back"):
    parent = fetch_logged_data(run.info.run_id)
    for key, data in parent.items():
        print(f"---------- logged {key} ----------")
        pprint(data)

with step("parent_best_params"):
    assert parent["params"]["best_C"] == str(clf.best_params_["C"])
    assert parent["params"]["best_kernel"] == clf.best_params_["kernel"]

with step("parent_best_cv_score"):
    assert abs(parent["metrics"]["best_cv_score"] - clf.best_score_) < 1e-9

with step("parent_artifacts"):
    assert "cv_results.csv" in parent["artifacts"]
    assert "model/MLmodel" in model_files(run.info.run_id)
    assert "best_estimator/MLmodel" in model_files(run.info.run_id, "best_estimator")

with step("child_runs_search"):
    runs = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'")
    param_cols = [f"params.{p}" for p in parameters]
    pd.set_option("display.max_columns", None)
    print(runs[["run_id", *param_cols, "metrics.mean_test_score"]])
    assert len(runs) == 4

with step("child_run_scores"):
    by_params = {
        (r["params.kernel"], r["params.C"]): r["metrics.mean_test_score"] for _, r in runs.iterrows()
    }
    for candidate, score in zip(clf.cv_results_["params"], clf.cv_results_["mean_test_score"], strict=True):
        assert abs(by_params[(candidate["kernel"], str(candidate["C"]))] - score) < 1e-9

done()
