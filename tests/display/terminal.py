"""A real terminal for progress-bar tests: the slave side of a pty, drained from the master side."""

from __future__ import annotations

import os
import pty
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any


class Terminal:
    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        self.stream: Any = os.fdopen(slave, "w", buffering=1, encoding="utf-8")
        self._chunks: list[bytes] = []
        # drained all the time, so a writer never blocks on a full pty buffer
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the slave side was closed
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def read(self) -> str:
        """Everything written to the terminal so far."""
        self.stream.flush()
        time.sleep(0.1)  # let the reader catch up
        return b"".join(self._chunks).decode("utf-8", "replace")

    def close(self) -> None:
        self.stream.close()
        self._reader.join(timeout=2)
        os.close(self.master)


def terminal() -> Iterator[Terminal]:
    term = Terminal()
    try:
        yield term
    finally:
        term.close()


def text_mode(monkeypatch: Any) -> Iterator[Terminal]:
    """A terminal with mlnb's progress forced to text mode and shown at once (a fixture's body)."""
    monkeypatch.setenv("MLNB_PROGRESS", "text")
    monkeypatch.setenv("MLNB_PROGRESS_DELAY", "0")
    yield from terminal()


def use_as_stderr(term: Terminal, monkeypatch: Any) -> None:
    """stderr is the pty for the rest of the test (pytest restores its own between phases)."""
    monkeypatch.setattr(sys, "stderr", term.stream)
