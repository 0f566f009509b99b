"""What the compare panel shows before the user chooses: default columns, parent runs, best child.

One rule for the live table and the static fallback (and the tests):

- columns: the metrics, most recently logged first (a metric's last timestamp across the runs),
  then only the params whose values differ between the runs (a param present on some runs and
  missing on others differs); tags are hidden.  Run name and status always lead the table.
- a run tagged ``mlflow.parentRunId`` with its parent in the table is a child: it is listed
  under its parent (collapsed), never among the other runs.  A parent's best child is the one
  with the best value of the primary metric (the first default metric); lower is better for
  loss/error-like names (:data:`mlnb.display.html.LOWER_IS_BETTER`).

Everything works on the columnar arrays of :class:`~mlnb.widgets._compare_data.RunTable`
(numpy per key, never a Python loop over runs × keys).  Which keys differ between the runs
(:func:`differing_keys`, :class:`Families`) is decided beside the table, in ``_compare_data``, and
exported here with the rest of the rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from mlnb.display.html import LOWER_IS_BETTER
from mlnb.widgets._compare_data import Column, Families, RunTable, differing_keys, differs

if TYPE_CHECKING:
    from mlnb.store.base import Store

BASE_COLUMNS = ("run_name", "status")
SEARCH_RANK = "rank_test_score"  # scikit-learn's own ranking of a search's candidates (1 = best)
STORAGE_PREFIX = "mlnb.compare.columns"
RECENT_RUNS = 1000  # runs whose metric timestamps are read (the most recent ones)


def lower_is_better(key: str) -> bool:
    """True when smaller values of metric ``key`` are better (loss, error, rmse, rank ...)."""
    name = key.removeprefix("metrics.").lower()
    return name.startswith("rank_") or any(word in name for word in LOWER_IS_BETTER)


def _present(col: Column) -> np.ndarray:
    """Rows that have a value for ``col`` (a metric logged as NaN counts as present)."""
    if col.codes is not None:
        return col.codes >= 0
    assert col.num is not None
    present = ~np.isnan(col.num)
    if col.text is not None and not present.all():
        present |= np.fromiter((v is not None for v in col.text), dtype=bool, count=len(col.text))
    return present


def metric_order(table: RunTable, times: Mapping[str, float] | None = None) -> list[str]:
    """Metric keys, most recently logged first (ties by name).

    ``times`` maps a metric key (``metrics.x``) to its last timestamp in ms across the runs
    (see :func:`read_metric_times`); keys it lacks come after those it has, ordered by the
    latest end (or start) time of the runs that have them (all keys so, without ``times``).
    """
    times = times or {}
    run_time = np.where(np.isnan(table.end_time), table.start_time, table.end_time)
    stamped: list[tuple[int, float, str]] = []
    for key, col in table.columns.items():
        if col.kind != "metric":
            continue
        when = times.get(key)
        found = when is not None or not times
        if when is None:
            mask = _present(col)
            when = (
                float(np.nanmax(run_time[mask])) if mask.any() and not np.isnan(run_time[mask]).all() else 0.0
            )
        stamped.append((0 if found else 1, -when, key))
    stamped.sort()
    return [key for _, _, key in stamped]


def differing_params(table: RunTable) -> list[str]:
    """Param keys whose value differs between the runs shown (see :func:`differing_keys`)."""
    return differing_keys(table, ("param",))


def default_columns(table: RunTable, times: Mapping[str, float] | None = None) -> list[str]:
    """The columns the panel opens on after run name and status: metrics, then differing params."""
    return metric_order(table, times) + differing_params(table)


def primary_metric(columns: Sequence[str]) -> str | None:
    """The first metric of ``columns`` (the metric the panel ranks by), or None."""
    return next((k for k in columns if k.startswith("metrics.")), None)


def best_children(table: RunTable, metrics: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Per row, the row of its best child (``-1`` when it has none) and the metric it was picked by.

    A parent's children are ranked by the first of ``metrics`` they carry, except that the
    primary metric (``metrics[0]``) is preferred and, when the children lack it, a search's own
    ``rank_test_score`` comes next.  The second value lists the metric used per parent row
    (``""`` where there is no best child).
    """
    n = len(table)
    best = np.full(n, -1, dtype=np.int32)
    used = [""] * n
    parent = table.parent
    is_child = parent >= 0
    if not is_child.any():
        return best, used
    order = list(metrics[:1])
    rank_key = f"metrics.{SEARCH_RANK}"
    if rank_key in table.columns and rank_key not in order:
        order.append(rank_key)
    order += [m for m in metrics[1:] if m not in order]
    undecided = np.unique(parent[is_child])
    for key in order:
        col = table.columns.get(key)
        if col is None or col.num is None or not len(undecided):
            continue
        value = col.num
        ok = is_child & np.isfinite(value) & np.isin(parent, undecided)
        rows = np.flatnonzero(ok)
        if not len(rows):
            continue
        score = value[rows] if lower_is_better(key) else -value[rows]
        # by parent, then score; a tie goes to the earlier run (the later row in store order,
        # which is most recent first), as a search's own best_index_ takes the first candidate
        ranked = rows[np.lexsort((-rows, score, parent[rows]))]
        group, first = np.unique(parent[ranked], return_index=True)
        best[group] = ranked[first]
        for g in group.tolist():
            used[g] = key
        undecided = np.setdiff1d(undecided, group, assume_unique=True)
    return best, used


def best_row(table: RunTable, key: str | None) -> int:
    """The row with the best value of metric ``key`` (lower for loss-like names), ``-1`` if none."""
    col = table.columns.get(key) if key else None
    if col is None or col.num is None:
        return -1
    finite = np.isfinite(col.num)
    if not finite.any():
        return -1
    values = np.where(finite, col.num, np.inf if lower_is_better(key or "") else -np.inf)
    return int(np.argmin(values) if lower_is_better(key or "") else np.argmax(values))


def child_counts(table: RunTable) -> np.ndarray:
    """How many children of each row are in the table."""
    parent = table.parent
    counts = np.zeros(len(table), dtype=np.int32)
    kids = parent[parent >= 0]
    if len(kids):
        np.add.at(counts, kids, 1)
    return counts


def storage_key(store_uri: str, experiment_ids: Sequence[str], run_ids: Sequence[str] | None) -> str:
    """The browser localStorage key the column choice is kept under (per store and experiment)."""
    scope = ",".join(sorted(str(e) for e in experiment_ids))
    if run_ids is not None:  # a panel on a given list of runs: keyed by that list
        scope += "|runs:" + hashlib.sha1(",".join(sorted(run_ids)).encode()).hexdigest()[:12]
    return f"{STORAGE_PREFIX}:{store_uri}:{scope}"


def read_metric_times(store: Store, run_ids: Sequence[str], *, limit: int = RECENT_RUNS) -> dict[str, float]:
    """Last timestamp (ms) of each metric key (``metrics.x``) across the first ``limit`` of ``run_ids``.

    One grouped query in the store.  ``run_ids`` come most recent first, so the first runs hold
    the latest timestamps; a metric only older runs have is left out (:func:`metric_order` then
    places it by its runs' end time, after the ones found here).
    """
    times = store.latest_metric_times(list(run_ids[:limit]))
    return {f"metrics.{key}": ts for key, ts in times.items()}


__all__ = [
    "BASE_COLUMNS",
    "Families",
    "best_children",
    "best_row",
    "child_counts",
    "default_columns",
    "differing_keys",
    "differing_params",
    "differs",
    "lower_is_better",
    "metric_order",
    "primary_metric",
    "read_metric_times",
    "storage_key",
]
