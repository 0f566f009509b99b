"""Small HTML helpers: every user string goes through :func:`esc`; no scripts, inline styles only.

Colours are JupyterLab's theme variables with a fallback for hosts that lack them (nbconvert,
VS Code, GitHub), so an exported card reads in a light and a dark page alike.  Numbers are
formatted by :mod:`mlnb.display.format` before they get here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "rmse", "deviance", "time")

# a status colour mixed with the theme's text colour: darker on a light page, lighter on a dark
# one, so it keeps its contrast in every theme without a per-theme rule
_TONES = {
    "success": ("var(--jp-success-color1, #388e3c)", "#2e7d32"),
    "error": ("var(--jp-error-color1, #d32f2f)", "#c62828"),
    "warn": ("var(--jp-warn-color1, #f57c00)", "#a84300"),
    "brand": ("var(--jp-brand-color1, #1976d2)", "#1565c0"),
    "neutral": ("var(--jp-content-font-color2, currentColor)", "#616161"),
}


def esc(value: Any) -> str:
    """HTML-escape ``str(value)``, quotes included.

    Examples
    --------
    >>> esc("<b>&'\\"")
    '&lt;b&gt;&amp;&#x27;&quot;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def tone(name: str) -> str:
    """A readable text colour of a status tone (``success``, ``error``, ``warn``, ``brand``).

    Two declarations: a plain colour for renderers without ``color-mix``, then the theme-aware
    mix that overrides it where supported.
    """
    theme, plain = _TONES.get(name, _TONES["neutral"])
    mixed = f"color-mix(in srgb, {theme} 70%, var(--jp-content-font-color0, currentColor))"
    return f"color:{plain};color:{mixed}"


def better(key: str, delta: float | None) -> bool | None:
    """Whether a change of metric ``key`` by ``delta`` is an improvement (None: no change)."""
    if delta is None or delta == 0:
        return None
    lower = any(word in key.lower() for word in LOWER_IS_BETTER)
    return (delta < 0) if lower else (delta > 0)


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
