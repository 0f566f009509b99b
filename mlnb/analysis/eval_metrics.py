"""Extra metrics for ``mlnb.evaluate``: MLflow's ``make_metric`` objects and plain callables.

A metric function receives its arguments by parameter name, as MLflow passes them:
``predictions``, ``targets``, ``metrics`` (the metrics computed so far), a feature column of the
data, a key of ``evaluator_config`` or the name of another metric. A plain callable with
scikit-learn's ``(y_true, y_pred)`` parameters works as is (``extra_metrics=[balanced_accuracy_score]``).
An MLflow-style function of two other parameters gets ``(eval_df, builtin_metrics)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from mlnb.errors import InvalidParameter


@dataclass(frozen=True)
class MetricValue:
    """What a metric function may return instead of a number: per-row scores and aggregates.

    ``aggregate_results`` entries become metrics named ``<metric>/<aggregate>``; ``scores`` and
    ``justifications`` become columns of the ``eval_results_table`` table.
    """

    scores: list[Any] | None = None
    justifications: list[str] | None = None
    aggregate_results: dict[str, float] | None = None


@dataclass(frozen=True)
class EvaluationMetric:
    """A metric for ``extra_metrics``: its function, name and direction (see :func:`make_metric`)."""

    eval_fn: Any
    name: str
    greater_is_better: bool
    long_name: str | None = None
    version: str | None = None
    metric_details: str | None = None
    metric_metadata: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.eval_fn(*args, **kwargs)


def make_metric(
    *,
    eval_fn: Any,
    greater_is_better: bool,
    name: str | None = None,
    long_name: str | None = None,
    version: str | None = None,
    metric_details: str | None = None,
    metric_metadata: dict[str, Any] | None = None,
    genai_metric_args: dict[str, Any] | None = None,
) -> EvaluationMetric:
    """A metric for ``mlnb.evaluate(extra_metrics=[...])``, with MLflow's ``make_metric`` arguments.

    Parameters
    ----------
    eval_fn : callable
        Returns a number, a :class:`MetricValue` or None (skipped); its parameters are filled by
        name: ``predictions``, ``targets``, ``metrics``, feature columns, ``evaluator_config`` keys.
    greater_is_better : bool
    name : str, optional
        Metric name; default the function's ``__name__`` (a lambda needs a name).

    Examples
    --------
    >>> def hit_rate(predictions, targets):
    ...     return float((predictions == targets).mean())
    >>> make_metric(eval_fn=hit_rate, greater_is_better=True).name
    'hit_rate'
    """
    if not callable(eval_fn):
        raise InvalidParameter(f"eval_fn must be callable, got {type(eval_fn).__name__}")
    if name is None:
        name = getattr(eval_fn, "__name__", None)
        if not name or name == "<lambda>":
            raise InvalidParameter(
                "a metric made from a lambda needs name=: make_metric(..., name='my_metric')"
            )
    return EvaluationMetric(
        eval_fn,
        name,
        bool(greater_is_better),
        long_name,
        version,
        metric_details,
        dict(metric_metadata or {}),
    )


@dataclass
class Context:
    """What metric functions can ask for by parameter name."""

    predictions: Any  # pandas Series
    targets: Any  # pandas Series or None
    features: Any  # DataFrame
    config: dict[str, Any]
    metrics: dict[str, Any]  # by unprefixed name: numbers, or MetricValue from extra metrics


def _name(metric: Any) -> str:
    name = getattr(metric, "name", None) or getattr(metric, "__name__", None)
    if not name or name == "<lambda>":
        raise InvalidParameter(
            "an extra metric needs a name: use mlnb.models.make_metric(eval_fn=..., name=...) for a lambda"
        )
    return str(name)


def as_metric_values(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics as MLflow hands them to metric functions: each a MetricValue of its aggregate."""
    return {
        k: v
        if isinstance(v, MetricValue) or hasattr(v, "aggregate_results")
        else MetricValue(aggregate_results={k: v})
        for k, v in metrics.items()
    }


def _arguments(fn: Any, ctx: Context, mlflow_style: bool) -> list[Any]:
    import copy

    import pandas as pd

    params = inspect.signature(fn).parameters
    names = list(params)
    if not mlflow_style and names[:2] == ["y_true", "y_pred"]:
        return [ctx.targets, ctx.predictions]
    if len(names) == 2 and names[0] != "predictions" and names[1] != "targets":
        eval_df = pd.DataFrame({"prediction": ctx.predictions})
        if ctx.targets is not None:
            eval_df["target"] = ctx.targets
        numbers = {k: v for k, v in ctx.metrics.items() if not hasattr(v, "aggregate_results")}
        return [eval_df, copy.deepcopy(numbers)]
    args, missing = [], []
    for pname, param in params.items():
        if pname == "predictions":
            args.append(ctx.predictions)
        elif pname == "targets" and ctx.targets is not None:
            args.append(ctx.targets)
        elif pname == "metrics":
            args.append(as_metric_values(ctx.metrics))
        elif hasattr(ctx.features, "columns") and pname in ctx.features.columns:
            args.append(ctx.features[pname])
        elif pname in ctx.config:
            args.append(ctx.config[pname])
        elif pname in ctx.metrics:
            args.append(as_metric_values({pname: ctx.metrics[pname]})[pname])
        elif param.default is not inspect.Parameter.empty:
            args.append(param.default)
        elif param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        else:
            missing.append(pname)
    if missing:
        raise InvalidParameter(
            f"extra metric {_name(fn)!r} needs {', '.join(map(repr, missing))}: not 'predictions', "
            "'targets', 'metrics', a column of data, an evaluator_config key or another metric's name"
        )
    return args


def compute_extra(
    extra_metrics: list[Any], ctx: Context, prefix: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metrics by name, per-row columns for eval_results_table)``; ``ctx.metrics`` grows as they run."""
    import numpy as np

    values: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    for metric in extra_metrics:
        mlflow_style = hasattr(metric, "eval_fn")
        fn = metric.eval_fn if mlflow_style else metric
        if not callable(fn):
            raise InvalidParameter(
                f"extra_metrics takes callables or make_metric(...) objects, got {type(metric).__name__}"
            )
        name = _name(metric)
        result = fn(*_arguments(fn, ctx, mlflow_style))
        if result is None:
            continue
        if hasattr(result, "aggregate_results") or hasattr(result, "scores"):
            for agg, number in (getattr(result, "aggregate_results", None) or {}).items():
                values[f"{prefix}{name}/{prefix}{agg}"] = number
            if getattr(result, "scores", None) is not None:
                columns[f"{prefix}{name}/score"] = list(result.scores)
            if getattr(result, "justifications", None) is not None:
                columns[f"{prefix}{name}/justification"] = list(result.justifications)
            ctx.metrics[name] = result
            continue
        if isinstance(result, np.generic):
            result = result.item()
        if not isinstance(result, int | float) or isinstance(result, bool):
            raise InvalidParameter(
                f"extra metric {name!r} returned a {type(result).__name__}; return a number, a "
                "MetricValue or None"
            )
        values[f"{prefix}{name}"] = result
        ctx.metrics[name] = result
    return values, columns
