"""``mlnb.evaluate``: MLflow-named metrics, diagnostic plots and validation gates for a model."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from mlnb.analysis import _evalplots, _models
from mlnb.analysis.thresholds import MetricThreshold, MetricValidation, html_table, raise_if_failed, validate
from mlnb.errors import InvalidParameter

MODEL_TYPES = ("classifier", "regressor")


@dataclass
class EvaluationResult:
    """Metrics (MLflow's names), figures, gate results and the run they were logged to."""

    metrics: dict[str, float]
    model_type: str
    figures: dict[str, Any] = field(default_factory=dict)
    baseline_metrics: dict[str, float] | None = None
    validation: list[MetricValidation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None

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
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:.6g}</td>"
            + (
                f"<td>{self.baseline_metrics[k]:.6g}</td>"
                if self.baseline_metrics and k in self.baseline_metrics
                else ("<td>-</td>" if self.baseline_metrics is not None else "")
            )
            + "</tr>"
            for k, v in self.metrics.items()
        )
        head = "<tr><th>metric</th><th>value</th>" + (
            "<th>baseline</th>" if self.baseline_metrics is not None else ""
        )
        verdict = ""
        if self.validation:
            word = "all gates passed" if self.passed else "validation FAILED"
            verdict = f"<p><b>{word}</b></p>{html_table(self.validation)}"
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        run = f" · run {html.escape(self.run_id)}" if self.run_id else ""
        return (
            f"<div class='mlnb-evaluation'><b>Evaluation</b> ({html.escape(self.model_type)}{run})"
            f"<table>{head}</tr>{rows}</table>{verdict}"
            + (f"<ul>{notes}</ul>" if notes else "")
            + f"<p>plots: {html.escape(', '.join(self.figures))}</p></div>"
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in list(self.metrics.items())[:6])
        gates = "" if not self.validation else (" passed" if self.passed else " FAILED")
        return f"<EvaluationResult {self.model_type}{gates}: {shown}>"


def _split(data: Any, targets: Any) -> tuple[Any, Any]:
    if isinstance(targets, str):
        if not hasattr(data, "columns") or targets not in data.columns:
            raise InvalidParameter(f"targets={targets!r} is not a column of data")
        return data.drop(columns=[targets]), data[targets]
    if targets is None:
        raise InvalidParameter("evaluate needs targets=: a column name of data or the true values")
    if len(targets) != len(data):
        raise InvalidParameter(f"targets has {len(targets)} values but data has {len(data)} rows")
    return data, targets


def _pos_label(labels: Any, pos_label: Any) -> Any:
    if pos_label is not None:
        return pos_label
    return 1 if 1 in set(labels.tolist()) else labels[-1]


def classifier_metrics(
    model: Any, X: Any, y: Any, pos_label: Any = None
) -> tuple[dict[str, float], list[str], dict]:
    """MLflow's default classifier metrics; probability metrics only with ``predict_proba``."""
    import numpy as np
    from sklearn import metrics as skm

    y_true = np.asarray(y)
    y_pred = np.asarray(model.predict(X))
    labels = np.unique(np.concatenate([y_true, y_pred]))
    classes = np.asarray(getattr(model, "classes_", labels))
    binary = len(classes) <= 2 and len(labels) <= 2
    notes: list[str] = []
    proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    scores = None
    if proba is None:
        notes.append(
            f"{type(_models.split_pipeline(model)[1]).__name__} has no predict_proba: log_loss and the "
            "calibration curve are skipped"
        )
        if hasattr(model, "decision_function"):
            scores = np.asarray(model.decision_function(X))
            notes.append("roc_auc and precision_recall_auc are computed from decision_function scores")
    metrics: dict[str, float] = {"example_count": float(len(y_true))}
    if binary:
        pos = _pos_label(classes, pos_label)
        tn, fp, fn, tp = skm.confusion_matrix(
            y_true, y_pred, labels=[c for c in classes if c != pos] + [pos]
        ).ravel()
        metrics.update(true_negatives=tn, false_positives=fp, false_negatives=fn, true_positives=tp)
        avg: dict[str, Any] = {"average": "binary", "pos_label": pos}
    else:
        pos = None
        avg = {"average": "weighted"}
    metrics["accuracy_score"] = skm.accuracy_score(y_true, y_pred)
    metrics["recall_score"] = skm.recall_score(y_true, y_pred, **avg)
    metrics["precision_score"] = skm.precision_score(y_true, y_pred, **avg, zero_division=0)
    metrics["f1_score"] = skm.f1_score(y_true, y_pred, **avg)
    if proba is not None:
        metrics["log_loss"] = skm.log_loss(y_true, proba, labels=classes)
    curves: dict[str, Any] = {"classes": classes, "pos": pos, "y_true": y_true, "y_pred": y_pred}
    if binary and (proba is not None or scores is not None):
        score = proba[:, list(classes).index(pos)] if proba is not None else scores
        is_pos = (y_true == pos).astype(int)
        fpr, tpr, _ = skm.roc_curve(is_pos, score)
        precision, recall, _ = skm.precision_recall_curve(is_pos, score)
        metrics["roc_auc"] = skm.auc(fpr, tpr)
        metrics["precision_recall_auc"] = skm.auc(recall, precision)
        curves.update(score=score, is_pos=is_pos, fpr=fpr, tpr=tpr, precision=precision, recall=recall)
        curves["probabilities"] = proba is not None
    elif proba is not None and len(classes) > 2:
        onehot = (y_true[:, None] == classes[None, :]).astype(int)
        metrics["roc_auc"] = skm.roc_auc_score(onehot, proba, average="weighted")
        metrics["precision_recall_auc"] = skm.average_precision_score(onehot, proba, average="weighted")
    return {k: float(v) for k, v in metrics.items()}, notes, curves


def regressor_metrics(model: Any, X: Any, y: Any) -> tuple[dict[str, float], list[str], dict]:
    """MLflow's default regressor metrics."""
    import numpy as np
    from sklearn import metrics as skm

    y_true = np.asarray(y, dtype="float64")
    y_pred = np.asarray(model.predict(X), dtype="float64")
    total = float(y_true.sum())
    metrics = {
        "example_count": float(len(y_true)),
        "mean_absolute_error": skm.mean_absolute_error(y_true, y_pred),
        "mean_squared_error": skm.mean_squared_error(y_true, y_pred),
        "root_mean_squared_error": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "sum_on_target": total,
        "mean_on_target": total / len(y_true),
        "r2_score": skm.r2_score(y_true, y_pred),
        "max_error": skm.max_error(y_true, y_pred),
        "mean_absolute_percentage_error": skm.mean_absolute_percentage_error(y_true, y_pred),
    }
    return {k: float(v) for k, v in metrics.items()}, [], {"y_true": y_true, "y_pred": y_pred}


def _compute(model: Any, X: Any, y: Any, model_type: str, pos_label: Any) -> tuple[dict, list, dict]:
    if model_type == "classifier":
        return classifier_metrics(model, X, y, pos_label)
    return regressor_metrics(model, X, y)


def _run_for(run: Any, resolved: _models.ResolvedModel) -> tuple[str | None, bool]:
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
    model: Any,
    data: Any,
    *,
    targets: Any = None,
    model_type: str = "classifier",
    baseline_model: Any = None,
    validation_thresholds: dict[str, MetricThreshold] | None = None,
    run: Any = None,
    pos_label: Any = None,
    plots: bool = True,
) -> EvaluationResult:
    """Evaluate a model on labelled data: metrics, plots, gates; logged to a run.

    Metric names follow ``mlflow.evaluate``'s default evaluator. Classifier: ``example_count``,
    ``accuracy_score``, ``precision_score``, ``recall_score``, ``f1_score`` (binary for two
    classes, else weighted), ``log_loss``, ``roc_auc``, ``precision_recall_auc`` (area under the
    precision-recall curve; weighted average precision for multiclass) and, for binary, the four
    confusion counts. A model without ``predict_proba`` (e.g. ``SVC()``) gets no ``log_loss`` and
    no calibration plot, its AUCs come from ``decision_function``; ``result.notes`` says so.
    Regressor: ``mean_absolute_error``, ``mean_squared_error``, ``root_mean_squared_error``,
    ``r2_score``, ``max_error``, ``mean_absolute_percentage_error``, ``sum_on_target``,
    ``mean_on_target``, ``example_count``.

    Parameters
    ----------
    model, baseline_model : estimator, model URI or run id
        The candidate and (optionally) the model it must beat.
    data : DataFrame or array
        Features, plus the target column when ``targets`` names one.
    targets : str or array-like
        The target column name in ``data``, or the true values.
    model_type : {"classifier", "regressor"}
    validation_thresholds : dict of str to MetricThreshold, optional
        Gates per metric; ``min_absolute_change``/``min_relative_change`` need ``baseline_model``.
    run : str, Run or bool, optional
        Where to log: default the active run, else a new run named "evaluation"; False: nowhere.
    pos_label : optional
        The positive class for binary metrics (default 1 when it is a class, else the last class).
    plots : bool
        Make (and log) the plots: confusion matrix, ROC, precision-recall, calibration for
        classifiers; residuals and predicted-vs-true for regressors.

    Returns
    -------
    EvaluationResult
        ``.metrics``, ``.figures``, ``.validation``, ``.passed``, ``.raise_on_failure()``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(80, 2)); y = (X[:, 0] > 0).astype(int)
    >>> r = evaluate(LogisticRegression().fit(X, y), X, targets=y, run=False, plots=False)
    >>> r.metrics["accuracy_score"] > 0.9
    True
    """
    if model_type not in MODEL_TYPES:
        raise InvalidParameter(f"model_type must be 'classifier' or 'regressor', got {model_type!r}")
    X, y = _split(data, targets)
    resolved = _models.resolve(model)
    metrics, notes, curves = _compute(resolved.estimator, X, y, model_type, pos_label)
    baseline = None
    if baseline_model is not None:
        baseline = _compute(_models.resolve(baseline_model).estimator, X, y, model_type, pos_label)[0]
    checks = validate(metrics, validation_thresholds, baseline)
    figures = _evalplots.figures(model_type, curves) if plots else {}
    result = EvaluationResult(metrics, model_type, figures, baseline, checks, notes)
    run_id, owned = _run_for(run, resolved)
    if run_id is not None:
        _log(result, run_id)
        result.run_id = run_id
        if owned:
            from mlnb.tracking.fluent import end_run

            end_run()
    return result


def _log(result: EvaluationResult, run_id: str) -> None:
    from mlnb.analysis._plots import to_png
    from mlnb.store.artifacts import write_files
    from mlnb.tracking.fluent import log_metrics
    from mlnb.tracking.state import get_store

    log_metrics(result.metrics, run_id=run_id, synchronous=True)
    items: list[tuple[str, bytes | Any]] = [
        (f"{name}.png", to_png(fig)) for name, fig in result.figures.items()
    ]
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
        items.append(("validation_results.json", json.dumps(summary, indent=1).encode()))
    if items:
        write_files(get_store(), run_id, items)
