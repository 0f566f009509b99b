"""What autolog remembers between calls: its settings and which run each fitted model went to.

Both of autolog's front ends (the cell hooks of :mod:`mlnb.capture.autolog_cell` and the patched
``fit`` of :mod:`mlnb.capture.autolog_patch`) read it, and :func:`mlnb.capture.autolog.autolog`
sets it; it imports neither, so the three stay acyclic.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any

from mlnb.capture.autolog_log import AutologConfig

_config: AutologConfig | None = None
# fitted estimator -> the run it was autologged to (post-training metrics find their run here)
model_runs: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# run id -> metric name -> calls so far (``accuracy_score``, ``accuracy_score-2``, ...)
metric_calls: dict[str, dict[str, int]] = {}
_lock = threading.Lock()


def current_config() -> AutologConfig | None:
    """The active autolog settings, or None when autolog is off."""
    return _config


def configure(config: AutologConfig | None) -> None:
    """Make ``config`` the active settings (None turns autolog off)."""
    global _config
    _config = config


def warn(message: str) -> None:
    """Print an autolog warning unless ``silent=True``."""
    config = _config
    if config is not None and config.silent:
        return
    print(f"mlnb autolog: {message}", file=sys.stderr)


def metric_key(run_id: str, name: str, dataset: str) -> str:
    """MLflow's post-training key ``{name}[-{n}]_{dataset}``; ``n`` counts calls per run."""
    with _lock:
        counts = metric_calls.setdefault(run_id, {})
        index = counts.get(name, 0)
        counts[name] = index + 1
    return f"{name if index == 0 else f'{name}-{index + 1}'}_{dataset}"


def run_of(estimator: Any) -> str | None:
    """The run ``estimator`` was autologged to, if it was."""
    try:
        return model_runs.get(estimator)
    except TypeError:  # not weak-referenceable
        return None


def remember(estimator: Any, run_id: str) -> None:
    """Note that ``estimator`` was autologged to ``run_id`` (kept while the estimator lives)."""
    try:
        model_runs[estimator] = run_id
    except TypeError:
        pass
