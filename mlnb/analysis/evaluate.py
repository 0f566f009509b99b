"""``mlnb.evaluate``: MLflow-named metrics, diagnostic plots and validation gates for a model."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mlnb.analysis import _builtin_metrics, _evalinputs, _evalplots, _models, eval_artifacts
from mlnb.analysis.eval_metrics import Context, as_metric_values, compute_extra
from mlnb.analysis.thresholds import MetricThreshold, MetricValidation, html_table, raise_if_failed, validate
from mlnb.display import format as fmt
from mlnb.display.html import bullets, esc, table
from mlnb.errors import InvalidParameter

MODEL_TYPES = _evalinputs.MODEL_TYPES


@dataclass
class EvaluationResult:
    """Metrics (MLflow's names), figures, gate results and the run they were logged to.

    As MLflow's result: ``metrics``, ``artifacts`` (name -> object with ``.uri`` and ``.content``),
    ``tables`` (name -> DataFrame) and ``run_id``.
    """

    metrics: dict[str, Any]
    model_type: str | None
    figures: dict[str, Any] = field(default_factory=dict)
    baseline_metrics: dict[str, Any] | None = None
    validation: list[MetricValidation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None
    artifacts: dict[str, eval_artifacts.EvaluationArtifact] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every validation gate passed (or there were none)."""
        return all(v.passed for v in self.validation)

    def raise_on_failure(self) -> EvaluationResult:
        """Raise ``mlnb.ValidationFailed`` with a table of every gate when any gate failed."""
        raise_if_failed(self.validation)
        return self

    def to_frame(self) -> Any:
        import pandas as pd

        frame = pd.DataFrame({"value": pd.Series(self.metrics, dtype="float64")})
        if self.baseline_metrics is not None:
            frame["baseline"] = pd.Series(self.baseline_metrics, dtype="float64")
        return frame

    def _repr_html_(self) -> str:
        base = self.baseline_metrics
        rows = [
            [k, fmt.number(float(v))] + ([] if base is None else [fmt.number(base.get(k), missing="-")])
            for k, v in self.metrics.items()
        ]
        head = ["metric", "value"] + ([] if base is None else ["baseline"])
        verdict = ""
        if self.validation:
            word = "all gates passed" if self.passed else "validation FAILED"
            verdict = f"<p><b>{word}</b></p>{html_table(self.validation)}"
        run = f" · run {esc(self.run_id)}" if self.run_id else ""
        return (
            f"<div class='mlnb-evaluation'><b>Evaluation</b> ({esc(self.model_type or 'custom metrics')}{run})"
            f"{table(head, rows)}{verdict}"
            + (bullets(self.notes) if self.notes else "")
            + f"<p>plots: {esc(', '.join(self.figures))}</p></div>"
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={fmt.number(float(v))}" for k, v in list(self.metrics.items())[:6])
        gates = "" if not self.validation else (" passed" if self.passed else " FAILED")
        return f"<EvaluationResult {self.model_type}{gates}: {shown}>"


def _run_for(run: Any) -> tuple[str | None, bool]:
    """(run id to log to, whether evaluate started it and must end it)."""
    if run is False:
        return None, False
    if run is not None and run is not True:
        info = getattr(run, "info", None)
        return (info.run_id if info is not None else str(run)), False
    from mlnb.tracking.fluent import active_run, start_run

    active = active_run()
    if active is not None:
        return active.info.run_id, False
    return start_run(run_name="evaluation").info.run_id, True


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str | None = None,
    targets: Any = None,
    predictions: str | None = None,
    dataset_path: str | None = None,
    feature_names: list[str] | None = None,
    evaluators: str | list[str] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    extra_metrics: list[Any] | None = None,
    custom_artifacts: list[Any] | None = None,
    env_manager: str = "local",
    model_config: Any = None,
    inference_params: dict[str, Any] | None = None,
    model_id: str | None = None,
    baseline_model: Any = None,
    validation_thresholds: dict[str, MetricThreshold] | None = None,
    run: Any = None,
    pos_label: Any = None,
    plots: bool = True,
) -> EvaluationResult:
    """Evaluate a model on labelled data: MLflow's metrics and artifacts, plots, gates; logged to a run.

    Takes ``mlflow.evaluate``'s arguments and computes what its default evaluator computes, under
    the same names and with the same values, in a fraction of the time. Classifier:
    ``example_count``, ``accuracy_score``, ``recall_score``, ``precision_score``, ``f1_score``
    (binary for two labels, else ``evaluator_config["average"]``, default weighted),
    ``log_loss``, ``roc_auc`` and (binary) ``precision_recall_auc`` (average precision) with
    probabilities, the four confusion counts for binary, and ``score`` for a scikit-learn model.
    Regressor: ``example_count``, ``mean_absolute_error``, ``mean_squared_error``,
    ``root_mean_squared_error``, ``sum_on_target``, ``mean_on_target``, ``r2_score``,
    ``max_error``, ``mean_absolute_percentage_error`` (and ``score``). A classifier without
    ``predict_proba`` (e.g. ``SVC()``) gets its AUCs from ``decision_function``; ``result.notes``
    says so.

    Parameters
    ----------
    model : estimator, callable, pyfunc model, model URI or run id, optional
        What to evaluate; None evaluates the ``predictions`` column of ``data``.
    data : DataFrame or array
        Evaluation rows: features, plus the target (and predictions) columns when named.
    model_type : {"classifier", "regressor"}, optional
        None with ``extra_metrics`` computes only those; None without infers it from the targets.
    targets : str or array-like
        The target column of ``data``, or the true values.
    predictions : str, optional
        With ``model=None``, the column of ``data`` holding the predictions; with a model that
        returns several columns, the one to evaluate.
    dataset_path, model_config, model_id : optional
        Accepted for MLflow compatibility; not used.
    feature_names : list of str, optional
        The feature columns of ``data`` (default: every column but targets and predictions).
    evaluators : "default" or list, optional
        Only MLflow's default evaluator exists in mlnb.
    evaluator_config : dict, optional
        ``pos_label``, ``label_list``, ``average``, ``metric_prefix``,
        ``log_model_explainability`` (default False in mlnb: SHAP plots cost time), plus values
        metric functions ask for by name.
    extra_metrics : list, optional
        ``mlnb.models.make_metric(...)`` objects or plain functions (``fn(y_true, y_pred)`` or
        MLflow-style ``fn(predictions, targets, metrics)``).
    custom_artifacts : list of callables, optional
        ``fn(eval_df, builtin_metrics, artifacts_dir) -> {name: artifact}``; a file path,
        DataFrame, ndarray, figure, image, dict or list per name.
    env_manager : "local"
    inference_params : dict, optional
        Passed as ``params=`` to a ``predict`` that accepts them.
    baseline_model : estimator, model URI or run id, optional
        The model the candidate must beat (``validation_thresholds`` with ``min_*_change``).
    validation_thresholds : dict of str to MetricThreshold, optional
    run : str, Run or bool, optional
        Where to log: default the active run, else a new run named "evaluation"; False: nowhere.
    pos_label : optional
        The positive class for binary metrics (default: the last label in sorted order).
    plots : bool
        Make (and log) the plots.

    Returns
    -------
    EvaluationResult
        ``.metrics``, ``.artifacts``, ``.tables``, ``.run_id``, ``.figures``, ``.validation``,
        ``.passed``, ``.raise_on_failure()``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(80, 2)); y = (X[:, 0] > 0).astype(int)
    >>> r = evaluate(LogisticRegression().fit(X, y), X, targets=y, model_type="classifier", run=False)
    >>> r.metrics["accuracy_score"] > 0.9
    True
    """
    config = _evalinputs.config(evaluators, evaluator_config)
    _evalinputs.check_environment(env_manager, model)
    if model is None and predictions is None:
        raise InvalidParameter(
            "evaluate needs a model, or model=None with predictions= naming a column of data"
        )
    inputs = _evalinputs.split(data, targets, predictions, feature_names, from_column=model is None)
    kind = _evalinputs.model_type(model_type, inputs.y, extra_metrics)
    if pos_label is None:
        pos_label = config.get("pos_label")
    prefix = config.get("metric_prefix") or ""
    prefix = prefix if isinstance(prefix, str) else ""
    resolved = None if model is None else _models.resolve(model)
    preds = _predictions(resolved, inputs, kind, inference_params)
    builtin, curves = _builtin(resolved, inputs, preds, kind, pos_label, config)
    metrics = {f"{prefix}{k}": v for k, v in builtin.items()}
    table_columns: dict[str, Any] = {}
    ctx = Context(_series(preds.y_pred), _series(inputs.y), inputs.X, config, dict(builtin))
    if extra_metrics:
        extra, table_columns = compute_extra(list(extra_metrics), ctx, prefix)
        metrics.update(extra)
    # custom artifact functions get every metric by unprefixed name, as MetricValue (MLflow's way)
    unprefixed = as_metric_values(ctx.metrics)
    baseline = None
    if baseline_model is not None:
        base = _models.resolve(baseline_model)
        base_preds = _predictions(base, inputs, kind, inference_params)
        baseline = {
            f"{prefix}{k}": v
            for k, v in _builtin(base, inputs, base_preds, kind, pos_label, config)[0].items()
        }
    checks = validate(metrics, validation_thresholds, baseline)
    figures = _figures(kind, curves, config, resolved, inputs.X) if plots and kind else {}
    result = EvaluationResult(metrics, kind, figures, baseline, checks, list(preds.notes))
    files = _files(result, inputs, preds, curves, kind, prefix, table_columns, custom_artifacts, unprefixed)
    run_id, owned = _run_for(run)
    if run_id is not None:
        try:
            _log(result, run_id, files)
        finally:
            if owned:
                from mlnb.tracking.fluent import end_run

                end_run()
        result.run_id = run_id
    return result


def _series(values: Any) -> Any:
    import pandas as pd

    if values is None:
        return None
    return values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)


def _predictions(resolved: Any, inputs: Any, kind: str | None, params: Any) -> _builtin_metrics.Predictions:
    import numpy as np

    if resolved is None:
        return _builtin_metrics.Predictions(np.asarray(inputs.y_pred))
    return _builtin_metrics.predict(resolved.estimator, inputs.X, kind or "", inputs.predictions_name, params)


def _builtin(
    resolved: Any, inputs: Any, preds: Any, kind: str | None, pos_label: Any, config: dict
) -> tuple[dict[str, Any], dict[str, Any]]:
    if kind is None:
        return {}, {}
    if kind == "classifier":
        metrics, curves = _builtin_metrics.classifier_metrics(
            inputs.y,
            preds,
            pos_label=pos_label,
            label_list=config.get("label_list"),
            average=config.get("average", "weighted"),
        )
    else:
        metrics, curves = _builtin_metrics.regressor_metrics(inputs.y, preds.y_pred)
    est = None if resolved is None else resolved.estimator
    # MLflow adds the estimator's own score() for a scikit-learn model
    if est is not None and hasattr(est, "score") and hasattr(est, "get_params"):
        try:
            metrics = {"score": float(est.score(inputs.X, inputs.y)), **metrics}
        except Exception:
            pass
    return metrics, curves


def _figures(kind: str, curves: dict, config: dict, resolved: Any, X: Any) -> dict[str, Any]:
    figures = _evalplots.figures(kind, curves)
    if kind == "classifier" and curves.get("pos") is None:
        figures.update(
            _evalplots.multiclass_figures(curves, config.get("max_classes_for_multiclass_roc_pr", 10))
        )
    if curves.get("probabilities"):
        figures["lift_curve_plot"] = eval_artifacts.lift_curve(curves)
    if (
        config.get("log_model_explainability", False)
        and resolved is not None
        and hasattr(resolved.estimator, "predict")
    ):
        from mlnb.analysis.explain import explain

        explanation = explain(resolved.estimator, X, run=False, progress=False)
        figures["shap_beeswarm_plot"] = explanation.plot_beeswarm()
        figures["shap_summary_plot"] = explanation.plot_beeswarm()
        figures["shap_feature_importance_plot"] = explanation.plot_bar()
    return figures


def _files(
    result: EvaluationResult,
    inputs: Any,
    preds: Any,
    curves: dict,
    kind: str | None,
    prefix: str,
    table_columns: dict[str, Any],
    custom_artifacts: Any,
    unprefixed: dict[str, Any],
) -> list[tuple[str, str, Any]]:
    """``(artifact name, file name, bytes or figure)`` to log; also fills ``result.tables``."""
    import numpy as np
    import pandas as pd

    files: list[tuple[str, str, Any]] = [(k, f"{prefix}{k}.png", fig) for k, fig in result.figures.items()]
    if kind == "classifier" and "classes" in curves and curves.get("pos") is None:
        labels = np.unique(np.concatenate([np.asarray(inputs.y), np.asarray(preds.y_pred)]))
        with_curves = "roc_curve_plot" in result.figures or not result.figures
        proba = curves.get("proba") if with_curves else None
        frame = _builtin_metrics.per_class_frame(inputs.y, preds.y_pred, labels, proba, curves["classes"])
        files.append(
            ("per_class_metrics", f"{prefix}per_class_metrics.csv", frame.to_csv(index=False).encode())
        )
    if table_columns:
        X = inputs.X if isinstance(inputs.X, pd.DataFrame) else pd.DataFrame(inputs.X)
        table = X.reset_index(drop=True).copy()
        if inputs.y is not None:
            table[inputs.targets_name or "target"] = np.asarray(inputs.y)
        table[inputs.predictions_name or "outputs"] = np.asarray(preds.y_pred)
        for name, column in table_columns.items():
            table[name] = column
        result.tables["eval_results_table"] = table
        body = json.dumps(json.loads(table.to_json(orient="split", index=False)))
        files.append(("eval_results_table", f"{prefix}eval_results_table.json", body.encode()))
    if custom_artifacts:
        eval_df = pd.DataFrame({"prediction": np.asarray(preds.y_pred)})
        if inputs.y is not None:
            eval_df["target"] = np.asarray(inputs.y)
        files.extend(eval_artifacts.run_custom(list(custom_artifacts), eval_df, unprefixed))
    if result.validation:
        summary = [
            {
                "metric": v.metric,
                "value": v.value,
                "baseline": v.baseline,
                "passed": v.passed,
                "failures": list(v.failures),
            }
            for v in result.validation
        ]
        files.append(
            ("validation_results", "validation_results.json", json.dumps(summary, indent=1).encode())
        )
    return files


def _log(result: EvaluationResult, run_id: str, files: list[tuple[str, str, Any]]) -> None:
    from mlnb.tracking.fluent import get_run, log_metrics
    from mlnb.tracking.state import get_store

    log_metrics({k: float(v) for k, v in result.metrics.items()}, run_id=run_id, synchronous=True)
    items: list[tuple[str, bytes | Any]] = []
    for name, filename, content in files:
        data = content if isinstance(content, bytes) else eval_artifacts.figure_png(content)
        items.append((filename, data))
        result.artifacts[name] = (name, filename, data)  # type: ignore[assignment]
    if not items:
        return
    get_store().artifacts.write_files(run_id, items)
    root = get_run(run_id).info.artifact_uri.rstrip("/")
    for name, (_, filename, data) in list(result.artifacts.items()):  # type: ignore[misc]
        cls = eval_artifacts.artifact_class(filename)
        result.artifacts[name] = cls(f"{root}/{filename}", None, data)
