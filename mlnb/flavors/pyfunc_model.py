"""``PyFuncModel``: one ``predict`` over any loaded flavor, checked against the signature."""

from __future__ import annotations

from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.flavors.enforce import enforce
from mlnb.flavors.model import Model
from mlnb.flavors.python_model import PythonModelContext, call_predict


class SklearnImpl:
    """An estimator behind the generic interface: calls its ``predict_fn`` (``predict`` by default)."""

    def __init__(self, model: Any, predict_fn: str = "predict") -> None:
        if not hasattr(model, predict_fn):
            raise InvalidParameter(f"the model has no method {predict_fn!r} to predict with")
        self.model, self.predict_fn = model, predict_fn

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return getattr(self.model, self.predict_fn)(data)

    def get_raw_model(self) -> Any:
        return self.model


class PythonImpl:
    """A custom Python model with its context (``load_context`` has already run)."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model, self.context = python_model, context
        if hasattr(python_model, "load_context"):
            python_model.load_context(context)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return call_predict(self.python_model, self.context, data, params)


class PyFuncModel:
    """A loaded model with MLflow's generic ``predict`` (``mlflow.pyfunc.PyFuncModel``).

    Examples
    --------
    >>> model = mlnb.pyfunc.load_model("models:/churn@champion")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    >>> model.metadata.get_input_schema()  # doctest: +SKIP
    """

    def __init__(self, model_meta: Model, model_impl: Any, *, loader_module: str | None = None) -> None:
        self._model_meta = model_meta
        self._model_impl = model_impl
        self.loader_module = loader_module

    @property
    def metadata(self) -> Model:
        """The model's ``MLmodel`` file as a :class:`~mlnb.flavors.model.Model`."""
        return self._model_meta

    @property
    def model_config(self) -> dict[str, Any]:
        context = getattr(self._model_impl, "context", None)
        return dict(context.model_config) if context is not None else {}

    @property
    def model_id(self) -> str | None:
        return self._model_meta.model_id

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on ``data`` after checking it against the signature.

        Raises :class:`mlnb.errors.InvalidParameter` when a required column is missing or a
        column's type does not convert safely to the signature's.
        """
        if params is not None and not isinstance(params, dict):
            raise InvalidParameter(f"params must be a dict, got {type(params).__name__}")
        return self._model_impl.predict(enforce(data, self._model_meta.signature_dict), params)

    def unwrap_python_model(self) -> Any:
        """The custom Python model object inside (only for models logged with ``python_model``)."""
        python_model = getattr(self._model_impl, "python_model", None)
        if python_model is None:
            raise InvalidParameter(
                "unwrap_python_model works on models logged with mlnb.pyfunc.log_model("
                "python_model=...); this one is a flavor model: use get_raw_model()"
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The flavor's own model object (e.g. the scikit-learn estimator)."""
        if hasattr(self._model_impl, "get_raw_model"):
            return self._model_impl.get_raw_model()
        raise NotImplementedError(
            "get_raw_model is not available for custom Python models; use unwrap_python_model()"
        )

    def __repr__(self) -> str:
        meta = self._model_meta
        where = f"runs:/{meta.run_id}/{meta.artifact_path}" if meta.run_id else meta.artifact_path
        return f"mlnb.pyfunc.loaded_model:\n  artifact_path: {where}\n  flavor: {self.loader_module}\n"
