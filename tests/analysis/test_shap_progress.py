"""SHAP values report their progress by batches of rows (on a real terminal, a pty, no delay)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.neighbors import KNeighborsRegressor

import mlnb
from mlnb.analysis.explain import clear_cache
from tests.display.terminal import Terminal, text_mode, use_as_stderr


@pytest.fixture
def term(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    yield from text_mode(monkeypatch)


def on_terminal(term: Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    use_as_stderr(term, monkeypatch)
    clear_cache()  # explained again, not taken from an earlier test


def _data(rows: int = 800) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 6))
    return X, X[:, 0] * 2 + X[:, 1] ** 2 + rng.normal(scale=0.1, size=rows)


def _rows_shown(text: str, total: int) -> list[int]:
    counts = [
        int(m.replace(",", ""))
        for m in re.findall(rf"SHAP values \[[#-]+\] ([\d,]+) of {total:,} rows", text)
    ]
    assert counts and counts == sorted(counts) and counts[-1] <= total, text[-400:]
    return counts


@pytest.mark.parametrize("n_jobs", [1, 2], ids=["one-process", "forked-half"])
def test_tree_values_report_rows_and_stay_exact(term, monkeypatch, n_jobs) -> None:
    on_terminal(term, monkeypatch)
    X, y = _data()
    forest = RandomForestRegressor(n_estimators=40, random_state=0).fit(X, y)
    result = mlnb.explain(forest, X, run=False, n_jobs=n_jobs)
    counts = _rows_shown(term.read(), len(X))
    assert len(counts) >= 2  # batches, not one jump from nothing to done
    assert re.search(r"\r {40,}\r$", term.read())  # removed at the end
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    expected = shap.TreeExplainer(forest).shap_values(X, check_additivity=False)
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)


def test_permutation_values_report_rows(term, monkeypatch) -> None:
    on_terminal(term, monkeypatch)
    X, y = _data(20)
    knn = KNeighborsRegressor().fit(X, y)
    result = mlnb.explain(knn, X, run=False)
    assert result.explainer == "permutation"
    _rows_shown(term.read(), 20)
    # the sum of the values is the prediction minus the base value, batch after batch
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base_values, knn.predict(X), atol=1e-6)


def test_no_progress_when_asked_not_to(term, monkeypatch) -> None:
    on_terminal(term, monkeypatch)
    X, y = _data(200)
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    mlnb.explain(forest, X, run=False, progress=False)
    assert "SHAP values" not in term.read()
