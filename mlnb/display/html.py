"""Small HTML helpers: every user string goes through :func:`esc`; no scripts, inline styles only."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "rmse", "deviance", "time")


def esc(value: Any) -> str:
    """HTML-escape ``str(value)``, quotes included.

    Examples
    --------
    >>> esc("<b>&'\\"")
    '&lt;b&gt;&amp;&#x27;&quot;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def fmt_number(value: float | None) -> str:
    if value is None:
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def fmt_delta(delta: float | None) -> str:
    if delta is None:
        return ""
    return ("+" if delta >= 0 else "") + fmt_number(delta)


def delta_colour(key: str, delta: float | None) -> str:
    """Green when the change is an improvement, red when it is not, grey when none."""
    if delta is None or delta == 0:
        return "#6b7280"
    better_low = any(word in key.lower() for word in LOWER_IS_BETTER)
    improved = (delta < 0) if better_low else (delta > 0)
    return "#15803d" if improved else "#b91c1c"


def fmt_duration(ms: int | None) -> str:
    if ms is None:
        return "running"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], raw_columns: frozenset[int] = frozenset()
) -> str:
    """A small table; cells are escaped unless their column index is in ``raw_columns``."""
    style = "border-collapse:collapse;font-size:12px;margin:2px 0"
    cell = "padding:1px 8px 1px 0;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell}">{esc(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td style="{cell}">{value if i in raw_columns else esc(value)}</td>'
            for i, value in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table style="{style}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
