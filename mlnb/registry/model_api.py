"""``mlflow.sklearn.log_model``/``save_model`` with MLflow's keywords, on mlnb's store and registry.

The model is written as mlnb's :func:`mlnb.tracking.model_logging.log_model` writes it (hashed
files, the run's ``mlnb.model.<name>`` record); this module adds MLflow's calling conventions:
``name`` or the older ``artifact_path``, ``registered_model_name`` (registered in mlnb's registry
before returning), ``serialization_format`` (``"skops"`` by default in mlnb; ``"cloudpickle"`` and
``"pickle"`` only when the caller asks), environment keywords, ``params``/``tags`` of the logged
model (kept in the run's model record and returned on the :class:`ModelInfo`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter, UnsupportedModel
from mlnb.flavors.environment import Requirements
from mlnb.flavors.mlmodel import ModelFiles, build_model
from mlnb.flavors.model import ModelInfo
from mlnb.store.paths import check_relpath
from mlnb.tracking.fluent import run_id_or_active
from mlnb.tracking.model_logging import write_model

DEFAULT_NAME = "model"


def model_name(name: str | None, artifact_path: str | None) -> str:
    """MLflow 3's ``name`` with the older ``artifact_path`` still accepted (one of them)."""
    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidParameter(
            f"pass the model's name once: name={name!r} and artifact_path={artifact_path!r} differ "
            "(artifact_path is MLflow's older spelling of name)"
        )
    chosen = name if name is not None else artifact_path
    return check_relpath(chosen if chosen is not None else DEFAULT_NAME)


def refuse_unknown(function: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise InvalidParameter(
            f"{function} got keyword arguments mlnb does not know: {', '.join(sorted(kwargs))}; "
            "see its docstring for the accepted ones"
        )


def register(
    info: ModelInfo, registered_model_name: str | None, await_registration_for: int | None
) -> ModelInfo:
    """Register the logged model as the next version of ``registered_model_name`` (if given)."""
    if registered_model_name is None:
        return info
    from mlnb.registry.versions import register_model

    version = register_model(
        info.model_uri, registered_model_name, await_registration_for=await_registration_for
    )
    info.registered_model_version = int(version.version)
    return info


def _skops_only(exc: UnsupportedModel) -> UnsupportedModel:
    return UnsupportedModel(
        f"{exc} — with mlnb.sklearn, opt in to pickle by passing serialization_format='cloudpickle'"
    )


def _build(sk_model: Any, fmt: str | None, **options: Any) -> ModelFiles:
    try:
        return build_model(sk_model, serialization_format=fmt, **options)
    except UnsupportedModel as exc:
        raise _skops_only(exc) from None


def log_sklearn_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: dict[str, Any] | None = None,
    code_paths: list[Any] | None = None,
    serialization_format: str | None = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    await_registration_for: int | None = 300,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    extra_files: list[Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    name: str | None = None,
    skops_trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a scikit-learn model into the active run (MLflow's ``mlflow.sklearn.log_model``).

    Parameters
    ----------
    sk_model : estimator
        A fitted scikit-learn estimator or Pipeline.
    artifact_path, name : str, optional
        The model's path in the run (``name`` is MLflow 3's spelling); ``"model"`` by default.
    serialization_format : {"skops", "cloudpickle", "pickle"}, optional
        ``"skops"`` (mlnb's default) cannot run code when loaded; the two pickle formats are
        the caller's explicit opt-in: the stored model then loads after its hash check (pass
        ``allow_pickle=False`` to refuse it), a saved directory needs ``allow_pickle=True``.
    registered_model_name : str, optional
        Register the model as the next version of this name before returning.
    signature : ModelSignature or dict, optional
        Inferred from ``input_example`` when omitted.
    input_example : DataFrame or ndarray, optional
        First 5 rows saved as ``input_example.json``.
    pip_requirements, extra_pip_requirements, conda_env
        The environment files' content, as MLflow takes them.
    code_paths, extra_files : list of paths, optional
        Copied into ``code/`` and ``extra_files/`` of the model directory.
    params, tags, model_type, step, model_id
        Recorded with the model (mlnb keeps models inside their run, so they are returned on
        the :class:`ModelInfo` and kept in the run's model record, not in a separate entity).
    skops_trusted_types : list of str, optional
        Accepted for MLflow compatibility; mlnb trusts only the scientific stack's types.

    Returns
    -------
    ModelInfo
        ``model_uri`` is ``runs:/<run_id>/<name>``; ``registered_model_version`` is set when
        the model was registered.

    Examples
    --------
    >>> with mlnb.start_run():  # doctest: +SKIP
    ...     info = mlnb.sklearn.log_model(pipe, name="model", input_example=X_train)
    """
    refuse_unknown("log_model", kwargs)
    del skops_trusted_types, step  # see the docstring
    path = model_name(name, artifact_path)
    run = run_id_or_active()
    built = _build(
        sk_model,
        serialization_format,
        input_example=input_example,
        signature=signature,
        pyfunc_predict_fn=pyfunc_predict_fn,
        metadata=metadata,
        requirements=Requirements(pip_requirements, extra_pip_requirements, conda_env),
        model_id=model_id,
        code_paths=code_paths,
        extra_files=extra_files,
        run_id=run,
        artifact_path=path,
    )
    record: dict[str, Any] = {
        "flavor": "sklearn",
        "serialization": built.serialization,
        "trusted_types": built.trusted_types,
    }
    logged_params, logged_tags = _strings(params, "params"), _strings(tags, "tags")
    logged = {"params": logged_params, "tags": logged_tags, "model_type": model_type}
    record.update({k: v for k, v in logged.items() if v})
    info = write_model(run, path, built, record)
    info.params, info.tags, info.model_id = logged_params or {}, logged_tags or {}, model_id
    return register(info, registered_model_name, await_registration_for)


def _strings(values: dict[str, Any] | None, what: str) -> dict[str, str] | None:
    if values is None:
        return None
    if not isinstance(values, dict):
        raise InvalidParameter(f"{what} must be a dict, got {type(values).__name__}")
    return {str(k): str(v) for k, v in values.items()}


def write_directory(path: str | Path, files: list[tuple[str, bytes]]) -> Path:
    """Write a model directory at ``path``, refusing a non-empty existing one (as MLflow does)."""
    target = Path(str(path).removeprefix("file://"))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidParameter(
            f"path {str(target)!r} already exists and is not empty; choose a new directory"
        )
    for rel, data in files:
        dest = target.joinpath(*check_relpath(rel).split("/"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return target


def save_sklearn_model(
    sk_model: Any,
    path: str | Path,
    conda_env: dict[str, Any] | None = None,
    code_paths: list[Any] | None = None,
    mlflow_model: Any = None,
    serialization_format: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: list[str] | None = None,
    extra_files: list[Any] | None = None,
) -> None:
    """Save a scikit-learn model to a local directory as MLflow writes it (``mlflow.sklearn.save_model``).

    The same keywords as :func:`log_sklearn_model` mean the same; ``mlflow_model`` (a
    :class:`~mlnb.flavors.model.Model` to add the flavors to) is accepted and its metadata kept.

    Examples
    --------
    >>> mlnb.sklearn.save_model(pipe, "churn_model", input_example=X_train)  # doctest: +SKIP
    >>> mlnb.sklearn.load_model("churn_model").predict(X_test)  # doctest: +SKIP
    """
    del skops_trusted_types
    if mlflow_model is not None and metadata is None:
        metadata = getattr(mlflow_model, "metadata", None)
    built = _build(
        sk_model,
        serialization_format,
        input_example=input_example,
        signature=signature,
        pyfunc_predict_fn=pyfunc_predict_fn,
        metadata=metadata,
        requirements=Requirements(pip_requirements, extra_pip_requirements, conda_env),
        code_paths=code_paths,
        extra_files=extra_files,
    )
    write_directory(path, built.files)
