"""Params, tags and latest metrics of the runs a search matched, laid out as aligned columns.

Always by run id, never scanning the searched experiments, so the cost follows the rows a
search returns whatever the size of the experiment; and never a runs × params × metrics × tags
join:

* **SQLite**: in batches of :data:`READ_BATCH` runs, one statement returns one row of JSON —
  for each run of the batch, in order, its params object, its tags object and the list of its
  metric keys — and a second returns the metric values alone, one per row, ordered by run then
  key.  Each run is a probe of the primary keys.  Metric values stay SQL ``REAL`` (SQLite's
  JSON text keeps 15 digits, not all 17) and every other cell arrives in one string, which
  costs far less than thousands of rows of three or four cells each.
* **PostgreSQL**: one flat ``(run_id, key, value)`` read per table, by run id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from mlnb.store import schema as t
from mlnb.store.compiled import CompiledStatement
from mlnb.store.values import decode_metric

try:  # orjson reads and writes the JSON two to ten times faster than the standard library
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _loads

    def _dumps(values: list[str]) -> str:
        return _orjson_dumps(values).decode()

except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it

    def _loads(obj: bytes | bytearray | memoryview | str, /) -> Any:
        return json.loads(bytes(obj) if isinstance(obj, memoryview) else obj)

    def _dumps(values: list[str]) -> str:
        return json.dumps(values)


_first = itemgetter(0)

# runs whose details one SQLite read fetches: each batch probes the primary keys of its runs,
# so the cost follows the rows returned, never the size of the experiment
READ_BATCH = 100

Columns = dict[str, list[Any]]


def ids_in(col: Any, dialect: str, name: str = "mlnb_ids") -> Any:
    """``col`` among the values bound later as ``name`` (a JSON list for SQLite)."""
    if dialect == "sqlite":
        each = sa.func.json_each(sa.bindparam(name, None, type_=sa.String)).table_valued("value")
        return col.in_(sa.select(each.c.value))
    from sqlalchemy.dialects.postgresql import ARRAY

    return col == sa.any_(sa.bindparam(name, None, type_=ARRAY(sa.String)))


def bind_list(dialect: str, values: Sequence[Any]) -> Any:
    return json.dumps(list(values)) if dialect == "sqlite" else list(values)


_DIALECTS: dict[str, sa.Dialect] = {}


def sql_dialect(name: str) -> sa.Dialect:
    """The SQLAlchemy dialect statements are compiled for (``sqlite`` or ``postgresql``)."""
    if name not in _DIALECTS:
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

            _DIALECTS[name] = SQLiteDialect_pysqlite(paramstyle="qmark")
        else:
            from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

            # SQLAlchemy's psycopg dialect has no annotations on its constructor
            _DIALECTS[name] = PGDialect_psycopg(paramstyle="pyformat")  # type: ignore[no-untyped-call]
    return _DIALECTS[name]


def read_details(
    conn: sa.Connection, dialect: str, run_ids: list[str]
) -> tuple[Columns, Columns, Columns, Any]:
    """``(params, metrics, tags, metric_block)`` of ``run_ids``.

    ``params``, ``metrics`` and ``tags`` map each key to one value per run, ``None`` where the
    run has no such key (a metric logged as NaN is ``nan``).  ``metric_block`` is the metrics
    as one float64 array, a row per key in sorted key order, when they were read that way
    (every run has the same metric keys), else ``None``.
    """
    if dialect == "sqlite":
        batch = READ_BATCH
        if len(run_ids) <= batch:
            return _read_json(conn, run_ids)
        # the batches in run id order: each probes one stretch of the primary keys (pages the
        # batch before it mostly left in the cache); the columns go back to search order at the end
        n = len(run_ids)
        by_id = sorted(range(n), key=run_ids.__getitem__)
        ids = [run_ids[i] for i in by_id]
        parts = [_read_json(conn, ids[i : i + batch], as_lists=False) for i in range(0, n, batch)]
        return _permuted(_joined(parts, [min(batch, n - i) for i in range(0, n, batch)]), _inverse(by_id))
    return (*_read_rows(conn, dialect, run_ids), None)


def _joined(
    parts: list[tuple[Columns, Columns, Columns, Any]], sizes: list[int]
) -> tuple[Columns, Columns, Columns, Any]:
    """The details of consecutive batches of runs as the details of all of them."""
    blocks = [part[3] for part in parts]
    block = None
    if all(b is not None for b in blocks):
        keys = list(parts[0][1])
        if all(list(part[1]) == keys for part in parts):
            import numpy as np

            block = np.concatenate(blocks, axis=1)
    params, tags = (_joined_columns([part[k] for part in parts], sizes) for k in (0, 2))
    if block is not None:
        metrics: Columns = {key: [] for key in parts[0][1]}  # the values are the block's
    else:
        metrics = _joined_columns([_metric_lists(part) for part in parts], sizes)
    return params, metrics, tags, block


def _permuted(
    details: tuple[Columns, Columns, Columns, Any], take: list[int]
) -> tuple[Columns, Columns, Columns, Any]:
    """``details`` with run ``take[i]`` at place ``i``."""
    import numpy as np

    index = np.asarray(take, dtype=np.intp)

    def permuted(columns: Columns) -> Columns:
        out: Columns = {}
        for key, values in columns.items():
            column = np.empty(len(values), dtype=object)
            column[:] = values
            out[key] = column[index].tolist()
        return out

    params, metrics, tags, block = details
    if block is not None:
        block = block[:, index]
        metrics = dict(zip(metrics, block.tolist(), strict=True))
    else:
        metrics = permuted(metrics)
    return permuted(params), metrics, permuted(tags), block


def _metric_lists(part: tuple[Columns, Columns, Columns, Any]) -> Columns:
    _, metrics, _, block = part
    return metrics if block is None else dict(zip(metrics, block.tolist(), strict=True))


def _joined_columns(parts: list[Columns], sizes: list[int]) -> Columns:
    keys = dict.fromkeys(chain.from_iterable(parts))
    out: Columns = {}
    for key in keys:
        column: list[Any] = []
        for part, size in zip(parts, sizes, strict=True):
            values = part.get(key)
            column += [None] * size if values is None else values
        out[key] = column
    return out


# --- SQLite: one JSON row + one column of metric values --------------------------------------------
@lru_cache(maxsize=1)
def _json_statements() -> tuple[CompiledStatement, CompiledStatement]:
    ids = sa.func.json_each(sa.bindparam("mlnb_ids", None, type_=sa.String)).table_valued(
        "key", "value", name="ids"
    )
    pos, run_id = ids.c.key, ids.c.value

    def joined(per_run: Any) -> Any:
        # the per-run JSON texts joined into one array; group_concat keeps the visiting order,
        # the same order json_group_array(pos) records next to it
        return sa.literal("[") + sa.func.group_concat(per_run, ",", type_=sa.String) + sa.literal("]")

    def kv_object(table: sa.Table) -> Any:
        return (
            sa.select(sa.func.json_group_object(table.c.key, table.c.value, type_=sa.String))
            .where(table.c.run_id == run_id)
            .scalar_subquery()
        )

    lm = t.latest_metrics
    metric_keys = (
        sa.select(sa.func.json_group_array(lm.c.key, type_=sa.String))
        .where(lm.c.run_id == run_id)
        .scalar_subquery()
    )
    doc = sa.select(
        sa.func.json_group_array(pos, type_=sa.String),
        joined(kv_object(t.params)),
        joined(kv_object(t.tags)),
        joined(metric_keys),
    ).select_from(ids)
    value = sa.case((lm.c.special == 2, sa.literal_column("-0.0")), else_=lm.c.value)  # NaN: NULL
    # in primary-key order (run id, then key in code-point order, which is Python's str order):
    # the order SQLite reads them in, so no sort, and Python knows which value is which
    values = sa.select(value).where(ids_in(lm.c.run_id, "sqlite")).order_by(lm.c.run_id, lm.c.key)
    sqlite = sql_dialect("sqlite")
    return CompiledStatement(doc, sqlite), CompiledStatement(values, sqlite)


def _read_json(
    conn: sa.Connection, run_ids: list[str], as_lists: bool = True
) -> tuple[Columns, Columns, Columns, Any]:
    """The details of ``run_ids`` in two statements; without ``as_lists``, metrics read as a
    block come back as that block alone (their columns map each key to an empty list)."""
    n = len(run_ids)
    doc_stmt, values_stmt = _json_statements()
    bound = _dumps(run_ids)
    ((positions, params_doc, tags_doc, keys_doc),) = doc_stmt.rows(conn, mlnb_ids=bound)
    per_run = [_loads(params_doc), _loads(tags_doc), _loads(keys_doc)]
    positions = _loads(positions)
    if any(len(docs) != n for docs in per_run):  # never expected: every run yields {} or []
        return (*_read_rows(conn, "sqlite", run_ids), None)
    if positions != list(range(n)):  # SQLite visits json_each in array order; never rely on it blindly
        order = sorted(range(n), key=positions.__getitem__)
        per_run = [[docs[i] for i in order] for docs in per_run]
    params_runs, tags_runs, key_runs = per_run
    rows = values_stmt.rows(conn, mlnb_ids=bound)
    by_id = sorted(range(n), key=run_ids.__getitem__)  # the runs in the order of their values
    block = _metric_block(key_runs, by_id, rows)
    if block is not None:
        keys = sorted(key_runs[0])
        metrics = dict(zip(keys, block.tolist(), strict=True)) if as_lists else {key: [] for key in keys}
    else:
        metrics = _metric_columns(key_runs, by_id, list(map(_first, rows)))
    return _columns(params_runs), metrics, _columns(tags_runs), block


def _metric_block(key_runs: list[list[str]], by_id: list[int], rows: list[tuple[Any]]) -> Any:
    """The metric values as a (keys, runs) float64 array when every run has the same keys and
    none was logged as NaN (NULL); else ``None``.  ``rows`` hold the values of run ``by_id[0]``
    in key order, then ``by_id[1]``..."""
    n, first = len(key_runs), key_runs[0]
    if not first or key_runs.count(first) != n:
        return None
    import numpy as np

    try:
        flat = np.fromiter(map(_first, rows), dtype=np.float64, count=len(rows))
    except TypeError:  # a NULL: leave NaN and absence apart in the general path
        return None
    by_run = flat.reshape(n, len(first))  # one row per run, by run id
    return np.ascontiguousarray(by_run[_inverse(by_id)].T)  # one row per key, runs in search order


def _columns(per_run: list[dict[str, Any]]) -> Columns:
    first = per_run[0]
    keys = first.keys()
    if all(map(keys.__eq__, map(dict.keys, per_run))):  # every run has the same keys: transpose in C
        if len(keys) == 1:
            (key,) = keys
            return {key: [d[key] for d in per_run]}
        if not keys:
            return {}
        return dict(zip(keys, map(list, zip(*map(itemgetter(*keys), per_run), strict=True)), strict=True))
    union = dict.fromkeys(chain.from_iterable(per_run))
    return {key: [d.get(key) for d in per_run] for key in union}


def _metric_columns(key_runs: list[list[str]], by_id: list[int], flat: list[float | None]) -> Columns:
    """Columns from ``flat``: the values of run ``by_id[0]`` in key order, then ``by_id[1]``..."""
    if None in flat:  # NULL is a logged NaN: the row exists
        flat = [math.nan if v is None else v for v in flat]
    n = len(key_runs)
    first = key_runs[0]
    if key_runs.count(first) == n:  # the common case: every run has the same keys
        width = len(first)
        if not width:
            return {}
        if n == 1:
            return {key: [flat[rank]] for rank, key in enumerate(sorted(first))}
        # column of the rank-th key: flat[rank::width], by run id; back to search order
        in_search_order = itemgetter(*_inverse(by_id))
        return {key: list(in_search_order(flat[rank::width])) for rank, key in enumerate(sorted(first))}
    columns: Columns = {}
    at = 0
    for i in by_id:
        for key in sorted(key_runs[i]):
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * n
            column[i] = flat[at]
            at += 1
    return columns


def _inverse(permutation: list[int]) -> list[int]:
    inverse = [0] * len(permutation)
    for j, i in enumerate(permutation):
        inverse[i] = j
    return inverse


# --- row reads: PostgreSQL ------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _rows_query(dialect: str, kind: str) -> CompiledStatement:
    """Params, tags or latest metrics of the matched runs, by run id."""
    table = {"params": t.params, "tags": t.tags}.get(kind, t.latest_metrics)
    cols = [table.c.run_id, table.c.key, table.c.value]
    if table is t.latest_metrics:
        cols.append(table.c.special)
    return CompiledStatement(sa.select(*cols).where(ids_in(table.c.run_id, dialect)), sql_dialect(dialect))


def _read_rows(conn: sa.Connection, dialect: str, run_ids: list[str]) -> tuple[Columns, Columns, Columns]:
    position = {rid: i for i, rid in enumerate(run_ids)}
    n = len(run_ids)
    bound = {"mlnb_ids": bind_list(dialect, run_ids)}
    out: list[Columns] = []
    for kind in ("params", "metrics", "tags"):
        target: Columns = {}
        for row in _rows_query(dialect, kind).rows(conn, **bound):
            i = position.get(row[0])
            if i is None:
                continue
            column = target.get(row[1])
            if column is None:
                column = target[row[1]] = [None] * n
            column[i] = decode_metric(row[2], row[3]) if kind == "metrics" and row[3] else row[2]
        out.append(target)
    return out[0], out[1], out[2]
