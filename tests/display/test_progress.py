"""Progress bars: shown only after the delay, counting right, closed however the step ends,
a text line on a real terminal (a pty), an ipywidgets bar in a notebook, nothing elsewhere."""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from mlnb.display.progress import Progress, display_mode, track
from tests.capture.shell import make_shell
from tests.display.terminal import Terminal, terminal

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def term() -> Iterator[Terminal]:
    yield from terminal()


@pytest.fixture
def shell(store_dir: Path) -> Iterator[Any]:
    yield from make_shell(store_dir)


@pytest.fixture(autouse=True)
def _auto_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLNB_PROGRESS", raising=False)
    monkeypatch.delenv("MLNB_PROGRESS_DELAY", raising=False)


def _drawn(text: str) -> list[str]:
    """The successive states of a ``\\r``-redrawn line."""
    return [part.strip() for part in text.split("\r") if part.strip()]


def test_a_step_that_ends_within_the_delay_shows_nothing(term):
    with Progress(3, "steps", delay=5, mode="text", stream=term.stream) as bar:
        for _ in range(3):
            bar.update()
    assert bar.done == 3
    assert term.read() == ""


def test_the_bar_appears_only_after_the_delay(term):
    bar = Progress(4, "steps", delay=0.3, mode="text", stream=term.stream)
    bar.update()
    assert not bar.shown and term.read() == ""
    time.sleep(0.35)
    bar.update()
    assert bar.shown
    assert _drawn(term.read())[-1].startswith("steps [##########----------] 2 of 4 steps")
    bar.close()


def test_text_line_counts_rate_and_time_left_then_is_erased(term):
    with Progress(3, "writing models", unit="model", delay=0, mode="text", stream=term.stream) as bar:
        for detail in ("1.5 MB", "3.0 MB", "8.8 MB"):
            time.sleep(0.12)  # redraws are at most ten a second
            bar.update(detail=detail)
        states = _drawn(term.read())
    assert [s.split(" · ")[0] for s in states] == [
        "writing models [######--------------] 1 of 3 models, 1.5 MB",
        "writing models [#############-------] 2 of 3 models, 3.0 MB",
        "writing models [####################] 3 of 3 models, 8.8 MB",
    ]
    assert " models/s · " in states[0] and states[0].endswith(" left")
    assert "left" not in states[-1]  # nothing is left at the end
    assert re.search(r"\r {40,}\r$", term.read())  # the last line is overwritten with blanks
    assert not bar.shown


def test_counts_read_as_a_user_would_write_them():
    bar = Progress(1, "search runs", unit="run", delay=0, mode="off")
    assert bar.status().startswith("0 of 1 run")
    bar.update()
    assert bar.status().startswith("1 of 1 run ·")
    big = Progress(12000, "SHAP values", unit="row", mode="off")
    big.set(2500)
    assert big.status().startswith("2,500 of 12,000 rows · ")
    unknown = Progress(None, "writing models", unit="model", mode="off")
    assert unknown.status() == ""
    unknown.set(0, detail="8.8 MB")
    assert unknown.status() == "8.8 MB"
    unknown.set(2)
    assert unknown.status().startswith("2 models, 8.8 MB · ")


def test_closed_when_the_step_raises_or_is_interrupted(term):
    for error in (ValueError("bad input"), KeyboardInterrupt()):
        bar = Progress(10, "steps", delay=0, mode="text", stream=term.stream)
        with pytest.raises(type(error)), bar:
            bar.update()
            assert bar.shown
            raise error
        assert not bar.shown
        assert re.search(r"\r {20,}\r$", term.read())  # the half-full line was erased
        bar.update()  # a late report after the end draws nothing
        assert not bar.shown


def test_updates_from_many_threads_all_count(term):
    bar = Progress(4000, "fits", unit="fit", delay=0, mode="text", stream=term.stream)

    def work() -> None:
        for _ in range(1000):
            bar.update()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()
    assert bar.done == 4000
    assert all("of 4,000 fits" in state for state in _drawn(term.read()))


def test_track_advances_after_each_item(term, monkeypatch):
    monkeypatch.setenv("MLNB_PROGRESS", "text")
    monkeypatch.setenv("MLNB_PROGRESS_DELAY", "0")
    monkeypatch.setattr(sys, "stderr", term.stream)
    seen = []
    for item in track(["a", "b", "c"], "items", unit="item"):
        seen.append(item)
        time.sleep(0.12)
    assert seen == ["a", "b", "c"]
    assert [s.split(" · ")[0] for s in _drawn(term.read())] == [
        "items [######--------------] 1 of 3 items",
        "items [#############-------] 2 of 3 items",
        "items [####################] 3 of 3 items",
    ]


def test_a_terminal_gets_text_and_a_redirected_stream_nothing(term, monkeypatch):
    monkeypatch.setattr(sys, "stderr", term.stream)
    assert display_mode() == "text"
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert display_mode() == "off"
    monkeypatch.setenv("MLNB_PROGRESS", "text")
    assert display_mode() == "text"


def test_silent_in_a_shell_that_is_not_interactive(shell, capfd):
    """Under pytest (as in CI) stderr is no terminal and no notebook front end is attached."""
    assert display_mode() == "off"
    with capture_output() as out:
        result = shell.run_cell(
            "from mlnb.display.progress import progress\n"
            "with progress(3, 'steps', delay=0) as bar:\n"
            "    for _ in range(3):\n"
            "        bar.update()\n"
        )
    assert result.success
    assert out.outputs == [] and out.stdout == "" and out.stderr == ""
    assert capfd.readouterr().err == ""


def test_widget_bar_in_an_ipython_shell_is_removed_at_the_end(shell, monkeypatch):
    monkeypatch.setenv("MLNB_PROGRESS", "widget")
    with capture_output() as out:
        result = shell.run_cell(
            "import time\n"
            "from mlnb.display.progress import progress\n"
            "labels = []\n"
            "with progress(3, 'SHAP values', unit='row', delay=0) as bar:\n"
            "    for _ in range(3):\n"
            "        time.sleep(0.12)\n"
            "        bar.update()\n"
            "        labels.append((bar._view.bar.value, bar._view.bar.max, bar._view.label.value))\n"
            "box = bar\n"
        )
    assert result.success
    labels = shell.user_ns["labels"]
    assert [(v, m) for v, m, _ in labels] == [(1, 3), (2, 3), (3, 3)]
    assert [text.split(" · ")[0] for _, _, text in labels] == [
        "SHAP values: 1 of 3 rows",
        "SHAP values: 2 of 3 rows",
        "SHAP values: 3 of 3 rows",
    ]
    assert WIDGET in out.outputs[0].data
    last = out.outputs[-1]
    assert last.update and last.data == {"text/plain": ""}  # the bar's output now shows nothing
    assert not shell.user_ns["box"].shown


def test_widget_bar_is_removed_when_the_cell_fails(shell, monkeypatch):
    monkeypatch.setenv("MLNB_PROGRESS", "widget")
    with capture_output() as out:
        result = shell.run_cell(
            "from mlnb.display.progress import progress\n"
            "bar = progress(5, 'steps', delay=0)\n"
            "with bar:\n"
            "    bar.update()\n"
            "    view = bar._view\n"
            "    raise KeyboardInterrupt\n"
        )
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    view = shell.user_ns["view"]
    assert view.box.comm is None and view.bar.comm is None  # the widgets are closed
    assert out.outputs[-1].update and out.outputs[-1].data == {"text/plain": ""}
