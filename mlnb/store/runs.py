"""Runs and what is logged to them: create, read, update, end; params, tags and metric points
through the one batched write path :meth:`RunsMixin.log_batch` (a mixin of :class:`SqlStore`).

Run creation, params of runs this process created, tags, metric points and run ends go to the
write-behind buffer (:mod:`mlnb.store.buffer`, flushed by :mod:`mlnb.store.flushing`); the other
writes are synchronous transactions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.entities import DatasetInput, Metric, Run, RunData, RunInfo, RunInputs, RunStatus
from mlnb.errors import (
    ExperimentNotFound,
    InvalidParameter,
    InvalidState,
    ParamConflict,
    RunDeleted,
    RunNotFound,
    TagNotFound,
)
from mlnb.store import schema as t
from mlnb.store._common import new_run_id, now_ms, os_user, process_start_ticks, random_run_name
from mlnb.store.values import check_int, check_key, check_text, decode_metric, encode_metric, metric_value

if TYPE_CHECKING:
    from mlnb.store.backend import UpsertInsert
    from mlnb.store.buffer import WriteBuffer
    from mlnb.store.location import StoreLocation


class _Row:
    """Attribute access to a run row built in memory (same shape as a database row)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class RunsMixin:
    """Needs the store's connection, transactions, buffer and ownership fields (see below)."""

    location: StoreLocation
    host: str
    _lock: threading.RLock
    _buffer: WriteBuffer
    _owned_params: dict[str, dict[str, str]]  # runs created here: their params
    _active_experiments: set[int]
    _owner_pid: int
    _owner_started: int | None
    _writable_runs: set[str]

    if TYPE_CHECKING:

        def atomic(self) -> AbstractContextManager[sa.Connection]: ...
        def reading(self) -> AbstractContextManager[sa.Connection]: ...
        def flush(self) -> None: ...
        def insert(self, table: sa.Table) -> UpsertInsert: ...
        def experiment_key(self, experiment_id: str | int) -> int: ...
        def run_dir(self, run_id: str) -> Path: ...
        def _inputs(self, conn: sa.Connection, run_id: str) -> list[DatasetInput]: ...
        def _after_buffering(self, buffered: bool) -> None: ...
        @property
        def write_trouble(self) -> bool: ...

    # --- runs ------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
        source: dict[str, str | None] | None = None,
    ) -> RunInfo:
        exp_key = self.experiment_key(experiment_id)
        if run_name is None or run_name == "":
            run_name = random_run_name()
        run_name = check_text(run_name, "run name")
        user = os_user()
        run_id = new_run_id()
        ts = now_ms() if start_time is None else check_int(start_time, "start_time")
        all_tags = {"mlflow.runName": run_name, "mlflow.user": user}
        if parent_run_id:
            all_tags["mlflow.parentRunId"] = parent_run_id
        for key, value in (tags or {}).items():
            all_tags[check_key(key, "tag key")] = check_text(value, f"tag {key!r}")
        source = source or {}
        if exp_key not in self._active_experiments:
            with self.reading() as conn:
                exp = conn.execute(
                    sa.select(t.experiments.c.lifecycle_stage).where(t.experiments.c.experiment_id == exp_key)
                ).first()
            if exp is None:
                raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
            if exp[0] != "active":
                raise InvalidState(
                    f"experiment {experiment_id!r} is deleted; restore it or use another experiment"
                )
            self._active_experiments.add(exp_key)
        if parent_run_id and parent_run_id not in self._owned_params:
            with self.reading() as conn:
                self._run_row(conn, parent_run_id)
        pid = os.getpid()
        if self._owner_started is None or self._owner_pid != pid:
            self._owner_pid, self._owner_started = pid, process_start_ticks(pid)
        row = {
            "run_id": run_id,
            "experiment_id": exp_key,
            "name": run_name,
            "status": RunStatus.RUNNING,
            "start_time": ts,
            "end_time": None,
            "lifecycle_stage": "active",
            "deleted_time": None,
            "parent_run_id": parent_run_id,
            "user_id": user,
            "owner_host": self.host,
            "owner_pid": pid,
            "owner_started": self._owner_started,
            "heartbeat": now_ms(),
            "source_notebook": source.get("notebook"),
            "source_cell_id": source.get("cell_id"),
            "source_code_hash": source.get("code_hash"),
        }
        with self._lock:
            self._buffer.runs.append(row)
            self._buffer.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in all_tags.items())
            self._owned_params[run_id] = {}
            self._writable_runs.add(run_id)
            self._after_buffering(True)
        return self._run_info(_Row(row))

    def _run_row(self, conn: sa.Connection, run_id: str) -> sa.Row[Any]:
        if not isinstance(run_id, str):
            raise RunNotFound(f"run id {run_id!r} must be a string of 32 hex characters")
        row = conn.execute(sa.select(t.runs).where(t.runs.c.run_id == run_id)).first()
        if row is None:
            raise RunNotFound(
                f"no run with id {run_id!r} in the store at {self.location.uri}; check the id "
                "with mlnb.search_runs() or `mlnb runs ls`"
            )
        return row

    def _run_info(self, row: Any) -> RunInfo:
        return RunInfo(
            run_id=row.run_id,
            run_name=row.name,
            experiment_id=str(row.experiment_id),
            status=row.status,
            start_time=row.start_time,
            end_time=row.end_time,
            lifecycle_stage=row.lifecycle_stage,
            artifact_uri=self.run_dir(row.run_id).as_uri(),
            user_id=row.user_id,
            parent_run_id=row.parent_run_id,
        )

    def get_run_info(self, run_id: str) -> RunInfo:
        with self.reading() as conn:
            return self._run_info(self._run_row(conn, run_id))

    def get_run(self, run_id: str) -> Run:
        with self.reading() as conn:
            row = self._run_row(conn, run_id)
            params = dict(
                conn.execute(
                    sa.select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
                ).all()
            )
            tags = dict(
                conn.execute(sa.select(t.tags.c.key, t.tags.c.value).where(t.tags.c.run_id == run_id)).all()
            )
            lm = t.latest_metrics
            metrics = {
                key: decode_metric(value, special)
                for key, value, special in conn.execute(
                    sa.select(lm.c.key, lm.c.value, lm.c.special).where(lm.c.run_id == run_id)
                ).all()
            }
            inputs = RunInputs(tuple(self._inputs(conn, run_id)))
        return Run(self._run_info(row), RunData(params, metrics, tags), inputs)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RunStatus.ALL:
                raise InvalidParameter(f"run status {status!r} is not one of {', '.join(RunStatus.ALL)}")
            values["status"] = status
            if status in RunStatus.TERMINAL:
                values["end_time"] = now_ms() if end_time is None else check_int(end_time, "end_time")
        elif end_time is not None:
            values["end_time"] = check_int(end_time, "end_time")
        self.flush()
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            if run_name is not None:
                run_name = check_text(run_name, "run name")
                values["name"] = run_name
                self.upsert_tags(conn, run_id, {"mlflow.runName": run_name})
            if values:
                conn.execute(t.runs.update().where(t.runs.c.run_id == run_id).values(**values))
            return self._run_info(self._run_row(conn, run_id))

    def resume_run(self, run_id: str) -> RunInfo:
        """Reopen a run: it becomes RUNNING again, owned by this process."""
        with self.atomic() as conn:
            row = self._run_row(conn, run_id)
            if row.lifecycle_stage != "active":
                raise InvalidState(f"run {run_id} is deleted; restore it before resuming it")
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(
                    status=RunStatus.RUNNING,
                    end_time=None,
                    owner_host=self.host,
                    owner_pid=os.getpid(),
                    owner_started=process_start_ticks(os.getpid()),
                    heartbeat=now_ms(),
                )
            )
            row = self._run_row(conn, run_id)
        self._writable_runs.add(run_id)
        return self._run_info(row)

    def set_run_lifecycle(self, run_id: str, stage: str) -> None:
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(lifecycle_stage=stage, deleted_time=now_ms() if stage == "deleted" else None)
            )
        self._writable_runs.discard(run_id)

    def check_writable(self, run_id: str) -> None:
        if run_id in self._writable_runs:
            return
        with self.reading() as conn:
            row = self._run_row(conn, run_id)
        if row.lifecycle_stage != "active":
            raise RunDeleted(
                f"run {run_id} is deleted; restore it with mlnb.restore_run({run_id!r}) to log to it"
            )
        self._writable_runs.add(run_id)

    # --- logging ---------------------------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        buffered: bool = True,
    ) -> None:
        """The one write path for params, tags and metric points.

        Everything is validated now; a param that conflicts with its logged value raises here
        with nothing of the batch written.  The writes are buffered and committed within
        ``MLNB_FLUSH_INTERVAL`` seconds (or now with ``buffered=False``).  Params of runs not
        created by this process are checked against the database and written at once.
        """
        param_rows = {
            check_key(k, "param key"): check_text(v, f"param {k!r}") for k, v in (params or {}).items()
        }
        tag_rows = {check_key(k, "tag key"): check_text(v, f"tag {k!r}") for k, v in (tags or {}).items()}
        points = []
        for m in metrics:
            key = check_key(m.key, "metric key")
            value, special = encode_metric(metric_value(m.value, key))
            points.append(
                (run_id, key, value, special, check_int(m.step, "step"), check_int(m.timestamp, "timestamp"))
            )
        self.check_writable(run_id)
        if "mlflow.runName" in tag_rows:  # the tag names the run, as in MLflow: keep both in step
            self.update_run(run_id, run_name=tag_rows["mlflow.runName"])
        with self._lock:
            known = self._owned_params.get(run_id)
            if param_rows and known is None:
                with self.atomic() as conn:
                    self._insert_params(conn, run_id, param_rows)
            elif param_rows and known is not None:
                _check_param_conflicts(run_id, known, param_rows)
                new = {k: v for k, v in param_rows.items() if k not in known}
                known.update(new)
                self._buffer.params.extend({"run_id": run_id, "key": k, "value": v} for k, v in new.items())
            self._buffer.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in tag_rows.items())
            self._buffer.points.extend(points)
            self._after_buffering(buffered)

    def finish_run(
        self, run_id: str, status: str, end_time: int | None = None, *, flush: bool = False
    ) -> None:
        """End a run with a terminal status.

        Like every write of a run, the end is committed within ``MLNB_FLUSH_INTERVAL`` seconds,
        at the next read or synchronous write, at interpreter exit (also in multiprocessing
        workers that exit normally), or at once with ``flush=True`` / :meth:`flush`.  A loop of
        short runs thus commits a few hundred runs per transaction.
        """
        if status not in RunStatus.TERMINAL:
            raise InvalidParameter(f"a run ends as one of {', '.join(RunStatus.TERMINAL)}, not {status!r}")
        self.check_writable(run_id)
        end = now_ms() if end_time is None else check_int(end_time, "end_time")
        with self._lock:
            self._buffer.ends.append({"b_run_id": run_id, "b_status": status, "b_end_time": end})
            # while writes fail, a run's end is written (or its failure raised) at once
            self._after_buffering(not flush and not self.write_trouble)

    def _insert_params(self, conn: sa.Connection, run_id: str, rows: dict[str, str]) -> None:
        p = t.params
        existing = dict(
            conn.execute(
                sa.select(p.c.key, p.c.value).where(p.c.run_id == run_id, p.c.key.in_(list(rows)))
            ).all()
        )
        _check_param_conflicts(run_id, existing, rows)
        new = [{"run_id": run_id, "key": k, "value": v} for k, v in rows.items() if k not in existing]
        if new:
            conn.execute(p.insert(), new)

    def upsert_tags(self, conn: sa.Connection, run_id: str, rows: dict[str, str]) -> None:
        stmt = self.insert(t.tags)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
        )
        conn.execute(stmt, [{"run_id": run_id, "key": k, "value": v} for k, v in rows.items()])

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.atomic() as conn:
            self._run_row(conn, run_id)
            done = conn.execute(
                t.tags.delete().where(t.tags.c.run_id == run_id, t.tags.c.key == key)
            ).rowcount
            if not done:
                raise TagNotFound(f"run {run_id} has no tag {key!r} to delete")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        m = t.metrics
        with self.reading() as conn:
            self._run_row(conn, run_id)
            rows = conn.execute(
                sa.select(m.c.key, m.c.value, m.c.special, m.c.timestamp, m.c.step)
                .where(m.c.run_id == run_id, m.c.key == key)
                .order_by(m.c.step, m.c.timestamp, m.c.id)
            ).all()
        return [Metric(k, decode_metric(v, s), ts, step) for k, v, s, ts, step in rows]


def _check_param_conflicts(run_id: str, existing: dict[str, str], rows: dict[str, str]) -> None:
    for key, value in rows.items():
        if key in existing and existing[key] != value:
            raise ParamConflict(
                f"param {key!r} of run {run_id} is already {existing[key]!r}, cannot change it "
                f"to {value!r}: params are immutable; log the new value under another key or "
                "start a new run"
            )
