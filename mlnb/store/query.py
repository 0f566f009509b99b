"""Run search: a parsed filter and order-by compiled to one SQL query, then the details.

The matching runs come from one ``SELECT`` over ``runs``: the first positive key condition of
a top-level ``AND`` is an inner join that walks its ``(key, value)`` index, every other
condition an ``IN (subquery)`` or ``EXISTS`` on the key/value tables, and each order key an
outer join to one key.  Params, latest metrics and tags of the matched runs are then read by
:mod:`mlnb.store.search_details` and laid out as columns: never a runs × params × metrics ×
tags join.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mlnb.errors import ExperimentNotFound, FilterSyntaxError, InvalidParameter
from mlnb.store import schema as t
from mlnb.store.base import RUN_COLUMNS, SearchResult
from mlnb.store.compiled import CompiledStatement
from mlnb.store.filter_tokens import check_encodable
from mlnb.store.filters import (
    ATTR,
    DATASET,
    METRIC,
    NUMBER_ATTRS,
    PARAM,
    BoolOp,
    Comparison,
    Node,
    parse_filter,
    parse_order_by,
)
from mlnb.store.like import MAX_LIKE_PATTERN
from mlnb.store.like import like_match as like_match  # the SQLite functions mlnb_like/mlnb_ilike
from mlnb.store.search_details import bind_list, ids_in, read_details, sql_dialect

_logger = logging.getLogger(__name__)


# Plain-text search (the sidebar's search box when the text is not a filter): a run matches
# when its name or the value of one of its user tags (not ``mlflow.*``/``mlnb.*``) contains
# the text, case-insensitively.  Bound as a LIKE pattern with ``\`` escaping ``%`` and ``_``.
TEXT = "mlnb_text"
SYSTEM_TAG_PATTERNS = ("mlflow.%", "mlnb.%")


def text_pattern(text: str) -> str:
    """The LIKE pattern for a substring search of ``text`` (lower-cased, wildcards escaped).

    Text longer than a LIKE pattern may be (:data:`~mlnb.store.like.MAX_LIKE_PATTERN`), or
    holding a lone surrogate (which no name or tag holds, and SQLite cannot bind), is refused.
    """
    if len(text) > MAX_LIKE_PATTERN:
        raise FilterSyntaxError(
            f"search text is limited to {MAX_LIKE_PATTERN} characters, got {len(text)} ({text[:40]!r}...)"
        )
    check_encodable(text, "the search text")
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_cond() -> Any:
    r = t.runs.c
    pattern = sa.bindparam(TEXT, "", type_=sa.Text)
    tg = t.tags.alias("txt")
    user_tag = sa.and_(*(~tg.c.key.like(p) for p in SYSTEM_TAG_PATTERNS))
    in_tags = sa.select(tg.c.run_id).where(user_tag, sa.func.lower(tg.c.value).like(pattern, escape="\\"))
    return sa.or_(sa.func.lower(r.name).like(pattern, escape="\\"), r.run_id.in_(in_tags))


# The artifact root of the searched store, bound when the query runs (the compiled query is
# shared by every store), so ``artifact_uri`` is ``root + run_id`` as the frame shows it.
ARTIFACT_ROOT = "mlnb_artifact_root"


# the ``inputs`` column a ``datasets.<key>`` filter reads (MLflow's context is our role)
_DATASET_COLUMNS = {"name": "name", "digest": "digest", "context": "role"}


def run_column(key: str) -> sa.ColumnElement[Any]:
    r = t.runs.c
    if key == "artifact_uri":
        return sa.bindparam(ARTIFACT_ROOT, "", type_=sa.Text) + r.run_id
    return {
        "run_id": r.run_id,
        "run_name": r.name,
        "status": r.status,
        "user_id": r.user_id,
        "lifecycle_stage": r.lifecycle_stage,
        "parent_run_id": r.parent_run_id,
        "start_time": r.start_time,
        "end_time": r.end_time,
        "experiment_id": r.experiment_id,
    }[key]


class Compiler:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def like(self, col: Any, pattern: str, ci: bool) -> Any:
        if self.dialect == "sqlite":
            return sa.func.mlnb_ilike(col, pattern) == 1 if ci else sa.func.mlnb_like(col, pattern) == 1
        pattern = pattern.replace("\\", "\\\\")  # PostgreSQL's default escape is backslash
        return col.ilike(pattern) if ci else col.like(pattern)

    def text_cond(self, col: Any, op: str, value: Any) -> Any:
        if op == "=":
            return col == value
        if op == "!=":
            return col != value
        if op == "LIKE":
            return sa.and_(self.like(col, value, False), *self.prefix_range(col, value))
        if op == "ILIKE":
            return self.like(col, value, True)
        if op == "IN":
            return col.in_(list(value))
        if op == "NOT IN":
            return col.not_in(list(value))
        raise AssertionError(op)

    def prefix_range(self, col: Any, pattern: str) -> list[Any]:
        """``col >= prefix AND col < successor``: what every value matching the case-sensitive
        LIKE ``pattern`` satisfies, where ``prefix`` is the pattern's text before its first
        wildcard, so that the ``(key, value)`` index reads only that range (SQLite compares
        text by code point, as the prefix bounds assume; PostgreSQL's collation may not)."""
        prefix = pattern[
            : min((i for i in (pattern.find("%"), pattern.find("_")) if i >= 0), default=len(pattern))
        ]
        if self.dialect != "sqlite" or not prefix:
            return []
        bounds = [col >= prefix]
        successor = _successor(prefix)
        if successor is not None:
            bounds.append(col < successor)
        return bounds

    @staticmethod
    def number_cond(col: Any, op: str, value: float) -> Any:
        return {
            "=": col == value,
            "!=": col != value,
            "<": col < value,
            "<=": col <= value,
            ">": col > value,
            ">=": col >= value,
        }[op]

    def cond(self, node: Node) -> Any:
        runs = t.runs.c
        if isinstance(node, BoolOp) and node.op == "OR" and all(map(_drives, node.items)):
            # one list of run ids from each comparison's index: the runs are then probed by id
            # (``drives_search``) instead of testing every run of the experiments
            either = sa.union_all(*(self.key_runs(item) for item in node.items))  # type: ignore[arg-type]
            return runs.run_id.in_(either)
        if isinstance(node, BoolOp):
            parts = [self.cond(item) for item in node.items]
            return sa.and_(*parts) if node.op == "AND" else sa.or_(*parts)
        assert isinstance(node, Comparison)
        if node.kind == ATTR:
            col = run_column(node.key)
            if node.op == "IS NULL":
                return col.is_(None)
            if node.op == "IS NOT NULL":
                return col.is_not(None)
            if node.key in NUMBER_ATTRS:
                return self.number_cond(col, node.op, node.value)  # type: ignore[arg-type]
            return self.text_cond(col, node.op, node.value)
        if node.kind == DATASET:  # any dataset input of the run satisfies it, as in MLflow
            i = t.inputs.alias()
            cond = self.text_cond(i.c[_DATASET_COLUMNS[node.key]], node.op, node.value)
            return sa.exists().where(i.c.run_id == runs.run_id, cond)
        if node.kind == METRIC:
            lm = t.latest_metrics.alias()
            if node.op == "!=":  # NaN differs from everything; negations check each run
                cond = sa.or_(lm.c.value != node.value, lm.c.special == 1)
                return sa.exists().where(lm.c.run_id == runs.run_id, lm.c.key == node.key, cond)
            return runs.run_id.in_(self.key_runs(node))
        table = (t.params if node.kind == PARAM else t.tags).alias()
        mine = sa.and_(table.c.run_id == runs.run_id, table.c.key == node.key)
        if node.op == "IS NULL":
            return ~sa.exists().where(mine)
        if node.op == "IS NOT NULL":
            return sa.exists().where(mine)
        cond = self.text_cond(table.c.value, node.op, node.value)
        if node.op in NEGATIVE_OPS:
            return sa.exists().where(mine, cond)
        # a positive condition reads the (key, value) index and yields few runs
        return runs.run_id.in_(self.key_runs(node))

    def key_runs(self, node: Comparison) -> Any:
        """The ids of the runs a positive key comparison holds for, read from its index."""
        table = {METRIC: t.latest_metrics, PARAM: t.params}.get(node.kind, t.tags).alias()
        if node.kind == METRIC:
            cond = self.number_cond(table.c.value, node.op, node.value)  # type: ignore[arg-type]
        else:
            cond = self.text_cond(table.c.value, node.op, node.value)
        return sa.select(table.c.run_id).where(table.c.key == node.key, cond)

    def driver(self, node: Comparison) -> tuple[Any, Any]:
        """``(alias, on)``: a positive key comparison as an inner join to its table.

        A run has at most one row per key, so the join matches what ``IN (subquery)`` does,
        and the planner walks the ``(key, value)`` index straight into the runs without first
        collecting the ids.
        """
        table = {METRIC: t.latest_metrics, PARAM: t.params}.get(node.kind, t.tags).alias("d")
        if node.kind == METRIC:
            cond = self.number_cond(table.c.value, node.op, node.value)  # type: ignore[arg-type]
        else:
            cond = self.text_cond(table.c.value, node.op, node.value)
        return table, sa.and_(table.c.run_id == t.runs.c.run_id, table.c.key == node.key, cond)


NEGATIVE_OPS = {"!=", "NOT IN", "IS NULL"}


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (``None``: no bound)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if code == 0xD800:  # surrogates are no text: the next character is U+E000
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def _drives(node: Node) -> bool:
    """A positive comparison on a key: its ``(key, value)`` index lists the runs it holds for."""
    return (
        isinstance(node, Comparison)
        and node.kind not in (ATTR, DATASET)
        and node.op not in NEGATIVE_OPS
        and node.op != "IS NOT NULL"
    )


def split_driver(node: Node | None) -> tuple[Comparison | None, Node | None]:
    """``(driver, rest)``: the first top-level positive key comparison of the filter (joined
    instead of tested, see :meth:`Compiler.driver`) and the conditions left besides it."""
    if node is None:
        return None, None
    items: tuple[Node, ...] = node.items if isinstance(node, BoolOp) and node.op == "AND" else (node,)
    for i, item in enumerate(items):
        if _drives(item):
            assert isinstance(item, Comparison)
            rest = items[:i] + items[i + 1 :]
            return item, (None if not rest else rest[0] if len(rest) == 1 else BoolOp("AND", rest))
    return None, node


def drives_search(node: Node | None) -> bool:
    """Whether the filter has a top-level positive condition on a key that can drive the scan.

    Then the query starts from the runs that condition yields (through its index) instead of
    from every run of the experiments, which is what makes a selective filter fast at 100k runs.
    """
    if node is None:
        return False
    items = node.items if isinstance(node, BoolOp) and node.op == "AND" else (node,)
    return any(
        (isinstance(item, Comparison) and item.kind not in (ATTR, DATASET) and item.op not in NEGATIVE_OPS)
        or (isinstance(item, BoolOp) and item.op == "OR" and all(map(_drives, item.items)))
        for item in items
    )


# Searches repeat (a panel refreshes, a notebook re-runs) and compiling the SQL costs more than
# running it on a few hundred runs, so compiled searches are cached by their inputs.
@lru_cache(maxsize=256)
def _main_query(
    dialect: str,
    experiment_keys: tuple[int, ...],
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    stages: tuple[str, ...],
    with_run_ids: bool,
    with_text: bool = False,
    part: str = "all",
) -> CompiledStatement:
    """The search's one statement; ``part`` splits a search ordered first by a metric in two
    (see :func:`_by_metric_index`): ``"numbers"`` the runs with a number for that metric, read
    in order from its ``(key, value)`` index, ``"rest"`` the others (NaN, or no such metric)."""
    node = parse_filter(filter_string)
    order = parse_order_by(list(order_by))
    compiler = Compiler(dialect)
    r = t.runs
    stmt = sa.select(*(r.c[c] for c in RUN_COLUMNS)).where(r.c.lifecycle_stage.in_(list(stages)))
    if experiment_keys:
        # ``+ 0`` keeps the planner off the experiment index when a key condition can drive
        exp_col = (r.c.experiment_id + 0) if drives_search(node) or part == "numbers" else r.c.experiment_id
        stmt = stmt.where(exp_col.in_(list(experiment_keys)))
    if with_run_ids:
        stmt = stmt.where(ids_in(r.c.run_id, dialect))
    if with_text:
        stmt = stmt.where(_text_cond())
    driver, rest = split_driver(node)
    if rest is not None:
        stmt = stmt.where(compiler.cond(rest))
    source: Any = r
    if driver is not None:
        source = source.join(*compiler.driver(driver))
    ordering: list[Any] = []
    for i, key in enumerate(order):
        if key.kind == ATTR:
            # every artifact_uri is the same root before the run id: ordering by it is by run id
            col = run_column("run_id" if key.key == "artifact_uri" else key.key)
            ordering += [col.is_(None), col.desc() if key.descending else col.asc()]
            continue
        table = {METRIC: t.latest_metrics, PARAM: t.params}.get(key.kind, t.tags).alias(f"o{i}")
        on = sa.and_(table.c.run_id == r.c.run_id, table.c.key == key.key)
        if i == 0 and part == "numbers":  # NaN is stored as NULL: the index holds the numbers in order
            if dialect == "sqlite":
                # ``|| ''`` takes the metric's primary key out of the join, so the planner walks
                # the (key, value) index in order and stops at the limit; with statistics it
                # would rather scan every run and sort, not counting on the early stop
                own_id = table.c.run_id + sa.literal_column("''", sa.String)
                on = sa.and_(own_id == r.c.run_id, table.c.key == key.key)
            source = source.join(table, sa.and_(on, table.c.value.is_not(None)))
            ordering.append(table.c.value.desc() if key.descending else table.c.value.asc())
            continue
        source = source.outerjoin(table, on)
        if i == 0 and part == "rest":
            stmt = stmt.where(sa.or_(table.c.run_id.is_(None), table.c.value.is_(None)))
        ordering.append(table.c.run_id.is_(None))  # runs without the key go last
        if key.kind == METRIC:
            ordering.append(table.c.special == 1)  # NaN after every number
        col = table.c.value
        if dialect == "postgresql" and key.kind != METRIC:
            col = col.collate("C")  # code-point order, as in SQLite and Python
        ordering.append(col.desc() if key.descending else col.asc())
    ordering += [r.c.start_time.desc(), r.c.run_id.asc()]
    stmt = stmt.select_from(source).order_by(*ordering).limit(max_results)
    return CompiledStatement(stmt, sql_dialect(dialect))


@lru_cache(maxsize=8)
def _names_query(dialect: str) -> CompiledStatement:
    e = t.experiments.c
    stmt = sa.select(e.name, e.experiment_id).where(ids_in(e.name, dialect, "mlnb_names"))
    return CompiledStatement(stmt, sql_dialect(dialect))


@lru_cache(maxsize=8)
def _all_names_query(dialect: str) -> CompiledStatement:
    e = t.experiments.c
    return CompiledStatement(sa.select(e.name).order_by(e.experiment_id), sql_dialect(dialect))


def experiment_keys_of(
    conn: sa.Connection, dialect: str, names: Sequence[str], strict: bool = True
) -> list[int]:
    """Ids of the experiments named ``names`` (deleted ones too), read in the search's snapshot.

    A name no experiment has raises :class:`ExperimentNotFound`, or with ``strict=False`` is
    logged and skipped (what MLflow's ``search_runs`` does).
    """
    found = dict(_names_query(dialect).rows(conn, mlnb_names=bind_list(dialect, names)))
    missing = [name for name in names if name not in found]
    if missing and not strict:
        for name in missing:
            _logger.warning("no experiment named %r: its runs are left out of the search", name)
        return [found[name] for name in names if name in found]
    if missing:
        known = ", ".join(repr(row[0]) for row in _all_names_query(dialect).rows(conn))
        raise ExperimentNotFound(f"no experiment named {missing[0]!r}; known experiments: {known}")
    return [found[name] for name in names]


def search(
    conn: sa.Connection,
    dialect: str,
    experiment_keys: Sequence[int],
    filter_string: str | None,
    order_by: Sequence[str] | str | None,
    max_results: int,
    stages: Sequence[str],
    run_ids: Sequence[str] | None = None,
    experiment_names: Sequence[str] = (),
    artifact_root: str = "",
    text: str | None = None,
    details: bool = True,
) -> SearchResult:
    """Runs matching ``filter_string`` in ``order_by`` order; ``artifact_root`` is the URI the
    run ids follow in ``artifact_uri`` (with its trailing ``/``).

    ``text`` keeps only the runs whose name or a user tag value contains it (case-insensitive
    substring); ``details=False`` skips reading params, metrics and tags (only ``rows``).
    """
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 0:
        raise InvalidParameter(f"max_results must be a non-negative integer, got {max_results!r}")
    if order_by is None:
        order_by = ()
    elif isinstance(order_by, str):
        order_by = (order_by,)
    elif not all(isinstance(o, str) for o in order_by):
        parse_order_by(list(order_by))  # raises the clear error
    if filter_string is not None and not isinstance(filter_string, str):
        parse_filter(filter_string)  # raises the clear error
    exp_keys = tuple(experiment_keys)
    if experiment_names:
        named = experiment_keys_of(conn, dialect, experiment_names, strict=False)
        if not named and not exp_keys:  # no keys would mean every experiment
            return SearchResult([])
        exp_keys += tuple(named)
    stage_keys = tuple(stages)
    bound = {"mlnb_ids": bind_list(dialect, run_ids)} if run_ids is not None else {}
    if text:
        bound[TEXT] = text_pattern(text)
    if filter_string and "artifact_uri" in filter_string:
        bound[ARTIFACT_ROOT] = artifact_root
    if _by_metric_index(filter_string, order_by, run_ids, text):
        result = SearchResult(_numbers_then_rest(conn, dialect, exp_keys, order_by, max_results, stage_keys))
    else:
        main = _main_query(
            dialect,
            exp_keys,
            filter_string,
            tuple(order_by),
            max_results,
            stage_keys,
            run_ids is not None,
            bool(text),
        )
        result = SearchResult(main.rows(conn, **bound))
    if result.rows and details:
        result.params, result.metrics, result.tags, result.metric_block = read_details(
            conn, dialect, result.run_ids
        )
    return result


def _by_metric_index(
    filter_string: str | None, order_by: Sequence[str], run_ids: Sequence[str] | None, text: str | None
) -> bool:
    """Whether the search is top runs by a metric: ordered first by a metric, with no filter.

    Then the runs with a number for that metric come first, in the order of the metric's
    ``(key, value)`` index: walking it from the right end and stopping after ``max_results``
    runs reads about as many rows as the search returns, where sorting every run of the
    experiments reads them all.
    """
    if filter_string or run_ids is not None or text or not order_by:
        return False
    order = parse_order_by(list(order_by))  # every key checked, as the general path does
    return bool(order) and order[0].kind == METRIC


def _numbers_then_rest(
    conn: sa.Connection,
    dialect: str,
    exp_keys: tuple[int, ...],
    order_by: Sequence[str],
    max_results: int,
    stages: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """The runs with a number for the first order key, then (when fewer than ``max_results``)
    the others in their own order: MLflow's order puts NaN after every number and the runs
    without the metric last, so the two parts laid end to end are the whole order."""
    args = (dialect, exp_keys, None, tuple(order_by), max_results, stages, False, False)
    rows = _main_query(*args, part="numbers").rows(conn)
    if len(rows) < max_results:
        rows += _main_query(*args, part="rest").rows(conn)[: max_results - len(rows)]
    return rows
