"""Registry fixtures: a small fitted model and a factory that logs it in a run with metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import mlnb


@pytest.fixture(scope="session")
def tiny_model() -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))


@pytest.fixture
def log_candidate(store: Any, tiny_model: Any) -> Callable[..., str]:
    """``log_candidate(f1=0.8, roc_auc=0.9)`` -> the runs:/ URI of a model logged with those metrics."""

    def log(artifact_path: str = "model", **metrics: float) -> str:
        with mlnb.start_run():
            mlnb.log_metrics(metrics)
            info = mlnb.log_model(tiny_model, artifact_path)
        return info.model_uri

    return log
