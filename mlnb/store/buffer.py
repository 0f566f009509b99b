"""The write-behind buffer: what this process logged but has not written yet.

Run creation, params and tags of runs this process created, metric points and run ends are
queued here and written together in one transaction, at most ``MLNB_FLUSH_INTERVAL`` seconds
later (default 0.2 s), before any read or synchronous write through the same store, and at
interpreter exit.  A loop that creates thousands of short runs therefore costs a handful of
transactions instead of four per run.  Writes are applied by kind in an order that respects
every dependency: runs, then tags and params, then metric points, then run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from mlnb.store import schema as t
from mlnb.store.compiled import CompiledStatement

if TYPE_CHECKING:
    from mlnb.store.backend import UpsertInsert

POINT_COLUMNS = ("run_id", "key", "value", "special", "step", "timestamp")


class Inserts(Protocol):
    """What applying a buffer needs of its store: INSERTs in the store's dialect."""

    def insert(self, table: sa.Table) -> UpsertInsert: ...


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

    def apply(self, store: Inserts, conn: sa.Connection) -> None:
        stmts = _statements(store, conn)
        if self.runs:
            stmts["run"].executemany(conn, self.runs)
        if self.tags:
            stmts["tag"].executemany(conn, self.tags)
        if self.params:
            stmts["param"].executemany(conn, self.params)
        if self.points:
            stmts["point"].executemany(conn, [dict(zip(POINT_COLUMNS, p, strict=True)) for p in self.points])
            latest: dict[tuple[str, str], tuple[Any, ...]] = {}
            for p in self.points:
                k = (p[0], p[1])
                cur = latest.get(k)
                if cur is None or (p[4], p[5]) >= (cur[4], cur[5]):
                    latest[k] = p
            stmts["latest"].executemany(
                conn, [dict(zip(POINT_COLUMNS, p, strict=True)) for p in latest.values()]
            )
        if self.ends:
            stmts["end"].executemany(conn, self.ends)


def _statements(store: Inserts, conn: sa.Connection) -> dict[str, CompiledStatement]:
    """Statements built and compiled once per store."""
    cached: dict[str, CompiledStatement] | None = store.__dict__.get("_buffer_statements")
    if cached is not None:
        return cached
    tag = store.insert(t.tags)
    tag = tag.on_conflict_do_update(index_elements=["run_id", "key"], set_={"value": tag.excluded.value})
    param = store.insert(t.params).on_conflict_do_nothing(index_elements=["run_id", "key"])
    lm = t.latest_metrics
    latest = store.insert(lm)
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
    kv: dict[str, sa.BindParameter[Any]] = {c: sa.bindparam(c) for c in ("run_id", "key", "value")}
    cached = {
        "run": CompiledStatement(run, conn.dialect),
        "tag": CompiledStatement(tag.values(kv), conn.dialect),
        "param": CompiledStatement(param.values(kv), conn.dialect),
        "point": CompiledStatement(point, conn.dialect),
        "latest": CompiledStatement(latest.values({c: sa.bindparam(c) for c in POINT_COLUMNS}), conn.dialect),
        "end": CompiledStatement(end, conn.dialect),
    }
    store.__dict__["_buffer_statements"] = cached
    return cached
