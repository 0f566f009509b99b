"""What every panel shares: the run-end subscription, the after-cell check, static assets and
figures.

Panels refresh themselves when a run ends in the same kernel.  The first panel subscribes this
module to :mod:`mlnb.tracking.events`; when a :class:`~mlnb.tracking.events.RunEnded` is
delivered (on the kernel's thread), every live panel gets the run id.  Panels are held weakly,
so a closed or forgotten panel costs nothing.  Panels also check the store after each IPython
cell (``post_run_cell``), so a run ended in another process, or a registry change made in code,
still shows up.
"""

from __future__ import annotations

import base64
import io
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mlnb.tracking import events

STATIC = Path(__file__).parent / "static"


class RunPanel(Protocol):
    """What a panel provides to be refreshed (the compare and registry panels)."""

    def _on_run_finished(self, run_id: str) -> None: ...  # a run ended in this kernel
    def _poll(self) -> None: ...  # after a cell: refresh if the store changed
    def _show_error(self, message: str) -> None: ...


_listeners: weakref.WeakSet[RunPanel] = weakref.WeakSet()
_lock = threading.Lock()


def add_run_listener(panel: RunPanel) -> None:
    """Refresh ``panel`` when a run ends (a run-end event) and after each cell (a cheap check)."""
    with _lock:
        _listeners.add(panel)
    events.subscribe(_on_run_ended)  # idempotent: one subscription serves every panel
    _install_cell_hook()


def remove_run_listener(panel: RunPanel) -> None:
    """Stop refreshing ``panel`` (it is closed)."""
    with _lock:
        _listeners.discard(panel)


def _on_run_ended(event: events.RunEnded) -> None:
    """Tell every live panel that a run ended; a failing panel shows its error, never raises."""
    with _lock:
        panels = list(_listeners)
    for panel in panels:
        try:
            panel._on_run_finished(event.run_id)
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
