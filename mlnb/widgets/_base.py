"""What every panel shares: the run-finished hook, static assets, escaping and figure helpers.

Panels refresh themselves when a run ends in the same kernel.  Whoever ends a run (the
``%%track`` magic, the tracking API's end-of-run hook) calls :func:`notify_run_finished`; every
live panel gets the run id.  Panels are held weakly, so a closed or forgotten panel costs
nothing.  When no caller is wired, panels also check the store after each IPython cell
(``post_run_cell``), so a run ended by plain ``mlnb.end_run()`` still shows up.
"""

from __future__ import annotations

import base64
import io
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"

_listeners: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()


def add_run_listener(panel: Any) -> None:
    """Register ``panel`` (anything with ``_on_run_finished(run_id)``) for run-finished events."""
    with _lock:
        _listeners.add(panel)
    _install_cell_hook()


def remove_run_listener(panel: Any) -> None:
    with _lock:
        _listeners.discard(panel)


def notify_run_finished(run_id: str | None = None) -> None:
    """Tell every live panel that run ``run_id`` ended (``None``: something may have changed).

    Call this at the end of a tracked run; it never raises (a broken panel must not break
    tracking).

    Examples
    --------
    >>> from mlnb.widgets._base import notify_run_finished
    >>> notify_run_finished("0" * 32)
    """
    with _lock:
        panels = list(_listeners)
    for panel in panels:
        try:
            panel._on_run_finished(run_id)
        except Exception as exc:  # a panel error is shown in the panel, never raised here
            try:
                panel._show_error(f"refresh failed: {exc}")
            except Exception:
                pass


def _after_cell(*_args: Any) -> None:
    with _lock:
        panels = list(_listeners)
    for panel in panels:
        try:
            panel._poll()
        except Exception:
            pass


def _install_cell_hook() -> None:
    import sys

    if "IPython" not in sys.modules:  # not in a shell: nothing to hook (and no import to pay)
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or _after_cell in shell.events.callbacks.get("post_run_cell", []):
        return
    shell.events.register("post_run_cell", _after_cell)


# -- static figures ---------------------------------------------------------------------------
def figure_png(draw: Callable[[Any], None], *, size: tuple[float, float] = (6.0, 3.2)) -> str:
    """Draw with ``draw(fig)`` on a new Agg figure; return the PNG as base64 (figure closed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=80)
    try:
        draw(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")
