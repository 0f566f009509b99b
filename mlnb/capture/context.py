"""Where a cell ran: notebook path, Python/platform/package versions, git commit.

Everything here is cached per process or read from files: a tracked cell never waits for a
subprocess.  The git dirty flag needs ``git status``; it runs in a background thread, and a cell
reports the latest answer (refreshed at most every :data:`DIRTY_TTL_S` seconds).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from mlnb.tracking.run_context import git_commit

PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "matplotlib", "ipython", "mlnb")
DIRTY_TTL_S = 30.0


def notebook_path(user_ns: Mapping[str, Any]) -> str | None:
    """The notebook file, from what the front end told the kernel (None when unknown).

    JupyterLab/Notebook set ``JPY_SESSION_NAME`` (ipykernel copies it into ``__session__``);
    VS Code sets ``__vsc_ipynb_file__``.
    """
    for value in (
        user_ns.get("__vsc_ipynb_file__"),
        user_ns.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    return None


@lru_cache(maxsize=1)
def environment_tags() -> dict[str, str]:
    """Python, platform and package versions (cached: they do not change in a process)."""
    from importlib import metadata

    tags = {
        "mlnb.python": platform.python_version(),
        "mlnb.platform": platform.platform(terse=True),
    }
    for name in PACKAGES:
        try:
            tags[f"mlnb.version.{name}"] = metadata.version(name)
        except Exception:
            continue
    return tags


class _DirtyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, bool | None]] = {}
        self._running: set[str] = set()

    def get(self, work_tree: Path) -> bool | None:
        key = str(work_tree)
        with self._lock:
            checked, value = self._values.get(key, (0.0, None))
            stale = time.monotonic() - checked > DIRTY_TTL_S
            if stale and key not in self._running:
                self._running.add(key)
                threading.Thread(target=self._refresh, args=(key,), daemon=True).start()
        return value

    def _refresh(self, key: str) -> None:
        value: bool | None
        try:
            done = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=key,
                capture_output=True,
                timeout=20,
                check=False,
            )
            value = bool(done.stdout.strip()) if done.returncode == 0 else None
        except Exception:
            value = None
        with self._lock:
            self._values[key] = (time.monotonic(), value)
            self._running.discard(key)


_dirty = _DirtyCache()


def git_tags(start: Path | None = None) -> dict[str, str]:
    """MLflow's git tags for the repository holding ``start`` (the working directory)."""
    commit, work_tree = git_commit(start or Path.cwd())
    if commit is None or work_tree is None:
        return {}
    tags = {"mlflow.source.git.commit": commit}
    dirty = _dirty.get(work_tree)
    if dirty is not None:
        tags["mlnb.git.dirty"] = str(dirty).lower()
    return tags


def source_tags(notebook: str | None) -> dict[str, str]:
    tags = {"mlflow.source.type": "NOTEBOOK" if notebook else "LOCAL"}
    tags["mlflow.source.name"] = notebook or (sys.argv[0] if sys.argv and sys.argv[0] else "ipython")
    return tags


def prefetch() -> None:
    """Warm the per-process caches (versions, git) in a thread, so the first cell does not wait."""

    def work() -> None:
        try:
            environment_tags()
            git_tags()
        except Exception:
            pass

    threading.Thread(target=work, name="mlnb-context", daemon=True).start()
