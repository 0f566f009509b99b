"""The progress bar a notebook front end shows: an ipywidgets bar with a label.

:mod:`mlnb.display.progress` decides when and where a step's bar shows; this module draws it
in a notebook.  ``import mlnb`` hands it down with :func:`mlnb.display.progress_view.use_widget_view`.
"""

from __future__ import annotations

__all__ = ["WidgetProgressView"]


class WidgetProgressView:
    """An IntProgress and a Label in one output, removed (replaced by nothing) on close."""

    def __init__(self, total: int | None) -> None:
        import ipywidgets as w
        from IPython.display import display

        self.bar = w.IntProgress(
            value=0,
            min=0,
            max=max(total or 1, 1),
            bar_style="info",
            layout=w.Layout(width="14em", flex="0 0 auto"),
        )
        self.label = w.Label(value="")
        self.box = w.HBox([self.bar, self.label])
        self.handle = display(self.box, display_id=True)

    def draw(self, done: int, total: int | None, description: str, status: str) -> None:
        if total:
            if self.bar.max != total:
                self.bar.max = total
            self.bar.value = min(done, total)
        else:  # unknown total: a full, striped bar that still says how much is done
            self.bar.value = self.bar.max
            self.bar.bar_style = "info"
        self.label.value = f"{description}: {status}" if status else description

    def close(self) -> None:
        try:
            if self.handle is not None:
                self.handle.update({"text/plain": ""}, raw=True)
        finally:
            for widget in (self.box, self.bar, self.label):
                widget.close()
