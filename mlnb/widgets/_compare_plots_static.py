"""The compare panel's plots as PNG for its static fallback (nbconvert HTML, GitHub, nbviewer).

The same defaults as the live panel (``labextension/src/widgets/comparePlotParallel.ts``):
parallel coordinates on the params that differ among the runs, then the primary metric (the
first metric of the table's visible columns), lines coloured by that metric; a run without a
value on an axis passes through a dashed "missing" band at the axis's foot; an axis with a single
value gets a small range around it with one tick.  Numbers read as everywhere else
(:mod:`mlnb.display.format`).  matplotlib loads only when a plot is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlnb.display import format as fmt
from mlnb.display.html import esc, img
from mlnb.widgets._base import figure_png
from mlnb.widgets._compare_data import Column, RunTable

MAX_AUTO_PARAMS = 10
# blue -> teal -> green -> orange -> red, as the live panel
_RAMP = [(76, 110, 220), (44, 159, 184), (90, 174, 97), (230, 145, 50), (215, 60, 50)]
_MISSING_Y = -0.14  # the missing band, below each axis (axes span 0..1)
_BUCKETS = 10  # colours of the primary metric


@dataclass
class _Axis:
    key: str
    y: np.ndarray  # 0..1 on the axis, NaN where missing
    ticks: list[tuple[float, str]]  # (position 0..1, label)
    log: bool
    missing: int


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _clip(text: str, n: int = 16) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _values(col: Column) -> tuple[np.ndarray, list[str] | None]:
    """Numbers of a column (NaN where missing), or category ranks and the sorted categories."""
    if col.num is not None:
        return np.asarray(col.num, dtype=np.float64), None
    uniques = list(col.uniques or [])
    order = sorted(range(len(uniques)), key=lambda c: uniques[c])
    rank = np.empty(len(uniques) + 1, dtype=np.float64)
    for r, code in enumerate(order):
        rank[code] = r
    rank[-1] = np.nan  # code -1
    codes = np.asarray(col.codes if col.codes is not None else [], dtype=np.int64)
    return rank[codes], [uniques[c] for c in order]


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / count
    mag = 10 ** np.floor(np.log10(raw))
    f = raw / mag
    step = (10 if f >= 7.07 else 5 if f >= 3.16 else 2 if f >= 1.41 else 1) * mag
    eps = step * 1e-9
    k0 = int(np.ceil((lo - eps) / step))
    out = []
    k = k0
    while k * step <= hi + eps:
        out.append(float(f"{k * step:.12g}"))
        k += 1
    return out if len(out) >= 2 else [lo, hi]


def range_scale(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """Domain and tick values of data spanning ``[lo, hi]`` (same rules as the live panel).

    No padding beyond the data; a single value gets ±5 % of itself (±0.5 around 0), one tick at
    the value, and never leaves [0, 1] when it lies in it.

    Examples
    --------
    >>> range_scale(0.9, 0.9)
    (0.855, 0.945, [0.9])
    >>> range_scale(1.0, 1.0)
    (0.95, 1.0, [1.0])
    """
    if lo == hi:
        d = 0.5 if lo == 0 else abs(lo) * 0.05
        a, b = lo - d, lo + d
        if 0 <= lo <= 1:
            a, b = max(0.0, a), min(1.0, b)
        return float(f"{a:.12g}"), float(f"{b:.12g}"), [lo]
    return lo, hi, _nice_ticks(lo, hi)


def _axis(key: str, col: Column, rows: np.ndarray) -> _Axis:
    raw, categories = _values(col)
    v = raw[rows]
    present = v[~np.isnan(v)]
    missing = int(len(v) - len(present))
    if not len(present):
        return _Axis(key, np.full(len(v), np.nan), [], False, missing)
    lo, hi = float(present.min()), float(present.max())
    if categories is not None:
        if lo == hi:
            a, b = lo - 1, hi + 1
            ticks = [(lo, _clip(categories[int(lo)], 14))]
        else:
            a, b = 0.0, float(len(categories) - 1)
            every = 1 if len(categories) <= 12 else -(-len(categories) // 10)
            ticks = [
                (float(r), _clip(c, 14))
                for r, c in enumerate(categories)
                if r % every == 0 or r == len(categories) - 1
            ]
        return _Axis(key, (v - a) / (b - a), [((t - a) / (b - a), s) for t, s in ticks], False, missing)
    # log where positive values span two decades and crowd the low end (median below hi / 5)
    if lo > 0 and hi / lo >= 100 and float(np.median(present)) < hi / 5:
        lv = np.log10(np.where(v > 0, v, np.nan))
        a, b = np.log10(lo), np.log10(hi)
        ticks = [
            (float((p - a) / (b - a)), fmt.number(10.0**p))
            for p in range(int(np.ceil(a - 1e-9)), int(np.floor(b + 1e-9)) + 1)
        ]
        return _Axis(key, (lv - a) / (b - a), ticks, True, missing)
    a, b, tick_values = range_scale(lo, hi)
    return _Axis(
        key, (v - a) / (b - a), [((t - a) / (b - a), fmt.number(t)) for t in tick_values], False, missing
    )


def default_axes(table: RunTable, columns: list[str]) -> tuple[list[str], str | None]:
    """The params that differ among the runs (visible ones first, at most 10), then the primary
    metric (the first metric of ``columns``, else the table's first metric)."""
    keys = table.columns
    primary = next((k for k in columns if k.startswith("metrics.") and k in keys), None)
    primary = primary or next((k for k in keys if k.startswith("metrics.")), None)
    visible = [k for k in columns if k.startswith("params.") and k in keys]
    params = visible + [k for k in keys if k.startswith("params.") and k not in visible]
    differing = [k for k in params if keys[k].distinct_count() > 1][:MAX_AUTO_PARAMS]
    return differing + ([primary] if primary else []), primary


def _ramp() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("mlnb", [tuple(c / 255 for c in rgb) for rgb in _RAMP])


def static_plots(table: RunTable, columns: list[str], *, max_runs: int = 2000) -> str:
    """HTML of the compare panel's default plot as a PNG: parallel coordinates.

    Parameters
    ----------
    table : RunTable
        The panel's runs.
    columns : list of str
        The table's visible columns in display order (metrics before params); the first metric
        is the primary one, which colours the lines.
    max_runs : int
        Lines drawn at most (an even sample of the runs beyond it; the caption says so).

    Returns
    -------
    str
        An ``<img>`` with a caption, or a short note saying why there is no plot.  Every key and
        value in it is escaped.
    """
    n = len(table)
    axes, primary = default_axes(table, columns)
    if n == 0:
        return '<p class="mlnb-static-note">no runs to plot</p>'
    if len(axes) < 2:
        return (
            '<p class="mlnb-static-note">'
            + esc(f"no parallel coordinates: no param differs among the {fmt.count(n, 'run')}")
            + "</p>"
        )
    rows = np.arange(n) if n <= max_runs else np.linspace(0, n - 1, max_runs).astype(np.int64)
    dims = [_axis(k, table.columns[k], rows) for k in axes]
    color = dims[-1] if primary else None
    width = min(12.0, max(6.0, 1.3 * len(dims) + 2))

    def draw(fig: Any) -> None:
        from matplotlib.collections import LineCollection
        from matplotlib.patches import PathPatch
        from matplotlib.path import Path

        ax = fig.add_subplot(1, 1, 1)
        halo = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
        xs = np.arange(len(dims), dtype=np.float64)
        ys = np.stack([np.where(np.isnan(d.y), _MISSING_Y, d.y) for d in dims], axis=1)
        cmap = _ramp()
        alpha = max(0.06, min(0.85, 10 / np.sqrt(len(rows))))
        # one path per colour bucket (as the live panel): a thousand polylines, a dozen strokes
        if color is not None:
            cv = color.y
            bucket = np.where(
                np.isnan(cv), _BUCKETS, np.minimum(_BUCKETS - 1, np.floor(np.nan_to_num(cv) * _BUCKETS))
            )
        else:
            bucket = np.zeros(len(rows))
        step = [Path.MOVETO] + [Path.LINETO] * (len(dims) - 1)
        for b in np.unique(bucket):
            lines = ys[bucket == b]
            verts = np.stack([np.tile(xs, len(lines)), lines.ravel()], axis=1)
            edge = (
                (0.6, 0.6, 0.6)
                if b == _BUCKETS
                else cmap((b + 0.5) / _BUCKETS)
                if color is not None
                else "#4e79a7"
            )
            path = Path(verts, step * len(lines))
            # add_artist, not add_patch: no data-limit pass over thousands of segments
            ax.add_artist(PathPatch(path, fill=False, edgecolor=edge, linewidth=0.8, alpha=alpha))
        frame: list[Any] = []
        bands: list[Any] = []
        for j, d in enumerate(dims):
            frame.append([(j, 0), (j, 1)])
            for pos, label in d.ticks:
                frame.append([(j - 0.03, pos), (j, pos)])
                ax.text(j + 0.03, pos, label, fontsize=7, va="center", ha="left", color="#1f1f1f", bbox=halo)
            if d.missing:
                bands.append([(j - 0.12, _MISSING_Y), (j + 0.12, _MISSING_Y)])
                ax.text(j + 0.03, _MISSING_Y - 0.05, "missing", fontsize=7, style="italic", color="#616161")
        ax.add_collection(LineCollection(frame, colors="#616161", linewidths=0.8))
        if bands:
            ax.add_collection(LineCollection(bands, colors="#616161", linewidths=1.5, linestyles="--"))
        ax.set_xticks(xs, [_clip(_short(d.key), 18) + (" (log)" if d.log else "") for d in dims], fontsize=8)
        ax.xaxis.tick_top()
        ax.set_yticks([])
        ax.set_xlim(-0.2, len(dims) - 0.6)
        ax.set_ylim(_MISSING_Y - 0.1, 1.04)
        for side in ("left", "right", "bottom", "top"):
            ax.spines[side].set_visible(False)
        if color is not None and primary:
            from matplotlib.cm import ScalarMappable

            legend = ScalarMappable(cmap=cmap)
            legend.set_clim(0, 1)
            bar = fig.colorbar(legend, ax=ax, fraction=0.03, pad=0.02)
            bar.set_ticks([p for p, _ in color.ticks], labels=[label for _, label in color.ticks])
            bar.ax.tick_params(labelsize=7)
            bar.set_label(_clip(_short(primary), 18), fontsize=8)

    png = figure_png(draw, size=(width, 3.6))
    text = f"all {fmt.count(n, 'run')}"
    if primary:
        text += f", coloured by {_short(primary)}"
    if len(rows) < n:
        text += f" ({fmt.count(len(rows), 'line')} drawn, an even sample)"
    if any(d.missing for d in dims):
        text += "; runs without a value pass through the \u201cmissing\u201d band"
    alt = "parallel coordinates of " + ", ".join(axes)
    return (
        '<figure class="mlnb-static-plot" style="margin:4px 0">'
        + img(png, alt)
        + f'<figcaption style="font-size:12px">{esc(text)}</figcaption></figure>'
    )
