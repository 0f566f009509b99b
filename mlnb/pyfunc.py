"""``mlnb.pyfunc``: MLflow's ``mlflow.pyfunc`` module for mlnb's store.

``load_model`` returns a :class:`PyFuncModel` for any scikit-learn or custom Python model, logged
in the store (every file checked against its recorded sha256) or saved in a local directory
(also by MLflow).  ``log_model``/``save_model`` save a custom model as code by default: pass the
path of a ``.py`` file that defines the model and ends with ``mlnb.models.set_model(...)``.  An
in-memory :class:`PythonModel` is pickled only with ``serialization_format="cloudpickle"``, and
loading it needs ``allow_pickle=True``.

Examples
--------
>>> import mlnb  # doctest: +SKIP
>>> with mlnb.start_run():  # doctest: +SKIP
...     info = mlnb.pyfunc.log_model(name="model", python_model="my_model.py", input_example=X)
>>> mlnb.pyfunc.load_model(info.model_uri).predict(X)  # doctest: +SKIP
"""

from __future__ import annotations

import sys

from mlnb.flavors.model import Model, ModelInfo
from mlnb.flavors.pyfunc_model import PyFuncModel
from mlnb.flavors.python_model import PythonModel, PythonModelContext
from mlnb.registry.pyfunc_api import load_pyfunc as load_model
from mlnb.registry.pyfunc_api import log_pyfunc_model as log_model
from mlnb.registry.pyfunc_api import save_pyfunc_model as save_model

FLAVOR_NAME = "python_function"

__all__ = [
    "FLAVOR_NAME",
    "Model",
    "ModelInfo",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]

# mlnb/__init__.py exports names as attributes of modules; this one exports the module itself.
pyfunc = sys.modules[__name__]
