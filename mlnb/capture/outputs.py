"""What a tracked cell printed and drew: stdout/stderr copies and matplotlib figures.

Streams are teed, not redirected: the user still sees every line live, and the run gets a copy.
Figures are found two ways, because the inline backend closes them (``plt.show()`` in the cell,
or its own post-execute flush): matplotlib's ``figure.hooks`` setting reports every figure
pyplot creates during the cell, and figures still open when the cell ends are compared with
those open before it.  Both are set up and undone around the one cell.
"""

from __future__ import annotations

import io
import sys
from typing import Any

MAX_STREAM_CHARS = 1_000_000
_HOOK = "mlnb.capture.outputs:_figure_created"
_collector: FigureCollector | None = None


class Tee:
    """A text stream that writes through to ``target`` and keeps a bounded copy."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        if isinstance(text, str) and self._size < MAX_STREAM_CHARS:
            self._parts.append(text)
            self._size += len(text)
        return self._target.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._target.flush()

    def getvalue(self) -> str:
        return "".join(self._parts)[:MAX_STREAM_CHARS]

    @property
    def passthrough(self) -> Any:
        """The stream this one copies to: progress bars draw there, so the run's copy has none."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class StreamCapture:
    """Tee ``sys.stdout`` and ``sys.stderr`` until :meth:`stop`."""

    def __init__(self) -> None:
        self.stdout = Tee(sys.stdout)
        self.stderr = Tee(sys.stderr)
        self._active = False

    def start(self) -> None:
        sys.stdout, sys.stderr = self.stdout, self.stderr
        self._active = True

    def stop(self) -> None:
        if not self._active:
            return
        self._active = False
        # only undo our own replacement: the cell may have redirected the streams itself
        if sys.stdout is self.stdout:
            sys.stdout = self.stdout._target
        if sys.stderr is self.stderr:
            sys.stderr = self.stderr._target


def _figure_created(figure: Any) -> None:
    collector = _collector
    if collector is not None:
        collector.figures.append(figure)


class FigureCollector:
    """Collects the matplotlib figures a cell creates."""

    def __init__(self) -> None:
        self.figures: list[Any] = []
        self._before: set[int] = set()
        self._hooked = False
        self._previous_hooks: list[str] | None = None

    def start(self, may_plot: bool) -> None:
        global _collector
        if "matplotlib" not in sys.modules and not may_plot:
            return
        try:
            import matplotlib

            hooks = list(matplotlib.rcParams.get("figure.hooks", []))
            if _HOOK not in hooks:
                self._previous_hooks = hooks
                matplotlib.rcParams["figure.hooks"] = [*hooks, _HOOK]
            self._hooked = True
            _collector = self
            self._before = {id(f) for f in _open_figures()}
        except Exception:
            self._hooked = False

    def snapshot_open(self) -> None:
        """Add the figures open now that were not open before the cell."""
        known = {id(f) for f in self.figures} | self._before
        for fig in _open_figures():
            if id(fig) not in known:
                self.figures.append(fig)
                known.add(id(fig))

    def stop(self) -> None:
        global _collector
        self.snapshot_open()
        if _collector is self:
            _collector = None
        if self._previous_hooks is not None:
            try:
                import matplotlib

                current = list(matplotlib.rcParams.get("figure.hooks", []))
                if _HOOK in current:
                    matplotlib.rcParams["figure.hooks"] = [h for h in current if h != _HOOK]
            except Exception:
                pass
            self._previous_hooks = None

    def unique(self) -> list[Any]:
        seen: set[int] = set()
        out = []
        for fig in self.figures:
            if id(fig) not in seen:
                seen.add(id(fig))
                out.append(fig)
        return out


def _open_figures() -> list[Any]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    try:
        from matplotlib._pylab_helpers import Gcf

        return [m.canvas.figure for m in Gcf.get_all_fig_managers()]
    except Exception:
        return []


def figure_png(figure: Any, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()
