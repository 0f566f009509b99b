"""Statements compiled once by SQLAlchemy and run through the driver's own cursor.

The hot paths of the store (the write buffer, search) repeat the same few statements. Compiling
them once and handing plain tuples to the driver skips SQLAlchemy's per-call work (cache keys,
Row objects), which costs more than the SQL itself for thousands of rows.
"""

from __future__ import annotations

import operator
from typing import Any

import sqlalchemy as sa


class CompiledStatement:
    def __init__(self, stmt: Any, dialect: Any) -> None:
        self._compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = self._compiled.string
        self.names = list(self._compiled.positiontup) if self._compiled.positional else None
        self._row = operator.itemgetter(*self.names) if self.names else None
        self._params: dict[str, Any] | None = None

    def _bound(self, values: dict[str, Any]) -> Any:
        if self._params is None:  # values compiled into the statement (filter literals, limits)
            self._params = dict(self._compiled.params)
        merged = {**self._params, **values} if values else self._params
        return merged if self.names is None else tuple(merged[n] for n in self.names)

    def rows(self, conn: sa.Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Run a query with its compiled values (plus ``values``); rows as plain tuples."""
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self._bound(values))
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        finally:
            cursor.close()

    def executemany(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Run a write once per row dict (the statement's binds are all named in the rows)."""
        params: list[Any] = rows
        if self._row is not None:
            getter = self._row
            params = [getter(r) for r in rows] if len(self.names) > 1 else [(getter(r),) for r in rows]  # type: ignore[arg-type]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()
