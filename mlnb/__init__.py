"""mlnb: experiment tracking native to Jupyter.

``import mlnb`` is cheap: every name below is imported on first use (PEP 562), so pandas,
SQLAlchemy, scikit-learn and friends load only when a feature needs them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # store
    "set_store": "mlnb.tracking.state",
    "get_store": "mlnb.tracking.state",
    # experiments
    "create_experiment": "mlnb.tracking.fluent",
    "set_experiment": "mlnb.tracking.fluent",
    "get_experiment": "mlnb.tracking.fluent",
    "get_experiment_by_name": "mlnb.tracking.fluent",
    "search_experiments": "mlnb.tracking.fluent",
    "delete_experiment": "mlnb.tracking.fluent",
    "restore_experiment": "mlnb.tracking.fluent",
    # runs
    "start_run": "mlnb.tracking.fluent",
    "end_run": "mlnb.tracking.fluent",
    "active_run": "mlnb.tracking.fluent",
    "last_active_run": "mlnb.tracking.fluent",
    "get_run": "mlnb.tracking.fluent",
    "delete_run": "mlnb.tracking.fluent",
    "restore_run": "mlnb.tracking.fluent",
    "set_terminated": "mlnb.tracking.fluent",
    "log_param": "mlnb.tracking.fluent",
    "log_params": "mlnb.tracking.fluent",
    "log_metric": "mlnb.tracking.fluent",
    "log_metrics": "mlnb.tracking.fluent",
    "set_tag": "mlnb.tracking.fluent",
    "set_tags": "mlnb.tracking.fluent",
    "delete_tag": "mlnb.tracking.fluent",
    "get_metric_history": "mlnb.tracking.fluent",
    "flush": "mlnb.tracking.fluent",
    "ActiveRun": "mlnb.tracking.fluent",
    "log_input": "mlnb.tracking.datasets",
    "search_runs": "mlnb.tracking.search",
    # artifacts
    "log_artifact": "mlnb.tracking.artifacts",
    "log_artifacts": "mlnb.tracking.artifacts",
    "log_text": "mlnb.tracking.artifacts",
    "log_dict": "mlnb.tracking.artifacts",
    "log_figure": "mlnb.tracking.artifacts",
    "list_artifacts": "mlnb.tracking.artifacts",
    "download_artifacts": "mlnb.tracking.artifacts",
    "open_artifact": "mlnb.tracking.artifacts",
    "load_text": "mlnb.tracking.artifacts",
    "load_dict": "mlnb.tracking.artifacts",
    "log_stream": "mlnb.tracking.artifacts",
    "get_artifact_uri": "mlnb.tracking.artifacts",
    # data
    "datasets": "mlnb",
    # MLflow's modules: models, types, data, artifacts (facades)
    "models": "mlnb",
    "types": "mlnb",
    "data": "mlnb",
    "artifacts": "mlnb",
    "log_inputs": "mlnb.tracking.datasets",
    # entities
    "Run": "mlnb.entities",
    "RunInfo": "mlnb.entities",
    "RunData": "mlnb.entities",
    "Metric": "mlnb.entities",
    "Experiment": "mlnb.entities",
    "RunStatus": "mlnb.entities",
    "ViewType": "mlnb.entities",
    # inline panels
    "compare": "mlnb.widgets.compare",
    "ComparePanel": "mlnb.widgets.compare",
    "registry_panel": "mlnb.widgets.registry",
    "RegistryPanel": "mlnb.widgets.registry",
    # explain, evaluate, drift
    "explain": "mlnb.widgets.explain",
    "evaluate": "mlnb.analysis.evaluate",
    "MetricThreshold": "mlnb.analysis.thresholds",
    "drift": "mlnb.analysis.drift",
    "check_drift": "mlnb.analysis.drift",
    # fluent API parity with MLflow (tracking URIs, experiment tags, tables, images)
    "set_tracking_uri": "mlnb.tracking.state",
    "get_tracking_uri": "mlnb.tracking.state",
    "is_tracking_uri_set": "mlnb.tracking.state",
    "set_registry_uri": "mlnb.tracking.state",
    "get_registry_uri": "mlnb.tracking.state",
    "set_experiment_tag": "mlnb.tracking.fluent",
    "set_experiment_tags": "mlnb.tracking.fluent",
    "log_table": "mlnb.tracking.media",
    "log_image": "mlnb.tracking.media",
    "load_table": "mlnb.tracking.media",
    "delete_experiment_tag": "mlnb.tracking.fluent",
    "get_parent_run": "mlnb.tracking.fluent",
    # errors
    "MlnbError": "mlnb.errors",
    "InvalidParameter": "mlnb.errors",
    "ParamConflict": "mlnb.errors",
    "UnsafePath": "mlnb.errors",
    "FilterSyntaxError": "mlnb.errors",
    "NotFound": "mlnb.errors",
    "RunNotFound": "mlnb.errors",
    "ExperimentNotFound": "mlnb.errors",
    "ArtifactNotFound": "mlnb.errors",
    "ModelNotFound": "mlnb.errors",
    "AliasNotFound": "mlnb.errors",
    "TagNotFound": "mlnb.errors",
    "RunDeleted": "mlnb.errors",
    "AlreadyExists": "mlnb.errors",
    "InvalidState": "mlnb.errors",
    "StoreError": "mlnb.errors",
    "StoreReadOnly": "mlnb.errors",
    "IntegrityError": "mlnb.errors",
    "InvalidUri": "mlnb.errors",
    "ValidationFailed": "mlnb.errors",
    "UnsupportedModel": "mlnb.errors",
    # models
    "log_model": "mlnb.tracking.model_logging",
    "ModelInfo": "mlnb.flavors.model",
    "load_model": "mlnb.registry.loading",
    "sklearn": "mlnb.sklearn",
    "serve": "mlnb.serve.handle",
    # pyfunc (MLflow's mlflow.pyfunc module)
    "pyfunc": "mlnb",
    # registry
    "register_model": "mlnb.registry.versions",
    "create_registered_model": "mlnb.registry.versions",
    "get_registered_model": "mlnb.registry.versions",
    "search_registered_models": "mlnb.registry.versions",
    "update_registered_model": "mlnb.registry.versions",
    "delete_registered_model": "mlnb.registry.versions",
    "set_registered_model_tag": "mlnb.registry.versions",
    "delete_registered_model_tag": "mlnb.registry.versions",
    "get_model_version": "mlnb.registry.versions",
    "search_model_versions": "mlnb.registry.versions",
    "update_model_version": "mlnb.registry.versions",
    "delete_model_version": "mlnb.registry.versions",
    "set_model_version_tag": "mlnb.registry.versions",
    "delete_model_version_tag": "mlnb.registry.versions",
    "set_registered_model_alias": "mlnb.registry.aliases",
    "delete_registered_model_alias": "mlnb.registry.aliases",
    "get_model_version_by_alias": "mlnb.registry.aliases",
    "get_alias_history": "mlnb.registry.aliases",
    "transition_model_version_stage": "mlnb.registry.stages",
    "get_latest_versions": "mlnb.registry.stages",
    "promote": "mlnb.registry.gates",
    "PromotionResult": "mlnb.registry.gates",
    "resolve_model_uri": "mlnb.registry.uris",
    "RegisteredModel": "mlnb.registry.entities",
    "ModelVersion": "mlnb.registry.entities",
    # shapeval: mlflow.shap and mlflow.evaluate
    "shap": "mlnb",
    # compat: MLflow's exception under its name, and the error for MLflow names mlnb lacks
    "exceptions": "mlnb",
    "MlflowException": "mlnb.exceptions",
    "NotSupportedByMlnb": "mlnb.errors",
    "ModuleNotSupportedByMlnb": "mlnb.errors",
    # client: MLflow's MlflowClient, its entities and module names
    "MlflowClient": "mlnb.registry.client",
    "client": "mlnb",
    "tracking": "mlnb",
    "entities": "mlnb",
    "Param": "mlnb.entities",
    "RunTag": "mlnb.entities",
    "ExperimentTag": "mlnb.entities",
    "FileInfo": "mlnb.entities",
    # autolog
    "autolog": "mlnb.capture.autolog",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("__"):
            raise AttributeError(f"module 'mlnb' has no attribute {name!r}")
        # an MLflow name mlnb does not provide gets an error naming the MLflow feature
        from mlnb.unsupported import attribute_error

        raise attribute_error(name)
    if module == "mlnb":  # a subpackage or submodule, e.g. mlnb.datasets
        value = import_module(f"mlnb.{name}")
    else:
        value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _MlflowNameFinder:
    """Last on ``sys.meta_path``: ``import mlnb.deployments`` (an MLflow module mlnb does not
    provide) raises an error naming the MLflow feature instead of "No module named"."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.startswith("mlnb.") and fullname.count(".") == 1:
            from mlnb.unsupported import import_error

            error = import_error(fullname)
            if error is not None:
                raise error
        return None


if not any(type(finder).__name__ == "_MlflowNameFinder" for finder in sys.meta_path):
    sys.meta_path.append(_MlflowNameFinder())


def _notebook_progress_view(total: int | None) -> Any:
    """A long step's bar in a notebook: :mod:`mlnb.display.progress` decides when and where a
    bar shows; :mod:`mlnb.widgets`, the one package that knows ipywidgets, draws it."""
    from mlnb.widgets.progress import WidgetProgressView

    return WidgetProgressView(total)


def _install_progress_view() -> None:
    from mlnb.display.progress_view import use_widget_view

    use_widget_view(_notebook_progress_view)


_install_progress_view()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlnb``: register ``%%track`` and ``%mlnb``."""
    from mlnb.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mlnb``: remove what ``%load_ext mlnb`` registered."""
    from mlnb.magics import unload_ipython_extension as _unload

    _unload(ipython)
