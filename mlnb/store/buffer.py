"""The write-behind buffer: what this process logged but has not written yet.

Run creation, params and tags of runs this process created, metric points and run ends are
queued here and written together in one transaction, at most ``MLNB_FLUSH_INTERVAL`` seconds
later (default 0.2 s), before any read or synchronous write through the same store, and at
interpreter exit.  A loop that creates thousands of short runs therefore costs a handful of
transactions instead of four per run.  Writes are applied by kind in an order that respects
every dependency: runs, then tags and params, then metric points, then run ends.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.store import schema as t

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore

POINT_COLUMNS = ("run_id", "key", "value", "special", "step", "timestamp")


@dataclass
class WriteBuffer:
    runs: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)
    points: list[tuple[Any, ...]] = field(default_factory=list)
    ends: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.runs) + len(self.tags) + len(self.params) + len(self.points) + len(self.ends)

    def take(self) -> WriteBuffer:
        """Hand over everything queued and start empty."""
        taken = WriteBuffer(self.runs, self.tags, self.params, self.points, self.ends)
        self.runs, self.tags, self.params, self.points, self.ends = [], [], [], [], []
        return taken

    def restore(self, older: WriteBuffer) -> None:
        """Put back writes that failed, ahead of anything queued since."""
        self.runs[:0] = older.runs
        self.tags[:0] = older.tags
        self.params[:0] = older.params
        self.points[:0] = older.points
        self.ends[:0] = older.ends

    def apply(self, store: SqlStore, conn: sa.Connection) -> None:
        stmts = _statements(store, conn)
        if self.runs:
            stmts["run"].run(conn, self.runs)
        if self.tags:
            stmts["tag"].run(conn, self.tags)
        if self.params:
            stmts["param"].run(conn, self.params)
        if self.points:
            stmts["point"].run(conn, [dict(zip(POINT_COLUMNS, p, strict=True)) for p in self.points])
            latest: dict[tuple[str, str], tuple[Any, ...]] = {}
            for p in self.points:
                k = (p[0], p[1])
                cur = latest.get(k)
                if cur is None or (p[4], p[5]) >= (cur[4], cur[5]):
                    latest[k] = p
            stmts["latest"].run(conn, [dict(zip(POINT_COLUMNS, p, strict=True)) for p in latest.values()])
        if self.ends:
            stmts["end"].run(conn, self.ends)


class _Compiled:
    """A statement compiled once for the store's dialect and run with the driver's executemany.

    The buffer's statements take plain str/int/float/None values that need no SQLAlchemy type
    processing, so the per-execution work of the ORM-free Core path (cache keys, result
    objects) is skipped on the hottest write path.
    """

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = compiled.positiontup if compiled.positional else None
        self._row = operator.itemgetter(*self.names) if self.names else None

    def run(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        params: list[Any] = rows
        if self._row is not None:
            getter = self._row
            params = [getter(row) for row in rows] if len(self.names) > 1 else [(getter(r),) for r in rows]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()


def _statements(store: SqlStore, conn: sa.Connection) -> dict[str, _Compiled]:
    """Statements built and compiled once per store."""
    cached = store.__dict__.get("_buffer_statements")
    if cached is not None:
        return cached
    tag = store._insert(t.tags)
    tag = tag.on_conflict_do_update(index_elements=["run_id", "key"], set_={"value": tag.excluded.value})
    param = store._insert(t.params).on_conflict_do_nothing(index_elements=["run_id", "key"])
    lm = t.latest_metrics
    latest = store._insert(lm)
    ex = latest.excluded
    latest = latest.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={"value": ex.value, "special": ex.special, "step": ex.step, "timestamp": ex.timestamp},
        where=sa.or_(ex.step > lm.c.step, sa.and_(ex.step == lm.c.step, ex.timestamp >= lm.c.timestamp)),
    )
    end = (
        t.runs.update()
        .where(t.runs.c.run_id == sa.bindparam("b_run_id"))
        .values(status=sa.bindparam("b_status"), end_time=sa.bindparam("b_end_time"))
    )
    run = t.runs.insert().values({c.name: sa.bindparam(c.name) for c in t.runs.columns})
    point = t.metrics.insert().values({c: sa.bindparam(c) for c in POINT_COLUMNS})
    kv = {c: sa.bindparam(c) for c in ("run_id", "key", "value")}
    cached = {
        "run": _Compiled(run, conn.dialect),
        "tag": _Compiled(tag.values(kv), conn.dialect),
        "param": _Compiled(param.values(kv), conn.dialect),
        "point": _Compiled(point, conn.dialect),
        "latest": _Compiled(latest.values({c: sa.bindparam(c) for c in POINT_COLUMNS}), conn.dialect),
        "end": _Compiled(end, conn.dialect),
    }
    store.__dict__["_buffer_statements"] = cached
    return cached
