"""The plots of the compare panel's static fallback, as PNG images (matplotlib, Agg).

:func:`static_plots` draws what the live panel would: parallel coordinates over the panel's
axes (the differing params among the visible columns, then the primary metric, coloured by
it), a run lacking a value drawn on a separate "missing" band under the axis instead of dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlnb.widgets._base import figure_png, img_tag
from mlnb.widgets._compare_defaults import lower_is_better

MAX_LINES = 2000
MAX_AXES = 6
MISSING = -0.15  # where a missing value sits, under the axis's 0..1 range


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


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


def static_plots(table: Any, columns: list[str], *, max_runs: int = MAX_LINES) -> str:
    """HTML of the compare panel's default plot as a PNG: parallel coordinates.

    Parameters
    ----------
    table : RunTable
        The panel's runs.
    columns : list of str
        The table's visible columns in display order (metrics before params); the axes are the
        params among them that differ, then the first metric (the primary one, which colours
        the lines).
    max_runs : int
        Lines drawn at most.

    Returns
    -------
    str
        An ``<img>`` in a wrapping row, or ``""`` when there are fewer than two axes.
    """
    from mlnb.widgets._compare_defaults import Families, differs, primary_metric

    families = Families(table.parent)
    params = [k for k in columns if k.startswith("params.") and k in table.columns]
    params = [k for k in params if differs(table.columns[k], families)][:MAX_AXES]
    primary = primary_metric([k for k in columns if k in table.columns]) or ""
    axes = params + ([primary] if primary else [])
    png = _parallel(table, axes, np.arange(min(len(table), max_runs)), primary)
    if not png:
        return ""
    return (
        '<div style="display:flex;flex-wrap:wrap;gap:8px">' + img_tag(png, "parallel coordinates") + "</div>"
    )


__all__ = ["static_plots"]
