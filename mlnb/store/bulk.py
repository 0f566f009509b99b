"""Loading many finished runs at once: the benchmarks' and the scaling test's way to a big store.

:func:`bulk_load` writes runs exactly as ``create_run`` + ``log_batch`` + ``finish_run`` leave
them once flushed — the run row (owner, heartbeat, status and end time), the ``mlflow.runName``
and ``mlflow.user`` tags, params, one metric point per metric at step 0 and its
``latest_metrics`` row — through the same compiled statements as the write-behind buffer
(:meth:`mlnb.store.buffer.WriteBuffer.apply`), so every index and every invariant of the
tables is the one the public path keeps.  It only skips the per-call work a user's loop pays
for (one call per run, buffering, a commit every few hundred runs): runs go in by thousands per
transaction.  Every key and value is validated as the public path validates it.

It is not part of the store's contract: nothing above :mod:`mlnb.store` uses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from mlnb.entities import RunStatus
from mlnb.errors import InvalidParameter, InvalidState
from mlnb.store._common import new_run_id, now_ms, os_user, process_start_ticks
from mlnb.store.buffer import WriteBuffer
from mlnb.store.values import check_key, check_text, encode_metric, metric_value

if TYPE_CHECKING:
    from mlnb.store.backend import SqlBackend

BATCH_RUNS = 5000  # runs per transaction


@dataclass(frozen=True)
class BulkRun:
    """One finished run to load: its name, params, final metric values and extra tags."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    status: str = RunStatus.FINISHED


def bulk_load(
    store: SqlBackend, experiment_id: str, runs: Iterable[BulkRun], *, batch: int = BATCH_RUNS
) -> list[str]:
    """Write ``runs`` as finished runs of ``experiment_id``; their ids, in order.

    Each transaction holds ``batch`` runs; a failure leaves the transactions before it
    committed and raises.  Ids are new time-ordered run ids, as ``create_run`` makes them.

    Examples
    --------
    >>> ids = bulk_load(store, "1", (BulkRun(f"r{i}", {"lr": "0.1"}, {"acc": 0.9}) for i in range(10)))  # doctest: +SKIP
    """
    if batch < 1:
        raise InvalidParameter(f"batch must be at least 1 run per transaction, not {batch}")
    experiment = store.get_experiment(experiment_id)
    if experiment.lifecycle_stage != "active":
        raise InvalidState(f"experiment {experiment_id!r} is deleted; restore it or use another experiment")
    exp_key = store.experiment_key(experiment_id)
    store.flush()
    ids: list[str] = []
    for chunk in _chunks(iter(runs), batch):
        rows = _rows(store, exp_key, chunk, ids)
        with store.atomic() as conn:
            rows.apply(store, conn)
    return ids


def _chunks(runs: Iterator[BulkRun], size: int) -> Iterator[list[BulkRun]]:
    while chunk := list(islice(runs, size)):
        yield chunk


def _rows(store: SqlBackend, exp_key: int, chunk: list[BulkRun], ids: list[str]) -> WriteBuffer:
    """The buffer rows ``create_run`` + ``log_batch`` + ``finish_run`` would queue for ``chunk``."""
    user = os_user()
    pid = os.getpid()
    started = process_start_ticks(pid)
    out = WriteBuffer()
    for run in chunk:
        if run.status not in RunStatus.TERMINAL:
            raise InvalidParameter(
                f"a loaded run ends as one of {', '.join(RunStatus.TERMINAL)}, not {run.status!r}"
            )
        run_id = new_run_id()
        ts = now_ms()
        name = check_text(run.name, "run name")
        out.runs.append(
            {
                "run_id": run_id,
                "experiment_id": exp_key,
                "name": name,
                "status": run.status,
                "start_time": ts,
                "end_time": ts,
                "lifecycle_stage": "active",
                "deleted_time": None,
                "parent_run_id": None,
                "user_id": user,
                "owner_host": store.host,
                "owner_pid": pid,
                "owner_started": started,
                "heartbeat": ts,
                "source_notebook": None,
                "source_cell_id": None,
                "source_code_hash": None,
            }
        )
        tags = {"mlflow.runName": name, "mlflow.user": user}
        for key, value in run.tags.items():
            tags[check_key(key, "tag key")] = check_text(value, f"tag {key!r}")
        out.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in tags.items())
        out.params.extend(
            {"run_id": run_id, "key": check_key(k, "param key"), "value": check_text(v, f"param {k!r}")}
            for k, v in run.params.items()
        )
        for key, number in run.metrics.items():
            key = check_key(key, "metric key")
            value, special = encode_metric(metric_value(number, key))
            out.points.append((run_id, key, value, special, 0, ts))
        ids.append(run_id)
    return out
