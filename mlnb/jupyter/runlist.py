"""The sidebar's search box and its run list: what the text means, and a lean page of runs.

What the search box's text means (a filter, or plain text found in run names and tags) is
decided by :mod:`mlnb.store.search_text`.

The list view answers only what a row of the list shows (name, status, times, parent, cell
and the first few metrics), read with three indexed queries instead of every param and tag,
so that ten thousand runs come back in one fast page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mlnb.store import schema as t
from mlnb.store.compiled import CompiledStatement
from mlnb.store.readonly import run_sources
from mlnb.store.search_details import bind_list, ids_in, sql_dialect
from mlnb.store.sql import SqlStore

LIST_METRICS = 3  # metrics per row of the list (the first ones by name)
LIST_COLUMNS = (
    "run_id",
    "run_name",
    "experiment_id",
    "status",
    "start_time",
    "end_time",
    "parent_run_id",
    "cell_id",
    "orphaned",
    "metrics",
)


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


def list_rows(store: SqlStore, rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """The list's view of search ``rows`` (tuples of :data:`mlnb.store.query.RUN_COLUMNS`).

    Compact: ``{"columns": LIST_COLUMNS, "rows": [[value per column], ...]}`` (no key repeated
    per run); ``metrics`` holds the run's first :data:`LIST_METRICS` metrics by name, NaN and
    infinities as ``null``.
    """
    if not rows:
        return {"columns": list(LIST_COLUMNS), "rows": []}
    ids = [row[0] for row in rows]
    dialect = store.dialect
    metrics: dict[str, dict[str, float | None]] = {}
    with store.reading() as conn:
        bound = bind_list(dialect, ids)
        cells = dict(_cells_query(dialect).rows(conn, mlnb_ids=bound))
        for run_id, key, value, special in _metrics_query(dialect).rows(conn, mlnb_ids=bound):
            mine = metrics.get(run_id)
            if mine is None:
                mine = metrics[run_id] = {}
            if len(mine) < LIST_METRICS:
                mine[key] = None if value is None or special else value
    running = [row[0] for row in rows if row[3] == "RUNNING"]
    orphaned = {k for k, v in run_sources(store, running).items() if v.get("orphaned")}
    empty: dict[str, float | None] = {}
    out = [
        [
            run_id,
            name,
            str(exp_id),
            status,
            start,
            end,
            parent,
            cells.get(run_id),
            run_id in orphaned,
            metrics.get(run_id, empty),
        ]
        for run_id, exp_id, name, status, start, end, _stage, _user, parent in rows
    ]
    return {"columns": list(LIST_COLUMNS), "rows": out}
