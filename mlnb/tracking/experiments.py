"""MLflow's fluent experiment functions: create, find, activate, tag, delete and restore."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mlnb.entities import Experiment, ViewType
from mlnb.errors import InvalidParameter
from mlnb.tracking import state
from mlnb.tracking.state import get_store


def create_experiment(
    name: str,
    artifact_location: str | None = None,
    tags: Mapping[str, Any] | None = None,
    trace_location: object = None,
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
    _no_trace_location(trace_location)
    return get_store().create_experiment(name, dict(tags or {}))


def _no_trace_location(trace_location: object) -> None:
    if trace_location is not None:
        raise InvalidParameter(
            "trace_location (a Unity Catalog location for GenAI traces) is not supported by mlnb; "
            "leave it unset"
        )


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id (raises :class:`~mlnb.errors.ExperimentNotFound`)."""
    return get_store().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return get_store().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments matching a filter, newest first unless ``order_by`` says otherwise.

    Parameters
    ----------
    view_type : int
        :class:`~mlnb.entities.ViewType`: ``ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
    max_results : int, optional
        At most this many experiments (all by default).
    filter_string : str, optional
        MLflow's experiment filter: ``name``, ``experiment_id``, ``creation_time``,
        ``last_update_time`` and ``tags.<key>`` comparisons joined by ``AND``, e.g.
        ``"name LIKE 'churn%' AND tags.team = 'ml'"``.
    order_by : list of str, optional
        Attributes with ``ASC``/``DESC``; default ``["creation_time DESC", "experiment_id ASC"]``.

    Examples
    --------
    >>> mlnb.search_experiments(filter_string="tags.team = 'ml'")  # doctest: +SKIP
    """
    from mlnb.tracking.experiment_filter import filter_experiments

    if view_type not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL):
        raise InvalidParameter(f"view_type {view_type!r} is not one of ViewType's values (1, 2, 3)")
    if max_results is not None and (not isinstance(max_results, int) or max_results < 0):
        raise InvalidParameter(f"max_results must be a non-negative integer, got {max_results!r}")
    found = filter_experiments(get_store().list_experiments(view_type), filter_string, order_by)
    return found if max_results is None else found[:max_results]


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None, trace_location: object = None
) -> Experiment:
    """Make an experiment active, creating it by name when it does not exist; returns it."""
    _no_trace_location(trace_location)
    store = get_store()
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameter("give exactly one of experiment_name or experiment_id")
    if experiment_id is not None:
        exp = store.get_experiment(str(experiment_id))
    else:
        assert experiment_name is not None  # exactly one of the two is given (checked above)
        found = store.get_experiment_by_name(experiment_name)
        # created atomically when missing: another process may be creating it too
        exp = found or store.get_experiment(store.create_experiment(experiment_name, exist_ok=True))
    if exp.lifecycle_stage != "active":
        raise InvalidParameter(
            f"experiment {exp.name!r} is deleted; restore it with "
            f"mlnb.restore_experiment({exp.experiment_id!r}) or choose another name"
        )
    state.experiment_id = exp.experiment_id
    return exp


def current_experiment_id() -> str:
    """The active experiment: ``set_experiment`` > ``MLNB_EXPERIMENT_NAME`` /
    ``MLFLOW_EXPERIMENT_NAME`` > the Default experiment ("0").

    ``MLFLOW_EXPERIMENT_ID`` is not read: MLflow's own ``set_experiment`` writes it into the
    environment, with an id of MLflow's store that means nothing in mlnb's.
    """
    if state.experiment_id is not None:
        return state.experiment_id
    name = os.environ.get("MLNB_EXPERIMENT_NAME") or os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if name:
        return set_experiment(name).experiment_id
    return "0"


def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment deleted (its runs stay, hidden from default searches)."""
    get_store().set_experiment_lifecycle(experiment_id, "deleted")
    if state.experiment_id == str(experiment_id):
        state.experiment_id = None


def restore_experiment(experiment_id: str) -> None:
    """Undo :func:`delete_experiment`."""
    get_store().set_experiment_lifecycle(experiment_id, "active")


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment (the Default one when none was set)."""
    get_store().set_experiment_tag(current_experiment_id(), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active experiment."""
    if not isinstance(tags, Mapping):
        raise InvalidParameter(f"set_experiment_tags takes a dict of tags, got {type(tags).__name__}")
    exp_id = current_experiment_id()
    store = get_store()
    for key, value in tags.items():
        store.set_experiment_tag(exp_id, key, value)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag from the active experiment (:class:`mlnb.NotFound` if it has none)."""
    get_store().delete_experiment_tag(current_experiment_id(), key)
