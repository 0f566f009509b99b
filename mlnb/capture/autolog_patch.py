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

from mlnb.capture import autolog_state, probe
from mlnb.capture.instrument import FIT_METHODS, METRIC_NAME

_patched: list[tuple[Any, str, Any]] = []  # (class or module, attribute, original)
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")
# id(prediction) -> (weak reference to it, run id, dataset name): metrics on it go to that run
_predictions: dict[int, tuple[Any, str, str]] = {}
MAX_PREDICTIONS = 1000
_lock = threading.RLock()
_depth = 0  # > 0 while an autologged fit runs: fits it makes are not logged separately
_scoring = 0  # > 0 inside a patched score()


def _wrap(original: Any) -> Any:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _depth
        config = autolog_state.current_config()
        # a cell being recorded (by autolog's cell hooks or %%track) is logged after it ends
        if config is None or _depth > 0 or _scoring > 0 or probe.active() is not None:
            return original(self, *args, **kwargs)
        _depth += 1
        try:
            return _fit_and_log(original, self, args, kwargs, config)
        finally:
            _depth -= 1

    fit.__mlnb_autolog_original__ = original  # type: ignore[attr-defined]
    return fit


def _fit_and_log(original: Any, estimator: Any, args: tuple, kwargs: dict, config: Any) -> Any:
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
        autolog_state.warn(f"not logged: {type(exc).__name__}: {exc}")
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
    autolog_state.remember(estimator, run_id)
    if fit.created:
        get_store().finish_run(run_id, RunStatus.FINISHED)
    get_store().flush()
    for message in problems:
        autolog_state.warn(message)
    return result


def _wrap_predict(original: Any) -> Any:
    @functools.wraps(original)
    def predict(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _scoring
        _scoring += 1  # fits made while predicting (rare) are not the user's
        try:
            result = original(self, *args, **kwargs)
        finally:
            _scoring -= 1
        if _depth == 0 and _scoring == 0:
            try:
                _note_prediction(self, result, args[0] if args else kwargs.get("X"))
            except Exception:
                pass
        return result

    predict.__mlnb_autolog_original__ = original  # type: ignore[attr-defined]
    return predict


def _wrap_score(original: Any) -> Any:
    @functools.wraps(original)
    def score(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _scoring
        _scoring += 1  # the metric functions score() calls are not post-training metrics
        try:
            value = original(self, *args, **kwargs)
        finally:
            _scoring -= 1
        if _depth == 0 and _scoring == 0:
            try:
                _log_metric(self, f"{type(self).__name__}_score", args[0] if args else kwargs.get("X"), value)
            except Exception:
                pass
        return value

    score.__mlnb_autolog_original__ = original  # type: ignore[attr-defined]
    return score


def _wrap_metric(original: Any) -> Any:
    @functools.wraps(original)
    def metric(*args: Any, **kwargs: Any) -> Any:
        global _scoring
        _scoring += 1  # metrics fit encoders internally: not the user's fits
        try:
            value = original(*args, **kwargs)
        finally:
            _scoring -= 1
        if _depth == 0 and _scoring == 0 and _predictions:
            try:
                _metric_on_prediction(original.__name__, [*args, *kwargs.values()], value)
            except Exception:
                pass
        return value

    metric.__mlnb_autolog_original__ = original  # type: ignore[attr-defined]
    return metric


def dataset_name(data: Any, frame: Any) -> str:
    """The variable the caller's code holds ``data`` in (outermost frame passing it down)."""
    name = "unknown_dataset"
    while frame is not None:
        code = frame.f_code
        n_args = code.co_argcount + code.co_kwonlyargcount
        n_args += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        local = frame.f_locals
        passed = [local.get(v) for v in code.co_varnames[:n_args]]
        if any(
            data is a
            or (
                isinstance(a, tuple | dict)
                and any(data is x for x in (a.values() if isinstance(a, dict) else a))
            )
            for a in passed
        ):
            frame = frame.f_back
            continue
        for key, value in local.items():
            if value is data and not key.startswith("_"):
                return key
        return name
    return name


def _note_prediction(estimator: Any, result: Any, X: Any) -> None:
    import sys
    import weakref

    run_id = autolog_state.run_of(estimator)
    if run_id is None:
        return
    try:
        ref = weakref.ref(result)
    except TypeError:
        return
    if len(_predictions) >= MAX_PREDICTIONS:
        _predictions.clear()
    _predictions[id(result)] = (ref, run_id, dataset_name(X, sys._getframe(2)))


def _metric_on_prediction(name: str, args: list[Any], value: Any) -> None:
    for arg in args:
        entry = _predictions.get(id(arg))
        if entry is not None and entry[0]() is arg:
            _log_value(entry[1], name, entry[2], value)
            return


def _log_metric(estimator: Any, name: str, X: Any, value: Any) -> None:
    import sys

    run_id = autolog_state.run_of(estimator)
    if run_id is not None:
        _log_value(run_id, name, dataset_name(X, sys._getframe(2)), value)


def _log_value(run_id: str, name: str, dataset: str, value: Any) -> None:
    from mlnb.capture.metrics import as_number
    from mlnb.entities import Metric
    from mlnb.tracking.state import get_store

    config = autolog_state.current_config()
    number = as_number(value)
    if config is None or not config.log_post_training_metrics or number is None:
        return
    key = autolog_state.metric_key(run_id, name, dataset)
    get_store().log_batch(run_id, metrics=[Metric(key, number, time.time_ns() // 1_000_000, 0)])


def _patch_class(cls: type) -> None:
    if not (cls.__module__ or "").startswith("sklearn."):
        return
    for names, wrap in ((FIT_METHODS, _wrap), (PREDICT_METHODS, _wrap_predict), (("score",), _wrap_score)):
        for name in names:
            method = cls.__dict__.get(name)
            if method is None or not callable(method) or hasattr(method, "__mlnb_autolog_original__"):
                continue
            setattr(cls, name, wrap(method))
            _patched.append((cls, name, method))


def _patch_metrics() -> None:
    import sklearn.metrics

    for name in dir(sklearn.metrics):
        func = getattr(sklearn.metrics, name)
        metric = METRIC_NAME.match(name) and callable(func) and not isinstance(func, type)
        if metric and not hasattr(func, "__mlnb_autolog_original__"):
            setattr(sklearn.metrics, name, _wrap_metric(func))
            _patched.append((sklearn.metrics, name, func))


def _subclasses(root: type) -> list[type]:
    seen: set[type] = set()
    stack = [root]
    while stack:
        subclasses: list[type] = stack.pop().__subclasses__()
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return list(seen)


def _on_subclass(cls: type, **kwargs: Any) -> None:
    from sklearn.base import BaseEstimator

    super(BaseEstimator, cls).__init_subclass__(**kwargs)
    with _lock:
        if _patched:
            for base in cls.__mro__:
                _patch_class(base)


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
            for base in cls.__mro__:  # mixins (LinearClassifierMixin.predict, ...) included
                _patch_class(base)
        _patch_metrics()
        BaseEstimator.__init_subclass__ = classmethod(_on_subclass)


def uninstall() -> None:
    """Restore every patched method."""
    if not _patched:
        return
    with _lock:
        from sklearn.base import BaseEstimator

        for owner, name, original in reversed(_patched):
            setattr(owner, name, original)
        _patched.clear()
        _predictions.clear()
        if "__init_subclass__" in BaseEstimator.__dict__:
            del BaseEstimator.__init_subclass__


def installed() -> bool:
    return bool(_patched)
