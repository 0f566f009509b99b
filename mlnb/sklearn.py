"""``mlnb.sklearn``: MLflow's ``mlflow.sklearn`` module (``log_model``, ``save_model``, ``load_model``).

Models are saved with skops by default; ``serialization_format="cloudpickle"`` (or ``"pickle"``)
is the explicit opt-in to pickle, and loading such a model needs ``allow_pickle=True``.

Examples
--------
>>> import mlnb  # doctest: +SKIP
>>> with mlnb.start_run():  # doctest: +SKIP
...     info = mlnb.sklearn.log_model(pipe, name="model", input_example=X_train)
>>> mlnb.sklearn.load_model(info.model_uri).predict(X_test)  # doctest: +SKIP
"""

from __future__ import annotations

import sys

from mlnb.capture.autolog import autolog
from mlnb.flavors.model import ModelInfo
from mlnb.flavors.skops_io import CLOUDPICKLE, PICKLE, SKOPS
from mlnb.registry.loading import load_sklearn_model as load_model
from mlnb.registry.model_api import log_sklearn_model as log_model
from mlnb.registry.model_api import save_sklearn_model as save_model

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_SKOPS = SKOPS
SERIALIZATION_FORMAT_CLOUDPICKLE = CLOUDPICKLE
SERIALIZATION_FORMAT_PICKLE = PICKLE
SUPPORTED_SERIALIZATION_FORMATS = [SKOPS, PICKLE, CLOUDPICKLE]

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "ModelInfo",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]

# mlnb/__init__.py exports names as attributes of modules; this one exports the module itself.
sklearn = sys.modules[__name__]
