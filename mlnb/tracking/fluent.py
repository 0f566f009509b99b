"""MLflow's fluent tracking API on the mlnb store: an MLflow user changes only the import."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

from mlnb.entities import Metric, Run, RunData, RunInfo, RunInputs, RunStatus
from mlnb.errors import InvalidParameter, InvalidState
from mlnb.tracking import run_context, state
from mlnb.tracking.experiments import (  # MLflow's fluent names for experiments, re-exported
    create_experiment,
    current_experiment_id,
    delete_experiment,
    delete_experiment_tag,
    get_experiment,
    get_experiment_by_name,
    restore_experiment,
    search_experiments,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
)
from mlnb.tracking.reserved import check_user_tags
from mlnb.tracking.state import get_store

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "current_experiment_id",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_parent_run",
    "get_run",
    "last_active_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "open_run",
    "restore_experiment",
    "restore_run",
    "run_id_or_active",
    "search_experiments",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_terminated",
    "start_run",
]

_SOURCE_KEYS = ("notebook", "cell_id", "code_hash")
_V = TypeVar("_V")


class ActiveRun(Run):
    """The run opened by :func:`start_run`; a :class:`~mlnb.entities.Run` and a context manager
    that ends the run with its outcome (FINISHED, FAILED on an exception, KILLED on Ctrl-C).

    ``info`` is the run's info when it started, as in MLflow; ``data`` and ``inputs`` are read
    from the store when asked for, so they include what was logged since.
    """

    def __init__(self, run: Run | RunInfo) -> None:
        info = run.info if isinstance(run, Run) else run
        object.__setattr__(self, "info", info)

    @property
    def data(self) -> RunData:
        return get_store().get_run(self.info.run_id).data

    @property
    def inputs(self) -> RunInputs:
        return get_store().get_run(self.info.run_id).inputs

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        end_run(status, _run_id=self.info.run_id)
        return exc_type is None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.info.run_id == self.info.run_id

    def __hash__(self) -> int:
        return hash(self.info.run_id)

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id!r}, run_name={self.info.run_name!r}>"


# --- runs -------------------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    **source: str | None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active; use it as a context manager.

    Parameters
    ----------
    run_id : str, optional
        Resume this run (it becomes RUNNING again) instead of creating one; ``MLFLOW_RUN_ID`` in
        the environment does the same.
    experiment_id : str, optional
        The experiment of a new run (default: the active one, see :func:`set_experiment`).
    run_name : str, optional
        The run's name (default: a random ``adjective-animal-123``); renames a resumed run.
    nested : bool
        Start a child of the active run; without it, starting a run while one is active fails.
    parent_run_id : str, optional
        The parent of a new run; must be the active run when one is active.
    tags : dict, optional
        Tags of the run; values become strings.  They override the system tags
        (``mlflow.source.*``, ``mlflow.user``, ...).
    description : str, optional
        The run's description, stored as the ``mlflow.note.content`` tag.
    log_system_metrics : bool, optional
        Accepted for MLflow code; mlnb does not sample system metrics (a warning says so).

    Returns
    -------
    ActiveRun

    Examples
    --------
    >>> with mlnb.start_run(run_name="baseline"):  # doctest: +SKIP
    ...     mlnb.log_param("C", 0.5)
    ...     mlnb.log_metric("accuracy", 0.91)
    """
    if log_system_metrics:
        warnings.warn(
            "log_system_metrics=True: mlnb does not record system metrics (CPU, memory, GPU); the "
            "run is tracked without them",
            UserWarning,
            stacklevel=2,
        )
    if isinstance(tags, Mapping):
        check_user_tags(str(k) for k in tags)
    return open_run(run_id, experiment_id, run_name, nested, parent_run_id, tags, description, **source)


def open_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    **source: str | None,
) -> ActiveRun:
    """:func:`start_run` for mlnb's own callers: ``tags`` may hold reserved ``mlnb.*`` keys
    (a ``%%track`` cell's run records its cell and code hash so)."""
    unknown = set(source) - set(_SOURCE_KEYS)
    if unknown:
        raise TypeError(f"start_run() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if experiment_id is not None and not isinstance(experiment_id, str | int):
        raise InvalidParameter(f"experiment_id must be a str or int, got {type(experiment_id).__name__}")
    get_store()  # opens (or creates) the store first, even when the checks below then fail
    with state.lock:
        if state.run_stack and not nested:
            raise InvalidState(
                f"Run with UUID {state.run_stack[0].info.run_id} is already active. To start a new "
                "run, first end the current run with mlnb.end_run(). To start a nested run, call "
                "start_run with nested=True"
            )
        if tags is not None and not isinstance(tags, Mapping):
            raise InvalidParameter(f"start_run tags must be a dict of key -> value, got {type(tags).__name__}")
        user_tags = {str(k): v for k, v in (tags or {}).items()}
        if description:
            if run_context.RUN_NOTE in user_tags:
                raise InvalidParameter(
                    f"the description is also given as the tag {run_context.RUN_NOTE!r}; pass one of them"
                )
            user_tags[run_context.RUN_NOTE] = description
        if run_id is None and os.environ.get("MLFLOW_RUN_ID"):
            run_id = os.environ.pop("MLFLOW_RUN_ID")
        if run_id is not None:
            info = _resume(str(run_id), run_name, user_tags)
        else:
            info = _create(experiment_id, run_name, parent_run_id, user_tags, source)
        run = ActiveRun(info)
        state.run_stack.append(run)
        return run


def _resume(run_id: str, run_name: str | None, tags: dict[str, Any]) -> RunInfo:
    store = get_store()
    existing = store.get_run_info(run_id)
    if state.experiment_id is not None and state.experiment_id != existing.experiment_id:
        raise InvalidParameter(
            f"cannot resume run {run_id}: it belongs to experiment {existing.experiment_id}, not "
            f"to the active experiment {state.experiment_id}; call set_experiment to match it"
        )
    info = store.resume_run(run_id)
    if run_name:
        info = store.update_run(run_id, run_name=run_name)
    if tags:
        store.log_batch(run_id, tags=tags)
    return info


def _create(
    experiment_id: str | int | None,
    run_name: str | None,
    parent_run_id: str | None,
    user_tags: dict[str, Any],
    source: dict[str, str | None],
) -> RunInfo:
    store = get_store()
    if parent_run_id is not None:
        if state.run_stack and parent_run_id != state.run_stack[-1].info.run_id:
            current = state.run_stack[-1].info.run_id
            raise InvalidParameter(
                f"parent_run_id {parent_run_id} is not the active run {current}; end the active "
                "run with mlnb.end_run() first, or leave parent_run_id unset to nest under it"
            )
        parent = store.get_run_info(parent_run_id)
        if parent.lifecycle_stage != "active":
            raise InvalidState(f"cannot start a run under the deleted run {parent_run_id}")
    elif state.run_stack:
        parent_run_id = state.run_stack[-1].info.run_id
    if run_name is None and run_context.RUN_NAME in user_tags:
        run_name = str(user_tags[run_context.RUN_NAME])  # the tag names the run, as in MLflow
    all_tags = run_context.default_tags()
    all_tags.update(user_tags)
    exp = str(experiment_id) if experiment_id is not None else current_experiment_id()
    return store.create_run(
        exp,
        run_name=run_name,
        tags=all_tags,
        parent_run_id=parent_run_id,
        source={k: source.get(k) for k in _SOURCE_KEYS},
    )


def end_run(status: str = RunStatus.FINISHED, *, _run_id: str | None = None) -> None:
    """End the active run with ``status`` (FINISHED by default); nothing happens without one."""
    if status not in RunStatus.ALL:
        raise InvalidParameter(f"run status {status!r} is not one of {', '.join(RunStatus.ALL)}")
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
        state.last_run_id = run.info.run_id
    if status in RunStatus.TERMINAL:
        get_store().finish_run(run.info.run_id, status)
    else:
        get_store().update_run(run.info.run_id, status=status)


def active_run() -> ActiveRun | None:
    """The innermost active run, or None."""
    with state.lock:
        run = state.run_stack[-1] if state.run_stack else None
    # open_run pushes ActiveRuns; the state module holds them as plain Runs (it sits below us)
    return run if run is None or isinstance(run, ActiveRun) else ActiveRun(run)


def last_active_run() -> Run | None:
    """The active run if there is one, else the last run this process ended (None if none)."""
    run = active_run()
    if run is not None:
        return run
    run_id = state.last_run_id
    return None if run_id is None else get_run(run_id)


def run_id_or_active(run_id: str | None = None) -> str:
    """``run_id`` if given, else the active run's id, starting a run when none is active.

    What every logging function does with its ``run_id`` argument (MLflow's fluent behaviour).
    """
    if run_id is not None:
        return run_id
    run = active_run()
    if run is None:
        run = start_run()
    return run.info.run_id


def get_run(run_id: str) -> Run:
    """The run with this id: info, params, latest metrics, tags and inputs."""
    return get_store().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The parent of a nested run, or None for a top-level run."""
    parent = get_store().get_run_info(run_id).parent_run_id
    return None if parent is None else get_run(parent)


def delete_run(run_id: str) -> None:
    """Mark a run deleted; its data stays until ``mlnb gc`` purges it."""
    get_store().set_run_lifecycle(run_id, "deleted")


def restore_run(run_id: str) -> None:
    """Undo :func:`delete_run`."""
    get_store().set_run_lifecycle(run_id, "active")


def set_terminated(run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None) -> None:
    """Set a run's status (FINISHED by default) and end time, whether or not it is active."""
    get_store().update_run(run_id, status=status, end_time=end_time)


# --- params, metrics, tags --------------------------------------------------------------------
def log_param(key: str, value: _V, synchronous: bool | None = None, *, run_id: str | None = None) -> _V:
    """Log one param of the active run (started if none is) and return ``value``.

    The value is stored as ``str(value)`` (``None`` as ``"None"``, as MLflow does).  Params are
    immutable: logging another value for the same key raises
    :class:`~mlnb.errors.ParamConflict`.
    """
    get_store().log_batch(run_id_or_active(run_id), params={key: value})
    return value


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    """Log several params at once (see :func:`log_param`)."""
    if not isinstance(params, Mapping):
        raise InvalidParameter(f"log_params takes a dict of params, got {type(params).__name__}")
    get_store().log_batch(run_id_or_active(run_id), params=dict(params))


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
    get_store().log_batch(run_id_or_active(run_id), metrics=[point], buffered=not synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
) -> None:
    """Log one point of several metrics at once, at the same step and time (see :func:`log_metric`)."""
    if not isinstance(metrics, Mapping):
        raise InvalidParameter(f"log_metrics takes a dict of metrics, got {type(metrics).__name__}")
    ts = _now() if timestamp is None else timestamp
    points = [Metric(k, v, ts, 0 if step is None else step) for k, v in metrics.items()]
    get_store().log_batch(run_id_or_active(run_id), metrics=points, buffered=not synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None, *, run_id: str | None = None) -> None:
    """Set a tag of the active run; ``mlflow.runName`` renames the run, as in MLflow.

    Keys starting with ``mlnb.`` are reserved (mlnb writes them): setting one raises
    :class:`~mlnb.errors.InvalidParameter`.
    """
    check_user_tags([key])
    get_store().log_batch(run_id_or_active(run_id), tags={key: value})


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None, *, run_id: str | None = None) -> None:
    """Set several tags of the active run (see :func:`set_tag`)."""
    if not isinstance(tags, Mapping):
        raise InvalidParameter(f"set_tags takes a dict of tags, got {type(tags).__name__}")
    check_user_tags(tags)
    get_store().log_batch(run_id_or_active(run_id), tags=dict(tags))


def delete_tag(key: str, *, run_id: str | None = None) -> None:
    """Delete a tag of the active run (``mlnb.`` tags are reserved, see :func:`set_tag`)."""
    check_user_tags([key], "delete")
    get_store().delete_tag(run_id_or_active(run_id), key)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Every point logged for metric ``key`` of the run, by step then time."""
    return get_store().get_metric_history(run_id, key)


def flush() -> None:
    """Write buffered metric points now (they are also written within 0.2 s by themselves)."""
    get_store().flush()
