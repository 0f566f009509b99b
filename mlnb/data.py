"""``mlnb.data``: MLflow's ``mlflow.data`` — datasets to record with :func:`mlnb.log_input`.

Digests equal MLflow's, so the same DataFrame has the same digest in both libraries.

Examples
--------
>>> import mlnb  # doctest: +SKIP
>>> ds = mlnb.data.from_pandas(train_df, source="data/train.csv", targets="churned")  # doctest: +SKIP
>>> with mlnb.start_run():  # doctest: +SKIP
...     mlnb.log_input(ds, context="training")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "from_pandas": "mlnb.tracking.dataset_types",
    "from_numpy": "mlnb.tracking.dataset_types",
    "PandasDataset": "mlnb.tracking.dataset_types",
    "NumpyDataset": "mlnb.tracking.dataset_types",
    "TensorDatasetSchema": "mlnb.tracking.dataset_types",
    "DatasetSource": "mlnb.tracking.dataset_sources",
    "Dataset": "mlnb.tracking.dataset_types",
    "get_source": "mlnb.tracking.dataset_types",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlnb.data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
