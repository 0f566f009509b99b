"""Seed-style churn pipelines shared by the analysis tests."""

from __future__ import annotations

from typing import Any

import pytest

NUMERIC = ["Age", "ServicesOpted"]
CATEGORICAL = ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]


def churn_split(n_rows: int = 954) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split

    from mlnb.datasets import travel_churn

    df = travel_churn(n_rows)
    X, y = df.drop(columns="Target"), df["Target"]
    return train_test_split(X, y, test_size=0.25, random_state=42)


def pipeline(estimator: Any) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )
    return Pipeline([("pre", pre), ("clf", estimator)])


@pytest.fixture(scope="module")
def churn() -> tuple[Any, Any, Any, Any]:
    return churn_split()
