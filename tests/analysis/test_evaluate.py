"""mlnb.evaluate: metrics equal scikit-learn's, gates against thresholds and a baseline, logging."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_iris, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC

import mlnb
from tests.analysis.conftest import pipeline


def test_binary_metrics_equal_scikit_learn(churn) -> None:
    X_train, X_test, y_train, y_test = churn
    pipe = pipeline(LogisticRegression()).fit(X_train, y_train)
    data = X_test.assign(Target=y_test)
    r = mlnb.evaluate(pipe, data, targets="Target", run=False)
    pred, proba = pipe.predict(X_test), pipe.predict_proba(X_test)[:, 1]
    fpr, tpr, _ = skm.roc_curve(y_test, proba)
    expected = {
        "example_count": len(y_test),
        "accuracy_score": skm.accuracy_score(y_test, pred),
        "precision_score": skm.precision_score(y_test, pred),
        "recall_score": skm.recall_score(y_test, pred),
        "f1_score": skm.f1_score(y_test, pred),
        "log_loss": skm.log_loss(y_test, pipe.predict_proba(X_test)),
        "roc_auc": skm.roc_auc_score(y_test, proba),
        # MLflow reports average precision under this name, not the trapezoidal area
        "precision_recall_auc": skm.average_precision_score(y_test, proba),
    }
    for name, value in expected.items():
        assert r.metrics[name] == pytest.approx(value, abs=1e-12), name
    tn, fp, fn, tp = skm.confusion_matrix(y_test, pred).ravel()
    counts = ("true_negatives", "false_positives", "false_negatives", "true_positives")
    assert tuple(r.metrics[k] for k in counts) == (tn, fp, fn, tp)
    assert r.metrics["roc_auc"] == pytest.approx(skm.auc(fpr, tpr))
    assert set(r.figures) == {
        "confusion_matrix",
        "roc_curve_plot",
        "precision_recall_curve_plot",
        "calibration_curve_plot",
        "lift_curve_plot",
    }


def test_multiclass_metrics_are_weighted() -> None:
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    r = mlnb.evaluate(model, X, targets=y, run=False, plots=False)
    pred = model.predict(X)
    assert r.metrics["f1_score"] == pytest.approx(skm.f1_score(y, pred, average="weighted"))
    assert r.metrics["recall_score"] == pytest.approx(skm.recall_score(y, pred, average="weighted"))
    assert r.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, model.predict_proba(X), multi_class="ovr", average="weighted")
    )
    assert "true_positives" not in r.metrics


def test_regressor_metrics_equal_scikit_learn() -> None:
    X, y = make_regression(120, 4, noise=5.0, random_state=0)
    y = y + 300  # keep MAPE meaningful
    model = LinearRegression().fit(X, y)
    r = mlnb.evaluate(model, X, targets=y, model_type="regressor", run=False)
    pred = model.predict(X)
    assert r.metrics["mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert r.metrics["mean_squared_error"] == pytest.approx(skm.mean_squared_error(y, pred))
    assert r.metrics["root_mean_squared_error"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert r.metrics["r2_score"] == pytest.approx(skm.r2_score(y, pred))
    assert r.metrics["mean_absolute_percentage_error"] == pytest.approx(
        skm.mean_absolute_percentage_error(y, pred)
    )
    assert set(r.figures) == {"residuals_plot", "predicted_vs_true_plot"}


def test_svc_without_predict_proba_skips_probability_metrics(churn) -> None:
    X_train, X_test, y_train, y_test = churn
    svc = pipeline(SVC()).fit(X_train, y_train)
    r = mlnb.evaluate(svc, X_test, targets=y_test, run=False)
    assert "log_loss" not in r.metrics and "calibration_curve_plot" not in r.figures
    assert r.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y_test, svc.decision_function(X_test)))
    assert any("no predict_proba" in n for n in r.notes)
    assert "no predict_proba" in r._repr_html_()


def test_thresholds_and_baseline_pass(churn) -> None:
    X_train, X_test, y_train, y_test = churn
    model = pipeline(LogisticRegression()).fit(X_train, y_train)
    baseline = DummyClassifier(strategy="prior").fit(X_train, y_train)
    r = mlnb.evaluate(
        model,
        X_test,
        targets=y_test,
        baseline_model=baseline,
        validation_thresholds={
            "roc_auc": mlnb.MetricThreshold(threshold=0.6, min_absolute_change=0.05, greater_is_better=True),
            "log_loss": mlnb.MetricThreshold(min_relative_change=0.05, greater_is_better=False),
        },
        run=False,
    )
    assert r.passed and r.raise_on_failure() is r
    assert r.baseline_metrics["roc_auc"] == pytest.approx(0.5)


def test_failed_gate_raises_a_readable_table(churn) -> None:
    X_train, X_test, y_train, y_test = churn
    model = DummyClassifier(strategy="prior").fit(X_train, y_train)
    better = pipeline(LogisticRegression()).fit(X_train, y_train)
    r = mlnb.evaluate(
        model,
        X_test,
        targets=y_test,
        baseline_model=better,
        validation_thresholds={
            "accuracy_score": mlnb.MetricThreshold(threshold=0.5, greater_is_better=True),
            "roc_auc": mlnb.MetricThreshold(min_absolute_change=0.01, greater_is_better=True),
        },
        run=False,
    )
    assert not r.passed
    with pytest.raises(mlnb.ValidationFailed) as err:
        r.raise_on_failure()
    text = str(err.value)
    assert "1 of 2 metric gates failed (roc_auc)" in text
    assert "accuracy_score" in text and "pass" in text and "FAIL" in text and "baseline" in text


def test_baseline_gate_without_baseline_model_is_refused() -> None:
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    gate = {"f1_score": mlnb.MetricThreshold(min_absolute_change=0.1, greater_is_better=True)}
    with pytest.raises(mlnb.InvalidParameter, match="baseline_model"):
        mlnb.evaluate(LogisticRegression().fit(X, y), X, targets=y, validation_thresholds=gate, run=False)


def test_results_are_logged_to_a_new_run(store, churn) -> None:
    X_train, X_test, y_train, y_test = churn
    model = pipeline(LogisticRegression()).fit(X_train, y_train)
    gate = {"accuracy_score": mlnb.MetricThreshold(threshold=0.5, greater_is_better=True)}
    r = mlnb.evaluate(model, X_test, targets=y_test, validation_thresholds=gate)
    run = mlnb.get_run(r.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy_score"] == pytest.approx(r.metrics["accuracy_score"])
    paths = {a.path for a in mlnb.list_artifacts(r.run_id)}
    assert {"confusion_matrix.png", "roc_curve_plot.png", "validation_results.json"} <= paths
    assert mlnb.active_run() is None


def test_a_logged_model_is_evaluated_into_the_active_run(store, churn) -> None:
    X_train, X_test, y_train, y_test = churn
    model = pipeline(LogisticRegression()).fit(X_train, y_train)
    with mlnb.start_run() as train_run:
        uri = mlnb.log_model(model, "model").model_uri
    with mlnb.start_run() as eval_run:
        r = mlnb.evaluate(uri, X_test, targets=y_test, plots=False)
    assert r.run_id == eval_run.info.run_id != train_run.info.run_id
    assert r.metrics["f1_score"] == pytest.approx(skm.f1_score(y_test, model.predict(X_test)))
    assert mlnb.get_run(eval_run.info.run_id).data.metrics["f1_score"] == pytest.approx(r.metrics["f1_score"])


def test_a_fitted_search_cv_is_evaluated_as_its_best_estimator(churn) -> None:
    from sklearn.model_selection import GridSearchCV

    X_train, X_test, y_train, y_test = churn
    grid = GridSearchCV(pipeline(LogisticRegression(max_iter=500)), {"clf__C": [0.1, 1.0]}, cv=2)
    grid.fit(X_train, y_train)
    data = X_test.assign(Target=y_test)
    ours = mlnb.evaluate(grid, data, targets="Target", run=False).metrics
    best = mlnb.evaluate(grid.best_estimator_, data, targets="Target", run=False).metrics
    assert ours.keys() == best.keys()
    for name, value in best.items():
        assert ours[name] == pytest.approx(value, nan_ok=True), name
