"""``search_runs``: the store's search as a pandas DataFrame with MLflow's column names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlnb.entities import Experiment, Run, RunData, RunInfo, ViewType
from mlnb.errors import ExperimentNotFound, FilterSyntaxError, InvalidParameter
from mlnb.tracking.state import get_store


def _experiment_ids(
    experiment_ids: Sequence[str] | str | None,
    experiment_names: Sequence[str] | str | None,
    search_all: bool,
) -> list[str]:
    store = get_store()
    if search_all:
        return [e.experiment_id for e in store.list_experiments(ViewType.ALL)]
    ids: list[str] = []
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    if isinstance(experiment_names, str):
        experiment_names = [experiment_names]
    ids += [str(e) for e in experiment_ids or []]
    for name in experiment_names or []:
        exp = store.get_experiment_by_name(name)
        if exp is None:
            known = ", ".join(repr(e.name) for e in store.list_experiments(ViewType.ALL))
            raise ExperimentNotFound(f"no experiment named {name!r}; known experiments: {known}")
        ids.append(exp.experiment_id)
    if not ids:
        from mlnb.tracking.fluent import _current_experiment_id

        ids = [_current_experiment_id()]
    return ids


def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | str | None = None,
    run_ids: Sequence[str] | None = None,
) -> Any:
    """Find runs with MLflow's filter language (plus ``OR`` and parentheses).

    Returns a pandas DataFrame with columns ``run_id, experiment_id, status, artifact_uri,
    start_time, end_time`` then ``metrics.*``, ``params.*`` and ``tags.*``, or a list of
    :class:`Run` with ``output_format="list"``.

    Examples
    --------
    >>> mlnb.search_runs(experiment_names=["churn"],
    ...                  filter_string="metrics.f1 > 0.7 AND params.model = 'rf'",
    ...                  order_by=["metrics.f1 DESC"])  # doctest: +SKIP
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameter(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    store = get_store()
    ids = _experiment_ids(experiment_ids, experiment_names, search_all_experiments)
    result = store.search_runs(ids, filter_string or None, order_by, max_results, run_view_type, run_ids)
    if output_format == "list":
        return _as_runs(store, result)
    return _as_frame(store, result)


def _as_runs(store: Any, result: Any) -> list[Run]:
    out = []
    for i, row in enumerate(result.runs):
        info = RunInfo(
            run_id=row["run_id"],
            run_name=row["name"],
            experiment_id=str(row["experiment_id"]),
            status=row["status"],
            start_time=row["start_time"],
            end_time=row["end_time"],
            lifecycle_stage=row["lifecycle_stage"],
            artifact_uri=store.run_dir(row["run_id"]).as_uri(),
            user_id=row["user_id"],
            parent_run_id=row["parent_run_id"],
        )

        out.append(
            Run(info, RunData(_pick(result.params, i), _pick(result.metrics, i), _pick(result.tags, i)))
        )
    return out


def _pick(columns: dict[str, list[Any]], i: int) -> dict[str, Any]:
    return {k: v[i] for k, v in columns.items() if v[i] is not None}


def _as_frame(store: Any, result: Any) -> Any:
    import numpy as np
    import pandas as pd

    runs = result.runs
    root = store.artifact_root.as_uri()
    data: dict[str, Any] = {
        "run_id": [r["run_id"] for r in runs],
        "experiment_id": [str(r["experiment_id"]) for r in runs],
        "status": [r["status"] for r in runs],
        "artifact_uri": [f"{root}/{r['run_id']}" for r in runs],
        "start_time": pd.to_datetime([r["start_time"] for r in runs], unit="ms", utc=True),
        "end_time": pd.to_datetime(
            [r["end_time"] if r["end_time"] is not None else pd.NaT for r in runs], unit="ms", utc=True
        ),
    }
    for key in sorted(result.metrics):
        data[f"metrics.{key}"] = np.asarray(result.metrics[key], dtype="float64")
    for key in sorted(result.params):
        data[f"params.{key}"] = pd.array(result.params[key], dtype=object)
    for key in sorted(result.tags):
        data[f"tags.{key}"] = pd.array(result.tags[key], dtype=object)
    return pd.DataFrame(data)


def filter_experiments(
    experiments: list[Experiment], filter_string: str | None, order_by: Sequence[str] | None
) -> list[Experiment]:
    """Apply a filter on ``name`` and ``tags.<key>`` to experiments (a handful: done in Python)."""
    from mlnb.store.filters import ATTR, TAG, BoolOp, parse_filter
    from mlnb.store.query import like_match

    node = parse_filter(filter_string or None)

    def holds(n: Any, exp: Experiment) -> bool:
        if isinstance(n, BoolOp):
            results = (holds(item, exp) for item in n.items)
            return all(results) if n.op == "AND" else any(results)
        if n.kind == ATTR and n.key == "run_name":
            value: str | None = exp.name
        elif n.kind == TAG:
            value = exp.tags.get(n.key)
        else:
            raise FilterSyntaxError(
                f"experiments can be filtered by name and tags.<key> only, not {n.kind}.{n.key}"
            )
        if n.op == "IS NULL":
            return value is None
        if n.op == "IS NOT NULL":
            return value is not None
        if value is None:
            return False
        if n.op in ("LIKE", "ILIKE"):
            return bool(like_match(value, n.value, n.op == "ILIKE"))
        if n.op == "IN":
            return value in n.value
        if n.op == "NOT IN":
            return value not in n.value
        return (value == n.value) if n.op == "=" else (value != n.value)

    found = [e for e in experiments if node is None or holds(node, e)]
    for clause in reversed(list(order_by or [])):
        field, _, direction = clause.strip().partition(" ")
        field = field.removeprefix("attributes.").removeprefix("attribute.")
        if field not in ("name", "experiment_id", "creation_time", "last_update_time"):
            raise FilterSyntaxError(
                f"experiments can be ordered by name, experiment_id, creation_time or "
                f"last_update_time, not {field!r}"
            )
        desc = direction.strip().upper() == "DESC"
        keyf = (
            (lambda e, f=field: int(e.experiment_id))
            if field == "experiment_id"
            else (lambda e, f=field: getattr(e, f))
        )
        found.sort(key=keyf, reverse=desc)
    return found
