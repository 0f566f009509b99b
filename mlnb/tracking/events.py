"""Run-end events: how the layers above tracking learn that a run has ended.

A lower layer (capture, when a tracked run's end is durable) publishes a :class:`RunEnded`;
the higher layers (the magics' run card, the widgets' panels) subscribe to it.  Nothing here
imports anything above :mod:`mlnb.tracking`, so the events go up without an import going up.

Delivery happens on the kernel's thread, where the front-end objects live:

- :func:`publish` called from the main thread delivers at once, to every listener in
  subscription order (after any events still queued, so order is kept);
- called from any other thread (a background writer) it only queues the event;
  :func:`deliver_pending`, which the kernel side calls after each cell, delivers the queued
  events on the caller's thread.  An event published while nobody is subscribed is dropped,
  so a script that never delivers does not pile events up.

A listener that raises is logged (``logging``, logger ``mlnb.tracking.events``) and does not
stop the others.

Listeners that are bound methods are held through a weak reference: when their object is
garbage collected (a closed panel) the listener silently drops out.  Plain functions, lambdas
and other callables are held strongly and stay subscribed until unsubscribed, either with
:func:`unsubscribe` or by calling the function :func:`subscribe` returned.

Examples
--------
>>> from mlnb.tracking import events
>>> seen = []
>>> stop = events.subscribe(seen.append)
>>> events.publish(events.RunEnded(run_id="abc", status="FINISHED"))
>>> seen
[RunEnded(run_id='abc', status='FINISHED')]
>>> stop()
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType

__all__ = [
    "RunEnded",
    "RunEndedListener",
    "deliver_pending",
    "publish",
    "subscribe",
    "unsubscribe",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunEnded:
    """A run has ended and its end is durable in the store.

    Parameters
    ----------
    run_id : str
        The run's id.
    status : str
        Its final status: ``"FINISHED"``, ``"FAILED"`` or ``"KILLED"``.
    """

    run_id: str
    status: str


RunEndedListener = Callable[[RunEnded], None]

# Each entry resolves to its listener, or to None once a weakly held bound method's object
# has been collected (such entries are pruned on the next subscribe/publish).
_Entry = Callable[[], "RunEndedListener | None"]

_lock = threading.Lock()
_entries: list[_Entry] = []
_pending: list[RunEnded] = []


def _entry_for(listener: RunEndedListener) -> _Entry:
    if isinstance(listener, MethodType):
        return weakref.WeakMethod(listener)
    return lambda: listener


def _live_listeners() -> list[RunEndedListener]:
    """The subscribed listeners, in order, dropping the collected ones (call with the lock)."""
    live: list[RunEndedListener] = []
    kept: list[_Entry] = []
    for entry in _entries:
        listener = entry()
        if listener is not None:
            live.append(listener)
            kept.append(entry)
    _entries[:] = kept
    return live


def subscribe(listener: RunEndedListener) -> Callable[[], None]:
    """Call ``listener`` with every :class:`RunEnded` published from now on.

    Subscribing a listener that is already subscribed changes nothing.  A bound method is
    held weakly (it drops out when its object is collected); any other callable is held
    until unsubscribed.

    Parameters
    ----------
    listener : callable
        Called with one :class:`RunEnded`, on the kernel's thread.

    Returns
    -------
    callable
        Unsubscribes ``listener`` when called; calling it again does nothing.
    """
    with _lock:
        if listener not in _live_listeners():
            _entries.append(_entry_for(listener))

    def stop() -> None:
        unsubscribe(listener)

    return stop


def unsubscribe(listener: RunEndedListener) -> None:
    """Stop calling ``listener``; does nothing if it is not subscribed."""
    with _lock:
        _entries[:] = [entry for entry in _entries if entry() not in (None, listener)]


def publish(event: RunEnded) -> None:
    """Announce that a run has ended.

    On the main thread, delivers the event now (after any queued ones) to every listener in
    subscription order.  On any other thread, queues it for :func:`deliver_pending` (or drops
    it when nobody is subscribed).
    """
    if threading.current_thread() is not threading.main_thread():
        with _lock:
            if _live_listeners():
                _pending.append(event)
        return
    with _lock:
        events = [*_pending, event]
        _pending.clear()
    _deliver(events)


def deliver_pending() -> None:
    """Deliver the events queued by other threads, on the calling thread.

    The kernel side calls this after each cell; it does nothing when nothing is queued.
    """
    with _lock:
        if not _pending:
            return
        events = list(_pending)
        _pending.clear()
    _deliver(events)


def _deliver(events: list[RunEnded]) -> None:
    for event in events:
        # A snapshot taken outside the calls, so a listener may (un)subscribe while delivered to.
        with _lock:
            listeners = _live_listeners()
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                _log.exception("run-end listener %r failed for run %s", listener, event.run_id)
