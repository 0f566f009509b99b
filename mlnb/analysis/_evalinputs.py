"""The arguments of ``mlnb.evaluate`` checked and unpacked as MLflow's default evaluator reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlnb.display.format import count
from mlnb.errors import InvalidParameter

MODEL_TYPES = ("classifier", "regressor")
EVALUATORS = ("default", "classifier", "regressor")
# evaluator_config keys the default evaluator honours; anything else is offered to metric functions
CONFIG_KEYS = (
    "pos_label",
    "label_list",
    "average",
    "metric_prefix",
    "log_model_explainability",
    "max_classes_for_multiclass_roc_pr",
    "col_mapping",
)


def config(evaluators: Any, evaluator_config: Any) -> dict[str, Any]:
    """The default evaluator's config; ``evaluators`` may be None, "default" or a list of names."""
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or ["default"])
    unknown = [n for n in names if n not in EVALUATORS]
    if unknown:
        raise InvalidParameter(
            f"unknown evaluator {unknown[0]!r}: mlnb has the default evaluator ('default'; "
            f"also accepted: {', '.join(repr(e) for e in EVALUATORS[1:])})"
        )
    if evaluator_config is None:
        return {}
    if not isinstance(evaluator_config, dict):
        raise InvalidParameter(f"evaluator_config must be a dict, got {type(evaluator_config).__name__}")
    # MLflow accepts one config per evaluator name when several evaluators are listed
    if any(n in evaluator_config and isinstance(evaluator_config[n], dict) for n in EVALUATORS):
        merged: dict[str, Any] = {}
        for n in names:
            merged.update(evaluator_config.get(n) or {})
        return merged
    if evaluator_config.get("sample_weights") is not None:
        raise InvalidParameter("evaluator_config['sample_weights'] is not supported by mlnb.evaluate yet")
    return dict(evaluator_config)


def check_environment(env_manager: str, model: Any) -> None:
    if env_manager != "local":
        raise InvalidParameter(
            f"env_manager={env_manager!r} is not supported: mlnb evaluates the model in this Python "
            "environment (env_manager='local')"
        )


@dataclass
class Inputs:
    X: Any  # features
    y: Any  # true values or None
    y_pred: Any  # given predictions (model=None) or None
    targets_name: str | None
    predictions_name: str | None


def split(data: Any, targets: Any, predictions: Any, feature_names: Any, *, from_column: bool) -> Inputs:
    """Features, targets and (when ``from_column``) the predictions column, out of ``data``."""
    import pandas as pd

    if data is None:
        raise InvalidParameter("evaluate needs data=: a DataFrame (or array) of evaluation rows")
    if isinstance(data, list):
        data = pd.DataFrame(data)
    columns = list(data.columns) if hasattr(data, "columns") else None
    drop: list[str] = []
    y = y_pred = None
    if isinstance(targets, str):
        if columns is None or targets not in columns:
            raise InvalidParameter(f"targets={targets!r} is not a column of data")
        y, targets_name = data[targets], targets
        drop.append(targets)
    else:
        targets_name = None
        if targets is not None:
            if len(targets) != len(data):
                raise InvalidParameter(
                    f"targets has {count(len(targets), 'value')} but data has {count(len(data), 'row')}; "
                    "pass one target per row"
                )
            y = targets
    if from_column:
        if not isinstance(predictions, str) or columns is None or predictions not in columns:
            raise InvalidParameter(
                f"predictions={predictions!r} must name a column of data when model is None"
            )
        y_pred = data[predictions]
        drop.append(predictions)
    X = data.drop(columns=drop) if drop else data
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if hasattr(X, "columns"):
            missing = [n for n in names if n not in X.columns]
            if missing:
                raise InvalidParameter(f"feature_names {missing} are not columns of data")
            X = X[names]
        else:
            X = pd.DataFrame(X, columns=names)
    return Inputs(X, y, y_pred, targets_name, predictions if isinstance(predictions, str) else None)


def model_type(value: Any, y: Any, extra_metrics: Any) -> str | None:
    """The model type; None means "extra metrics only", as MLflow allows."""
    import numpy as np

    if value is not None:
        if value not in MODEL_TYPES:
            raise InvalidParameter(
                f"model_type must be 'classifier' or 'regressor', got {value!r}; mlnb does not "
                "evaluate GenAI model types (question-answering, text, ...)"
            )
        if y is None:
            raise InvalidParameter(
                f"a {value} evaluation needs targets=: a column name of data or the true values"
            )
        return value
    if extra_metrics:
        return None
    if y is None:
        raise InvalidParameter("evaluate needs targets=: a column name of data or the true values")
    values = np.asarray(y)
    if values.dtype.kind == "f" and not np.all(np.mod(values[~np.isnan(values)], 1) == 0):
        return "regressor"
    return "classifier"
