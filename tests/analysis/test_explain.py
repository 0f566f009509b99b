"""mlnb.explain: exact SHAP values, explainer choice, cache, run artifacts, grouping, panel."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier

import mlnb
from mlnb.analysis import explain as explain_module
from mlnb.analysis._shap import choose
from mlnb.errors import InvalidParameter
from tests.analysis.conftest import CATEGORICAL, pipeline


def _shap():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    return shap


def _multiclass_target(X, y):
    # three classes: churned, frequent flyer staying, others staying
    return np.where(y == 1, "churn", np.where(X["FrequentFlyer"] == "Yes", "flyer", "stay"))


@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
def test_random_forest_values_equal_tree_explainer(churn, multiclass) -> None:
    X_train, _, y_train, _ = churn
    y = _multiclass_target(X_train, y_train) if multiclass else y_train
    pipe = pipeline(RandomForestClassifier(n_estimators=30, random_state=0)).fit(X_train, y)
    result = mlnb.explain(pipe, X_train, run=False)
    direct = _shap().TreeExplainer(pipe[-1])
    Xt = pipe[:-1].transform(X_train)
    expected = np.asarray(direct.shap_values(Xt))
    assert result.explainer == "tree"
    assert result.values.shape == expected.shape == (len(X_train), Xt.shape[1], 3 if multiclass else 2)
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.base_values[0], direct.expected_value, atol=1e-6)
    assert result.feature_names == list(pipe[:-1].get_feature_names_out())
    assert result.class_names == [str(c) for c in pipe.classes_]


@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
def test_logistic_regression_values_equal_linear_explainer(churn, multiclass) -> None:
    X_train, _, y_train, _ = churn
    y = _multiclass_target(X_train, y_train) if multiclass else y_train
    pipe = pipeline(LogisticRegression(max_iter=1000)).fit(X_train, y)
    result = mlnb.explain(pipe, X_train, run=False)
    shap = _shap()
    Xt = pipe[:-1].transform(X_train)
    direct = shap.LinearExplainer(pipe[-1], shap.maskers.Independent(Xt, max_samples=len(Xt)))
    expected = np.asarray(direct.shap_values(Xt))
    assert result.explainer == "linear" and result.output == "log_odds"
    assert result.values.shape == expected.shape
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.base_values[0], np.ravel(direct.expected_value), atol=1e-6)
    # local accuracy: values add up to the decision function
    decision = pipe.decision_function(X_train)
    total = result.values.sum(axis=1) + result.base_values
    np.testing.assert_allclose(total, decision, atol=1e-8)


def test_two_threads_give_the_same_values_as_one(churn) -> None:
    X_train, _, y_train, _ = churn
    pipe = pipeline(RandomForestClassifier(n_estimators=100, random_state=1)).fit(X_train, y_train)
    two = mlnb.explain(pipe, X_train, run=False, n_jobs=2)
    explain_module.clear_cache()
    one = mlnb.explain(pipe, X_train, run=False, n_jobs=1)
    assert not one.from_cache
    np.testing.assert_array_equal(two.values, one.values)


def test_explainer_choice_follows_the_model() -> None:
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    assert choose(HistGradientBoostingClassifier(max_iter=5).fit(X, y)) == "tree"
    assert choose(RandomForestRegressor(n_estimators=3).fit(X, X[:, 0])) == "tree"
    assert choose(Ridge().fit(X, X[:, 0])) == "linear"
    assert choose(KNeighborsClassifier().fit(X, y)) == "permutation"
    assert choose(lambda data: data[:, 0]) == "kernel"


def test_hist_gradient_boosting_and_regression() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    hgb = HistGradientBoostingClassifier(max_iter=20).fit(X, (X[:, 0] + X[:, 1] > 0).astype(int))
    e = mlnb.explain(hgb, X, run=False)
    np.testing.assert_allclose(e.values, _shap().TreeExplainer(hgb).shap_values(X), atol=1e-6)
    assert e.output == "log_odds" and e.values.shape == (200, 4)
    ridge = Ridge().fit(X, 3 * X[:, 2] + 1)
    r = mlnb.explain(ridge, X, run=False)
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, ridge.predict(X), atol=1e-9)
    assert r.output == "raw" and r.class_names is None


def test_permutation_and_kernel_fallbacks_add_up() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    knn = KNeighborsClassifier(5).fit(X, y)
    e = mlnb.explain(knn, X, run=False, progress=False)
    assert e.explainer == "permutation"
    total = e.values.sum(axis=1) + e.base_values
    np.testing.assert_allclose(total, knn.predict_proba(X), atol=1e-6)
    k = mlnb.explain(lambda data: 2 * data[:, 0] - data[:, 1], X, run=False, max_rows=10, progress=False)
    assert k.explainer == "kernel" and k.values.shape == (10, 3) and len(k.rows) == 10
    np.testing.assert_allclose(k.values[:, 2], 0, atol=1e-6)


def test_second_call_is_a_cache_hit(churn) -> None:
    X_train, _, y_train, _ = churn
    pipe = pipeline(RandomForestClassifier(n_estimators=20, random_state=2)).fit(X_train, y_train)
    first = mlnb.explain(pipe, X_train, run=False)
    second = mlnb.explain(pipe, X_train, run=False)
    assert not first.from_cache and second.from_cache
    assert second.values is first.values  # nothing recomputed
    other_rows = mlnb.explain(pipe, X_train.iloc[:100], run=False)
    assert not other_rows.from_cache


def test_artifacts_on_the_run_and_cache_from_the_run(store, churn) -> None:
    X_train, _, y_train, _ = churn
    pipe = pipeline(LogisticRegression()).fit(X_train, y_train)
    with mlnb.start_run() as run:
        e = mlnb.explain(pipe, X_train).wait()
    run_id = run.info.run_id
    paths = {a.path for a in mlnb.list_artifacts(run_id, "model_explanations_shap")}
    names = {p.rsplit("/", 1)[-1] for p in paths}
    assert {"shap_values.npy", "base_values.npy", "feature_names.json", "explanation.json"} <= names
    assert {"summary_bar_plot.png", "beeswarm_plot.png"} <= names
    local = mlnb.download_artifacts(run_id=run_id, artifact_path="model_explanations_shap")
    np.testing.assert_array_equal(np.load(f"{local}/shap_values.npy"), e.values)
    with open(f"{local}/feature_names.json") as fh:
        assert json.load(fh) == e.feature_names
    explain_module.clear_cache()
    again = mlnb.explain(pipe, X_train, run=run_id)
    assert again.from_cache
    np.testing.assert_array_equal(again.values, e.values)


def test_explain_a_logged_model_by_uri_and_run(store, churn) -> None:
    X_train, _, y_train, _ = churn
    pipe = pipeline(RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_train, y_train)
    with mlnb.start_run() as run:
        info = mlnb.log_model(pipe, "model")
    by_uri = mlnb.explain(info.model_uri, X_train).wait()
    assert by_uri.run_id == run.info.run_id and not by_uri.from_cache
    direct = mlnb.explain(pipe, X_train, run=False)
    np.testing.assert_allclose(by_uri.values, direct.values, atol=1e-12)
    assert mlnb.explain(info.model_uri, X_train).from_cache  # same stored files: no recompute
    explain_module.clear_cache()
    by_run = mlnb.explain(run.info.run_id, X_train, log_plots=False)
    assert by_run.from_cache  # read back from the run's artifacts
    np.testing.assert_array_equal(by_run.values, by_uri.values)


def test_grouping_one_hot_columns_keeps_additivity(churn) -> None:
    X_train, _, y_train, _ = churn
    pipe = pipeline(LogisticRegression()).fit(X_train, y_train)
    e = mlnb.explain(pipe, X_train, run=False)
    g = e.grouped()
    assert g.feature_names == ["Age", "ServicesOpted", *CATEGORICAL]
    np.testing.assert_allclose(g.values.sum(axis=1), e.values.sum(axis=1), atol=1e-12)
    assert mlnb.explain(pipe, X_train, run=False, group_one_hot=True).feature_names == g.feature_names


def test_plots_static_bundle_and_panel(churn) -> None:
    X_train, _, y_train, _ = churn
    y = _multiclass_target(X_train, y_train)
    pipe = pipeline(LogisticRegression(max_iter=1000)).fit(X_train, y)
    e = mlnb.explain(pipe, X_train, run=False)
    for fig in (e.plot_bar("flyer"), e.plot_beeswarm(), e.plot_waterfall(3), e.plot_dependence("num__Age")):
        assert fig.axes
    bundle = e._repr_mimebundle_()
    assert bundle["image/png"] and "application/vnd.jupyter.widget-view+json" in bundle
    panel = e.panel()
    assert [o["name"] for o in panel.payload["outputs"]] == ["churn", "flyer", "stay"]
    assert len(panel.payload["rows"]) == len(X_train)
    with pytest.raises(InvalidParameter, match="unknown class"):
        e.values_for("nope")


def test_bad_inputs_say_what_to_do() -> None:
    with pytest.raises(InvalidParameter, match="model URI"):
        mlnb.explain("not-a-model", np.zeros((2, 2)))
    with pytest.raises(InvalidParameter, match="explainer must be"):
        mlnb.explain(Ridge().fit(np.eye(3), [1, 2, 3]), np.eye(3), explainer="magic", run=False)


def test_a_fitted_search_cv_is_explained_as_its_best_estimator(churn) -> None:
    from sklearn.model_selection import GridSearchCV

    X_train, _, y_train, _ = churn
    grid = GridSearchCV(pipeline(LogisticRegression(max_iter=500)), {"clf__C": [0.1, 1.0]}, cv=2)
    grid.fit(X_train, y_train)
    ours = mlnb.explain(grid, X_train, run=False)
    best = mlnb.explain(grid.best_estimator_, X_train, run=False)
    assert ours.explainer == best.explainer
    np.testing.assert_allclose(ours.values, best.values)


def test_a_search_cv_without_a_best_estimator_says_what_to_pass(churn) -> None:
    from sklearn.model_selection import GridSearchCV

    X_train, _, y_train, _ = churn
    grid = GridSearchCV(pipeline(LogisticRegression(max_iter=500)), {"clf__C": [0.1, 1.0]}, cv=2)
    with pytest.raises(InvalidParameter, match="not fitted"):
        mlnb.explain(grid, X_train, run=False)
    grid.set_params(refit=False).fit(X_train, y_train)
    with pytest.raises(InvalidParameter, match="refit=True"):
        mlnb.explain(grid, X_train, run=False)
