"""The sidebar's search box and its run list: what the text means, and a lean page of runs.

The search box takes either a filter (``metrics.acc > 0.8``, ``params.C = '1'``) or plain
text (``rf``): text that parses as a filter is one; other text is searched for in run names
and user tag values, unless it looks like a filter that is mistyped (it has both a key prefix
such as ``metrics.`` and an operator), which is an error saying what is wrong.

The list view answers only what a row of the list shows (name, status, times, parent, cell
and the first few metrics), read with three indexed queries instead of every param and tag,
so that ten thousand runs come back in one fast page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mlnb.errors import FilterSyntaxError
from mlnb.store import schema as t
from mlnb.store.filters import parse_filter
from mlnb.store.readonly import run_sources
from mlnb.store.search_details import bind_list, ids_in
from mlnb.store.sql import SqlStore

LIST_METRICS = 3  # metrics per row of the list (the first ones by name)
_KEY_PREFIX = re.compile(
    r"(?i)(^|[\s(])`?(metrics?|params?|parameters?|tags?|attributes?|attr|run|datasets?)`?\s*\."
)
_OPERATOR = re.compile(r"(?i)(!=|<=|>=|=|<|>|\b(i?like|in|is)\b)")


def looks_like_filter(text: str) -> bool:
    """Whether ``text`` was meant as a filter: it names a key with its prefix and compares it."""
    return bool(_KEY_PREFIX.search(text)) and bool(_OPERATOR.search(text))


def interpret(search: str | None) -> tuple[str | None, str | None]:
    """``(filter_string, text)`` for the search box's ``search``: at most one is set.

    Raises :class:`~mlnb.errors.FilterSyntaxError` when the text looks like a filter but is
    not one (the message says what the parser expected).
    """
    search = (search or "").strip()
    if not search:
        return None, None
    try:
        parse_filter(search)
    except FilterSyntaxError:
        if looks_like_filter(search):
            raise
        return None, search
    return search, None


def _number(value: Any, special: Any) -> float | None:
    # NaN and infinities are not JSON: the list shows them as missing
    if value is None or special:
        return None
    return float(value)


def list_rows(store: SqlStore, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's view of ``rows`` (run dicts of a search): no params or tags."""
    ids = [row["run_id"] for row in rows]
    if not ids:
        return []
    dialect = store.dialect
    r, lm = t.runs.c, t.latest_metrics.c
    cells: dict[str, str | None] = {}
    metrics: dict[str, dict[str, float | None]] = {}
    with store.reading() as conn:
        bound = {"mlnb_ids": bind_list(dialect, ids)}
        for run_id, cell_id in conn.execute(
            sa.select(r.run_id, r.source_cell_id).where(ids_in(r.run_id, dialect)), bound
        ):
            cells[run_id] = cell_id
        query = sa.select(lm.run_id, lm.key, lm.value, lm.special).where(ids_in(lm.run_id, dialect))
        for run_id, key, value, special in conn.execute(query.order_by(lm.run_id, lm.key), bound):
            mine = metrics.setdefault(run_id, {})
            if len(mine) < LIST_METRICS:
                mine[key] = _number(value, special)
    running = [row["run_id"] for row in rows if row["status"] == "RUNNING"]
    orphaned = {k for k, v in run_sources(store, running).items() if v.get("orphaned")}
    return [
        {
            "run_id": row["run_id"],
            "run_name": row["name"],
            "experiment_id": str(row["experiment_id"]),
            "status": row["status"],
            "start_time": row["start_time"],
            "end_time": row["end_time"],
            "parent_run_id": row["parent_run_id"],
            "metrics": metrics.get(row["run_id"], {}),
            "cell_id": cells.get(row["run_id"]),
            "orphaned": row["run_id"] in orphaned,
        }
        for row in rows
    ]
