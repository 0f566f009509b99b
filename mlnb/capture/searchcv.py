"""GridSearchCV / RandomizedSearchCV: best results on the cell's run, one child run per candidate."""

from __future__ import annotations

import numbers
from typing import Any

from mlnb.capture.params import estimator_params, param_value
from mlnb.display.progress import track


def is_search(estimator: Any) -> bool:
    return hasattr(estimator, "cv_results_") and hasattr(estimator, "best_params_")


def parent_data(search: Any, prefix: str = "") -> tuple[dict[str, str], dict[str, float]]:
    """Params ``best_<param>`` and metric ``best_cv_score`` (MLflow autolog's names)."""
    params: dict[str, str] = {}
    for key, value in search.best_params_.items():
        text = param_value(value)
        if text is not None:
            params[f"{prefix}best_{key}"] = text
    metrics: dict[str, float] = {}
    score = getattr(search, "best_score_", None)
    if isinstance(score, numbers.Real):
        metrics[f"{prefix}best_cv_score"] = float(score)
    return params, metrics


def cv_results_csv(search: Any) -> bytes:
    import pandas as pd

    return pd.DataFrame(search.cv_results_).to_csv(index=False).encode("utf-8")


def child_runs(search: Any) -> list[tuple[dict[str, str], dict[str, float], int | None]]:
    """One (params, metrics, rank) per candidate: base params overlaid with the candidate's.

    Metrics are the aggregate columns of ``cv_results_`` (mean/std test score, fit time, rank),
    never the per-split columns.
    """
    results = search.cv_results_
    base = estimator_params(search.estimator)
    n = len(results["params"])
    columns = [k for k in results if k != "params" and not k.startswith(("param_", "split"))]
    out = []
    for i in range(n):
        params = dict(base)
        for key, value in results["params"][i].items():
            text = param_value(value)
            if text is not None:
                params[key] = text
        metrics: dict[str, float] = {}
        rank = None
        for col in columns:
            value = results[col][i]
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                metrics[col] = float(value)
                if col == "rank_test_score":
                    rank = int(metrics[col])
        out.append((params, metrics, rank))
    return out


def log_children(
    search: Any, parent_run_id: str, experiment_id: str, name: str, tags: dict[str, str]
) -> list[str]:
    """Create the child runs; the store buffers them and commits them in one transaction.

    A search with many candidates shows its progress (``search runs: 40 of 120 runs``).
    """
    from mlnb.entities import Metric, RunStatus
    from mlnb.tracking.state import get_store

    store = get_store()
    ids = []
    children = child_runs(search)
    for i, (params, metrics, rank) in enumerate(track(children, "search runs", unit="run")):
        child_tags = dict(tags)
        if rank is not None:
            child_tags["mlnb.search.rank"] = str(rank)
        info = store.create_run(
            experiment_id,
            run_name=f"{name}-{i + 1}",
            tags=child_tags,
            parent_run_id=parent_run_id,
        )
        start = info.start_time
        store.log_batch(
            info.run_id,
            params=params,
            metrics=[Metric(k, v, start, 0) for k, v in metrics.items()],
        )
        ids.append(info.run_id)
        store.finish_run(info.run_id, RunStatus.FINISHED)
    store.flush()  # one transaction for all the children
    return ids
