"""What draws a progress bar, and the slot for the notebook's bar.

:mod:`mlnb.display.progress` decides when and where a step's bar shows: a terminal line it
draws itself, or a notebook bar drawn by :mod:`mlnb.widgets` (the one package that knows
ipywidgets), which sits above it and so is handed down through :func:`use_widget_view`.
``import mlnb`` installs :class:`mlnb.widgets.progress.WidgetProgressView`, imported only
when a bar first draws.  This module imports nothing, so ``import mlnb`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["ProgressView", "WidgetViewFactory", "use_widget_view", "widget_view"]


class ProgressView(Protocol):
    """One bar: drawn again on each update, removed on close."""

    def draw(self, done: int, total: int | None, description: str, status: str) -> None: ...
    def close(self) -> None: ...


WidgetViewFactory = Callable[[int | None], ProgressView]
"""Builds the notebook bar for a step of ``total`` units (None: unknown)."""

_widget_view: WidgetViewFactory | None = None


def use_widget_view(factory: WidgetViewFactory | None) -> None:
    """Set what draws the bar in a notebook front end (None: a notebook shows no bar)."""
    global _widget_view
    _widget_view = factory


def widget_view() -> WidgetViewFactory | None:
    """What draws the notebook bar now, if anything."""
    return _widget_view
