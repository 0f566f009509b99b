"""The sidebar's search box and its run list: what the text means, and a lean page of runs.

What the search box's text means (a filter, or plain text found in run names and tags) is
decided by :mod:`mlnb.store.search_text`.

The list view answers only what a row of the list shows (name, status, times, parent, cell
and the first few metrics): a search without details plus
:meth:`~mlnb.store.base.BrowsingStore.run_cells_and_metrics`, indexed queries instead of every
param and tag, so that ten thousand runs come back in one fast page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlnb.store.base import Store

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


def list_rows(store: Store, rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """The list's view of search ``rows`` (tuples of :data:`mlnb.store.base.RUN_COLUMNS`).

    Compact: ``{"columns": LIST_COLUMNS, "rows": [[value per column], ...]}`` (no key repeated
    per run); ``metrics`` holds the run's first :data:`LIST_METRICS` metrics by name, NaN and
    infinities as ``null``.
    """
    if not rows:
        return {"columns": list(LIST_COLUMNS), "rows": []}
    cells, metrics = store.run_cells_and_metrics([row[0] for row in rows], LIST_METRICS)
    running = [row[0] for row in rows if row[3] == "RUNNING"]
    orphaned = {k for k, v in store.run_sources(running).items() if v["orphaned"]}
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
