"""Settings read from ``MLNB_*`` environment variables (stdlib only)."""

from __future__ import annotations

import os

STORE_ENV = "MLNB_STORE"
TRACKING_URI_ENV = "MLNB_TRACKING_URI"  # an alias of MLNB_STORE, named like MLflow's variable
MLFLOW_TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"  # read only when no MLNB_* variable is set
STORE_DIRNAME = ".mlnb"
DB_FILENAME = "mlnb.db"
ARTIFACTS_DIRNAME = "artifacts"


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"{name}={raw!r} is not a number; unset it or give seconds") from None


def busy_timeout_s() -> float:
    """How long a writer waits for another writer's lock before giving up."""
    return _float_env("MLNB_BUSY_TIMEOUT", 60.0)


def flush_interval_s() -> float:
    """Longest time a logged metric waits in memory before it is written."""
    return _float_env("MLNB_FLUSH_INTERVAL", 0.2)


def buffer_hold_rows() -> int:
    """Most buffered rows held in memory when neither the database nor the spill journal accepts
    them (``MLNB_BUFFER_HOLD_ROWS``); past it they are dropped and their runs marked FAILED."""
    return max(0, int(_float_env("MLNB_BUFFER_HOLD_ROWS", 100_000)))


def stale_heartbeat_s() -> float:
    """A RUNNING run owned by another host is presumed dead after this long without heartbeat."""
    return _float_env("MLNB_STALE_HEARTBEAT", 24 * 3600.0)


def gc_grace_s() -> float:
    """``mlnb gc`` leaves unrecorded files younger than this alone (``MLNB_GC_GRACE``, seconds)."""
    value = _float_env("MLNB_GC_GRACE", 600.0)
    if not value >= 0:
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"MLNB_GC_GRACE={value!r} must be a number of seconds >= 0")
    return value


PROGRESS_MODES = ("auto", "widget", "text", "off")


def progress_mode() -> str:
    """How progress bars show: ``auto`` (a widget in a notebook front end, a text line on a
    terminal, nothing otherwise), ``widget``, ``text`` or ``off`` (``MLNB_PROGRESS``)."""
    raw = (os.environ.get("MLNB_PROGRESS") or "auto").strip().lower()
    if raw not in PROGRESS_MODES:
        from mlnb.errors import InvalidParameter

        raise InvalidParameter(f"MLNB_PROGRESS={raw!r} is not one of {', '.join(PROGRESS_MODES)}")
    return raw


def progress_delay_s() -> float:
    """How long a step runs before its progress bar appears (``MLNB_PROGRESS_DELAY``)."""
    return _float_env("MLNB_PROGRESS_DELAY", 1.0)
