"""Autolog's script front end: scikit-learn's ``fit`` methods patched, as MLflow patches them.

A patched ``fit`` (``fit_transform``, ``fit_predict``) outside an active run starts a run, logs
params and tags, fits, logs what :func:`mlnb.capture.autolog_log.log_posttraining` writes and
ends the run FINISHED (FAILED or KILLED when ``fit`` raised); inside an active run it logs into
that run and leaves it open.  Fits made by a fit (Pipeline steps, search candidates) are not
logged on their own.  Classes defined after :func:`install` (scikit-learn modules imported
later) are patched when they are created.  In IPython the cells are instrumented instead
(:mod:`mlnb.capture.autolog_cell`), so there the patch only serves the cell calling ``autolog()``.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from mlnb.capture.instrument import FIT_METHODS

_patched: list[tuple[type, str, Any]] = []
_lock = threading.RLock()
_depth = 0  # > 0 while an autologged fit runs: fits it makes are not logged separately


def _wrap(original: Any) -> Any:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _depth
        from mlnb.capture import autolog, autolog_cell

        config = autolog.current_config()
        if config is None or _depth > 0 or autolog_cell.recording():
            return original(self, *args, **kwargs)
        _depth += 1
        try:
            return _fit_and_log(original, self, args, kwargs, config)
        finally:
            _depth -= 1

    fit.__mlnb_autolog_original__ = original  # type: ignore[attr-defined]
    return fit


def _fit_and_log(original: Any, estimator: Any, args: tuple, kwargs: dict, config: Any) -> Any:
    from mlnb.capture import autolog
    from mlnb.capture import autolog_log as log
    from mlnb.entities import RunStatus
    from mlnb.tracking import state
    from mlnb.tracking.state import get_store

    active = state.run_stack[-1].info.run_id if state.run_stack else None
    if active is not None and config.exclusive:
        return original(estimator, *args, **kwargs)
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    try:
        if active is None:
            run_id = log.start_run(estimator, config, time.time_ns() // 1_000_000)
        else:
            run_id = active
        fit = log.Fit(estimator, X, y, run_id, active is None, None, kwargs.get("sample_weight"))
        log.log_pretraining(fit, config)
    except Exception as exc:  # tracking must never stop the fit
        autolog.warn(f"not logged: {type(exc).__name__}: {exc}")
        return original(estimator, *args, **kwargs)
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException as exc:
        if fit.created:
            status = RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            get_store().finish_run(run_id, status)
            get_store().flush()
        raise
    problems: list[str] = []
    try:
        log.log_posttraining(fit, config, problems)
    except Exception as exc:
        problems.append(f"logging {type(estimator).__name__} failed ({type(exc).__name__}: {exc})")
    autolog.remember(estimator, run_id)
    if fit.created:
        get_store().finish_run(run_id, RunStatus.FINISHED)
    get_store().flush()
    for message in problems:
        autolog.warn(message)
    return result


def _patch_class(cls: type) -> None:
    if not (cls.__module__ or "").startswith("sklearn."):
        return
    for name in FIT_METHODS:
        method = cls.__dict__.get(name)
        if method is None or not callable(method) or hasattr(method, "__mlnb_autolog_original__"):
            continue
        setattr(cls, name, _wrap(method))
        _patched.append((cls, name, method))


def _subclasses(root: type) -> list[type]:
    seen: set[type] = set()
    stack = [root]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return list(seen)


def _on_subclass(cls: type, **kwargs: Any) -> None:
    from sklearn.base import BaseEstimator

    super(BaseEstimator, cls).__init_subclass__(**kwargs)
    with _lock:
        if _patched:
            _patch_class(cls)


def install() -> None:
    """Patch the ``fit`` methods of scikit-learn's estimators (idempotent)."""
    import sklearn.base
    from sklearn.base import BaseEstimator

    with _lock:
        if _patched:
            return
        for value in vars(sklearn.base).values():  # the mixins' fit_transform / fit_predict
            if isinstance(value, type):
                _patch_class(value)
        for cls in _subclasses(BaseEstimator):
            _patch_class(cls)
        BaseEstimator.__init_subclass__ = classmethod(_on_subclass)  # type: ignore[assignment]


def uninstall() -> None:
    """Restore every patched method."""
    if not _patched:
        return
    with _lock:
        from sklearn.base import BaseEstimator

        for cls, name, original in reversed(_patched):
            setattr(cls, name, original)
        _patched.clear()
        if "__init_subclass__" in BaseEstimator.__dict__:
            del BaseEstimator.__init_subclass__


def installed() -> bool:
    return bool(_patched)
