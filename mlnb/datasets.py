"""Small data sets that ship with mlnb (generated, never downloaded).

``travel_churn`` is **synthetic**: it has the schema of the public "tour & travels customer churn"
table used in many MLflow courses, with a known, seeded relationship between the features and
the target, so that models differ meaningfully and every run of a tutorial gets the same data.
"""

from __future__ import annotations

from typing import Any

FEATURES = (
    "Age",
    "FrequentFlyer",
    "AnnualIncomeClass",
    "ServicesOpted",
    "AccountSyncedToSocialMedia",
    "BookedHotelOrNot",
)
TARGET = "Target"


def travel_churn(n_rows: int = 954, seed: int = 0, positive_rate: float = 0.23) -> Any:
    """A deterministic synthetic customer-churn table (pandas DataFrame).

    Columns: ``Age`` (int, 27–38), ``FrequentFlyer`` ("Yes", "No", "No Record"),
    ``AnnualIncomeClass`` ("Low Income", "Middle Income", "High Income"), ``ServicesOpted``
    (int, 1–6), ``AccountSyncedToSocialMedia`` and ``BookedHotelOrNot`` ("Yes"/"No") and
    ``Target`` (0/1, about ``positive_rate`` positive). Churn is more likely for frequent flyers,
    high incomes, many services and synced accounts, less likely with a booked hotel, and there
    is an interaction (young customers with many services churn more) that tree models find and
    linear models do not.

    Examples
    --------
    >>> df = travel_churn()
    >>> df.shape
    (954, 7)
    """
    import numpy as np
    import pandas as pd

    if not isinstance(n_rows, int) or n_rows < 10:
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"n_rows must be an integer >= 10, got {n_rows!r}")
    rng = np.random.default_rng(seed)
    age = rng.integers(27, 39, n_rows)
    flyer = rng.choice(["No", "Yes", "No Record"], n_rows, p=[0.62, 0.31, 0.07])
    income = rng.choice(["Middle Income", "Low Income", "High Income"], n_rows, p=[0.43, 0.38, 0.19])
    services = rng.choice(np.arange(1, 7), n_rows, p=[0.42, 0.14, 0.13, 0.14, 0.10, 0.07])
    synced = rng.choice(["No", "Yes"], n_rows, p=[0.62, 0.38])
    hotel = rng.choice(["No", "Yes"], n_rows, p=[0.60, 0.40])
    score = (
        1.3 * (flyer == "Yes")
        + 0.5 * (flyer == "No Record")
        + 1.1 * (income == "High Income")
        - 0.4 * (income == "Middle Income")
        + 0.35 * (services - 3)
        - 0.09 * (age - 32)
        + 0.45 * (synced == "Yes")
        - 0.6 * (hotel == "Yes")
        + 1.4 * ((age <= 30) & (services >= 4))
        + rng.logistic(0.0, 0.6, n_rows)
    )
    # the intercept is chosen so that the positive share is ``positive_rate``
    threshold = np.quantile(score, 1.0 - positive_rate)
    target = (score > threshold).astype("int64")
    return pd.DataFrame(
        {
            "Age": age.astype("int64"),
            "FrequentFlyer": flyer,
            "AnnualIncomeClass": income,
            "ServicesOpted": services.astype("int64"),
            "AccountSyncedToSocialMedia": synced,
            "BookedHotelOrNot": hotel,
            TARGET: target,
        }
    )
