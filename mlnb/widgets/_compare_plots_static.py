"""The plots of the compare panel's static fallback, as PNG images (matplotlib, Agg).

:func:`static_plots` draws what the live panel would: parallel coordinates over the panel's
axes (the differing params, then the primary metric, coloured by it), a run lacking a value
drawn on a separate "missing" band under the axis instead of dropped; then scatter, box plot,
contour and metric history where they apply.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlnb.widgets._base import figure_png, img_tag
from mlnb.widgets._compare_defaults import lower_is_better

MAX_LINES = 2000
MAX_CONTOUR_POINTS = 1000
MISSING = -0.15  # where a missing value sits, under the axis's 0..1 range


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


def _positions(table: Any, key: str, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Values of ``key`` on ``rows`` scaled to 0..1 (NaN where missing) and the tick labels."""
    from mlnb.display.format import number

    col = table.columns[key]
    if col.num is not None:
        v = col.num[rows].astype(float)
        finite = v[np.isfinite(v)]
        if not len(finite):
            return np.full(len(rows), np.nan), []
        lo, hi = float(finite.min()), float(finite.max())
        if hi > lo:
            return (v - lo) / (hi - lo), [number(lo), number(hi)]
        return np.where(np.isfinite(v), 0.5, np.nan), [number(lo)]  # one value: mid-axis
    assert col.codes is not None and col.uniques is not None
    codes = col.codes[rows]
    order = sorted(range(len(col.uniques)), key=lambda c: col.uniques[c])
    rank = np.empty(len(order) + 1)
    rank[-1] = np.nan  # code -1
    span = max(len(order) - 1, 1)
    for r, c in enumerate(order):
        rank[c] = r / span if len(order) > 1 else 0.5
    return rank[codes], [col.uniques[c] for c in order][:2]


def _parallel(table: Any, axes: list[str], rows: np.ndarray, color_key: str) -> str | None:
    axes = [a for a in axes if a in table.columns]
    if len(axes) < 2 or not len(rows):
        return None
    rows = rows[:MAX_LINES]
    matrix = np.vstack([_positions(table, key, rows)[0] for key in axes])
    missing = np.isnan(matrix)
    matrix = np.where(missing, MISSING, matrix)
    color = None
    col = table.columns.get(color_key)
    if col is not None and col.num is not None:
        color = col.num[rows]
        if lower_is_better(color_key):
            color = -color

    def draw(fig: Any) -> None:
        from matplotlib import colormaps
        from matplotlib.collections import LineCollection

        ax = fig.add_subplot()
        x = np.arange(len(axes))
        lines = [np.column_stack([x, matrix[:, j]]) for j in range(len(rows))]
        if color is not None and np.isfinite(color).any():
            finite = color[np.isfinite(color)]
            lo, hi = float(finite.min()), float(finite.max())
            scaled = (color - lo) / (hi - lo) if hi > lo else np.full(len(color), 0.5)
            cmap = colormaps["viridis"]
            colors = [cmap(float(s)) if np.isfinite(s) else (0.6, 0.6, 0.6, 1.0) for s in scaled]
        else:
            colors = ["#1f77b4"] * len(lines)
        ax.add_collection(LineCollection(lines, colors=colors, alpha=0.7, linewidths=1.2))
        ax.axhspan(MISSING - 0.06, MISSING + 0.06, color="#999999", alpha=0.15, linewidth=0)
        for i in x:
            ax.axvline(i, color="#555555", linewidth=0.8)
        ax.set_xlim(-0.1, len(axes) - 0.9)
        ax.set_ylim(MISSING - 0.1, 1.05)
        ax.set_xticks(x, [_short(a) for a in axes], rotation=15, fontsize=8)
        ax.set_yticks([MISSING, 0, 1], ["missing", "min", "max"], fontsize=7)
        title = "parallel coordinates"
        if color is not None:
            title += f", coloured by {_short(color_key)}"
        ax.set_title(title, fontsize=9)

    return figure_png(draw, size=(7.0, 3.2))


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


def static_plots(panel: Any) -> str:
    """The fallback's plots as HTML (``<img>`` tags in a wrapping row; ``""`` when none applies).

    Parallel coordinates use every run of the table (the panel's axes: the differing params,
    then the primary metric); the other plots use the selected runs, or all runs when none is.
    """
    table, view = panel._table, panel.view
    n = len(table)
    index = {rid: i for i, rid in enumerate(table.run_ids)}
    selected = np.asarray([index[r] for r in view.selected if r in index], dtype=np.int64)
    everything = np.arange(n)
    focus = selected if len(selected) else everything
    axes = list(view.axes) or list(view.default_columns)
    pngs = [
        ("parallel coordinates", _parallel(table, axes, everything, view.primary_metric)),
        ("scatter", _scatter(table, view.scatter_x, view.scatter_y, focus)),
        ("box plot", _box(table, view.box_metric, view.box_group, focus)),
        ("contour", _contour(table, view.contour_x, view.contour_y, view.contour_z, focus)),
    ]
    if view.history_metric and n:
        pngs.append(("metric history", _history(panel.metric_history(view.history_metric))))
    images = [img_tag(png, alt) for alt, png in pngs if png]
    if not images:
        return ""
    return '<div style="display:flex;flex-wrap:wrap;gap:8px">' + "".join(images) + "</div>"


__all__ = ["static_plots"]
