"""``mlnb.shap.log_explanation``: MLflow's files, shapes and (for exact explainers) values."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

import mlnb
from mlnb.analysis.shap_log import fast_values
from mlnb.errors import InvalidParameter
from tests.analysis.conftest import pipeline

FILES = ["base_values.npy", "shap_values.npy", "summary_bar_plot.png"]


def _data(n: int = 60) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    y = 2 * X["a"] - X["b"] + 0.5 * X["c"] + rng.normal(size=n) * 0.1
    return X, y, (y > 0).astype(int)


def _read(uri: str) -> dict[str, Any]:
    directory = Path(urlparse(uri).path) if uri.startswith("file:") else Path(uri)
    assert sorted(p.name for p in directory.iterdir()) == FILES
    return {name: np.load(directory / name) for name in FILES[:2]}


def _mine(fn: Any, X: Any, *, fast: bool | None = None) -> dict[str, Any]:
    if fast is not None:  # which explainer is used: the model's own, or MLflow's kernel recipe
        assert (fast_values(fn, X) is not None) is fast
    with mlnb.start_run():
        uri = mlnb.shap.log_explanation(fn, X)
    return _read(uri)


@pytest.fixture(scope="module")
def real_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Real MLflow on one SQLite store for the module (creating its schema takes seconds)."""
    import mlflow
    import mlflow.shap

    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    experiment = mlflow.create_experiment("shap", artifact_location=(root / "artifacts").as_uri())

    def explain(fn: Any, X: Any) -> dict[str, Any]:
        with mlflow.start_run(experiment_id=experiment):
            uri = mlflow.shap.log_explanation(fn, X)
        return _read(uri)

    yield explain
    mlflow.set_tracking_uri(None)


def _assert_same_layout(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    for name in ("base_values.npy", "shap_values.npy"):
        assert mine[name].shape == theirs[name].shape, name
        assert mine[name].dtype == theirs[name].dtype, name


def _assert_adds_up(files: dict[str, Any], output: Any) -> None:
    total = files["shap_values.npy"].sum(axis=1) + files["base_values.npy"]
    np.testing.assert_allclose(total, output, atol=1e-6)


@pytest.mark.mlflow
def test_linear_regression_matches_mlflow_values(store, real_mlflow) -> None:
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    model = LinearRegression().fit(X, y)
    mine, theirs = _mine(model.predict, X, fast=True), real_mlflow(model.predict, X)
    _assert_same_layout(mine, theirs)
    assert mine["base_values.npy"].shape == ()
    for name in ("base_values.npy", "shap_values.npy"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-6, atol=1e-8)


@pytest.mark.mlflow
def test_scaled_linear_pipeline_matches_mlflow_values_per_raw_column(store, real_mlflow) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = _data()
    X = X.to_numpy()  # shap cannot wrap a Pipeline fitted on a DataFrame: MLflow fails on one
    model = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(X, y)
    mine, theirs = _mine(model.predict, X, fast=True), real_mlflow(model.predict, X)
    _assert_same_layout(mine, theirs)
    np.testing.assert_allclose(mine["shap_values.npy"], theirs["shap_values.npy"], rtol=1e-6, atol=1e-8)


@pytest.mark.mlflow
def test_linear_classifier_decision_function_matches_mlflow_values(store, real_mlflow) -> None:
    from sklearn.linear_model import LogisticRegression

    X, _, yc = _data()
    model = LogisticRegression().fit(X, yc)
    mine, theirs = _mine(model.decision_function, X, fast=True), real_mlflow(model.decision_function, X)
    _assert_same_layout(mine, theirs)
    for name in ("base_values.npy", "shap_values.npy"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-6, atol=1e-8)


@pytest.mark.mlflow
def test_forest_probabilities_have_mlflow_shapes_and_add_up(store, real_mlflow) -> None:
    from sklearn.ensemble import RandomForestClassifier

    X, _, yc = _data(40)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, yc)
    mine, theirs = _mine(model.predict_proba, X, fast=True), real_mlflow(model.predict_proba, X)
    _assert_same_layout(mine, theirs)
    assert mine["shap_values.npy"].shape == (40, 4, 2)
    assert mine["base_values.npy"].shape == (2,)
    _assert_adds_up(mine, model.predict_proba(X))
    _assert_adds_up(theirs, model.predict_proba(X))


def test_forest_probabilities_are_exact_tree_shap_values(store) -> None:
    from sklearn.ensemble import RandomForestClassifier

    from mlnb.analysis._shap import import_shap

    X, _, yc = _data(80)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, yc)
    mine = _mine(model.predict_proba, X, fast=True)
    expected = import_shap().TreeExplainer(model).shap_values(X.to_numpy())
    np.testing.assert_allclose(mine["shap_values.npy"], expected, atol=1e-10)


@pytest.mark.mlflow
@pytest.mark.parametrize("kind", ["lambda", "classifier_predict"])
def test_other_callables_are_explained_as_mlflow_explains_them(store, real_mlflow, kind) -> None:
    from sklearn.ensemble import RandomForestClassifier

    X, _, yc = _data(30)
    if kind == "lambda":
        fn = lambda rows: np.asarray(rows)[:, 0] * 3.0 - np.asarray(rows)[:, 2]  # noqa: E731
    else:  # class labels: no exact explainer computes them
        fn = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, yc).predict
    mine, theirs = _mine(fn, X, fast=False), real_mlflow(fn, X)
    _assert_same_layout(mine, theirs)
    for name in ("base_values.npy", "shap_values.npy"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-6, atol=1e-8)


def test_churn_pipeline_values_are_per_raw_column_and_add_up(store, churn) -> None:
    from sklearn.ensemble import RandomForestClassifier

    X_train, X_test, y_train, _ = churn
    model = pipeline(RandomForestClassifier(n_estimators=20, random_state=0)).fit(X_train, y_train)
    mine = _mine(model.predict_proba, X_test, fast=True)
    assert mine["shap_values.npy"].shape == (len(X_test), X_test.shape[1], 2)
    _assert_adds_up(mine, model.predict_proba(X_test))


def test_without_an_active_run_a_run_is_started_and_left_active(store) -> None:
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    X = X.to_numpy()
    assert mlnb.active_run() is None
    uri = mlnb.shap.log_explanation(LinearRegression().fit(X, y).predict, X)
    try:
        run = mlnb.active_run()
        assert run is not None
        assert uri == f"{run.info.artifact_uri}/model_explanations_shap"
        _read(uri)
    finally:
        mlnb.end_run()


def test_artifact_path_names_the_directory(store) -> None:
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    with mlnb.start_run() as run:
        uri = mlnb.shap.log_explanation(LinearRegression().fit(X, y).predict, X, artifact_path="shap/v1")
    assert uri == f"{run.info.artifact_uri}/shap/v1"
    assert _read(uri)["shap_values.npy"].shape == (60, 4)


def test_unfitted_estimator_is_refused(store) -> None:
    from sklearn.linear_model import LinearRegression

    X, _, _ = _data()
    with pytest.raises(InvalidParameter, match="not fitted"):
        mlnb.shap.log_explanation(LinearRegression().predict, X)


def test_non_callable_is_refused(store) -> None:
    X, _, _ = _data()
    with pytest.raises(InvalidParameter, match="callable"):
        mlnb.shap.log_explanation("model.predict", X)


def test_text_columns_for_the_kernel_explainer_are_refused_with_a_hint(store, churn) -> None:
    X = churn[0].head(20)
    with pytest.raises(InvalidParameter, match="numeric"):
        mlnb.shap.log_explanation(lambda rows: np.zeros(len(rows)), X)
