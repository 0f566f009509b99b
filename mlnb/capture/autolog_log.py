"""What autolog writes for one fitted estimator, in MLflow autolog's vocabulary.

Shared by both of autolog's front ends (the per-cell instrumentation in a notebook and the
patched ``fit`` in a script): params as MLflow logs them (every ``get_params`` value as text,
shallow for search estimators), the ``estimator_name``/``estimator_class`` tags, ``training_*``
metrics, search-CV results (``best_*`` params, ``best_cv_score``, ``cv_results.csv`` and child
runs), the train dataset and the model.
"""

from __future__ import annotations

import numbers
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from mlnb.capture import metrics as metric_rules
from mlnb.capture import searchcv
from mlnb.capture.runlog import head_rows
from mlnb.display.progress import track

AUTOLOGGING_TAG = "mlflow.autologging"
FLAVOR = "sklearn"
MAX_PARAM_TEXT = 6000  # MLflow autolog truncates longer param values to this length
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")


@dataclass(frozen=True)
class AutologConfig:
    """The arguments of the last ``autolog()`` call (see :func:`mlnb.capture.autolog.autolog`)."""

    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_models: bool = True
    log_datasets: bool = True
    exclusive: bool = False
    silent: bool = False
    max_tuning_runs: int | None = 5
    log_post_training_metrics: bool = True
    serialization_format: str = "skops"
    registered_model_name: str | None = None
    pos_label: Any = None
    extra_tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Fit:
    """One completed top-level ``fit`` and the run it logs into."""

    estimator: Any
    X: Any
    y: Any
    run_id: str
    created: bool  # autolog started the run (and ends it)
    x_name: str | None = None
    sample_weight: Any = None


def _store() -> Any:
    from mlnb.tracking.state import get_store

    return get_store()


def param_text(value: Any) -> str:
    """A param value as MLflow autolog logs it: ``str(value)``, cut at 6000 characters."""
    text = str(value)
    return text if len(text) <= MAX_PARAM_TEXT else text[:MAX_PARAM_TEXT]


def is_parameter_search(estimator: Any) -> bool:
    """A GridSearchCV-like estimator, fitted or not."""
    module = sys.modules.get("sklearn.model_selection._search")
    return module is not None and isinstance(estimator, module.BaseSearchCV)


def estimator_params(estimator: Any) -> dict[str, str]:
    """``get_params`` as MLflow autolog logs it: deep, except for search estimators."""
    try:
        raw = estimator.get_params(deep=not is_parameter_search(estimator))
    except Exception:
        return {}
    return {str(k): param_text(v) for k, v in raw.items()}


def estimator_tags(estimator: Any) -> dict[str, str]:
    kind = type(estimator)
    return {"estimator_name": kind.__name__, "estimator_class": f"{kind.__module__}.{kind.__name__}"}


def run_tags(estimator: Any, config: AutologConfig) -> dict[str, str]:
    """Tags of a run autolog starts itself."""
    return {AUTOLOGGING_TAG: FLAVOR, **estimator_tags(estimator), **config.extra_tags}


def start_run(estimator: Any, config: AutologConfig, start_time: int | None = None) -> str:
    """Create (not activate) the run of an estimator fitted outside any active run."""
    from mlnb.capture import context
    from mlnb.tracking import fluent, state

    tags = {**context.source_tags(None), **run_tags(estimator, config)}
    info = _store().create_run(fluent.current_experiment_id(), tags=tags, start_time=start_time)
    state.last_run_id = info.run_id
    return info.run_id


def log_pretraining(fit: Fit, config: AutologConfig) -> None:
    """Params and the estimator tags (before ``fit`` when ``fit`` is patched)."""
    params = estimator_params(fit.estimator)
    tags = estimator_tags(fit.estimator)
    existing = _store().get_run(fit.run_id).data.params if not fit.created else {}
    params = {k: v for k, v in params.items() if k not in existing}
    _store().log_batch(fit.run_id, params=params, tags=tags)


def log_posttraining(fit: Fit, config: AutologConfig, warnings: list[str]) -> None:
    """Training metrics, search results, dataset, model: everything after ``fit`` returned."""
    from mlnb.entities import Metric

    est = fit.estimator
    values = metric_rules.training_metrics(
        est, fit.X, fit.y, pos_label=config.pos_label, sample_weight=fit.sample_weight
    )
    search = searchcv.is_search(est)
    if search:
        best_params, best_metrics = searchcv.parent_data(est)
        values.update(best_metrics)
        _store().log_batch(fit.run_id, params=best_params)
    now = time.time_ns() // 1_000_000
    if values:
        _store().log_batch(fit.run_id, metrics=[Metric(k, v, now, 0) for k, v in values.items()])
    train = None
    if config.log_datasets and fit.X is not None:
        try:
            from mlnb.tracking.datasets import fingerprint

            train = fingerprint(fit.X, fit.x_name, "train")
            _store().log_inputs(fit.run_id, [train])
        except Exception as exc:
            warnings.append(f"dataset of {type(est).__name__} not logged ({exc})")
    if search:
        log_children(est, fit.run_id, config, train)
        _store().artifacts.write_files(fit.run_id, [("cv_results.csv", searchcv.cv_results_csv(est))])
    if config.log_models:
        log_estimator_model(fit, config, warnings)


def _child_rows(search: Any, max_tuning_runs: int | None) -> list[int]:
    """Indices of the candidates that get a child run: the best ``max_tuning_runs`` by rank."""
    results = search.cv_results_
    n = len(results["params"])
    if max_tuning_runs is None:
        return list(range(n))
    rank_key = "rank_test_score"
    if rank_key not in results:
        rank_key = next((k for k in results if "rank_test_" in k), "")
    if not rank_key:
        return list(range(min(n, max_tuning_runs)))
    ranks = results[rank_key]
    return sorted(range(n), key=lambda i: ranks[i])[:max_tuning_runs]


def log_children(search: Any, parent_run_id: str, config: AutologConfig, train: Any = None) -> list[str]:
    """One FINISHED child run per kept candidate: seed params overlaid with the candidate's."""
    from mlnb.entities import Metric, RunStatus

    store = _store()
    parent = store.get_run_info(parent_run_id)
    seed = search.estimator
    base = estimator_params(seed)
    results = search.cv_results_
    columns = [k for k in results if k != "params" and not k.startswith(("param", "split"))]
    tags = {AUTOLOGGING_TAG: FLAVOR, **estimator_tags(seed)}
    ids = []
    for i in track(_child_rows(search, config.max_tuning_runs), "search runs", unit="run"):
        info = store.create_run(
            parent.experiment_id, tags=tags, parent_run_id=parent_run_id, start_time=parent.start_time
        )
        params = dict(base)
        params.update({str(k): param_text(v) for k, v in results["params"][i].items()})
        metrics = []
        for col in columns:
            value = results[col][i]
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                metrics.append(Metric(col, float(value), info.start_time, 0))
        store.log_batch(info.run_id, params=params, metrics=metrics)
        if train is not None:
            store.log_inputs(info.run_id, [train])
        store.finish_run(info.run_id, RunStatus.FINISHED)
        ids.append(info.run_id)
    return ids


def log_estimator_model(fit: Fit, config: AutologConfig, warnings: list[str]) -> None:
    """The fitted estimator as the run's ``model`` (skops unless the user chose pickle); a search
    CV's refitted best estimator also as ``best_estimator``, as MLflow's autolog logs it (sharing
    the search's files: its bytes are stored once, inside the search)."""
    from mlnb.errors import MlnbError
    from mlnb.tracking.model_logging import log_model, share_model

    head = head_rows(fit.X)
    example = head if config.log_input_examples else None
    models = [("model", fit.estimator)]
    best = getattr(fit.estimator, "best_estimator_", None)
    if best is not None and searchcv.is_search(fit.estimator):
        models.append(("best_estimator", best))
    info = None
    for path, estimator in models:
        if path == "best_estimator" and info is not None:
            try:
                share_model(fit.run_id, "model", path, attribute="best_estimator_")
            except MlnbError as exc:
                warnings.append(f"{path} of {type(estimator).__name__} not logged: {exc}")
            continue
        signature = None
        if (
            config.log_model_signatures
            and example is None
            and head is not None
            and hasattr(estimator, "predict")
        ):
            try:
                from mlnb.flavors.signature import infer_signature

                signature = infer_signature(head, estimator.predict(head))
            except Exception:
                signature = None
        try:
            logged = log_model(
                estimator,
                path,
                input_example=example,
                signature=signature,
                run_id=fit.run_id,
                allow_pickle=config.serialization_format != "skops",
            )
        except MlnbError as exc:
            warnings.append(f"{path} of {type(estimator).__name__} not logged: {exc}")
            continue
        info = info or (logged if path == "model" else None)
    if config.registered_model_name and info is not None:
        from mlnb.registry.versions import register_model

        try:
            register_model(info.model_uri, config.registered_model_name)
        except MlnbError as exc:
            warnings.append(f"model not registered as {config.registered_model_name!r}: {exc}")
