"""Static SHAP plots with matplotlib's object API (no pyplot state, safe off the main thread).

Used for the PNG fallback of the explain panel and the plot artifacts logged on the run.
"""

from __future__ import annotations

from typing import Any

from mlnb.display.format import count, number

_RED = "#ff0051"
_BLUE = "#008bfb"


def figure(width: float, height: float, labels: list[str] | None = None) -> Any:
    """A figure with margins fixed from the label lengths (a layout engine costs more than the plot)."""
    from matplotlib.figure import Figure

    # about 0.085 inch per character of a 10 pt label; the plot keeps its own width
    left_in = 0.3 + 0.085 * min(60, max((len(t) for t in labels), default=0)) if labels else 0.8
    fig = Figure(figsize=(width + left_in, height), dpi=100)
    fig.subplots_adjust(
        left=left_in / (width + left_in), right=0.96, top=1 - 0.35 / height, bottom=0.55 / height
    )
    return fig


def to_png(fig: Any) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _order(values: Any, max_display: int) -> Any:
    import numpy as np

    return np.argsort(-np.abs(values).mean(axis=0), kind="stable")[:max_display]


def bar(values: Any, names: list[str], title: str = "", max_display: int = 12) -> Any:
    """Global importance: mean |SHAP value| per feature, largest on top."""
    import numpy as np

    importance = np.abs(values).mean(axis=0)
    order = _order(values, max_display)
    fig = figure(4.4, 0.9 + 0.32 * len(order), [names[i] for i in order])
    ax = fig.add_subplot()
    ax.barh(range(len(order))[::-1], importance[order], color=_RED)
    ax.set_yticks(range(len(order))[::-1], [names[i] for i in order])
    ax.set_xlabel("mean(|SHAP value|)")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _colours(column: Any) -> Any:
    import numpy as np

    finite = np.isfinite(column)
    out = np.full(column.shape, 0.5)
    if finite.any():
        lo, hi = np.nanpercentile(column[finite], [5, 95])
        span = hi - lo if hi > lo else 1.0
        out[finite] = np.clip((column[finite] - lo) / span, 0, 1)
    return out


def beeswarm(values: Any, data: Any, names: list[str], title: str = "", max_display: int = 12) -> Any:
    """One row of dots per feature: SHAP value on x, feature value as colour (blue low, red high)."""
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("mlnb_shap", [_BLUE, "#9b4fc2", _RED])
    order = _order(values, max_display)
    rng = np.random.default_rng(0)
    fig = figure(4.6, 0.9 + 0.38 * len(order), [names[i] for i in order])
    ax = fig.add_subplot()
    xs = np.concatenate([values[:, j] for j in order])
    ys = np.concatenate([np.full(len(values), len(order) - 1 - pos) for pos in range(len(order))])
    ys = ys + rng.uniform(-0.3, 0.3, len(ys))
    colours = np.concatenate([_colours(data[:, j]) for j in order])
    ax.scatter(xs, ys, c=colours, cmap=cmap, vmin=0, vmax=1, s=6, linewidths=0)
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_yticks(range(len(order))[::-1], [names[i] for i in order])
    ax.set_xlabel("SHAP value (impact on model output)")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def waterfall(
    row_values: Any, base: float, names: list[str], row_data: Any, title: str = "", max_display: int = 10
) -> Any:
    """How one row's prediction is built from the base value, largest contributions first."""
    import numpy as np

    order = np.argsort(-np.abs(row_values), kind="stable")
    shown, rest = order[:max_display], order[max_display:]
    labels = [f"{names[i]} = {number(float(row_data[i]))}" for i in shown]
    contrib = [float(row_values[i]) for i in shown]
    if len(rest):
        labels.append(f"{count(len(rest), 'other feature')}")
        contrib.append(float(row_values[rest].sum()))
    fig = figure(4.6, 1.0 + 0.34 * len(contrib), labels)
    ax = fig.add_subplot()
    left = base  # bottom bar starts at the base value, the top one ends at f(x)
    for y, width in enumerate(contrib[::-1]):
        ax.barh(y, width, left=left, color=_RED if width >= 0 else _BLUE)
        left += width
    ax.set_yticks(range(len(contrib)), labels[::-1])
    ax.use_sticky_edges = False  # bars pin the x limits to their edges otherwise
    ax.margins(x=0.08)
    ax.axvline(base, color="#999", lw=0.8, ls="--")
    ax.set_xlabel(f"E[f(X)] = {number(base)}   →   f(x) = {number(base + float(np.sum(row_values)))}")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def dependence(values: Any, data: Any, names: list[str], feature: int, title: str = "") -> Any:
    """SHAP value of one feature against that feature's value."""
    fig = figure(4.6, 3.8, ["SHAP value"])
    ax = fig.add_subplot()
    ax.scatter(data[:, feature], values[:, feature], s=8, color=_BLUE)
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel(names[feature])
    ax.set_ylabel(f"SHAP value for {names[feature]}")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
