"""mlnb's TreeSHAP kernel equals shap.TreeExplainer on forests, trees, regressors, classifiers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, GradientBoostingRegressor, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlnb.analysis import _shap, _treeshap


def _tree_explainer(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    return shap.TreeExplainer(model)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[:, 4] = rng.integers(0, 3, n)  # ties and repeated thresholds
    y = X[:, 0] * X[:, 1] + X[:, 2] + (X[:, 4] == 2)
    return X, y


@pytest.mark.parametrize(
    "model",
    [
        RandomForestRegressor(n_estimators=15, random_state=0),
        ExtraTreesClassifier(n_estimators=15, random_state=0),
        DecisionTreeRegressor(random_state=0),  # deep: features repeat along paths
        DecisionTreeClassifier(max_depth=4, random_state=0),
    ],
    ids=lambda m: type(m).__name__,
)
def test_values_and_base_equal_shap(model) -> None:
    X, y = _data()
    if "Classifier" in type(model).__name__:
        y = np.digitize(y, [-0.5, 0.5])  # three classes
    model.fit(X, y, sample_weight=np.r_[np.zeros(5), np.ones(len(X) - 5)])  # zero-weight rows too
    assert _treeshap.supports(model, X)
    values, base = _treeshap.shap_values(model, X, n_jobs=2)
    explainer = _tree_explainer(model)
    expected = np.asarray(explainer.shap_values(X))
    assert values.shape == expected.shape
    np.testing.assert_allclose(values, expected, atol=1e-9, rtol=0)
    np.testing.assert_allclose(base, np.ravel(explainer.expected_value), atol=1e-12)


def test_thread_count_does_not_change_values() -> None:
    X, y = _data(200)
    model = RandomForestRegressor(n_estimators=10, random_state=1).fit(X, y)
    one, _ = _treeshap.shap_values(model, X, n_jobs=1)
    two, _ = _treeshap.shap_values(model, X, n_jobs=2)
    np.testing.assert_array_equal(one, two)
    single, _ = _treeshap.shap_values(model, X[7:8], n_jobs=2)  # a batch of one row
    np.testing.assert_allclose(single, one[7:8], atol=1e-12)


def test_unsupported_models_and_missing_values_go_to_shap() -> None:
    X, y = _data(100)
    assert not _treeshap.supports(GradientBoostingRegressor(n_estimators=3).fit(X, y), X)
    forest = RandomForestRegressor(n_estimators=3).fit(X, y)
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    assert not _treeshap.supports(forest, with_nan)


def test_forked_half_equals_one_process() -> None:
    X = np.arange(200.0).reshape(100, 2)
    np.testing.assert_array_equal(_shap._in_halves(lambda rows: rows * 2 + 1, X), X * 2 + 1)

    def fails_in_child(rows):
        import os

        if os.getpid() != parent:
            raise RuntimeError("child failed")
        return rows - 1

    import os

    parent = os.getpid()
    # a failing child is not fatal: the parent computes that half itself
    np.testing.assert_array_equal(_shap._in_halves(fails_in_child, X), X - 1)


def test_a_forked_child_explains_on_one_thread() -> None:
    import multiprocessing

    X, y = _data(150)
    model = RandomForestRegressor(n_estimators=5, random_state=2).fit(X, y)
    expected, _ = _treeshap.shap_values(model, X, n_jobs=2)  # starts the kernel's threads here
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        values, _ = pool.apply(_treeshap.shap_values, (model, X), {"n_jobs": 2})
    np.testing.assert_allclose(values, expected, atol=1e-12)
