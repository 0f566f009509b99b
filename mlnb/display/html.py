"""The one place that writes HTML for mlnb's static displays: escaping, tables, lists, images.

Every static surface (the run card, the panels' static versions, the evaluation, drift, gate
and explanation reports) builds its markup from these helpers, so user text is escaped in one
way (:func:`esc`) and a table is written in one way (:func:`table`).  No scripts, inline styles
only: a ``<style>`` element would leak into a JupyterLab page and GitHub strips it.

Text is escaped unless it is wrapped in :class:`Html` (markup the caller has already built from
escaped parts); a :class:`Cell` adds a style, a tooltip or a row header to one table cell.
Colours are JupyterLab's theme variables with a fallback for hosts that lack them (nbconvert,
VS Code, GitHub), so an exported card reads in a light and a dark page alike.  Numbers are
formatted by :mod:`mlnb.display.format` before they get here.

Examples
--------
>>> table(["metric", "value"], [["acc", "0.9"], [Cell("<b>", style="color:red"), Html("<i>1</i>")]])
'<table><thead><tr><th>metric</th><th>value</th></tr></thead><tbody><tr><td>acc</td><td>0.9</td></tr><tr><td style="color:red">&lt;b&gt;</td><td><i>1</i></td></tr></tbody></table>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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


def esc(value: object) -> str:
    """HTML-escape ``str(value)``, quotes included (``None`` is empty).

    Examples
    --------
    >>> esc("<b>&'\\"")
    '&lt;b&gt;&amp;&#x27;&quot;'
    >>> esc(None)
    ''
    """
    return html.escape("" if value is None else str(value), quote=True)


class Html(str):
    """Markup that is already safe (built from escaped parts): the helpers here insert it as is.

    Examples
    --------
    >>> bullets([Html("<b>x</b>"), "<b>y</b>"])
    '<ul><li><b>x</b></li><li>&lt;b&gt;y&lt;/b&gt;</li></ul>'
    """

    __slots__ = ()


@dataclass(frozen=True)
class Cell:
    """One table cell with attributes: ``content`` (text, or :class:`Html`), an inline ``style``,
    a ``title`` tooltip, and ``header=True`` for a row header (``<th>`` in the body)."""

    content: str
    style: str = ""
    title: str = ""
    header: bool = False


def _content(value: str) -> str:
    return value if isinstance(value, Html) else esc(value)


def _attrs(style: str = "", title: str = "", extra: Mapping[str, str] | None = None) -> str:
    pairs = [("style", style), ("title", title), *(extra or {}).items()]
    return "".join(f' {name}="{esc(value)}"' for name, value in pairs if value)


def _cell(value: str | Cell, tag: str, style: str) -> str:
    if isinstance(value, Cell):
        tag = "th" if value.header else tag
        return f"<{tag}{_attrs(value.style or style, value.title)}>{_content(value.content)}</{tag}>"
    return f"<{tag}{_attrs(style)}>{_content(value)}</{tag}>"


def table(
    headers: Sequence[str | Cell],
    rows: Iterable[Sequence[str | Cell]],
    *,
    style: str = "",
    cell_style: str = "",
    classes: str = "",
    attrs: Mapping[str, str] | None = None,
    caption: str = "",
    caption_style: str = "text-align:left;font-weight:bold",
) -> str:
    """An HTML table: a ``<thead>`` row of ``headers`` and a ``<tbody>`` of ``rows``.

    Parameters
    ----------
    headers, rows : sequences of str, Html or Cell
        Text is escaped, :class:`Html` is inserted as is, a :class:`Cell` carries its own style,
        tooltip or row-header flag.  No headers: no ``<thead>``.
    style : str
        Inline style of the ``<table>`` element.
    cell_style : str
        Inline style of every ``<th>`` and ``<td>`` that has none of its own.
    classes, attrs
        ``class`` and other attributes of the ``<table>`` element (values are escaped).
    caption, caption_style
        An optional caption (escaped unless :class:`Html`) and its style.
    """
    extra = {**({"class": classes} if classes else {}), **(attrs or {})}
    parts = [f"<table{_attrs(extra=extra)}{_attrs(style)}>"]
    if caption:
        parts.append(f"<caption{_attrs(caption_style)}>{_content(caption)}</caption>")
    if headers:
        parts.append("<thead><tr>" + "".join(_cell(h, "th", cell_style) for h in headers) + "</tr></thead>")
    parts.append("<tbody>")
    parts.extend("<tr>" + "".join(_cell(v, "td", cell_style) for v in row) + "</tr>" for row in rows)
    parts.append("</tbody></table>")
    return "".join(parts)


def bullets(items: Iterable[str], *, ordered: bool = False, style: str = "") -> str:
    """A ``<ul>`` (or ``<ol>`` when ``ordered``) of ``items``; text is escaped, :class:`Html` is not."""
    tag = "ol" if ordered else "ul"
    return f"<{tag}{_attrs(style)}>" + "".join(f"<li>{_content(i)}</li>" for i in items) + f"</{tag}>"


def img(png_b64: str, alt: str, *, title: str = "", style: str = "") -> str:
    """An ``<img>`` showing a base64-encoded PNG inline; ``alt`` says what it shows."""
    return f'<img alt="{esc(alt)}"{_attrs(style, title)} src="data:image/png;base64,{esc(png_b64)}"/>'


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
