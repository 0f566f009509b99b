"""Static SHAP plots with matplotlib's object API (no pyplot state, safe off the main thread).

Used for the PNG fallback of the explain panel and the plot artifacts logged on the run.
"""

from __future__ import annotations

from typing import Any

_RED = "#ff0051"
_BLUE = "#008bfb"


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


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
    fig = _figure(6.4, 0.8 + 0.32 * len(order))
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
    fig = _figure(6.4, 0.8 + 0.38 * len(order))
    ax = fig.add_subplot()
    for pos, j in enumerate(order):
        y = len(order) - 1 - pos
        jitter = rng.uniform(-0.3, 0.3, len(values))
        ax.scatter(values[:, j], y + jitter, c=_colours(data[:, j]), cmap=cmap, vmin=0, vmax=1, s=6)
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
    labels = [f"{names[i]} = {row_data[i]:.3g}" for i in shown]
    contrib = [float(row_values[i]) for i in shown]
    if len(rest):
        labels.append(f"{len(rest)} other features")
        contrib.append(float(row_values[rest].sum()))
    fig = _figure(6.4, 0.9 + 0.34 * len(contrib))
    ax = fig.add_subplot()
    left = base  # bottom bar starts at the base value, the top one ends at f(x)
    for y, width in enumerate(contrib[::-1]):
        ax.barh(y, width, left=left, color=_RED if width >= 0 else _BLUE)
        left += width
    ax.set_yticks(range(len(contrib)), labels[::-1])
    ax.axvline(base, color="#999", lw=0.8, ls="--")
    ax.set_xlabel(f"E[f(X)] = {base:.3g}   →   f(x) = {base + float(np.sum(row_values)):.3g}")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def dependence(values: Any, data: Any, names: list[str], feature: int, title: str = "") -> Any:
    """SHAP value of one feature against that feature's value."""
    fig = _figure(5.6, 3.8)
    ax = fig.add_subplot()
    ax.scatter(data[:, feature], values[:, feature], s=8, color=_BLUE)
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel(names[feature])
    ax.set_ylabel(f"SHAP value for {names[feature]}")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
