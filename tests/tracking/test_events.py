"""Run-end events: delivered on the main thread, in order, despite failing listeners."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator

import pytest

from mlnb.tracking import events
from mlnb.tracking.events import RunEnded


@pytest.fixture(autouse=True)
def _clean_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no listener and no queued event (other tests' shells and panels
    subscribe for the whole session; they are back afterwards)."""
    events.deliver_pending()
    monkeypatch.setattr(events, "_entries", [])
    monkeypatch.setattr(events, "_pending", [])
    yield
    events.deliver_pending()


def _publish_from_worker(event: RunEnded) -> None:
    worker = threading.Thread(target=events.publish, args=(event,))
    worker.start()
    worker.join()


def test_main_thread_publish_delivers_at_once() -> None:
    seen: list[RunEnded] = []
    stop = events.subscribe(seen.append)
    try:
        events.publish(RunEnded("r1", "FINISHED"))
        assert seen == [RunEnded("r1", "FINISHED")]
    finally:
        stop()


def test_worker_thread_event_waits_for_deliver_pending() -> None:
    seen: list[tuple[RunEnded, threading.Thread]] = []

    def listener(event: RunEnded) -> None:
        seen.append((event, threading.current_thread()))

    stop = events.subscribe(listener)
    try:
        _publish_from_worker(RunEnded("r1", "FAILED"))
        assert seen == []
        events.deliver_pending()
        assert seen == [(RunEnded("r1", "FAILED"), threading.main_thread())]
        events.deliver_pending()
        assert len(seen) == 1
    finally:
        stop()


def test_worker_event_with_no_subscriber_is_dropped() -> None:
    _publish_from_worker(RunEnded("nobody", "FINISHED"))
    seen: list[RunEnded] = []
    stop = events.subscribe(seen.append)
    try:
        events.deliver_pending()
        assert seen == []
    finally:
        stop()


def test_queued_events_come_before_a_later_main_thread_event() -> None:
    seen: list[str] = []
    stop = events.subscribe(lambda event: seen.append(event.run_id))
    try:
        _publish_from_worker(RunEnded("first", "FINISHED"))
        events.publish(RunEnded("second", "FINISHED"))
        assert seen == ["first", "second"]
    finally:
        stop()


def test_listeners_called_in_subscription_order() -> None:
    seen: list[str] = []
    stops = [events.subscribe(lambda event, name=name: seen.append(name)) for name in ("a", "b", "c")]
    try:
        events.publish(RunEnded("r1", "KILLED"))
        assert seen == ["a", "b", "c"]
    finally:
        for stop in stops:
            stop()


def test_raising_listener_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    def broken(event: RunEnded) -> None:
        raise RuntimeError("panel gone")

    stops = [
        events.subscribe(lambda event: seen.append("before")),
        events.subscribe(broken),
        events.subscribe(lambda event: seen.append("after")),
    ]
    try:
        with caplog.at_level(logging.ERROR, logger="mlnb.tracking.events"):
            events.publish(RunEnded("r1", "FINISHED"))
        assert seen == ["before", "after"]
        assert "panel gone" in caplog.text
        assert "r1" in caplog.text
    finally:
        for stop in stops:
            stop()


def test_unsubscribe_stops_delivery() -> None:
    seen: list[RunEnded] = []

    def listener(event: RunEnded) -> None:
        seen.append(event)

    stop = events.subscribe(listener)
    events.unsubscribe(listener)
    events.publish(RunEnded("r1", "FINISHED"))
    assert seen == []
    stop()  # already gone: harmless
    events.unsubscribe(listener)


def test_returned_callable_unsubscribes() -> None:
    seen: list[RunEnded] = []
    stop = events.subscribe(seen.append)
    stop()
    events.publish(RunEnded("r1", "FINISHED"))
    assert seen == []


def test_subscribing_twice_delivers_once() -> None:
    seen: list[RunEnded] = []
    stop = events.subscribe(seen.append)
    events.subscribe(seen.append)
    try:
        events.publish(RunEnded("r1", "FINISHED"))
        assert len(seen) == 1
    finally:
        stop()


def test_collected_bound_method_listener_drops_out() -> None:
    seen: list[str] = []

    class Panel:
        def on_run_end(self, event: RunEnded) -> None:
            seen.append(event.run_id)

    panel = Panel()
    events.subscribe(panel.on_run_end)
    events.publish(RunEnded("r1", "FINISHED"))
    assert seen == ["r1"]
    del panel
    gc.collect()
    events.publish(RunEnded("r2", "FINISHED"))
    assert seen == ["r1"]


def test_bound_method_unsubscribes_by_equality() -> None:
    seen: list[str] = []

    class Panel:
        def on_run_end(self, event: RunEnded) -> None:
            seen.append(event.run_id)

    panel = Panel()
    events.subscribe(panel.on_run_end)
    events.unsubscribe(panel.on_run_end)
    events.publish(RunEnded("r1", "FINISHED"))
    assert seen == []


def test_listener_may_unsubscribe_itself_during_delivery() -> None:
    seen: list[str] = []

    def once(event: RunEnded) -> None:
        seen.append(event.run_id)
        events.unsubscribe(once)

    events.subscribe(once)
    events.publish(RunEnded("r1", "FINISHED"))
    events.publish(RunEnded("r2", "FINISHED"))
    assert seen == ["r1"]


def test_run_ended_is_frozen() -> None:
    event = RunEnded("r1", "FINISHED")
    with pytest.raises(AttributeError):
        event.status = "FAILED"  # type: ignore[misc]
