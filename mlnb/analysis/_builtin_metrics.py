"""The metrics of MLflow's default evaluator, computed from predictions with scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlnb.display.format import count
from mlnb.errors import InvalidParameter


@dataclass
class Predictions:
    """A model's outputs on the evaluation rows."""

    y_pred: Any
    proba: Any = None  # (n, classes), columns in ``classes`` order
    scores: Any = None  # decision_function, when there are no probabilities
    classes: Any = None  # the model's classes_, when it has them
    notes: list[str] = field(default_factory=list)


def _column(output: Any, name: str | None) -> Any:
    """One column of predictions from a pyfunc-style output (Series, frame, dict, list, array)."""
    import numpy as np
    import pandas as pd

    if isinstance(output, dict):
        output = pd.DataFrame(output)
    if isinstance(output, pd.DataFrame):
        if name is not None and name in output.columns:
            return output[name].to_numpy()
        if output.shape[1] != 1:
            raise InvalidParameter(
                f"the model returned {count(output.shape[1], 'column')} ({', '.join(map(str, output.columns))}); "
                "name the prediction column with predictions="
            )
        return output.iloc[:, 0].to_numpy()
    return np.asarray(output).reshape(len(output), -1)[:, 0] if np.ndim(output) > 1 else np.asarray(output)


def predict(model: Any, X: Any, model_type: str, predictions: str | None, params: Any) -> Predictions:
    """Predictions (and class probabilities for a classifier that has them) of ``model`` on ``X``."""
    import numpy as np

    from mlnb.analysis import _models

    def call(fn: Any) -> Any:
        if params is not None:
            import inspect

            try:
                if "params" in inspect.signature(fn).parameters:
                    return fn(X, params=params)
            except (TypeError, ValueError):
                pass
        return fn(X)

    predict_fn = model.predict if hasattr(model, "predict") else model
    result = Predictions(_column(call(predict_fn), predictions))
    if model_type != "classifier":
        return result
    raw = model
    unwrap = getattr(model, "get_raw_model", None)  # a pyfunc wrapper of a scikit-learn model
    if callable(unwrap) and not hasattr(model, "predict_proba"):
        try:
            raw = unwrap()
        except Exception:
            raw = model
    result.classes = getattr(raw, "classes_", None)
    if hasattr(raw, "predict_proba"):
        result.proba = np.asarray(raw.predict_proba(X))
    elif hasattr(raw, "predict"):
        final = type(_models.split_pipeline(raw)[1]).__name__
        result.notes.append(f"{final} has no predict_proba: log_loss and the calibration curve are skipped")
        if hasattr(raw, "decision_function"):
            result.scores = np.asarray(raw.decision_function(X))
            result.notes.append("roc_auc and precision_recall_auc are computed from decision_function scores")
    return result


def _labels(y_true: Any, p: Predictions, label_list: Any) -> Any:
    import numpy as np

    if label_list is not None:
        return np.sort(np.asarray(label_list))
    parts = [y_true, p.y_pred] + ([np.asarray(p.classes)] if p.classes is not None else [])
    return np.unique(np.concatenate(parts))


def classifier_metrics(
    y_true: Any, p: Predictions, *, pos_label: Any = None, label_list: Any = None, average: str = "weighted"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metrics, curves)``: MLflow's classifier metrics, in MLflow's order."""
    import numpy as np
    from sklearn import metrics as skm

    y_true, y_pred = np.asarray(y_true), np.asarray(p.y_pred)
    labels = _labels(y_true, p, label_list)
    if len(labels) < 2:
        raise InvalidParameter(
            f"a classifier evaluation needs at least two labels, found {list(labels)}; pass all classes "
            "as evaluator_config={'label_list': [...]}"
        )
    classes = np.asarray(p.classes) if p.classes is not None else labels
    metrics: dict[str, Any] = {}
    curves: dict[str, Any] = {"classes": classes, "y_true": y_true, "y_pred": y_pred, "pos": None}
    binary = len(labels) == 2
    if binary:
        pos = labels[-1] if pos_label is None else pos_label
        if pos not in set(labels.tolist()):
            raise InvalidParameter(f"pos_label {pos!r} is not one of the labels {list(labels)}")
        order = [c for c in labels if c != pos] + [pos]
        tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred, labels=order).ravel()
        metrics.update(
            true_negatives=int(tn), false_positives=int(fp), false_negatives=int(fn), true_positives=int(tp)
        )
        avg: dict[str, Any] = {"average": "binary", "pos_label": pos}
        curves["pos"] = pos
    else:
        avg = {"average": average}
    metrics["example_count"] = len(y_true)
    metrics["accuracy_score"] = float(skm.accuracy_score(y_true, y_pred))
    metrics["recall_score"] = float(skm.recall_score(y_true, y_pred, **avg))
    metrics["precision_score"] = float(skm.precision_score(y_true, y_pred, **avg, zero_division=0))
    metrics["f1_score"] = float(skm.f1_score(y_true, y_pred, **avg))
    if p.proba is not None:
        metrics["log_loss"] = float(skm.log_loss(y_true, p.proba, labels=classes))
    if binary and (p.proba is not None or p.scores is not None):
        pos = curves["pos"]
        score = p.proba[:, list(classes).index(pos)] if p.proba is not None else p.scores
        is_pos = (y_true == pos).astype(int)
        fpr, tpr, _ = skm.roc_curve(is_pos, score)
        precision, recall, _ = skm.precision_recall_curve(is_pos, score)
        metrics["roc_auc"] = float(skm.roc_auc_score(is_pos, score))
        # average precision, as MLflow reports it (not the trapezoidal area)
        metrics["precision_recall_auc"] = float(skm.average_precision_score(is_pos, score))
        curves.update(score=score, is_pos=is_pos, fpr=fpr, tpr=tpr, precision=precision, recall=recall)
        curves["probabilities"] = p.proba is not None
    elif p.proba is not None and p.proba.shape[1] == len(classes):
        curves["proba"] = p.proba
    if not binary and "proba" in curves and average in ("macro", "weighted"):
        metrics["roc_auc"] = float(
            skm.roc_auc_score(y_true, p.proba, multi_class="ovr", average=average, labels=classes)
        )
    return metrics, curves


def regressor_metrics(y_true: Any, y_pred: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metrics, curves)``: MLflow's regressor metrics, in MLflow's order."""
    import numpy as np
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype="float64")
    y_pred = np.asarray(y_pred, dtype="float64").reshape(len(y_true))
    total = float(y_true.sum())
    mse = float(skm.mean_squared_error(y_true, y_pred))
    metrics = {
        "example_count": len(y_true),
        "mean_absolute_error": float(skm.mean_absolute_error(y_true, y_pred)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "sum_on_target": total,
        "mean_on_target": total / len(y_true),
        "r2_score": float(skm.r2_score(y_true, y_pred)),
        "max_error": float(skm.max_error(y_true, y_pred)),
        "mean_absolute_percentage_error": float(skm.mean_absolute_percentage_error(y_true, y_pred)),
    }
    return metrics, {"y_true": y_true, "y_pred": y_pred}


def per_class_frame(y_true: Any, y_pred: Any, labels: Any, proba: Any = None, classes: Any = None) -> Any:
    """MLflow's ``per_class_metrics`` table: one-vs-rest binary metrics for each class, and the
    one-vs-rest AUCs when there are probabilities (``proba`` columns in ``classes`` order)."""
    import numpy as np
    import pandas as pd
    from sklearn import metrics as skm

    rows = []
    for label in labels:
        t = (np.asarray(y_true) == label).astype(int)
        q = (np.asarray(y_pred) == label).astype(int)
        metrics, _ = classifier_metrics(t, Predictions(q), pos_label=1, label_list=[0, 1])
        row = {"positive_class": label, **metrics}
        if proba is not None and classes is not None and label in list(classes):
            column = np.asarray(proba)[:, list(classes).index(label)]
            row["roc_auc"] = float(skm.roc_auc_score(t, column)) if 0 < t.sum() < len(t) else float("nan")
            row["precision_recall_auc"] = float(skm.average_precision_score(t, column))
        rows.append(row)
    return pd.DataFrame(rows)
