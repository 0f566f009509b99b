"""Static fallback of the compare panel: an escaped HTML table plus the plots as PNG.

This is what a saved notebook shows without a kernel (GitHub, nbviewer, nbconvert): the same
columns, sort, selection and plot choices as the live panel, drawn with matplotlib.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlnb.widgets._base import esc, figure_png, html_table, img_tag

MAX_ROWS = 50
MAX_LINES = 2000
MAX_CONTOUR_POINTS = 1000


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _numeric(table: Any, key: str, rows: np.ndarray) -> np.ndarray | None:
    col = table.columns.get(key)
    if col is None:
        return None
    if col.num is not None:
        return col.num[rows]
    if col.codes is not None:
        return col.codes[rows].astype(float)
    return None


def _parallel(table: Any, axes: list[str], rows: np.ndarray, selected: np.ndarray) -> str | None:
    axes = [a for a in axes if a in table.columns]
    if len(axes) < 2 or not len(rows):
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        cols = []
        for key in axes:
            v = _numeric(table, key, rows)
            finite = v[np.isfinite(v)]
            lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 0.0)
            cols.append((v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5))
        from matplotlib.collections import LineCollection

        matrix = np.vstack(cols)
        x = np.arange(len(axes))
        chosen = np.isin(rows, selected)
        for mask, color, alpha in ((~chosen, "#1f77b4", 0.3), (chosen, "#d62728", 0.9)):
            lines = [np.column_stack([x, matrix[:, j]]) for j in np.flatnonzero(mask)[:MAX_LINES]]
            ax.add_collection(LineCollection(lines, colors=color, alpha=alpha, linewidths=1))
        ax.set_xlim(-0.1, len(axes) - 0.9)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xticks(x, [_short(a) for a in axes], rotation=20, fontsize=8)
        ax.set_yticks([])
        ax.set_title("parallel coordinates", fontsize=9)

    return figure_png(draw)


def _scatter(table: Any, xk: str, yk: str, rows: np.ndarray) -> str | None:
    x, y = _numeric(table, xk, rows), _numeric(table, yk, rows)
    if x is None or y is None:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.scatter(x, y, s=12, alpha=0.7)
        ax.set_xlabel(_short(xk))
        ax.set_ylabel(_short(yk))
        ax.set_title("scatter", fontsize=9)

    return figure_png(draw, size=(4.0, 3.2))


def _box(table: Any, metric: str, group: str, rows: np.ndarray) -> str | None:
    m, g = table.columns.get(metric), table.columns.get(group)
    if m is None or g is None or m.num is None or g.text is None:
        return None
    groups: dict[str, list[float]] = {}
    for i in rows:
        value = m.num[i]
        if value == value:
            groups.setdefault(str(g.text[i]), []).append(float(value))
    if not groups:
        return None
    labels = sorted(groups)[:30]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.boxplot([groups[k] for k in labels], tick_labels=labels)
        ax.set_xlabel(_short(group))
        ax.set_ylabel(_short(metric))
        ax.set_title("box plot", fontsize=9)

    return figure_png(draw, size=(4.0, 3.2))


def _contour(table: Any, xk: str, yk: str, zk: str, rows: np.ndarray) -> str | None:
    x, y, z = (_numeric(table, k, rows) for k in (xk, yk, zk))
    if x is None or y is None or z is None:
        return None
    ok = ~(np.isnan(x) | np.isnan(y) | np.isnan(z))
    x, y, z = x[ok], y[ok], z[ok]
    if len(x) > MAX_CONTOUR_POINTS:  # the triangulation grows fast; a sample shows the shape
        pick = np.random.default_rng(0).choice(len(x), MAX_CONTOUR_POINTS, replace=False)
        x, y, z = x[pick], y[pick], z[pick]
    if len(x) < 3 or len(np.unique(x)) < 2 or len(np.unique(y)) < 2:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        try:
            filled = ax.tricontourf(x, y, z, levels=8)
            fig.colorbar(filled, ax=ax, label=_short(zk))
        except (ValueError, RuntimeError):  # collinear points: the scatter alone
            pass
        ax.scatter(x, y, c="k", s=6)
        ax.set_xlabel(_short(xk))
        ax.set_ylabel(_short(yk))
        ax.set_title("contour", fontsize=9)

    return figure_png(draw, size=(4.0, 3.2))


def _history(history: dict[str, Any]) -> str | None:
    series = [s for s in history.get("series", []) if len(s.get("steps", [])) > 1]
    if not series:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        for s in series:
            values = [np.nan if v is None else v for v in s["values"]]
            ax.plot(s["steps"], values, label=str(s["name"]))
        ax.set_xlabel("step")
        ax.set_ylabel(_short(history.get("metric", "")))
        ax.legend(fontsize=7)
        ax.set_title("metric history", fontsize=9)

    return figure_png(draw, size=(4.0, 3.2))


def render_html(panel: Any) -> str:
    """The whole fallback: a caption, the table (first rows) and every plot that applies."""
    # a big experiment shows what is loaded (its most recent runs): displaying must stay fast
    table = panel._table
    view = panel.view
    frame = panel.to_frame(load_all=False, limit=MAX_ROWS)
    n = len(table)
    parts = ['<div class="mlnb-compare-static">']
    more = "" if panel._complete else " (the most recent; more in the live panel)"
    caption = f"mlnb compare: {n} runs{more}, {len(view.selected)} selected"
    if panel.filter_box.value:
        caption += f" (filter: {panel.filter_box.value})"
    if view.transpose:
        shown = frame.iloc[:, :MAX_ROWS]
        header = ["", *[str(c) for c in shown.columns]]
        rows = [[idx, *vals] for idx, vals in zip(shown.index, shown.itertuples(index=False), strict=True)]
    else:
        shown = frame.iloc[:MAX_ROWS]
        header = ["run_id", *[str(c) for c in shown.columns]]
        rows = [[idx, *vals] for idx, vals in zip(shown.index, shown.itertuples(index=False), strict=True)]
    parts.append(html_table(header, rows, caption=caption))
    if n > MAX_ROWS:
        parts.append(f"<p><i>first {MAX_ROWS} of {n} runs</i></p>")
    index = {rid: i for i, rid in enumerate(table.run_ids)}
    selected = np.asarray([index[r] for r in view.selected if r in index], dtype=np.int64)
    everything = np.arange(n)
    focus = selected if len(selected) else everything
    pngs = [
        ("parallel coordinates", _parallel(table, list(view.axes), everything, selected)),
        ("scatter", _scatter(table, view.scatter_x, view.scatter_y, focus)),
        ("box plot", _box(table, view.box_metric, view.box_group, focus)),
        ("contour", _contour(table, view.contour_x, view.contour_y, view.contour_z, focus)),
    ]
    if view.history_metric:
        pngs.append(("metric history", _history(panel.metric_history(view.history_metric))))
    parts.append('<div style="display:flex;flex-wrap:wrap;gap:8px">')
    parts += [img_tag(png, alt) for alt, png in pngs if png]
    parts.append("</div></div>")
    return "".join(parts)


__all__ = ["esc", "render_html"]
