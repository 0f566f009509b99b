"""The tracking half of ``MlflowClient``: experiments, runs, params, metrics, tags, artifacts.

Every method names its run or experiment explicitly (no active run is involved) and returns
MLflow's entities.  The methods run the same functions as the fluent API, on the client's
store: the session's active store by default, or the store at ``tracking_uri``.  The registry
methods are added by :class:`mlnb.registry.client.MlflowClient`, the public class.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mlnb.entities import Experiment, Metric, PagedList, Run, RunStatus, ViewType
from mlnb.errors import InvalidParameter
from mlnb.tracking import fluent, state
from mlnb.tracking.client_artifacts import ArtifactsMixin
from mlnb.tracking.reserved import check_user_tags

if TYPE_CHECKING:
    from mlnb.store.base import Store

_stores: dict[str, Store] = {}


def _store_at(uri: str) -> Store:
    """One open store per tracking URI for every client of this process (the session's own
    store when it is the same one, so both see each other's buffered writes at once)."""
    from mlnb.store import location
    from mlnb.store import open_store as open_at

    where = location.resolve(uri)
    with state.lock:
        active = state.open_store()
        if active is not None and active.location.db_url == where.db_url:
            return active
        store = _stores.get(where.db_url)
        if store is None:
            store = _stores[where.db_url] = open_at(where)
        return store


class TrackingClient(ArtifactsMixin):
    """Experiments and runs by id, as MLflow's ``MlflowClient`` reads and writes them.

    Parameters
    ----------
    tracking_uri : str, optional
        A store directory, ``file:`` or ``sqlite:///`` URI.  By default the client follows the
        session's active store (``mlnb.set_tracking_uri``, ``MLNB_STORE``, the nearest ``.mlnb``).
    registry_uri : str, optional
        Accepted for MLflow compatibility: the registry lives in the tracking store.
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._tracking_uri = None if tracking_uri is None else os.fspath(tracking_uri)
        self._registry_uri = registry_uri
        self._store = None if self._tracking_uri is None else _store_at(self._tracking_uri)

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri or state.get_store().location.uri

    def __repr__(self) -> str:
        return f"<MlflowClient tracking_uri={self.tracking_uri!r}>"

    @contextmanager
    def _on_store(self) -> Iterator[Store]:
        """The client's store; the shared API functions called inside the block use it too."""
        if self._store is None:
            yield state.get_store()
        else:
            with state.using_store(self._store) as store:
                yield store

    # --- experiments -----------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        """Create an experiment and return its id (:class:`mlnb.AlreadyExists` if the name is taken).

        Examples
        --------
        >>> client.create_experiment("churn", tags={"team": "risk"})  # doctest: +SKIP
        '1'
        """
        with self._on_store():
            return fluent.create_experiment(name, artifact_location=artifact_location, tags=tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id, or :class:`mlnb.ExperimentNotFound`."""
        with self._on_store():
            return fluent.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment named ``name``, or ``None``."""
        with self._on_store():
            return fluent.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of experiments; pass the page's ``token`` back for the next one.

        Examples
        --------
        >>> page = client.search_experiments(filter_string="name LIKE 'churn%'")  # doctest: +SKIP
        >>> while page.token:  # doctest: +SKIP
        ...     page = client.search_experiments(page_token=page.token)
        """
        from mlnb.tracking.paging import page_of

        with self._on_store():
            found = fluent.search_experiments(
                view_type=view_type, max_results=None, filter_string=filter_string, order_by=order_by
            )
        return page_of(found, max_results, page_token, ("experiments", view_type, filter_string, order_by))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new (unused) name."""
        with self._on_store() as store:
            store.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment deleted (its runs stay until ``mlnb gc``); undo with restore."""
        with self._on_store():
            fluent.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        with self._on_store():
            fluent.restore_experiment(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        with self._on_store() as store:
            store.set_experiment_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of an experiment (:class:`mlnb.NotFound` if it has none)."""
        with self._on_store() as store:
            store.delete_experiment_tag(experiment_id, key)

    # --- runs ------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run in an experiment; it stays open until :meth:`set_terminated`.

        Examples
        --------
        >>> run = client.create_run("1", run_name="baseline")  # doctest: +SKIP
        >>> client.log_metric(run.info.run_id, "auc", 0.91)  # doctest: +SKIP
        >>> client.set_terminated(run.info.run_id)  # doctest: +SKIP
        """
        tags = dict(tags or {})
        check_user_tags(tags)
        if run_name is None and tags.get("mlflow.runName"):
            run_name = str(tags["mlflow.runName"])
        with self._on_store() as store:
            parent = tags.get("mlflow.parentRunId") or None
            info = store.create_run(
                str(experiment_id), run_name=run_name, tags=tags, start_time=start_time, parent_run_id=parent
            )
            return store.get_run(info.run_id)

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics and tags (:class:`mlnb.RunNotFound` if none)."""
        with self._on_store():
            return fluent.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        """The parent of a nested run, or ``None`` for a top-level run."""
        with self._on_store() as store:
            run = store.get_run(run_id)
            parent = run.info.parent_run_id or run.data.tags.get("mlflow.parentRunId")
            return None if parent is None else store.get_run(parent)

    def search_runs(
        self,
        experiment_ids: list[str] | str,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of runs as :class:`mlnb.Run` objects, in ``order_by`` order.

        The ``token`` of a page fetches the next one (``None`` after the last page).  Pages
        continue after the last run seen (keyset paging), so runs created while paging never
        shift a later page, and the 100th page costs what the first does.

        Examples
        --------
        >>> page = client.search_runs(["1"], "metrics.auc > 0.8", order_by=["metrics.auc DESC"])  # doctest: +SKIP
        >>> runs = list(page)  # doctest: +SKIP
        >>> while page.token:  # doctest: +SKIP
        ...     page = client.search_runs(["1"], "metrics.auc > 0.8", order_by=["metrics.auc DESC"],
        ...                               page_token=page.token)
        ...     runs += page
        """
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        with self._on_store() as store:
            return store.search_runs_page(
                [str(e) for e in experiment_ids], filter_string or None, order_by,
                max_results, run_view_type, page_token,
            )  # fmt: skip

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """End a run: ``status`` FINISHED by default (or FAILED, KILLED), ``end_time`` now."""
        with self._on_store():
            fluent.set_terminated(run_id, status=status or RunStatus.FINISHED, end_time=end_time)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name."""
        with self._on_store() as store:
            store.update_run(run_id, status=status, run_name=name)

    def delete_run(self, run_id: str) -> None:
        with self._on_store():
            fluent.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        with self._on_store():
            fluent.restore_run(run_id)

    # --- params, metrics, tags ------------------------------------------------------------------
    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log one param and return its value; params are immutable once logged."""
        with self._on_store():
            return fluent.log_param(key, value, run_id=run_id)

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        """Log one metric point (``step`` 0 and ``timestamp`` now by default).

        ``dataset_name``, ``dataset_digest`` and ``model_id`` are accepted and not stored.
        """
        with self._on_store():
            fluent.log_metric(
                key, value, step=step, synchronous=synchronous, timestamp=timestamp, run_id=run_id
            )

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Any] = (),
        params: Sequence[Any] = (),
        tags: Sequence[Any] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log :class:`mlnb.Metric`, :class:`mlnb.Param` and :class:`mlnb.RunTag` objects at once.

        Anything with ``key`` and ``value`` attributes (MLflow's entities too) is accepted; the
        batch is validated as a whole before anything is written.
        """
        for what, given in (("metrics", metrics), ("params", params), ("tags", tags)):
            if isinstance(given, str | bytes) or not hasattr(given, "__iter__"):
                raise InvalidParameter(f"log_batch {what} must be a list, got {type(given).__name__}")
        points = [_metric(m) for m in metrics]
        param_rows = _pairs(params, "params")
        tag_rows = _pairs(tags, "tags")
        check_user_tags(tag_rows)
        with self._on_store() as store:
            store.log_batch(
                run_id, metrics=points, params=param_rows, tags=tag_rows, buffered=not synchronous
            )

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        with self._on_store():
            fluent.set_tag(key, value, run_id=run_id)

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._on_store():
            fluent.delete_tag(key, run_id=run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point logged for metric ``key`` of the run, by step then time."""
        with self._on_store():
            return fluent.get_metric_history(run_id, key)


def _metric(item: Any) -> Metric:
    try:
        key, value, timestamp, step = item.key, item.value, item.timestamp, item.step
    except AttributeError:
        raise InvalidParameter(
            f"log_batch metrics must be Metric(key, value, timestamp, step) objects, got {item!r}"
        ) from None
    return Metric(key, value, time.time_ns() // 1_000_000 if timestamp is None else timestamp, step or 0)


def _pairs(items: Sequence[Any] | Mapping[str, Any], what: str) -> dict[str, Any]:
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, Any] = {}
    for item in items:
        try:
            key, value = item.key, item.value
        except AttributeError:
            kind = "Param" if what == "params" else "RunTag"
            raise InvalidParameter(
                f"log_batch {what} must be {kind}(key, value) objects, got {item!r}"
            ) from None
        if what == "params" and key in out and out[key] != value:
            raise InvalidParameter(
                f"log_batch got param {key!r} twice with different values ({out[key]!r}, {value!r}); "
                "a param has one value"
            )
        out[key] = value
    return out
