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

from mlnb.lazy import exports

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


__getattr__, __dir__ = exports(globals(), _EXPORTS)
