"""Custom Python models: :class:`PythonModel`, its context, ``set_model`` and models-from-code.

A models-from-code model is a Python file that defines the model and hands it to
:func:`set_model` (``mlnb.models.set_model`` or ``mlflow.models.set_model``).  Loading runs that
file as a fresh module and picks up the object it set.  When real MLflow loads a file that calls
mlnb's ``set_model``, the object is handed on to MLflow (wrapped as an MLflow ``PythonModel``),
so one file serves both.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from mlnb.errors import InvalidParameter

_lock = threading.RLock()
_pending: list[Any] = []  # the object the file being loaded passed to set_model


class PythonModelContext:
    """What a :class:`PythonModel` gets in ``load_context`` and ``predict``.

    Attributes
    ----------
    artifacts : dict
        Artifact name -> absolute local path of the file or directory saved with the model.
    model_config : dict
        The ``model_config`` given when logging (or loading) the model.
    """

    def __init__(self, artifacts: dict[str, str] | None, model_config: dict[str, Any] | None) -> None:
        self._artifacts = dict(artifacts or {})
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config

    def __repr__(self) -> str:
        return f"PythonModelContext(artifacts={self._artifacts!r}, model_config={self._model_config!r})"


class PredictTypeHints(NamedTuple):
    """The type hints of a ``predict`` method's input and output (None when absent)."""

    input: Any
    output: Any


def predict_type_hints(predict: Any) -> PredictTypeHints:
    try:
        hints = inspect.get_annotations(predict, eval_str=True)
        names = [n for n in inspect.signature(predict).parameters if n not in ("self", "params")]
    except Exception:
        return PredictTypeHints(None, None)
    if names and names[0] == "context":
        names = names[1:]
    return PredictTypeHints(hints.get(names[0]) if names else None, hints.get("return"))


class PythonModel:
    """Base class of a custom model: override ``predict`` (and ``load_context`` if needed).

    ``predict`` takes either ``(self, context, model_input, params=None)`` (MLflow's classic
    form) or ``(self, model_input, params=None)`` (MLflow 3's form, where type hints such as
    ``list[str]`` say what the input is converted to).

    Examples
    --------
    >>> class Doubler(PythonModel):
    ...     def predict(self, context, model_input, params=None):
    ...         return model_input * 2
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Load artifacts (files in ``context.artifacts``) once, before any ``predict``."""

    @property
    def predict_type_hints(self) -> PredictTypeHints:
        """The input/output type hints of ``predict`` (MLflow's loaders read this attribute)."""
        return predict_type_hints(self.predict)

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define predict(self, context, model_input, params=None)"
        )


def _mlflow_python_model(model: Any) -> Any:
    """``model`` as real MLflow's loader expects it (only used when mlflow is imported)."""
    from mlflow.pyfunc import PythonModel as MlflowPythonModel

    if isinstance(model, MlflowPythonModel) or not isinstance(model, PythonModel):
        return model

    class _MlnbModel(MlflowPythonModel):
        def __init__(self, inner: PythonModel) -> None:
            self.inner = inner

        def load_context(self, context: Any) -> None:
            self.inner.load_context(context)

        def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
            return call_predict(self.inner, context, model_input, params)

        def unwrap_python_model(self) -> Any:
            return self.inner

    return _MlnbModel(model)


def set_model(model: Any) -> None:
    """Name the model a models-from-code file defines (MLflow's ``mlflow.models.set_model``).

    ``model`` is a :class:`PythonModel` (mlnb's or MLflow's), or any object with ``predict``, or
    a plain function taking the model input.

    Examples
    --------
    >>> # in my_model.py, logged with mlnb.pyfunc.log_model(python_model="my_model.py")
    >>> mlnb.models.set_model(MyModel())  # doctest: +SKIP
    """
    if isinstance(model, (str, Path)):
        raise InvalidParameter(
            "set_model takes the model object, not a path; pass the path to "
            "mlnb.pyfunc.log_model(python_model=...) instead"
        )
    if not (hasattr(model, "predict") or callable(model)):
        raise InvalidParameter(
            f"set_model needs a PythonModel, an object with predict() or a function, got {type(model).__name__}"
        )
    with _lock:
        _pending[:] = [model]
    mlflow_model_module = sys.modules.get("mlflow.models")
    if mlflow_model_module is not None:  # real MLflow is loading (or logging) this file
        mlflow_model_module.set_model(_mlflow_python_model(model))


def _take_mlflow_model() -> Any:
    module = sys.modules.get("mlflow.models.model")
    if module is None:
        return None
    model = getattr(module, "__mlflow_model__", None)
    if model is not None:
        vars(module)["__mlflow_model__"] = None
    return model


def load_code(path: Path) -> Any:
    """Run a models-from-code file as a fresh module; return the object it passed to ``set_model``."""
    if not path.is_file():
        raise InvalidParameter(f"the model code file {str(path)!r} does not exist")
    with _lock:
        _pending.clear()
        _take_mlflow_model()
        name = f"mlnb_code_model_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise InvalidParameter(f"cannot load {str(path)!r} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise InvalidParameter(
                f"running the model code file {path.name!r} failed with {type(exc).__name__}: {exc}"
            ) from exc
        theirs = _take_mlflow_model()
        model = _pending[0] if _pending else theirs
        _pending.clear()
    if model is None:
        raise InvalidParameter(
            f"the model code file {path.name!r} did not call set_model(...); end it with "
            "mlnb.models.set_model(YourModel()) (or mlflow.models.set_model)"
        )
    return model


def _takes_context(function: Any) -> bool:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.name == "context" for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len([p for p in positional if p.name != "params"]) >= 2


def _accepts_params(function: Any) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "params" in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


def _convert_to_hint(function: Any, model_input: Any) -> Any:
    """A DataFrame input as a list when ``predict``'s type hint asks for ``list[...]``."""
    try:
        hints = inspect.get_annotations(function, eval_str=True)
    except Exception:
        return model_input
    positional = [n for n in inspect.signature(function).parameters if n not in ("self", "params")]
    hint = hints.get(positional[0]) if positional else None
    if getattr(hint, "__origin__", None) is not list:
        return model_input
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        item = (getattr(hint, "__args__", None) or (Any,))[0]
        if len(model_input.columns) == 1 and getattr(item, "__origin__", item) is not dict:
            return model_input.iloc[:, 0].tolist()
        return model_input.to_dict(orient="records")
    if isinstance(model_input, pd.Series):
        return model_input.tolist()
    if hasattr(model_input, "tolist"):
        return model_input.tolist()
    return model_input


def call_predict(model: Any, context: Any, model_input: Any, params: dict[str, Any] | None) -> Any:
    """Call a custom model's predict in whichever form it was written."""
    if not hasattr(model, "predict") and callable(model):
        return model(_convert_to_hint(model, model_input))
    predict = model.predict
    kwargs = {"params": params} if _accepts_params(predict) else {}
    if _takes_context(predict):
        return predict(context, model_input, **kwargs)
    return predict(_convert_to_hint(predict, model_input), **kwargs)
