"""What the Jupyter sidebar and the panels read besides a search (a mixin of :class:`SqlStore`).

Where runs came from (notebook, cell), which runs a notebook produced, the few columns a row of
the sidebar's run list shows (read with indexed queries instead of every param and tag, so ten
thousand runs come back in one fast page), and when each metric was last logged (the compare
panel's default column order).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import RunStatus
from mlnb.store import schema as t
from mlnb.store._common import now_ms
from mlnb.store.base import RunSource
from mlnb.store.compiled import CompiledStatement
from mlnb.store.recovery import process_gone
from mlnb.store.search_details import bind_list, ids_in, sql_dialect

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

_CHUNK = 500  # run ids per IN list


class BrowsingMixin:
    """Needs ``reading``, ``dialect`` and ``host`` from the store."""

    dialect: str
    host: str

    if TYPE_CHECKING:

        def reading(self) -> AbstractContextManager[sa.Connection]: ...

    def run_sources(self, run_ids: Sequence[str]) -> dict[str, RunSource]:
        """``{run_id: {"notebook", "cell_id", "code_hash", "orphaned"}}`` for the given runs.

        ``orphaned`` is True for a RUNNING run whose owner process is gone (or silent for too
        long): the next writer that opens the store marks it FAILED; a reader only reports it.
        """
        if not run_ids:
            return {}
        r = t.runs.c
        cols = (r.run_id, r.source_notebook, r.source_cell_id, r.source_code_hash, r.status)
        owner = (r.owner_host, r.owner_pid, r.owner_started, r.heartbeat)
        stale_ms = config.stale_heartbeat_s() * 1000
        out: dict[str, RunSource] = {}
        with self.reading() as conn:
            for start in range(0, len(run_ids), _CHUNK):
                chunk = list(run_ids[start : start + _CHUNK])
                for row in conn.execute(sa.select(*cols, *owner).where(r.run_id.in_(chunk))):
                    run_id, notebook, cell_id, code_hash, status, host, pid, started, heartbeat = row
                    orphaned = False
                    if status == RunStatus.RUNNING:
                        if host == self.host:
                            orphaned = process_gone(pid, started)
                        else:
                            orphaned = now_ms() - heartbeat > stale_ms
                    out[run_id] = {
                        "notebook": notebook,
                        "cell_id": cell_id,
                        "code_hash": code_hash,
                        "orphaned": orphaned,
                    }
        return out

    def runs_of_notebook(self, candidates: Sequence[str]) -> list[str]:
        """Ids of the runs whose source notebook is one of ``candidates`` (paths of one notebook).

        A notebook is recorded by the kernel as an absolute path, a path relative to the server
        root or a bare file name; ``candidates`` lists the forms the caller knows (absolute path
        and API path), and a relative record matches when it is the tail of a candidate.
        """
        r = t.runs.c
        with self.reading() as conn:
            recorded = [
                row[0]
                for row in conn.execute(
                    sa.select(r.source_notebook).where(r.source_notebook.is_not(None)).distinct()
                )
            ]
            matching = [rec for rec in recorded if same_notebook(rec, candidates)]
            if not matching:
                return []
            return [row[0] for row in conn.execute(sa.select(r.run_id).where(r.source_notebook.in_(matching)))]

    def run_cells_and_metrics(
        self, run_ids: Sequence[str], metrics_per_run: int
    ) -> tuple[dict[str, str | None], dict[str, dict[str, float | None]]]:
        """The cell id of each run, and its first ``metrics_per_run`` latest metrics by name
        (NaN and infinities as ``None``): what a row of the sidebar's run list shows."""
        metrics: dict[str, dict[str, float | None]] = {}
        if not run_ids:
            return {}, metrics
        dialect = self.dialect
        with self.reading() as conn:
            bound = bind_list(dialect, list(run_ids))
            cells: dict[str, str | None] = dict(_cells_query(dialect).rows(conn, mlnb_ids=bound))
            for run_id, key, value, special in _metrics_query(dialect).rows(conn, mlnb_ids=bound):
                mine = metrics.get(run_id)
                if mine is None:
                    mine = metrics[run_id] = {}
                if len(mine) < metrics_per_run:
                    mine[key] = None if value is None or special else value
        return cells, metrics

    def latest_metric_times(self, run_ids: Sequence[str]) -> dict[str, float]:
        """Last timestamp (ms) of each metric key across ``run_ids``, in one grouped query."""
        if not run_ids:
            return {}
        lm = t.latest_metrics
        dialect = self.dialect
        stmt = (
            sa.select(lm.c.key, sa.func.max(lm.c.timestamp))
            .where(ids_in(lm.c.run_id, dialect))
            .group_by(lm.c.key)
        )
        with self.reading() as conn:
            rows = conn.execute(stmt, {"mlnb_ids": bind_list(dialect, list(run_ids))}).all()
        return {key: float(ts) for key, ts in rows}


@lru_cache(maxsize=4)
def _cells_query(dialect: str) -> CompiledStatement:
    r = t.runs.c
    stmt = sa.select(r.run_id, r.source_cell_id).where(ids_in(r.run_id, dialect))
    return CompiledStatement(stmt, sql_dialect(dialect))


@lru_cache(maxsize=4)
def _metrics_query(dialect: str) -> CompiledStatement:
    lm = t.latest_metrics.c
    stmt = (
        sa.select(lm.run_id, lm.key, lm.value, lm.special)
        .where(ids_in(lm.run_id, dialect))
        .order_by(lm.run_id, lm.key)
    )
    return CompiledStatement(stmt, sql_dialect(dialect))


def same_notebook(recorded: str, candidates: Iterable[str]) -> bool:
    """Whether the notebook path ``recorded`` with a run names one of ``candidates``."""
    rec = PurePosixPath(recorded.replace(os.sep, "/"))
    for cand in candidates:
        path = PurePosixPath(cand)
        if rec == path:
            return True
        # a relative record (or a relative candidate) matches the tail of the other one
        shorter, longer = sorted((rec.parts, path.parts), key=len)
        if shorter and not PurePosixPath(*shorter).is_absolute() and longer[-len(shorter) :] == shorter:
            return True
    return False
