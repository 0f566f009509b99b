"""Pass-through probes that an instrumented cell calls while it runs.

:mod:`mlnb.capture.instrument` wraps a few expressions of a tracked cell (the receiver and
arguments of ``fit``/``predict``/``score`` calls, the function and result of metric calls) in
these functions.  Each returns its input unchanged, so the cell computes exactly what it would
without tracking; while a :class:`Recorder` is installed they also note what they saw.  They run
in the cell's own frame and never wrap the user's call, so tracebacks are unchanged.  Outside a
tracked cell (no recorder) they cost one global lookup.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_recorder: Recorder | None = None
MAX_EVENTS_PER_SITE = 1000  # a loop may run a site millions of times: keep the first ones
SAMPLE_ROWS = 5


@dataclass
class Event:
    """One execution of an instrumented call site."""

    site: int
    receiver: Any = None
    function: Any = None
    args: dict[Any, Any] = field(default_factory=dict)
    done: bool = False
    value: Any = None
    sample: Any = None  # first rows of a predict result (for the model signature's outputs)


class Recorder:
    """Collects :class:`Event` objects, in execution order, for one tracked cell.

    Only numbers are kept as call results (metric values): predictions and transformed data
    are not held, except a copy of the first :data:`SAMPLE_ROWS` rows of what ``predict`` sites
    (:attr:`sample_sites`) return, and each site records at most :data:`MAX_EVENTS_PER_SITE`
    executions.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._open: dict[int, Event] = {}
        self._counts: dict[int, int] = {}
        self.sample_sites: frozenset[int] = frozenset()
        # ``fit`` call sites, and what to tell about them: the receiver before the call, then
        # that it returned (a search CV's progress bar lives exactly that long)
        self.fit_sites: frozenset[int] = frozenset()
        self.on_fit: Callable[[Any], None] | None = None
        self.on_fit_done: Callable[[], None] | None = None

    def open_event(self, site: int) -> Event | None:
        """The event of ``site``'s call that has started but not returned, if any."""
        return self._open.get(site)

    def event(self, site: int) -> Event:
        """The event of ``site``'s current call, opened (and kept, within the limit) if new."""
        event = self._open.get(site)
        if event is None:
            event = Event(site)
            self._open[site] = event
            count = self._counts.get(site, 0)
            if count < MAX_EVENTS_PER_SITE:
                self._counts[site] = count + 1
                self.events.append(event)
        return event

    def finish(self, site: int, value: Any) -> None:
        event = self._open.pop(site, None)
        if event is None:
            event = self.event(site)
            self._open.pop(site, None)
        event.done = True
        if site in self.fit_sites and self.on_fit_done is not None:
            self.on_fit_done()
        if isinstance(value, numbers.Number):
            event.value = value
        elif site in self.sample_sites and type(value).__module__ == "numpy" and getattr(value, "ndim", 0) > 0:
            event.sample = value[:SAMPLE_ROWS].copy()  # a copy: a view would keep it all alive


def active() -> Recorder | None:
    """The recorder that probes report to now (None outside a recorded cell)."""
    return _recorder


def install(recorder: Recorder | None) -> Recorder | None:
    """Make ``recorder`` the one that probes report to; returns the previous one."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def recv(site: int, obj: Any) -> Any:
    """The object a method is called on (``obj.fit(...)``)."""
    rec = _recorder
    if rec is not None:
        try:
            rec.event(site).receiver = obj
            if site in rec.fit_sites and rec.on_fit is not None:
                rec.on_fit(obj)
        except Exception:
            pass
    return obj


def fn(site: int, func: Any) -> Any:
    """The function object of a call (``f1_score`` in ``f1_score(...)``)."""
    rec = _recorder
    if rec is not None:
        try:
            rec.event(site).function = func
        except Exception:
            pass
    return func


def arg(site: int, key: Any, obj: Any) -> Any:
    """An argument of a call: ``key`` is its position or keyword."""
    rec = _recorder
    if rec is not None:
        try:
            rec.event(site).args[key] = obj
        except Exception:
            pass
    return obj


def done(site: int, value: Any) -> Any:
    """The value a call returned (only reached when the call did not raise)."""
    rec = _recorder
    if rec is not None:
        try:
            rec.finish(site, value)
        except Exception:
            pass
    return value
