"""How a panel shows: its static version as one output, the live widget as the next.

Why two outputs
---------------
A panel used to return ONE mime bundle holding both the widget view
(``application/vnd.jupyter.widget-view+json``) and its static HTML (``text/html``).  Every
viewer then picks one entry of that bundle, and the widget view ranks first: nbconvert's
``display_data_priority`` puts it first whenever the notebook's widget state holds the model
(JupyterLab's "save widget state", nbclient's default ``store_widget_state=True``), and renders
only an empty ``<div>`` plus scripts that need a CDN and a browser with JavaScript; GitHub and
nbviewer strip or cannot run those scripts; VS Code without the widget manager has no renderer
for it.  The static version was in the file but never shown.

So a panel displays itself as two outputs (:func:`show`):

1. the static version: ``text/html`` (tables scroll horizontally, images shrink to the output's
   width, no scripts), ``image/png`` when there is a figure, ``text/plain``; no widget MIME, so
   every viewer shows it;
2. the live widget view (``application/vnd.jupyter.widget-view+json`` + ``text/plain``).

The widget's front end (``labextension/src/widgets/fallback.ts``, one call in each panel's
``render``) hides output 1 once the widget has actually been drawn.  Where the widget cannot
render (an HTML export, GitHub, a closed kernel without saved widget state), nothing hides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import unescape as html_unescape
from typing import Any

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: class of the element wrapping a static version; the front end looks for ``{MARKER}-{kind}``
MARKER = "mlnb-fallback"
_STATIC_KEYS = ("text/html", "image/png", "image/svg+xml", "text/markdown", "text/plain")

_IMG = re.compile(r"<img\b([^>]*?)(/?)>", re.IGNORECASE)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_STYLE = re.compile(r"""\bstyle\s*=\s*(["'])""", re.IGNORECASE)
_TABLE = re.compile(r"<table\b.*?</table>", re.IGNORECASE | re.DOTALL)
_IMG_RULES = "max-width:100%;height:auto;"
# a short cell (a timestamp, an id, a number) stays on one line and the table scrolls instead;
# a long text (a description) wraps in a column wide enough to read
_SHORT_CELL = 40
_CELL_RULES = "white-space:nowrap;"
_LONG_CELL_RULES = "min-width:16em;"
_SCROLL = "overflow-x:auto;max-width:100%"


def readable_html(html: str, kind: str) -> str:
    """``html`` wrapped for any viewer: wide tables scroll sideways, images fit the width.

    Short table cells do not wrap (a timestamp or a run id stays on one line), long texts wrap
    in a readable column; a table wider than the output scrolls in its own box instead of
    widening the page.

    The wrapper carries the classes ``mlnb-fallback mlnb-fallback-<kind>`` that the live widget
    uses to find (and hide) its static sibling, and ``tex2jax_ignore mathjax_ignore`` so that
    MathJax 2 (nbconvert's page) or 3 (JupyterLab) never typesets a run name such as
    ``"$5 to $10"``.  Only inline styles are added (a ``<style>``
    element would leak into the rest of a JupyterLab page and is stripped by GitHub).
    """

    def img(match: re.Match[str]) -> str:
        return f"<img{_with_style(match.group(1), _IMG_RULES)}{match.group(2)}>"

    def cell(match: re.Match[str]) -> str:
        tag, attrs, inner = match.groups()
        short = len(html_unescape(_TAGS.sub("", inner))) <= _SHORT_CELL
        return f"<{tag}{_with_style(attrs, _CELL_RULES if short else _LONG_CELL_RULES)}>{inner}</{tag}>"

    body = _CELL.sub(cell, _IMG.sub(img, html))
    body = _TABLE.sub(lambda m: f'<div class="{MARKER}-scroll" style="{_SCROLL}">{m.group(0)}</div>', body)
    classes = f"{MARKER} {MARKER}-{kind} tex2jax_ignore mathjax_ignore"
    return f'<div class="{classes}" style="max-width:100%;overflow-x:auto">{body}</div>'


def _with_style(attrs: str, rules: str) -> str:
    """Tag attributes with ``rules`` first in their style (the tag's own rules still win)."""
    style = _STYLE.search(attrs)
    if style:
        return attrs[: style.end()] + rules + attrs[style.end() :]
    return f' style="{rules}"' + attrs


def split_bundle(bundle: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(static, widget_view)`` of a ``_repr_mimebundle_`` result (a dict or ``(data, metadata)``)."""
    data = dict((bundle[0] if isinstance(bundle, tuple) else bundle) or {})
    view = data.pop(WIDGET_VIEW, None)
    return {k: data[k] for k in _STATIC_KEYS if k in data}, view


def _in_kernel() -> bool:
    """True in a Jupyter kernel (widgets can render); False in a terminal IPython or no shell."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(
    panel: Any,
    kind: str,
    static: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
) -> None:
    """Display ``panel`` as two outputs: its static version, then its live widget view.

    Parameters
    ----------
    panel : ipywidgets.Widget or an object with ``_repr_mimebundle_``
        Its ``_repr_mimebundle_()`` gives the widget view and, unless ``static`` is given, the
        static version (every key except the widget view).
    kind : str
        ``"compare"``, ``"registry"`` or ``"explain"``: the front end hides only a static
        sibling of its own kind.
    static : mapping or callable, optional
        The static mime bundle (``text/html``, ``image/png``, ``text/plain``), or a function
        of no argument returning it (called after the live view has been sent).

    Notes
    -----
    Outside a kernel (a terminal IPython) only the static version is shown: no front end could
    draw the widget.  Calling this twice displays the panel twice (two static + two live
    outputs, each live view hiding its own static sibling); re-running a cell replaces its
    outputs, so nothing piles up.
    """
    from IPython.display import display, update_display

    view = _widget_view(panel) if _in_kernel() else None
    if view is None:
        display(_static_bundle(panel, kind, static), raw=True, metadata={"mlnb": {"fallback": kind}})
        return
    # The live view goes out first and the static version is drawn while the front end renders
    # it: building the static tables and PNGs costs far more than the widget's first paint.  A
    # placeholder holds the static version's place (above the widget, where the front end looks
    # for it) and is replaced in the same cell, so exports and saved notebooks hold the real one.
    display_id = f"mlnb-fallback-{view['model_id']}"
    placeholder = {
        "text/html": readable_html(f"<p>mlnb {kind} panel</p>", kind),
        "text/plain": repr(panel),
    }
    display(placeholder, raw=True, metadata={"mlnb": {"fallback": kind}}, display_id=display_id)
    display({WIDGET_VIEW: view, "text/plain": placeholder["text/plain"]}, raw=True)
    update_display(
        _static_bundle(panel, kind, static), raw=True, metadata={"mlnb": {"fallback": kind}}, display_id=display_id
    )


def _widget_view(panel: Any) -> dict[str, Any] | None:
    """The widget-view MIME data of ``panel`` without building its static version (None if none)."""
    model_id = getattr(panel, "model_id", None)
    if model_id is None:
        view = getattr(panel, "_view", None)
        model_id = getattr(view, "model_id", None) if view is not None and not callable(view) else None
    if model_id is None:
        return split_bundle(panel._repr_mimebundle_())[1]
    return {"version_major": 2, "version_minor": 0, "model_id": model_id}


def _static_bundle(
    panel: Any, kind: str, static: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None
) -> dict[str, Any]:
    if callable(static):
        static = static()
    derived = split_bundle(panel._repr_mimebundle_())[0] if static is None else {}
    data = dict(static) if static is not None else derived
    data.setdefault("text/plain", derived.get("text/plain") or repr(panel))
    if "text/html" in data:
        data["text/html"] = readable_html(str(data["text/html"]), kind)
    return data


def display_method(
    kind: str, static: Callable[[Any], Mapping[str, Any]] | None = None
) -> Callable[..., None]:
    """An ``_ipython_display_`` method for a panel class: ``_ipython_display_ = display_method("compare")``.

    IPython calls ``_ipython_display_`` (instead of ``_repr_mimebundle_``) both for
    ``display(panel)`` and for a panel that is a cell's last expression, which lets one display
    produce two outputs.  ``static(panel)``, when given, returns the static mime bundle;
    otherwise the panel's ``_repr_mimebundle_`` provides it.
    """

    def _ipython_display_(self: Any, **_kwargs: Any) -> None:
        show(self, kind, (lambda: static(self)) if static is not None else None)

    _ipython_display_.__doc__ = f"Show the {kind} panel: its static version, then the live widget."
    return _ipython_display_


__all__ = ["MARKER", "WIDGET_VIEW", "display_method", "readable_html", "show", "split_bundle"]
