"""Static fallback of the compare panel: an escaped HTML table plus the plots as PNG.

This is what a saved notebook shows without a kernel (GitHub, nbviewer, nbconvert): the same
columns as the live table (run name, status, metrics, the params that differ, or the user's
choice), the same sort, parent runs as one row with their child count and best child, short run
ids, numbers as :mod:`mlnb.display.format` writes them and missing values blank.  The plots come
from :mod:`mlnb.widgets._compare_plots_static`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlnb.display import format as fmt
from mlnb.display import html
from mlnb.display.html import Cell, Html, esc
from mlnb.widgets._compare_defaults import child_counts

MAX_ROWS = 50
MAX_TRANSPOSED = 50

# text-align, white-space, font and colour are inherited from the table; each cell adds the rest
_TABLE = (
    "border-collapse:collapse;font-size:12px;text-align:left;white-space:nowrap;"
    "font-family:var(--jp-ui-font-family, sans-serif);color:var(--jp-content-font-color1, inherit)"
)
_CELL = "border:1px solid var(--jp-border-color2, #ccc);padding:2px 8px"
_TEXT = _CELL + ";max-width:16em;overflow:hidden;text-overflow:ellipsis"
_NUM = _CELL + ";text-align:right;font-variant-numeric:tabular-nums"
_HEAD = _CELL + ";background:var(--jp-layout-color2, #f3f3f3)"
_DIM = "color:var(--jp-ui-font-color2, #666);font-style:italic"
_BAD = "color:var(--jp-error-color1, #b00020);font-weight:600"


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _value(table: Any, key: str, i: int) -> tuple[str, bool]:
    """Display text of ``key`` on row ``i`` and whether it is a number (right-aligned)."""
    col = table.columns[key]
    if col.kind == "metric":
        value = col.value(i)
        return ("" if value is None else fmt.number(value)), True
    text = col.text[i] if col.text is not None else None
    return ("" if text is None else str(text)), col.num is not None


def _header(keys: list[str], labels: dict[str, str]) -> list[Cell]:
    return [Cell(labels.get(k, _short(k)), style=_HEAD, title=k) for k in keys]


def _status(status: str) -> Html:
    style = _BAD if status in ("FAILED", "KILLED") else ""
    return Html(f'<span style="{style}">{esc(status)}</span>' if style else esc(status))


def _rows_in_order(panel: Any) -> np.ndarray:
    table, sort = panel._table, list(panel.view.sort)
    order = table.sort_order(sort[0] if sort else None, len(sort) > 1 and sort[1] == "desc")
    return order[table.parent[order] < 0]  # children are folded under their parent


def _table_cells(panel: Any, best: np.ndarray) -> tuple[list[Cell], list[list[Cell]]]:
    """Header and rows of the table: one row per top-level run, the panel's columns."""
    table = panel._table
    columns = list(panel.view.columns)
    keys = ["run_name", "run_id", "status", *columns, "start_time", "duration"]
    labels = {"run_name": "run", "run_id": "id", "start_time": "started"}
    counts = child_counts(table)
    rows = []
    for i in _rows_in_order(panel)[:MAX_ROWS].tolist():
        kids, pick = int(counts[i]), int(best[i]) if len(best) else -1
        name = esc(table.names[i])
        if kids:
            note = fmt.count(kids, "child run")
            if pick >= 0:
                note += f", best: {table.names[pick] or fmt.short_id(table.run_ids[pick])}"
            name += f' <span style="{_DIM}">({esc(note)})</span>'
        cells = [
            Cell(Html(name), style=_TEXT, title=table.names[i] or ""),
            Cell(
                fmt.short_id(table.run_ids[i]),
                style=f"{_TEXT};font-family:var(--jp-code-font-family, monospace)",
                title=table.run_ids[i],
            ),
            Cell(_status(table.status[i]), style=_TEXT),
        ]
        for key in columns:
            text, numeric = _value(table, key, i)
            style = _NUM if numeric else _TEXT
            if not text and pick >= 0 and key.startswith("metrics."):  # the best child's value
                text, _ = _value(table, key, pick)
                if text:
                    cells.append(Cell(text, style=f"{style};{_DIM}", title="best child"))
                    continue
            cells.append(Cell(text, style=style))
        start, end = table.start_time[i], table.end_time[i]
        started = "" if start != start else fmt.timestamp(float(start))
        took = "" if start != start or end != end else fmt.duration(float(end - start))
        cells += [Cell(started, style=_TEXT), Cell(took, style=_NUM)]
        rows.append(cells)
    return _header(keys, labels), rows


def _transposed_cells(panel: Any) -> tuple[list[Cell], list[list[Cell]]]:
    """Header and rows of the transposed table: one column per run (the selected ones, if any)."""
    table = panel._table
    index = {rid: i for i, rid in enumerate(table.run_ids)}
    rows = [index[r] for r in panel.view.selected if r in index] or _rows_in_order(panel).tolist()
    rows = rows[:MAX_TRANSPOSED]
    head = ["key", *[table.names[i] or fmt.short_id(table.run_ids[i]) for i in rows]]
    body = [
        [Cell("status", style=_HEAD, header=True)]
        + [Cell(_status(table.status[i]), style=_TEXT) for i in rows]
    ]
    for key in panel.view.columns:
        cells = [_value(table, key, i) for i in rows]
        body.append(
            [Cell(_short(key), style=_HEAD, title=key, header=True)]
            + [Cell(t, style=_NUM if num else _TEXT) for t, num in cells]
        )
    return [Cell(h, style=_HEAD) for h in head], body


def render_html(panel: Any) -> str:
    """The whole fallback: a caption, the table (first rows) and the plots."""
    from mlnb.widgets._compare_defaults import best_children
    from mlnb.widgets._compare_plots_static import static_plots

    # a big experiment shows what is loaded (its most recent runs): displaying must stay fast
    table, view = panel._table, panel.view
    n = len(table)
    more = "" if panel._complete else " (the most recent; more in the live panel)"
    caption = f"mlnb compare: {fmt.count(n, 'run')}{more}, {len(view.selected)} selected"
    if panel.filter_box.value:
        caption += f" (filter: {panel.filter_box.value})"
    parts = ['<div class="mlnb-compare-static" style="max-width:100%;overflow-x:auto">']
    if view.transpose:
        head, rows = _transposed_cells(panel)
    else:
        metrics = [k for k in view.default_columns if k.startswith("metrics.")]
        best, _used = best_children(table, metrics)
        head, rows = _table_cells(panel, best)
    parts.append(
        html.table(
            head,
            rows,
            classes="mlnb-static",
            attrs={"data-panel": "compare"},
            style=_TABLE,
            caption=caption,
            caption_style="text-align:left;font-weight:bold;padding:2px 0",
        )
    )
    top = int((table.parent < 0).sum())
    if top > MAX_ROWS and not view.transpose:
        parts.append(f"<p><i>first {MAX_ROWS} of {fmt.count(top, 'row')}</i></p>")
    parts.append(static_plots(table, list(view.columns)))
    parts.append("</div>")
    return "".join(parts)


__all__ = ["render_html"]
