"""A fitted seed-style churn Pipeline, shared by the model, serving and loading tests."""

from __future__ import annotations

from typing import Any


def churn_pipeline() -> tuple[Any, Any, Any]:
    """``(X, y, fitted Pipeline)``: ColumnTransformer(StandardScaler + OneHotEncoder) + LogisticRegression
    on ``mlnb.datasets.travel_churn()``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlnb.datasets import travel_churn

    df = travel_churn()
    X, y = df.drop(columns="Target"), df["Target"]
    categorical = ["FrequentFlyer", "AnnualIncomeClass", "AccountSyncedToSocialMedia", "BookedHotelOrNot"]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["Age", "ServicesOpted"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return X, y, Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(X, y)
