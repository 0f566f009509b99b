"""The compare panel's data: runs from the store laid out as columns, and the compact payload.

The front end gets columnar arrays, never one dict per cell: numbers as little-endian float64
buffers (NaN where a run lacks the key), text as a dictionary of distinct values plus int32
codes (-1 where missing).  ipywidgets ships ``bytes`` as binary websocket frames, so 10,000 runs
× 40 keys travel as a few megabytes of raw arrays instead of tens of megabytes of JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# distinct values above which a numeric param is sent as numbers only (its text is rebuilt)
_MAX_TEXT_DICT = 2000
HIDDEN_TAG_PREFIX = "mlflow."
PARENT_TAG = "mlflow.parentRunId"


@dataclass
class Column:
    """One key across all runs: ``text`` (raw values, ``None`` = missing) and/or ``num``."""

    key: str  # "params.C", "metrics.acc", "tags.team"
    kind: str  # "param" | "metric" | "tag"
    text: list[Any] | None = None
    num: np.ndarray | None = None
    codes: np.ndarray | None = None
    uniques: list[str] | None = None

    @property
    def numeric(self) -> bool:
        return self.num is not None

    def value(self, i: int) -> Any:
        if self.kind == "metric":
            assert self.num is not None
            v = float(self.num[i])
            return None if v != v and self.text is not None and self.text[i] is None else v
        assert self.text is not None
        return self.text[i]

    def distinct_count(self, rows: np.ndarray | None = None) -> int:
        """Distinct values (missing counts as one value) among ``rows`` (all rows if None)."""
        if self.codes is not None:
            codes = self.codes if rows is None else self.codes[rows]
            return len(np.unique(codes))
        assert self.num is not None
        num = self.num if rows is None else self.num[rows]
        nan = np.isnan(num)
        return len(np.unique(num[~nan])) + int(bool(nan.any()))


@dataclass
class RunTable:
    """Runs in store order with their attributes and one :class:`Column` per key."""

    run_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)
    start_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    end_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    columns: dict[str, Column] = field(default_factory=dict)
    # row of each run's parent run in this table, -1 for a top-level run (or a parent not shown)
    parent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.run_ids)

    @property
    def keys(self) -> list[str]:
        return list(self.columns)

    def varying_keys(self, rows: np.ndarray | None = None) -> list[str]:
        """Keys whose value is not the same for every run ("only differences").

        Without ``rows``: compared among the top-level runs and among each parent's children.
        """
        if rows is None:
            return differing_keys(self)
        return [k for k, c in self.columns.items() if c.distinct_count(rows) > 1]

    def cell(self, key: str, i: int) -> Any:
        if key == "run_name":
            return self.names[i]
        if key == "status":
            return self.status[i]
        if key == "run_id":
            return self.run_ids[i]
        if key == "start_time":
            return _iso(self.start_time[i])
        return self.columns[key].value(i)

    def sort_order(self, key: str | None, descending: bool) -> np.ndarray:
        """Row indices sorted by ``key`` (missing last, ties in store order)."""
        n = len(self)
        if not key:
            return np.arange(n)
        if key in ("run_name", "status", "run_id"):
            values = {"run_name": self.names, "status": self.status, "run_id": self.run_ids}[key]
            order = sorted(range(n), key=lambda i: values[i], reverse=descending)
            return np.asarray(order, dtype=np.int64)
        if key == "start_time":
            num = self.start_time
        else:
            col = self.columns[key]
            if col.num is None:
                text = col.text or []
                present = [i for i in range(n) if text[i] is not None]
                present.sort(key=lambda i: text[i], reverse=descending)
                missing = [i for i in range(n) if text[i] is None]
                return np.asarray(present + missing, dtype=np.int64)
            num = col.num
        nan = np.isnan(num)
        idx = np.flatnonzero(~nan)
        keyed = -num[idx] if descending else num[idx]
        idx = idx[np.argsort(keyed, kind="stable")]
        return np.concatenate([idx, np.flatnonzero(nan)])


def _iso(ms: float) -> str | None:
    if ms != ms:
        return None
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _float_array(values: list[Any]) -> np.ndarray:
    return np.array(values, dtype=np.float64)  # None -> NaN


def _factorize(values: list[Any]) -> tuple[np.ndarray, list[str]]:
    """int32 codes (-1 for missing) and the distinct values in first-seen order.

    Plain Python on purpose: opening a panel must not pay for importing pandas.
    """
    index: dict[Any, int] = {}
    codes = np.fromiter(
        (-1 if v is None else index.setdefault(v, len(index)) for v in values),
        dtype=np.int32,
        count=len(values),
    )
    return codes, [str(u) for u in index]


def _text_column(key: str, kind: str, values: list[Any]) -> Column:
    codes, uniques = _factorize(values)
    col = Column(key, kind, text=values, codes=codes, uniques=uniques)
    if uniques:
        parsed = _parse_numbers(uniques)
        if parsed is not None:
            lookup = np.append(parsed, np.nan)  # code -1 picks the trailing NaN
            col.num = lookup[codes]
    return col


def _parse_numbers(texts: list[str]) -> np.ndarray | None:
    out = np.empty(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        if text.strip().lower() in ("true", "false"):
            return None
        try:
            out[i] = float(text)
        except ValueError:
            return None
    return out


def table_from_search(result: Any) -> RunTable:
    """Lay out a store ``SearchResult`` (already columnar) as a :class:`RunTable`."""
    runs = result.runs
    table = RunTable(
        run_ids=[r["run_id"] for r in runs],
        names=[r["name"] or "" for r in runs],
        status=[r["status"] for r in runs],
        experiment_ids=[str(r["experiment_id"]) for r in runs],
        start_time=_float_array([r["start_time"] for r in runs]),
        end_time=_float_array([r["end_time"] for r in runs]),
    )
    table.parent = _parent_rows(table.run_ids, result.tags.get(PARENT_TAG))
    for key in sorted(result.params):
        table.columns[f"params.{key}"] = _text_column(f"params.{key}", "param", result.params[key])
    for key in sorted(result.metrics):
        values = result.metrics[key]
        table.columns[f"metrics.{key}"] = Column(
            f"metrics.{key}", "metric", text=values, num=_float_array(values)
        )
    for key in sorted(result.tags):
        if key.startswith(HIDDEN_TAG_PREFIX):
            continue
        table.columns[f"tags.{key}"] = _text_column(f"tags.{key}", "tag", result.tags[key])
    return table


def _parent_rows(run_ids: list[str], parent_ids: list[Any] | None) -> np.ndarray:
    """Row of each run's parent among ``run_ids`` (-1 when it has none or it is not listed)."""
    if not parent_ids:
        return np.full(len(run_ids), -1, dtype=np.int32)
    index = {rid: i for i, rid in enumerate(run_ids)}
    rows = np.fromiter(
        (index.get(p, -1) if p else -1 for p in parent_ids), dtype=np.int32, count=len(run_ids)
    )
    rows[rows == np.arange(len(run_ids))] = -1  # a run is never its own parent
    # a parent chain that never reaches a top-level run (a cycle) is cut: those runs are top level
    top = rows.copy()
    for _ in range(16):
        up = top >= 0
        if not up.any():
            return rows
        top[up] = rows[top[up]]
    rows[top >= 0] = -1
    return rows


def _f64(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def _i32(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<i4").tobytes()


def payload(
    table: RunTable,
    *,
    complete: bool,
    version: int,
    best: np.ndarray | None = None,
    primary_best: int = -1,
) -> dict[str, Any]:
    """The front end's copy of ``table``: JSON scalars plus raw little-endian array buffers.

    ``parent`` holds each run's parent row (-1: top level) and ``best`` each parent's best child
    row (-1: none), both int32; ``primary_best`` is the row with the best value of the primary
    metric (-1: none).
    """
    columns = []
    for col in table.columns.values():
        entry: dict[str, Any] = {"key": col.key, "kind": col.kind}
        if col.num is not None:
            entry["num"] = _f64(col.num)
        if col.codes is not None and (col.num is None or len(col.uniques or ()) <= _MAX_TEXT_DICT):
            entry["codes"] = _i32(col.codes)
            entry["dict"] = col.uniques
        columns.append(entry)
    status_codes, status_dict = _factorize(table.status) if len(table) else (np.zeros(0), [])
    return {
        "version": version,
        "n": len(table),
        "complete": complete,
        "run_id": table.run_ids,
        "name": table.names,
        "status": {"codes": _i32(status_codes), "dict": status_dict},
        "start_time": _f64(table.start_time),
        "end_time": _f64(table.end_time),
        "parent": _i32(table.parent),
        "best": _i32(best if best is not None else np.full(len(table), -1)),
        "primary_best": primary_best,
        "columns": columns,
    }


# --- which keys differ between the runs shown side by side ------------------------------------
def _values(col: Column) -> np.ndarray:
    """The column as float64 with NaN for missing (text params by their int32 codes)."""
    if col.codes is not None:
        return np.where(col.codes >= 0, col.codes, np.nan)
    assert col.num is not None
    return col.num


def _spread(values: np.ndarray) -> bool:
    """Whether ``values`` (NaN = missing) hold more than one value; missing is a value of its own."""
    if not len(values):
        return False
    nan = np.isnan(values)
    if nan.all():
        return False
    finite = values[~nan]
    return bool(nan.any()) or bool(finite.min() != finite.max())


class Families:
    """The groups of runs the panel shows side by side: the top-level runs, and each parent's
    children (listed together when the parent is expanded)."""

    def __init__(self, parent: np.ndarray) -> None:
        self.top = np.flatnonzero(parent < 0)
        kids = np.flatnonzero(parent >= 0)
        order = kids[np.argsort(parent[kids], kind="stable")]
        self.children = order
        if len(order):
            keys = parent[order]
            self.starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            self.sizes = np.diff(np.r_[self.starts, len(order)])
        else:
            self.starts = self.sizes = np.zeros(0, dtype=np.int64)

    def differs(self, values: np.ndarray) -> bool:
        """Whether ``values`` differ among the top-level runs or among any parent's children."""
        if _spread(values[self.top]):
            return True
        if not len(self.children):
            return False
        v = values[self.children]
        nan = np.isnan(v)
        missing = np.add.reduceat(nan.astype(np.int64), self.starts)
        mixed = (missing > 0) & (missing < self.sizes)
        with np.errstate(invalid="ignore"):
            lo, hi = np.fmin.reduceat(v, self.starts), np.fmax.reduceat(v, self.starts)
        return bool(mixed.any() or ((lo != hi) & ~np.isnan(lo)).any())


def differs(col: Column, families: Families | None = None) -> bool:
    """Whether ``col`` has more than one value across the runs shown side by side.

    Missing is a value of its own (a param present on some runs and missing on others differs).
    With ``families`` (see :class:`Families`) runs are compared within the top level and within
    each parent's children; without, across every run.
    """
    values = _values(col)
    return families.differs(values) if families is not None else _spread(values)


def differing_keys(table: RunTable, kinds: Sequence[str] = ("metric", "param", "tag")) -> list[str]:
    """Keys (of the given kinds) whose value is not the same on the runs shown side by side:
    the top-level runs, or the children of one parent (see :class:`Families`); in key order."""
    families = Families(table.parent)
    return [k for k, c in table.columns.items() if c.kind in kinds and differs(c, families)]
