"""MLflow names mlnb does not provide, each with the feature it belongs to and where to look.

MLflow code runs on mlnb with only its import changed, as far as mlnb covers MLflow (README,
"MLflow compatibility").  For a public MLflow name outside that, ``mlnb.<name>`` and
``import mlnb.<module>`` raise :class:`~mlnb.errors.NotSupportedByMlnb` /
:class:`~mlnb.errors.ModuleNotSupportedByMlnb` naming the MLflow feature instead of a bare
"no attribute".  Names that mlnb exports always win over this table (``mlnb.__getattr__`` looks
here only for names it does not export), so covering a name later needs no change here.
"""

from __future__ import annotations

from mlnb.errors import ModuleNotSupportedByMlnb, NotSupportedByMlnb

_USE_MLFLOW = "use MLflow itself for that (it imports fine next to mlnb)"

# feature -> (hint, names relative to ``mlflow``; a dotted name is an attribute of a submodule)
_FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "MLflow Tracing (GenAI traces and spans)": (
        f"mlnb tracks model training, not LLM or agent calls; {_USE_MLFLOW}",
        (
            "tracing", "context", "trace", "start_span", "start_span_no_context", "get_trace", "search_traces",
            "update_current_trace", "get_current_active_span", "get_active_trace_id",
            "get_last_active_trace_id", "add_trace", "log_trace", "set_trace_tag", "delete_trace_tag",
            "flush_trace_async_logging",
        ),
    ),
    "MLflow GenAI (mlflow.genai: GenAI evaluation, scorers, assessments and feedback)": (
        f"for classical models use mlnb.evaluate; for GenAI, {_USE_MLFLOW}",
        (
            "genai", "test", "log_assessment", "log_expectation", "log_feedback", "get_assessment",
            "update_assessment", "delete_assessment", "override_feedback", "log_issue", "search_sessions",
        ),
    ),
    "the MLflow Prompt Registry": (
        _USE_MLFLOW,
        ("register_prompt", "load_prompt", "search_prompts", "set_prompt_alias", "delete_prompt_alias"),
    ),
    "MLflow 3's LoggedModel API (models as entities of their own)": (
        "in mlnb a model belongs to the run that logged it: log it with mlnb.sklearn.log_model or "
        "mlnb.pyfunc.log_model and address it as runs:/<run_id>/<name> or models:/<name>/<version>",
        (
            "ActiveModel", "set_active_model", "clear_active_model", "get_active_model_id",
            "create_external_model", "initialize_logged_model", "finalize_logged_model",
            "get_logged_model", "last_logged_model", "search_logged_models", "set_logged_model_tags",
            "delete_logged_model_tag", "log_model_params", "log_outputs", "import_checkpoints",
        ),
    ),
    "MLflow Deployments and the AI Gateway": (
        "to serve a model over REST use mlnb.serve(model_uri), which speaks MLflow's /invocations "
        f"protocol; for deployment targets and the gateway, {_USE_MLFLOW}",
        ("deployments", "gateway", "models.build_docker"),
    ),
    "MLflow Projects": (
        f"run the code directly (a script, or a notebook tracked with %%track); for projects, {_USE_MLFLOW}",
        ("projects", "run"),
    ),
    "MLflow Recipes (removed in MLflow 3)": (_USE_MLFLOW, ("recipes",)),
    "MLflow's Image class (images logged over steps)": (
        "pass a numpy array or a PIL image to mlnb.log_image, with key= and step= for a series",
        ("Image",),
    ),
    "MLflow's validate_evaluation_results": (
        "pass validation_thresholds={metric: mlnb.models.MetricThreshold(...)} (and baseline_model=) "
        "to mlnb.evaluate, which checks them and reports every failed threshold",
        ("validate_evaluation_results",),
    ),
    "Spark": (
        f"mlnb models predict in-process (model.predict) or over REST (mlnb.serve); for Spark, {_USE_MLFLOW}",
        ("spark", "pyspark", "pyfunc.spark_udf"),
    ),
    "the MLflow tracking server, UI and workspaces": (
        "mlnb needs no server: runs are compared in the notebook (mlnb.compare), in the JupyterLab "
        "sidebar and from the `mlnb` command line",
        (
            "server", "login", "create_workspace", "delete_workspace", "get_workspace",
            "list_workspaces", "set_workspace", "update_workspace",
        ),
    ),
    "MLflow system metrics (CPU/GPU sampling)": (
        "mlnb does not sample system metrics; remove the call",
        (
            "system_metrics", "enable_system_metrics_logging", "disable_system_metrics_logging",
            "set_system_metrics_node_id", "set_system_metrics_samples_before_logging",
            "set_system_metrics_sampling_interval",
        ),
    ),
    "MLflow's asynchronous logging": (
        "mlnb writes every value when it is logged, so there is nothing to flush: remove the call",
        ("flush_async_logging", "flush_artifact_async_logging"),
    ),
    "model flavors other than scikit-learn and Python models": (
        "mlnb logs and loads scikit-learn models (mlnb.sklearn) and any Python model "
        f"(mlnb.pyfunc.PythonModel); for this framework's flavor, {_USE_MLFLOW}",
        (
            "openai", "langchain", "llama_index", "transformers", "sentence_transformers", "anthropic",
            "bedrock", "gemini", "mistral", "groq", "litellm", "dspy", "autogen", "crewai", "smolagents",
            "pydantic_ai", "agno", "strands", "haystack", "semantic_kernel", "pytorch",
            "tensorflow", "keras", "xgboost", "lightgbm", "catboost", "h2o", "onnx", "statsmodels",
            "prophet", "pmdarima", "spacy", "paddle", "johnsnowlabs",
        ),
    ),
    "MLflow's GenAI and custom evaluation metrics (mlflow.metrics)": (
        "mlnb.evaluate computes the standard classifier and regressor metrics; pass your own as "
        "extra_metrics",
        ("metrics",),
    ),
    "MLflow's environment doctor": ("`mlnb --help` lists mlnb's diagnostics (e.g. `mlnb verify`)", ("doctor",)),
}  # fmt: skip

UNSUPPORTED: dict[str, tuple[str, str]] = {
    name: (feature, hint) for feature, (hint, names) in _FEATURES.items() for name in names
}


def lookup(name: str) -> tuple[str, str] | None:
    """``(feature, hint)`` for an MLflow name mlnb does not provide (``"deployments"``,
    ``"pyfunc.spark_udf"``), or ``None``."""
    return UNSUPPORTED.get(name)


def _message(name: str, feature: str, hint: str) -> str:
    return (
        f"mlflow.{name} belongs to {feature}, which mlnb does not cover: {hint}. "
        "The MLflow API mlnb covers is listed in mlnb's README, section 'MLflow compatibility'."
    )


def attribute_error(name: str, module: str = "mlnb") -> AttributeError:
    """The error for ``<module>.<name>``: :class:`NotSupportedByMlnb` for a known MLflow name,
    otherwise Python's usual ``AttributeError``.

    ``module`` is ``"mlnb"`` or one of its MLflow-named modules (``"mlnb.pyfunc"``), whose own
    ``__getattr__`` may end with ``raise attribute_error(name, __name__)``.
    """
    relative = ".".join([*module.split(".")[1:], name])
    found = lookup(relative)
    if found is None:
        return AttributeError(f"module {module!r} has no attribute {name!r}", name=name)
    error = NotSupportedByMlnb(_message(relative, *found))
    error.name = name
    error.mlflow_name = f"mlflow.{relative}"
    error.feature = found[0]
    return error


def import_error(fullname: str) -> ModuleNotSupportedByMlnb | None:
    """The error for ``import mlnb.<name>`` (or ``from mlnb import <name>``) when ``<name>`` is a
    known MLflow name mlnb does not provide; ``None`` for any other name."""
    name = fullname.removeprefix("mlnb.")
    found = lookup(name)
    if found is None:
        return None
    # no ``name=fullname``: for ``from mlnb import x`` the import system would take the error
    # for "no such submodule", drop it and report a bare "cannot import name"
    error = ModuleNotSupportedByMlnb(_message(name, *found))
    error.mlflow_name = f"mlflow.{name}"
    error.feature = found[0]
    return error
