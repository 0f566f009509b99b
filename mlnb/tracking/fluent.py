"""MLflow's fluent tracking API on the mlnb store: an MLflow user changes only the import."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from mlnb.entities import Experiment, Metric, Run, RunInfo, RunStatus, ViewType
from mlnb.errors import InvalidParameter, InvalidState
from mlnb.tracking import state
from mlnb.tracking.state import get_store


class ActiveRun:
    """The run opened by :func:`start_run`; a context manager that ends it with its outcome."""

    def __init__(self, info: RunInfo) -> None:
        self.info = info

    @property
    def data(self):
        return get_store().get_run(self.info.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        end_run(status, _run_id=self.info.run_id)

    def __repr__(self) -> str:
        return f"<ActiveRun {self.info.run_id} name={self.info.run_name!r}>"


# --- experiments ------------------------------------------------------------------------------
def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Create an experiment and return its id.

    Examples
    --------
    >>> exp_id = mlnb.create_experiment("churn")  # doctest: +SKIP
    """
    if artifact_location is not None:
        raise InvalidParameter(
            "artifact_location is decided by the store (its artifacts/ directory); leave it unset"
        )
    return get_store().create_experiment(name, dict(tags or {}))


def get_experiment(experiment_id: str) -> Experiment:
    return get_store().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return get_store().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments, optionally filtered by ``name`` (=, !=, LIKE, ILIKE) and ``tags.<key>``."""
    from mlnb.tracking.search import filter_experiments

    found = filter_experiments(get_store().list_experiments(view_type), filter_string, order_by)
    return found if max_results is None else found[:max_results]


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active, creating it by name when it does not exist."""
    store = get_store()
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameter("give exactly one of experiment_name or experiment_id")
    if experiment_id is not None:
        exp = store.get_experiment(str(experiment_id))
    else:
        exp = store.get_experiment_by_name(experiment_name)  # type: ignore[arg-type]
        if exp is None:  # created atomically: another process may be creating it too
            exp = store.get_experiment(store.create_experiment(experiment_name, exist_ok=True))  # type: ignore[arg-type]
    if exp.lifecycle_stage != "active":
        raise InvalidState(f"experiment {exp.name!r} is deleted; restore it or choose another name")
    state.experiment_id = exp.experiment_id
    return exp


def delete_experiment(experiment_id: str) -> None:
    get_store().set_experiment_lifecycle(experiment_id, "deleted")
    if state.experiment_id == str(experiment_id):
        state.experiment_id = None


def restore_experiment(experiment_id: str) -> None:
    get_store().set_experiment_lifecycle(experiment_id, "active")


def _current_experiment_id() -> str:
    if state.experiment_id is not None:
        return state.experiment_id
    name = os.environ.get("MLNB_EXPERIMENT_NAME")
    if name:
        return set_experiment(name).experiment_id
    return "0"


# --- runs -------------------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    **_source: Any,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active; use it as a context manager.

    Examples
    --------
    >>> with mlnb.start_run(run_name="baseline"):  # doctest: +SKIP
    ...     mlnb.log_param("C", 0.5)
    ...     mlnb.log_metric("accuracy", 0.91)
    """
    store = get_store()
    with state.lock:
        if state.run_stack and not nested and parent_run_id is None:
            active = state.run_stack[-1].info
            raise InvalidState(
                f"run {active.run_id} ({active.run_name!r}) is already active; end it with "
                "mlnb.end_run() first, or pass nested=True to start a child run"
            )
        if parent_run_id is None and nested and state.run_stack:
            parent_run_id = state.run_stack[-1].info.run_id
        all_tags = dict(tags or {})
        if description is not None:
            all_tags["mlflow.note.content"] = description
        if run_id is not None:
            info = store.resume_run(run_id)
            if all_tags:
                store.log_batch(run_id, tags=all_tags)
        else:
            exp = str(experiment_id) if experiment_id is not None else _current_experiment_id()
            info = store.create_run(
                exp,
                run_name=run_name,
                tags=all_tags,
                parent_run_id=parent_run_id,
                source={k: _source.get(k) for k in ("notebook", "cell_id", "code_hash")},
            )
        run = ActiveRun(info)
        state.run_stack.append(run)
        state.last_run_id = info.run_id
        return run


def end_run(status: str = RunStatus.FINISHED, *, _run_id: str | None = None) -> None:
    """End the active run (or the one a context manager opened) with ``status``."""
    with state.lock:
        if not state.run_stack:
            return
        run = state.run_stack[-1]
        if _run_id is not None and run.info.run_id != _run_id:
            for i in range(len(state.run_stack) - 1, -1, -1):
                if state.run_stack[i].info.run_id == _run_id:
                    run = state.run_stack.pop(i)
                    break
            else:
                return
        else:
            state.run_stack.pop()
    if status in RunStatus.TERMINAL:
        get_store().finish_run(run.info.run_id, status)
    else:
        get_store().update_run(run.info.run_id, status=status)


def active_run() -> ActiveRun | None:
    with state.lock:
        return state.run_stack[-1] if state.run_stack else None


def last_active_run() -> Run | None:
    run_id = state.last_run_id
    return None if run_id is None else get_run(run_id)


def _run_id_or_active(run_id: str | None = None) -> str:
    if run_id is not None:
        return run_id
    run = active_run()
    if run is None:
        run = start_run()
    return run.info.run_id


def get_run(run_id: str) -> Run:
    return get_store().get_run(run_id)


def delete_run(run_id: str) -> None:
    """Mark a run deleted; its data stays until ``mlnb gc`` purges it."""
    get_store().set_run_lifecycle(run_id, "deleted")


def restore_run(run_id: str) -> None:
    get_store().set_run_lifecycle(run_id, "active")


def set_terminated(run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None) -> None:
    get_store().update_run(run_id, status=status, end_time=end_time)


# --- params, metrics, tags --------------------------------------------------------------------
def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    """Log one param; params are immutable (logging a different value raises ParamConflict)."""
    get_store().log_batch(_run_id_or_active(run_id), params={key: value})
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    if not isinstance(params, Mapping):
        raise InvalidParameter(f"log_params takes a dict of params, got {type(params).__name__}")
    get_store().log_batch(_run_id_or_active(run_id), params=dict(params))


def _now() -> int:
    return time.time_ns() // 1_000_000


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log one point of a metric (``step`` defaults to 0, ``timestamp`` to now in ms)."""
    point = Metric(key, value, _now() if timestamp is None else timestamp, 0 if step is None else step)
    get_store().log_batch(_run_id_or_active(run_id), metrics=[point], buffered=not synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
) -> None:
    if not isinstance(metrics, Mapping):
        raise InvalidParameter(f"log_metrics takes a dict of metrics, got {type(metrics).__name__}")
    ts = _now() if timestamp is None else timestamp
    points = [Metric(k, v, ts, 0 if step is None else step) for k, v in metrics.items()]
    get_store().log_batch(_run_id_or_active(run_id), metrics=points, buffered=not synchronous)


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    get_store().log_batch(_run_id_or_active(run_id), tags={key: value})


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    get_store().log_batch(_run_id_or_active(run_id), tags=dict(tags))


def delete_tag(key: str, run_id: str | None = None) -> None:
    get_store().delete_tag(_run_id_or_active(run_id), key)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    return get_store().get_metric_history(run_id, key)


def flush() -> None:
    """Write buffered metric points now (they are also written within 0.2 s by themselves)."""
    get_store().flush()
