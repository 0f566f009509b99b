"""Run search one page at a time, with opaque page tokens (keyset paging).

A token holds the sort values of the last run of its page (every order key, then the
``start_time DESC, run_id ASC`` tie-breakers), so the next page is "the runs after that one" in
the same order: one indexed range read whatever the page number, and runs created or deleted
while a caller pages never shift a later page (no run is skipped or shown twice, unlike
``OFFSET``).  The token also carries a digest of the query, so a token used with another query
is refused instead of returning a wrong page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from mlnb.entities import PagedList, Run, RunData, RunInfo
from mlnb.errors import InvalidParameter
from mlnb.store import schema as t
from mlnb.store._common import lifecycle_stages
from mlnb.store.filters import ATTR, METRIC, PARAM, parse_filter, parse_order_by
from mlnb.store.page_tokens import check_page_size, decode_token, encode_token, query_digest
from mlnb.store.query import Compiler, drives_search, run_column, split_driver
from mlnb.store.search_details import read_details

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

# the run columns a page reads, in RunInfo's order of arguments
_INFO_COLUMNS = ("run_id", "name", "experiment_id", "status", "start_time", "end_time",
                 "lifecycle_stage", "user_id", "parent_run_id")  # fmt: skip


# --- the page query -------------------------------------------------------------------------------
def _statement(
    dialect: str, exp_keys: list[int], filter_string: str | None, order_by: Sequence[str], stages: list[str]
) -> tuple[Any, list[tuple[Any, bool]]]:
    """The filtered runs in order, selecting the run columns then each sort value; and the sort
    keys as ``(expression, descending)`` for the keyset condition."""
    node = parse_filter(filter_string)
    compiler = Compiler(dialect)
    r = t.runs
    where = [r.c.lifecycle_stage.in_(stages)]
    if exp_keys:
        exp_col = (r.c.experiment_id + 0) if drives_search(node) else r.c.experiment_id
        where.append(exp_col.in_(exp_keys))
    driver, rest = split_driver(node)
    if rest is not None:
        where.append(compiler.cond(rest))
    source: Any = r
    if driver is not None:
        source = source.join(*compiler.driver(driver))
    keys: list[tuple[Any, bool]] = []
    for i, key in enumerate(parse_order_by(list(order_by))):
        if key.kind == ATTR:
            col = run_column(key.key)
            keys += [(_flag(col.is_(None)), False), (col, key.descending)]
            continue
        table = {METRIC: t.latest_metrics, PARAM: t.params}.get(key.kind, t.tags).alias(f"o{i}")
        source = source.outerjoin(table, sa.and_(table.c.run_id == r.c.run_id, table.c.key == key.key))
        keys.append((_flag(table.c.run_id.is_(None)), False))  # runs without the key go last
        if key.kind == METRIC:
            keys.append((_flag(table.c.special == 1), False))  # NaN after every number
        value: sa.ColumnElement[Any] = table.c.value
        if dialect == "postgresql" and key.kind != METRIC:
            value = value.collate("C")
        keys.append((value, key.descending))
    keys += [(r.c.start_time, True), (r.c.run_id, False)]
    columns = [r.c[c] for c in _INFO_COLUMNS] + [expr.label(f"k{i}") for i, (expr, _) in enumerate(keys)]
    ordering = [expr.desc() if desc else expr.asc() for expr, desc in keys]
    stmt = sa.select(*columns).select_from(source).where(*where).order_by(*ordering)
    return stmt, keys


def _flag(condition: Any) -> Any:
    """0 or 1 (never NULL): a sort key that compares like any value in the keyset condition."""
    return sa.case((condition, 1), else_=0)


def _after(keys: list[tuple[Any, bool]], values: list[Any]) -> Any:
    """Rows strictly after ``values`` in the order of ``keys`` (a tie on NULL is ``IS NULL``)."""
    options = []
    for i, (expr, desc) in enumerate(keys):
        ties = [k.is_(None) if v is None else k == v for (k, _), v in zip(keys[:i], values[:i], strict=True)]
        if values[i] is None:  # nothing sorts after NULL here: its flag key came first
            continue
        beyond = expr < values[i] if desc else expr > values[i]
        options.append(sa.and_(*ties, beyond))
    condition = sa.or_(*options)
    first, desc = keys[0]
    if len(keys) == 2 and values[0] is not None:
        # default order: a range on start_time lets the (experiment, start_time) index serve it
        condition = sa.and_(first <= values[0] if desc else first >= values[0], condition)
    return condition


class PagedRuns(Protocol):
    """What paging needs of the store: its dialect, read snapshots and experiment keys."""

    dialect: str
    artifact_root: Path

    def reading(self) -> AbstractContextManager[sa.Connection]: ...
    def experiment_key(self, experiment_id: str) -> int: ...


def search_page(
    store: PagedRuns,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    order_by: Sequence[str] | str | None,
    max_results: int,
    view_type: int,
    page_token: str | bytes | None,
) -> PagedList:
    """One page of runs as :class:`mlnb.entities.Run` objects with a token for the next page."""
    check_page_size(max_results)
    if order_by is None:
        order_by = ()
    elif isinstance(order_by, str):
        order_by = (order_by,)
    order_by = tuple(order_by)
    exp_keys = sorted({store.experiment_key(e) for e in experiment_ids})
    stages = lifecycle_stages(view_type)
    digest = query_digest("runs", exp_keys, filter_string, order_by, stages)
    position = decode_token(page_token, digest)
    stmt, keys = _statement(store.dialect, exp_keys, filter_string, order_by, stages)
    if position is not None:
        if not isinstance(position, list) or len(position) != len(keys):
            raise InvalidParameter("page_token is damaged; start again without one")
        stmt = stmt.where(_after(keys, position))
    with store.reading() as conn:
        rows = conn.execute(stmt.limit(max_results + 1)).all()
        more = len(rows) > max_results
        rows = rows[:max_results]
        ids = [row.run_id for row in rows]
        params, metrics, tags, _ = read_details(conn, store.dialect, ids) if ids else ({}, {}, {}, None)
    n = len(_INFO_COLUMNS)
    base = store.artifact_root.as_uri() + "/"  # run_dir(run_id).as_uri() without a Path per run
    runs = []
    for i, row in enumerate(rows):
        run_id, name, exp, status, start, end, stage, user, parent = row[:n]
        info = RunInfo(run_id, name, str(exp), status, start, end, stage, base + run_id, user, parent)
        data = RunData(
            {k: v[i] for k, v in params.items() if v[i] is not None},
            {k: v[i] for k, v in metrics.items() if v[i] is not None},
            {k: v[i] for k, v in tags.items() if v[i] is not None},
        )
        runs.append(Run(info, data))
    token = encode_token(digest, list(rows[-1][n:])) if more and rows else None
    return PagedList(runs, token)
