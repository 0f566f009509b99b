"""Metrics of a tracked cell: what sklearn metric calls and ``.score`` returned, well named.

A metric assigned to a variable is named by it (``test_f1 = f1_score(...)`` -> ``test_f1``);
otherwise it gets MLflow's post-training key ``{function}[-{n}]_{dataset}``, where the dataset
is the variable the predictions were computed from (``X_test``), also when the metric sees a
slice or a copy of them.  A site executed several times (a loop) logs one point per step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from mlnb.capture.instrument import CellPlan
from mlnb.capture.params import is_estimator
from mlnb.capture.probe import Event


def as_number(value: Any) -> float | None:
    """A real scalar as float (NaN kept), anything else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_sklearn_metric(func: Any) -> bool:
    """Whether ``func`` is one of scikit-learn's metric functions (only those are logged)."""
    module = getattr(func, "__module__", None) or ""
    return module == "sklearn.metrics" or module.startswith("sklearn.metrics.")


def collect(plan: CellPlan, events: Iterable[Event]) -> dict[str, list[float]]:
    """Metric key -> values in call order (the step is the index)."""
    out: dict[str, list[float]] = {}
    calls_per_name: dict[str, int] = {}
    for event in events:
        site = plan.sites.get(event.site)
        if site is None or not event.done or site.kind not in ("metric", "score"):
            continue
        value = as_number(event.value)
        if value is None:
            continue
        if site.kind == "metric":
            if not is_sklearn_metric(event.function):
                continue
            name = getattr(event.function, "__name__", site.name)
        else:
            if not is_estimator(event.receiver):
                continue
            name = f"{type(event.receiver).__name__}_score"
        if site.target:
            key = site.target
        else:
            index = calls_per_name.get(name, 0)
            calls_per_name[name] = index + 1
            key = f"{name if index == 0 else f'{name}-{index + 1}'}_{site.dataset or 'unknown_dataset'}"
        out.setdefault(key, []).append(value)
    return out


def training_metrics(
    estimator: Any, X: Any, y: Any, prefix: str = "", *, pos_label: Any = None, sample_weight: Any = None
) -> dict[str, float]:
    """MLflow autolog's ``training_*`` metrics of a fitted estimator on its fit data.

    Precision, recall and F1 are weighted averages, or binary ones for ``pos_label`` when it is
    given; ``sample_weight`` (the one given to ``fit``) weights every metric, as MLflow does.
    """
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    found: dict[str, Any] = {}
    weight = {} if sample_weight is None else {"sample_weight": sample_weight}

    def attempt(key: str, compute: Any) -> None:
        try:
            value = as_number(compute())
        except Exception:
            return
        if value is not None:
            found[f"{prefix}training_{key}"] = value

    if y is None:
        return {}
    if is_classifier(estimator):
        y_pred = estimator.predict(X)
        average = "weighted" if pos_label is None else "binary"
        label = {} if pos_label is None else {"pos_label": pos_label}
        for name, func in (
            ("precision_score", metrics.precision_score),
            ("recall_score", metrics.recall_score),
            ("f1_score", metrics.f1_score),
        ):
            attempt(name, lambda f=func: f(y, y_pred, average=average, zero_division=0, **label, **weight))
        attempt("accuracy_score", lambda: metrics.accuracy_score(y, y_pred, **weight))
        if hasattr(estimator, "predict_proba"):
            try:
                proba = estimator.predict_proba(X)
            except Exception:
                proba = None
            if proba is not None:
                attempt("log_loss", lambda: metrics.log_loss(y, proba, labels=estimator.classes_, **weight))
                scores = proba[:, 1] if proba.shape[1] == 2 else proba
                attempt(
                    "roc_auc",
                    lambda: metrics.roc_auc_score(y, scores, average="weighted", multi_class="ovo", **weight),
                )
    elif is_regressor(estimator):
        y_pred = estimator.predict(X)
        attempt("mean_squared_error", lambda: metrics.mean_squared_error(y, y_pred, **weight))
        if f"{prefix}training_mean_squared_error" in found:
            mse = found[f"{prefix}training_mean_squared_error"]
            attempt("root_mean_squared_error", lambda: math.sqrt(mse))
        attempt("mean_absolute_error", lambda: metrics.mean_absolute_error(y, y_pred, **weight))
        attempt("r2_score", lambda: metrics.r2_score(y, y_pred, **weight))
    if hasattr(estimator, "score"):
        default = _default_score(estimator)
        if default is not None and f"{prefix}training_{default}" in found:
            # score() would predict again only to compute the same accuracy / R² (a third pass
            # of a forest over the training data)
            found[f"{prefix}training_score"] = found[f"{prefix}training_{default}"]
        else:
            attempt("score", lambda: estimator.score(X, y, **weight))
    return found


def _default_score(estimator: Any) -> str | None:
    """``"accuracy_score"``/``"r2_score"`` when ``estimator.score`` is scikit-learn's default one."""
    from sklearn.base import ClassifierMixin, RegressorMixin
    from sklearn.pipeline import Pipeline

    final = estimator
    if type(estimator) is Pipeline:  # its score() is the final step's on the transformed data
        final = estimator.steps[-1][1]
    method = getattr(type(final), "score", None)
    if method is ClassifierMixin.score:
        return "accuracy_score"
    if method is RegressorMixin.score:
        return "r2_score"
    return None
