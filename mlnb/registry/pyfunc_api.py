"""``mlflow.pyfunc``'s ``load_model``, ``log_model`` and ``save_model`` on mlnb's store and registry.

Loading goes through :func:`mlnb.registry.loading.open_model` (every file checked against its
recorded sha256 for stored models), then picks the loader the ``MLmodel`` names:
``mlflow.sklearn`` (skops with the database's trusted types), models-from-code, or a
cloudpickled Python model (a stored one logged so by choice, or any with ``allow_pickle=True``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlnb.errors import IntegrityError, InvalidParameter
from mlnb.flavors.environment import Requirements
from mlnb.flavors.model import ModelInfo
from mlnb.flavors.pyfunc_model import PyFuncModel, SklearnImpl
from mlnb.flavors.python_dir import CODE_LOADER, PICKLE_LOADER, build_python_model, open_python_model
from mlnb.registry.loading import copy_to, load_verified, open_model, pickle_allowed
from mlnb.registry.model_api import model_name, refuse_unknown, register, write_directory
from mlnb.tracking.fluent import run_id_or_active
from mlnb.tracking.model_logging import write_model

_PYTHON_LOADERS = (CODE_LOADER, PICKLE_LOADER)


def _config(model_config: Any) -> dict[str, Any] | None:
    if model_config is None or isinstance(model_config, dict):
        return model_config
    path = Path(str(model_config))
    if path.suffix in (".yaml", ".yml") and path.is_file():
        import yaml

        try:
            loaded = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise InvalidParameter(f"model_config {str(path)!r} is not valid YAML ({problem})") from None
        if isinstance(loaded, dict):
            return loaded
    raise InvalidParameter(
        f"model_config must be a dict or the path of a YAML file holding one, got {model_config!r}"
    )


def load_pyfunc(
    model_uri: str | Path,
    suppress_warnings: bool = False,
    dst_path: str | Path | None = None,
    model_config: str | Path | dict[str, Any] | None = None,
    *,
    allow_pickle: bool | None = None,
) -> PyFuncModel:
    """Load any logged or saved model as a :class:`PyFuncModel` (``mlflow.pyfunc.load_model``).

    Parameters
    ----------
    model_uri : str or Path
        ``runs:/…``, ``models:/<name>/<version|stage|latest>``, ``models:/<name>@<alias>`` or a
        local model directory (path or ``file://``), e.g. one MLflow saved.
    suppress_warnings : bool
        Accepted for MLflow compatibility (mlnb prints no loading warnings).
    dst_path : str or Path, optional
        Also copy the verified model directory there.
    model_config : dict or path to a YAML file, optional
        Overrides the ``model_config`` saved with a Python model (``context.model_config``).
    allow_pickle : bool, optional
        mlnb's opt-in for pickles: ``None`` (default) loads a stored model logged with cloudpickle
        or pickle after its hash check and refuses one in a local directory; ``True`` allows
        both, ``False`` neither.

    Raises
    ------
    mlnb.IntegrityError
        A stored file changed since it was logged.
    mlnb.errors.InvalidParameter
        The model needs pickle and ``allow_pickle`` is False, or its loader is not supported.

    Examples
    --------
    >>> model = mlnb.pyfunc.load_model("models:/churn@champion")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    del suppress_warnings
    model = open_model(model_uri)
    meta = model.meta
    pyfunc = meta.flavors.get("python_function")
    if pyfunc is None:
        raise InvalidParameter(
            f"the model {model.uri} has no python_function flavor (flavors: {sorted(meta.flavors)}); "
            "load it with its flavor's load_model"
        )
    loader = pyfunc.get("loader_module")
    if model.in_store and (loader == "mlflow.sklearn") != (model.flavor == "sklearn"):
        raise IntegrityError(
            f"the model {model.uri} is recorded as a {model.flavor} model but its MLmodel file names "
            f"the loader {loader!r}; the record or the file was edited: log the model again"
        )
    if loader == "mlflow.sklearn":
        impl: Any = SklearnImpl(
            load_verified(model, allow_pickle=allow_pickle), pyfunc.get("predict_fn") or "predict"
        )
    elif loader in _PYTHON_LOADERS:
        impl = open_python_model(
            model.directory,
            meta,
            model.serialization if model.in_store else None,
            allow_pickle=pickle_allowed(model, allow_pickle),
            model_config=_config(model_config),
        )
    else:
        raise InvalidParameter(
            f"the model {model.uri} needs the loader {loader!r}, which mlnb does not provide; "
            "mlnb loads scikit-learn models and Python models (models-from-code or cloudpickle)"
        )
    copy_to(model, dst_path)
    return PyFuncModel(meta, impl, loader_module=loader)


def _unsupported_loader(loader_module: object, data_path: object) -> None:
    if loader_module is not None or data_path is not None:
        raise InvalidParameter(
            "loader_module/data_path models are not supported by mlnb; pass python_model (a .py "
            "file calling set_model) instead"
        )


def log_pyfunc_model(
    artifact_path: str | None = None,
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: list[Any] | None = None,
    infer_code_paths: bool = False,
    conda_env: dict[str, Any] | None = None,
    python_model: Any = None,
    artifacts: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    await_registration_for: int | None = 300,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    streamable: bool | None = None,
    resources: object = None,
    auth_policy: object = None,
    uv_project_path: object = None,
    uv_groups: object = None,
    uv_extras: object = None,
    prompts: list[Any] | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    *,
    serialization_format: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a custom Python model into the active run (``mlflow.pyfunc.log_model``).

    Parameters
    ----------
    python_model : str, Path or PythonModel
        Models-from-code (the default): the path of a ``.py`` file that defines the model and
        calls ``mlnb.models.set_model(...)``.  A ``PythonModel`` object is pickled with
        cloudpickle only with ``serialization_format="cloudpickle"`` (mlnb's explicit opt-in).
    name, artifact_path : str, optional
        The model's path in the run (``"model"`` by default).
    artifacts : dict, optional
        Name -> local file or directory, copied into the model; ``context.artifacts[name]`` is
        its path at load time.
    model_config : dict, optional
        Saved with the model; ``context.model_config`` at load time.
    registered_model_name, signature, input_example, pip_requirements, extra_pip_requirements,
    conda_env, code_paths, metadata, params, tags, model_type, model_id
        As in :func:`mlnb.sklearn.log_model`.
    serialization_format : {"cloudpickle"}, optional
        mlnb's opt-in for in-memory models.

    Examples
    --------
    >>> with mlnb.start_run():  # doctest: +SKIP
    ...     info = mlnb.pyfunc.log_model(name="model", python_model="my_model.py", input_example=X)
    """
    refuse_unknown("log_model", kwargs)
    _unsupported_loader(loader_module, data_path)
    del infer_code_paths, streamable, resources, auth_policy, uv_project_path, uv_groups, uv_extras, step
    path = model_name(name, artifact_path)
    run = run_id_or_active()
    built = build_python_model(
        python_model,
        artifacts=artifacts,
        model_config=model_config,
        signature=signature,
        input_example=input_example,
        serialization_format=serialization_format,
        requirements=Requirements(pip_requirements, extra_pip_requirements, conda_env),
        code_paths=code_paths,
        metadata=metadata,
        model_id=model_id,
        run_id=run,
        artifact_path=path,
    )
    record: dict[str, Any] = {
        "flavor": "python_function",
        "serialization": built.serialization,
        "trusted_types": [],
    }
    logged_params = {str(k): str(v) for k, v in (params or {}).items()}
    logged_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    extras = {"params": logged_params, "tags": logged_tags, "model_type": model_type}
    record.update({k: v for k, v in extras.items() if v})
    info = write_model(run, path, built, record)
    info.params, info.tags, info.model_id = logged_params, logged_tags, model_id
    info.prompts = [str(p) for p in prompts] if prompts else None
    return register(info, registered_model_name, await_registration_for)


def save_pyfunc_model(
    path: str | Path,
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: list[Any] | None = None,
    infer_code_paths: bool = False,
    conda_env: dict[str, Any] | None = None,
    mlflow_model: Any = None,
    python_model: Any = None,
    artifacts: dict[str, Any] | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    *,
    serialization_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Save a custom Python model to a local directory (``mlflow.pyfunc.save_model``).

    The keywords mean what they mean for :func:`log_pyfunc_model`.

    Examples
    --------
    >>> mlnb.pyfunc.save_model("my_model_dir", python_model="my_model.py")  # doctest: +SKIP
    """
    for ignored in ("streamable", "resources", "auth_policy", "uv_project_path", "uv_groups", "uv_extras"):
        kwargs.pop(ignored, None)
    refuse_unknown("save_model", kwargs)
    _unsupported_loader(loader_module, data_path)
    del infer_code_paths
    if mlflow_model is not None and metadata is None:
        metadata = getattr(mlflow_model, "metadata", None)
    built = build_python_model(
        python_model,
        artifacts=artifacts,
        model_config=model_config,
        signature=signature,
        input_example=input_example,
        serialization_format=serialization_format,
        requirements=Requirements(pip_requirements, extra_pip_requirements, conda_env),
        code_paths=code_paths,
        metadata=metadata,
    )
    write_directory(path, built.files)
