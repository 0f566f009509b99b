"""Turn what a tracked cell did into calls on the tracking API (one function per kind of data).

The session (:mod:`mlnb.capture.session`) owns the run's lifecycle: after the cell it builds a
:class:`CellRecord` of what the cell did and calls these functions one step at a time.  They
read the record and return what the run card needs (warnings, figures); they never reach back
into the session.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mlnb.capture import metrics as metric_rules
from mlnb.capture import outputs, searchcv
from mlnb.capture.instrument import CellPlan
from mlnb.capture.options import TrackOptions
from mlnb.capture.params import default_keys, estimator_params, is_estimator, literal_params
from mlnb.capture.probe import Event


@dataclass
class Fitted:
    """An estimator whose top-level ``fit`` completed in the cell, and the name it is logged under."""

    estimator: Any
    name: str
    bound: bool  # ``name`` is a variable holding it after the cell (else a fallback name)
    X: Any = None
    y: Any = None
    x_name: str | None = None  # the variable ``X`` was passed as


@dataclass
class CellRecord:
    """What one tracked cell did, as the run log reads it (built by the session after the cell)."""

    run_id: str
    source: str
    options: TrackOptions
    plan: CellPlan
    events: list[Event]
    user_ns: Mapping[str, Any]
    streams: outputs.StreamCapture
    figures: outputs.FigureCollector
    # files written with the cell's artifacts (search results), added by the steps before
    files: list[tuple[str, bytes]] = field(default_factory=list)


MAX_INPUTS = 20
DEFAULTS_TAG = "mlnb.params.defaults"
MAX_DEFAULTS_TAG = 8000  # MLflow's tag value limit


def _store() -> Any:
    from mlnb.tracking.state import get_store

    return get_store()


def head_rows(X: Any, n: int = 5) -> Any:
    """The first ``n`` rows of a frame or array (a model's input example), None if it has none."""
    if X is None:
        return None
    if hasattr(X, "iloc"):
        return X.iloc[:n]
    try:
        return X[:n]
    except Exception:
        return None


def fitted_estimators(record: CellRecord) -> list[Fitted]:
    """Distinct estimators whose top-level fit completed, with the names they are bound to."""
    found: dict[int, tuple[Any, Any, Any, Any]] = {}
    for event in record.events:
        site = record.plan.sites.get(event.site)
        if site is None or site.kind != "fit" or not event.done or not is_estimator(event.receiver):
            continue
        X = event.args.get(0, event.args.get("X"))
        y = event.args.get(1, event.args.get("y"))
        found.pop(id(event.receiver), None)  # a refit counts once, with its latest data
        found[id(event.receiver)] = (event.receiver, site, X, y)
    if not found:
        return []
    names: dict[int, list[str]] = {}
    for key, value in list(record.user_ns.items()):
        if id(value) in found and not key.startswith("_") and found[id(value)][0] is value:
            names.setdefault(id(value), []).append(key)
    out: list[Fitted] = []
    used: set[str] = set()
    for oid, (est, site, X, y) in found.items():
        bound = names.get(oid, [])
        preferred = [n for n in (site.target, site.receiver) if n in bound]
        if preferred:
            name, is_bound = preferred[0], True
        elif bound:
            name, is_bound = sorted(bound)[0], True
        else:  # only ``fit`` returns the estimator, so only its target names it
            fallback = site.target if site.name == "fit" else None
            name, is_bound = fallback or type(est).__name__.lower(), False
        base, i = name, 2
        while name in used:
            name, i = f"{base}_{i}", i + 1
        used.add(name)
        x_name = site.args[0] if site.args else None
        out.append(Fitted(est, name, is_bound, X, y, x_name))
    return out


def _existing_params(run_id: str) -> dict[str, str]:
    from mlnb.errors import FlushFailed

    try:
        params: dict[str, str] = _store().get_run(run_id).data.params
        return params
    except FlushFailed:  # earlier rows are held back; the run's own params are checked in memory
        return {}


def log_params(record: CellRecord, fitted: list[Fitted]) -> list[str]:
    """Log the cell's params (estimators', literal assignments', ``-p``); returns warnings."""
    params: dict[str, str] = literal_params(record.plan.literals)
    several = len(fitted) > 1
    defaults: set[str] = set()
    for item in fitted:
        prefix = f"{item.name}." if several else ""
        own = estimator_params(item.estimator, prefix)
        defaults.update(default_keys(item.estimator, own, prefix, record.source))
        params.update(own)
        if searchcv.is_search(item.estimator):
            params.update(searchcv.parent_data(item.estimator, prefix)[0])
    params.update(record.options.params)
    existing = _existing_params(record.run_id)
    params = {k: v for k, v in params.items() if k not in existing}
    if not params:
        return []
    from mlnb.errors import InvalidParameter

    defaults -= set(literal_params(record.plan.literals)) | set(record.options.params)
    if defaults & set(params):  # which params the run card folds away (see default_keys)
        import json

        keys = sorted(defaults & set(params))
        while len(text := json.dumps(keys, separators=(",", ":"))) > MAX_DEFAULTS_TAG:
            keys.pop()  # a default left out of the tag is merely shown among the user's params
        _store().log_batch(record.run_id, tags={DEFAULTS_TAG: text})
    try:
        _store().log_batch(record.run_id, params=params)
    except InvalidParameter:  # one bad key must not lose the others
        refused = []
        for key, value in params.items():
            try:
                _store().log_batch(record.run_id, params={key: value})
            except InvalidParameter:
                refused.append(key)
        return [f"params not logged (invalid keys): {', '.join(refused)}"]
    return []


def log_metrics(record: CellRecord, fitted: list[Fitted]) -> None:
    """Log the metrics the cell computed (and ``training_*`` ones with ``--training-metrics``)."""
    from mlnb.entities import Metric

    values = metric_rules.collect(record.plan, record.events)
    several = len(fitted) > 1
    extra: dict[str, float] = {}
    for item in fitted:
        prefix = f"{item.name}." if several else ""
        if searchcv.is_search(item.estimator):
            extra.update(searchcv.parent_data(item.estimator, prefix)[1])
        if record.options.training_metrics and item.X is not None:
            extra.update(metric_rules.training_metrics(item.estimator, item.X, item.y, prefix))
    for key, value in extra.items():
        values.setdefault(key, []).append(value)
    if not values:
        return
    now = time.time_ns() // 1_000_000
    points = [Metric(k, v, now, step) for k, vs in values.items() for step, v in enumerate(vs)]
    _store().log_batch(record.run_id, metrics=points, buffered=False)


def store_problems(run_id: str) -> tuple[list[str], str | None]:
    """Writes the store could not commit during the cell, and why the run is lost, if it is.

    Returns the warnings to show and the reason the store marked ``run_id`` FAILED (None when
    it holds all the run logged).  Failures of synchronous writes already raised into the step
    that made them; these are the background flushes' (and recoveries from them).
    """
    store = _store()
    take = getattr(store, "take_write_problems", None)
    if take is None:  # a remote store has no write buffer
        return [], None
    warnings = [f"store: {message}" for message in take()]
    reason: str | None = store.lost_runs().get(run_id)
    return warnings, reason


def log_datasets(record: CellRecord, fitted: list[Fitted]) -> None:
    """Fingerprints of the data given to ``fit`` (train) and to predict/score (eval)."""
    from mlnb.tracking.datasets import fingerprint

    seen: set[int] = set()
    inputs = []
    for item in fitted:
        if item.X is not None and id(item.X) not in seen:
            seen.add(id(item.X))
            inputs.append(fingerprint(item.X, item.x_name, "train"))
    estimators = {id(f.estimator) for f in fitted}
    for event in record.events:
        site = record.plan.sites.get(event.site)
        if site is None or site.kind not in ("predict", "score") or not event.done:
            continue
        if id(event.receiver) not in estimators and not is_estimator(event.receiver):
            continue
        data = event.args.get(0)
        if data is None or id(data) in seen or len(inputs) >= MAX_INPUTS:
            continue
        seen.add(id(data))
        try:
            inputs.append(fingerprint(data, site.args[0] if site.args else None, "eval"))
        except Exception:
            continue
    if inputs:
        _store().log_inputs(record.run_id, inputs)


def foreign_type(estimator: Any) -> str | None:
    """A type or function in the estimator that skops-only saving will refuse, if one is visible.

    A quick look at the estimator and its nested params, so the card never lists a model that
    cannot be saved; saving itself still checks everything.
    """
    from mlnb.flavors.skops_io import TRUSTED_ROOTS

    try:
        values = [estimator, *estimator.get_params(deep=True).values()]
    except Exception:
        return None
    for value in values:
        if is_estimator(value):
            kind = type(value)
            module, name = kind.__module__ or "", kind.__qualname__
        elif callable(value) and not isinstance(value, type):
            module, name = getattr(value, "__module__", None) or "", getattr(value, "__qualname__", "")
        else:
            continue
        if module.split(".", 1)[0] not in TRUSTED_ROOTS or "<lambda>" in name or "<locals>" in name:
            return f"{module}.{name}"
    return None


class Alias(NamedTuple):
    """A model path that shares the files of another one instead of holding a copy."""

    name: str  # the second path: ``model``, ``best_estimator``, ``<search>_best_estimator``
    source: str  # the path whose files it shares
    attribute: str | None  # what loading selects from the shared object (``best_estimator_``)
    estimator: Any  # saved on its own if ``source`` could not be saved
    X: Any


def plan_models(
    fitted: list[Fitted], allow_pickle: bool = False, problems: list[str] | None = None
) -> tuple[list[tuple[Any, str, Any]], list[Alias]]:
    """(estimator, artifact path, fit X) to save, and the paths that share a saved one's files.

    A single-model cell's ``model`` shares the files of the estimator's own name; a search CV's
    refitted best estimator is stored once, inside the saved search, and its ``best_estimator``
    path shares the search's files.  Estimators that visibly hold a type skops cannot load are
    left out (with a message in ``problems``) unless ``allow_pickle``.
    """
    single = len(fitted) == 1
    if not allow_pickle:
        kept = []
        for item in fitted:
            found = foreign_type(item.estimator)
            if found is None:
                kept.append(item)
            elif problems is not None:
                problems.append(
                    f"model {item.name!r} not saved: it contains {found}, which skops cannot load "
                    "safely; use %%track --allow-pickle to save it with cloudpickle"
                )
        fitted = kept
    jobs: list[tuple[Any, str, Any]] = []
    aliases: list[Alias] = []
    for item in fitted:
        saved_as = item.name if item.bound else ("model" if single else None)
        if saved_as is not None:
            jobs.append((item.estimator, saved_as, item.X))
        if single and item.bound and item.name != "model":
            aliases.append(Alias("model", item.name, None, item.estimator, item.X))
        best = getattr(item.estimator, "best_estimator_", None)
        if searchcv.is_search(item.estimator) and best is not None:
            name = "best_estimator" if single else f"{item.name}_best_estimator"
            if saved_as is None:
                jobs.append((best, name, item.X))
            else:
                aliases.append(Alias(name, saved_as, "best_estimator_", best, item.X))
    return jobs, aliases


def prediction_samples(record: CellRecord) -> dict[int, Any]:
    """``{id(estimator): first rows of its last predict}`` for estimators not refitted since."""
    samples: dict[int, Any] = {}
    for event in record.events:
        site = record.plan.sites.get(event.site)
        if site is None or event.receiver is None:
            continue
        if site.kind == "fit":
            samples.pop(id(event.receiver), None)
        elif event.sample is not None:
            samples[id(event.receiver)] = event.sample
    return samples


def write_models(
    run_id: str,
    jobs: list[tuple[Any, str, Any]],
    aliases: list[Alias],
    allow_pickle: bool,
    samples: dict[int, Any] | None = None,
    on_saved: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Save the models, then the aliases (sharing the saved files); returns (saved paths, problems).

    ``samples`` (from :func:`prediction_samples`) spares predicting again for the signature;
    ``on_saved(path)`` is called after each model is written (progress of a waiting cell).
    """
    try:
        from mlnb.tracking.model_logging import log_model, share_model
    except ImportError:  # model logging not part of this build
        return [], []
    from mlnb.errors import UnsupportedModel

    saved: list[str] = []
    problems: list[str] = []
    profiles: dict[int, bytes] = {}

    def save(estimator: Any, name: str, X: Any) -> None:
        try:
            log_model(
                estimator,
                name,
                input_example=head_rows(X),
                run_id=run_id,
                allow_pickle=allow_pickle,
                training_data=X,
                _profiles=profiles,  # the jobs keep every X alive, so ids stay unique
                _output_example=(samples or {}).get(id(estimator)),
            )
        except UnsupportedModel as exc:
            problems.append(f"model {name!r} not saved: {exc}")
            return
        saved.append(name)
        if on_saved is not None:
            on_saved(name)

    for estimator, name, X in jobs:
        save(estimator, name, X)
    for alias in aliases:
        if alias.source in saved:
            share_model(run_id, alias.source, alias.name, attribute=alias.attribute)
            saved.append(alias.name)
        elif alias.attribute is not None:  # the search could not be saved: its best estimator alone
            save(alias.estimator, alias.name, alias.X)
    return saved, problems


def log_searches(record: CellRecord, fitted: list[Fitted]) -> None:
    """A child run per search candidate; each search's ``cv_results`` joins the record's files."""
    searches = [f for f in fitted if searchcv.is_search(f.estimator)]
    for item in searches:
        info = _store().get_run_info(record.run_id)
        searchcv.log_children(
            item.estimator,
            record.run_id,
            info.experiment_id,
            f"{info.run_name}-{item.name}" if len(searches) > 1 else info.run_name,
            {"mlnb.search.parent": record.run_id},
        )
        record.files.append(
            (
                "cv_results.csv" if len(searches) == 1 else f"cv_results_{item.name}.csv",
                searchcv.cv_results_csv(item.estimator),
            )
        )


def log_artifacts(
    record: CellRecord, error: BaseException | None, shown: list[tuple[str, bytes]]
) -> None:
    """Write the cell source, its output, the traceback, figures and the record's files.

    Each figure saved is also added to ``shown`` (``(path, png)``: the run card draws them).
    """

    files: list[tuple[str, bytes | Any]] = [("cell.py", record.source.encode("utf-8", "surrogatepass"))]
    stdout = record.streams.stdout.getvalue()
    stderr = record.streams.stderr.getvalue()
    if stdout:
        files.append(("stdout.txt", stdout.encode("utf-8", "replace")))
    if stderr:
        files.append(("stderr.txt", stderr.encode("utf-8", "replace")))
    if error is not None:
        files.append(("traceback.txt", format_traceback(error).encode("utf-8", "replace")))
    if record.options.figures:
        for i, fig in enumerate(record.figures.unique(), start=1):
            try:
                png = outputs.figure_png(fig)
            except Exception:
                continue
            path = f"figures/figure_{i}.png"
            files.append((path, png))
            shown.append((path, png))
    files.extend(record.files)
    _store().artifacts.write_files(record.run_id, files)


def format_traceback(error: BaseException) -> str:
    """The traceback of ``error`` as Python prints it."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
