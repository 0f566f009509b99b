"""Progress bars for steps that can take more than a second.

A step wraps its work in :func:`progress` (or iterates through :func:`track`) and reports what
it has done with :meth:`Progress.update`.  Nothing shows for a step that ends within the delay
(one second by default, ``MLNB_PROGRESS_DELAY``), so fast calls leave no trace.  After that:

- in a notebook front end (a kernel whose execute requests carry the cell's id, as JupyterLab
  and Notebook 7 send it), an ipywidgets bar with a label such as ``writing models: 2 of 3 models, 8.8 MB ·
  0.9 models/s · 1.1 s left``; it is removed from the output when the step ends;
- on a terminal (stderr is a TTY), one text line redrawn in place with ``\\r`` and erased when
  the step ends;
- nowhere else (CI, nbconvert, nbval, papermill, a redirected stderr), so executed notebooks and
  logs get no progress noise.

``MLNB_PROGRESS`` (``auto``, ``widget``, ``text``, ``off``) overrides the choice.  Updates may
come from any thread (a joblib callback thread, a background writer); the first draw happens
on whichever thread reports after the delay, so a step must end (:meth:`Progress.close`, or
leaving the ``with`` block) before the cell that started it returns.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from mlnb import config
from mlnb.display import progress_view
from mlnb.display.format import count, duration, number
from mlnb.display.progress_view import ProgressView

__all__ = ["Progress", "display_mode", "progress", "track"]

T = TypeVar("T")

_REDRAW_S = 0.1  # at most ten redraws a second
_BAR_CELLS = 20


def _kernel_shell() -> Any:
    """The IPython shell when it runs inside a Jupyter kernel, else None."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def _front_end_attached(shell: Any) -> bool:
    """Whether a notebook front end sent the current request.

    JupyterLab and Notebook 7 put the cell's id into each execute request's metadata; nbclient
    (nbconvert, nbval, papermill) does not, and nobody watches its widgets.
    """
    try:
        parent = shell.kernel.get_parent() or {}
    except Exception:
        return False
    metadata = parent.get("metadata") or {}
    return bool(metadata.get("cellId"))


def _is_tty(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except Exception:  # a closed or foreign stream
        return False


def _terminal() -> Any:
    """``sys.stderr`` without the copies a tracked cell keeps (they would record every redraw)."""
    stream = sys.stderr
    for _ in range(8):
        inner = getattr(stream, "passthrough", None)
        if inner is None:
            break
        stream = inner
    return stream


def display_mode() -> str:
    """Where a progress bar would show now: ``"widget"``, ``"text"`` or ``"off"``."""
    chosen = config.progress_mode()
    if chosen != "auto":
        return chosen
    shell = _kernel_shell()
    if shell is not None:
        return "widget" if _front_end_attached(shell) else "off"
    return "text" if _is_tty(sys.stderr) else "off"


class _TextView:
    """One line on a terminal, redrawn with ``\\r`` and erased on close."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.width = 0
        self.line = ""

    def draw(self, done: int, total: int | None, description: str, status: str) -> None:
        if total:
            filled = min(_BAR_CELLS, _BAR_CELLS * done // total)
            bar = f" [{'#' * filled}{'-' * (_BAR_CELLS - filled)}]"
        else:
            bar = ""
        line = f"{description}{bar} {status}".rstrip()
        if line == self.line:
            return
        self.line = line
        self._write("\r" + line + " " * max(0, self.width - len(line)))
        self.width = len(line)

    def close(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:  # the terminal went away: the step goes on without a bar
            pass


class Progress:
    """The progress of one step; a context manager that closes the bar however the step ends.

    Parameters
    ----------
    total : int or None
        How many units the step has (None when unknown: the bar then only counts).
    description : str
        What the step does, e.g. ``"SHAP values"``.
    unit : str, default "step"
        What is counted, singular (``"row"``, ``"model"``).
    plural : str, optional
        The plural of ``unit`` when it does not take an ``s``.
    delay : float, optional
        Seconds before the bar appears; ``MLNB_PROGRESS_DELAY`` (default 1 s) when None.
    mode : {"widget", "text", "off"}, optional
        Where to show it; :func:`display_mode` decides when None.
    stream : file, optional
        The terminal for text mode (``sys.stderr`` when None).
    """

    def __init__(
        self,
        total: int | None,
        description: str,
        *,
        unit: str = "step",
        plural: str | None = None,
        delay: float | None = None,
        mode: str | None = None,
        stream: Any = None,
    ) -> None:
        self.total = int(total) if total is not None else None
        self.description = description
        self.unit = unit
        self.plural = plural or f"{unit}s"
        self.done = 0
        self.detail = ""
        self._delay = config.progress_delay_s() if delay is None else float(delay)
        self._mode = mode
        self._stream = stream
        self._lock = threading.RLock()
        self._t0 = time.monotonic()
        self._last_draw = 0.0
        self._view: ProgressView | None = None
        self._closed = False

    # --- reporting (any thread) -------------------------------------------------------------
    def update(self, n: int = 1, *, detail: str | None = None) -> None:
        """``n`` more units done; ``detail`` (e.g. ``"8.8 MB"``) follows the count."""
        with self._lock:
            self.done += n
            if detail is not None:
                self.detail = detail
        self.refresh()

    def set(self, done: int, *, total: int | None = None, detail: str | None = None) -> None:
        """``done`` units in all (and a new ``total`` when it became known)."""
        with self._lock:
            self.done = done
            if total is not None:
                self.total = total
            if detail is not None:
                self.detail = detail
        self.refresh()

    def refresh(self) -> None:
        """Draw now if the delay has passed and the last draw is old enough (cheap otherwise)."""
        if self._closed or self._mode == "off":
            return
        now = time.monotonic()
        if now - self._t0 < self._delay or now - self._last_draw < _REDRAW_S:
            return
        with self._lock:
            if self._closed:
                return
            self._last_draw = now
            try:
                if self._view is None:
                    self._view = self._open()
                    if self._view is None:
                        return
                self._view.draw(self.done, self.total, self.description, self.status(now))
            except Exception:  # a display problem must never break the step
                self._mode = "off"

    def _open(self) -> ProgressView | None:
        if self._mode is None:
            self._mode = display_mode()
        factory = progress_view.widget_view()
        if self._mode == "widget" and factory is not None:
            return factory(self.total)
        if self._mode == "text":
            return _TextView(self._stream if self._stream is not None else _terminal())
        self._mode = "off"
        return None

    def status(self, now: float | None = None) -> str:
        """``2 of 3 models, 8.8 MB · 0.9 models/s · 1.1 s left`` (what follows the description)."""
        done, total = self.done, self.total
        if total is not None:
            text = f"{done:,} of {count(total, self.unit, self.plural)}"
        else:
            text = count(done, self.unit, self.plural) if done else ""
        if self.detail:
            text = f"{text}, {self.detail}" if text else self.detail
        elapsed = (time.monotonic() if now is None else now) - self._t0
        if done > 0 and elapsed > 0:
            rate = done / elapsed
            text += f" · {number(rate)} {self.plural}/s"
            if total is not None and total > done:
                text += f" · {duration((total - done) / rate * 1000)} left"
        return text

    # --- ending -----------------------------------------------------------------------------
    def close(self) -> None:
        """Remove the bar (idempotent); the step is over, however it ended."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            view, self._view = self._view, None
        if view is not None:
            try:
                view.close()
            except Exception:
                pass

    @property
    def shown(self) -> bool:
        """Whether a bar is on screen now."""
        return self._view is not None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(
    total: int | None,
    description: str,
    *,
    unit: str = "step",
    plural: str | None = None,
    delay: float | None = None,
    mode: str | None = None,
) -> Progress:
    """A progress bar for one step, shown only if the step outlasts ``delay``.

    Examples
    --------
    >>> with progress(3, "writing models", unit="model", mode="off") as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> bar.done
    3
    """
    return Progress(total, description, unit=unit, plural=plural, delay=delay, mode=mode)


def track(
    items: Iterable[T],
    description: str,
    *,
    total: int | None = None,
    unit: str = "step",
    plural: str | None = None,
    delay: float | None = None,
) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar that advances after each one is handled."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress(total, description, unit=unit, plural=plural, delay=delay) as bar:
        for item in items:
            yield item
            bar.update()
