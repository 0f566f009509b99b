"""A fitted churn Pipeline (ColumnTransformer + OneHotEncoder + StandardScaler + LogisticRegression)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models_fixtures import churn_pipeline


@pytest.fixture(scope="session")
def churn() -> tuple[Any, Any, Any]:
    """``(X, y, fitted pipeline)`` on mlnb.datasets.travel_churn()."""
    return churn_pipeline()
