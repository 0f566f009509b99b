"""``mlnb.sklearn``: MLflow's ``mlflow.sklearn.log_model``/``load_model`` spelled for mlnb.

Examples
--------
>>> import mlnb  # doctest: +SKIP
>>> info = mlnb.sklearn.log_model(pipe, "model", input_example=X_train)  # doctest: +SKIP
>>> mlnb.sklearn.load_model(info.model_uri).predict(X_test)  # doctest: +SKIP
"""

from __future__ import annotations

import sys

from mlnb.capture.autolog import autolog
from mlnb.registry.loading import load_model
from mlnb.tracking.model_logging import ModelInfo, log_model

__all__ = ["ModelInfo", "autolog", "load_model", "log_model"]

# mlnb/__init__.py exports names as attributes of modules; this one exports the module itself.
sklearn = sys.modules[__name__]
