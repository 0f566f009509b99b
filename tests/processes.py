"""Stopping a process a test started: politely first, then for sure (stdlib only)."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def stop_process(proc: subprocess.Popen[Any], *, grace: float = 15.0, group: bool = False) -> None:
    """SIGTERM, wait up to ``grace`` seconds for the process to exit, then SIGKILL and reap it.

    ``group=True`` signals the whole process group (for a child started with
    ``start_new_session=True``, so its own workers go too). A process already gone is fine.
    """

    def send(sig: signal.Signals) -> None:
        try:
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait()
