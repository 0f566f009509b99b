"""Autolog's notebook front end: instrument each IPython cell, log its fits when it ends.

Registered on the shell by ``autolog()`` (no ``%load_ext`` needed).  ``pre_run_cell`` installs a
:class:`~mlnb.capture.probe.Recorder`, the AST transformer instruments the cell exactly as for
``%%track`` (:func:`mlnb.capture.instrument.instrument`), and ``post_run_cell`` removes the
recorder, then logs:

* in the foreground (a few milliseconds): one run per estimator fitted by a top-level ``fit``
  (or the run that was active during the fit), its params and tags, and the post-training
  metrics computed in the cell on the predictions of autologged estimators;
* in a background thread, as ``%%track`` saves its models: ``training_*`` metrics, search
  results and child runs, the train dataset and the model; then the runs autolog started end
  with the cell's status.  The next cell waits for that thread before it runs
  (``pre_execute``), so a run never outlives its cell and nothing changes under the writer.

Cells under ``%%track`` are skipped: ``%%track`` logs them.
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from mlnb.capture import autolog_log as log
from mlnb.capture import autolog_patch, autolog_state, probe, session
from mlnb.capture.instrument import CellPlan, instrument
from mlnb.capture.metrics import as_number, is_sklearn_metric
from mlnb.capture.params import is_estimator

_hooks: dict[int, _Hooks] = {}


class _Recorder(probe.Recorder):
    """A probe recorder that starts a fit's run as soon as the fit returns (as MLflow does)."""

    def __init__(self, plan: CellPlan) -> None:
        super().__init__()
        self.plan = plan
        self.fit_sites: frozenset[int] = frozenset()
        self.fits: list[log.Fit] = []
        self.problems: list[str] = []
        self._starts: dict[int, int] = {}
        self.seconds = 0.0  # time spent starting runs after fits, during the cell

    def event(self, site: int) -> probe.Event:
        if site in self.fit_sites and self.open_event(site) is None:
            self._starts[site] = time.time_ns() // 1_000_000
        return super().event(site)

    def finish(self, site: int, value: Any) -> None:
        if site in self.fit_sites:
            event = self.open_event(site)
            if event is not None and is_estimator(event.receiver):
                try:
                    self._fitted(site, event)
                except Exception as exc:  # never the cell's problem
                    self.problems.append(
                        f"{type(event.receiver).__name__} not logged ({type(exc).__name__}: {exc})"
                    )
        super().finish(site, value)

    def _fitted(self, site: int, event: probe.Event) -> None:
        from mlnb.tracking import state

        config = autolog_state.current_config()
        start = self._starts.pop(site, None)
        if config is None:
            return
        active = state.run_stack[-1].info.run_id if state.run_stack else None
        if active is not None and config.exclusive:
            return
        estimator = event.receiver
        run_id = active or log.start_run(estimator, config, start)
        spec = self.plan.sites.get(site)
        fit = log.Fit(
            estimator,
            event.args.get(0, event.args.get("X")),
            event.args.get(1, event.args.get("y")),
            run_id,
            active is None,
            spec.args[0] if spec is not None and spec.args else None,
        )
        log.log_pretraining(fit, config)
        autolog_state.remember(estimator, run_id)
        self.fits.append(fit)


@dataclass
class _Cell:
    plan: CellPlan
    recorder: _Recorder
    user_ns: dict[str, Any]
    transformed: bool = False
    before_seconds: float = 0.0
    instrument_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


class _AstHook:
    """IPython AST transformer (duck-typed ``visit``): instruments the cell autolog watches."""

    def __init__(self, hooks: _Hooks) -> None:
        self.hooks = hooks

    def visit(self, node: Any) -> Any:
        cell = self.hooks.cell
        if cell is None or cell.transformed:
            return node
        t0 = time.perf_counter()
        try:
            tree = instrument(copy.deepcopy(node), cell.plan)
        except Exception as exc:  # autolog must never break the cell
            autolog_state.warn(f"could not instrument the cell ({type(exc).__name__}: {exc})")
            return node
        cell.transformed = True
        cell.instrument_seconds = time.perf_counter() - t0
        cell.recorder.fit_sites = frozenset(s.id for s in cell.plan.sites.values() if s.kind == "fit")
        return tree


class _Hooks:
    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.cell: _Cell | None = None
        # variable -> (dataset, estimator variable, id of its value): predictions of earlier cells
        self.origins: dict[str, tuple[str, str | None, int]] = {}
        self.ast_hook = _AstHook(self)
        # seconds autolog spent in the last cell: "before", "instrumenting", "during", "after"
        self.timings: dict[str, float] = {}

    # --- events ---------------------------------------------------------------------------
    def pre_execute(self) -> None:
        session.wait()  # the previous cell's runs are complete before anything else runs

    def pre_run_cell(self, info: Any) -> None:
        t0 = time.perf_counter()
        autolog_patch.uninstall()  # cells are instrumented from now on
        if autolog_state.current_config() is None or self.cell is not None:
            return
        raw = (getattr(info, "raw_cell", None) or "").lstrip()
        if raw.startswith("%%track") or probe.active() is not None:
            return  # %%track logs this cell (or another recorder is active): never log twice
        ns = self.shell.user_ns
        plan = CellPlan()
        for var, (dataset, model, oid) in self.origins.items():
            if var in ns and id(ns[var]) == oid:
                plan.origins[var] = dataset
                if model is not None:
                    plan.models[var] = model
        recorder = _Recorder(plan)
        probe.install(recorder)
        self.cell = _Cell(plan, recorder, ns)
        self.cell.before_seconds = time.perf_counter() - t0

    def post_run_cell(self, result: Any) -> None:
        t0 = time.perf_counter()
        autolog_patch.uninstall()
        cell, self.cell = self.cell, None
        if cell is None:
            return
        if probe.active() is cell.recorder:
            probe.install(None)
        ns = cell.user_ns
        self.origins = {
            var: (ds, cell.plan.models.get(var), id(ns[var]))
            for var, ds in cell.plan.origins.items()
            if var in ns
        }
        if not cell.transformed:
            return
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        try:
            finish_cell(cell, error)
        except Exception as exc:
            autolog_state.warn(f"logging this cell failed ({type(exc).__name__}: {exc})")
        self.timings = {
            "before": cell.before_seconds,
            "instrumenting": cell.instrument_seconds,
            "during": cell.recorder.seconds,
            "after": time.perf_counter() - t0,
        }


def _status(error: BaseException | None) -> str:
    from mlnb.entities import RunStatus

    if error is None:
        return RunStatus.FINISHED
    return RunStatus.KILLED if isinstance(error, KeyboardInterrupt) else RunStatus.FAILED


def finish_cell(cell: _Cell, error: BaseException | None) -> list[log.Fit]:
    """Log the cell's post-training metrics; the rest is written in the background."""
    config = autolog_state.current_config()
    fits = cell.recorder.fits
    for message in cell.recorder.problems:
        autolog_state.warn(message)
    if config is not None and config.log_post_training_metrics:
        log_post_training_metrics(cell, fits)
    if fits:
        _write_in_background(fits, config, _status(error))
    return fits


def _estimator_of(cell: _Cell, var: str | None) -> Any:
    if var is None:
        return None
    for event in reversed(cell.recorder.events):  # the object that predicted, in this cell
        site = cell.plan.sites.get(event.site)
        if (
            site is not None
            and site.kind == "predict"
            and site.receiver == var
            and event.receiver is not None
        ):
            return event.receiver
    return cell.user_ns.get(var)


def log_post_training_metrics(cell: _Cell, fits: list[log.Fit]) -> None:
    """Metrics computed on an autologged estimator's predictions, under MLflow's keys."""
    from mlnb.entities import Metric
    from mlnb.tracking.state import get_store

    only = fits[0].run_id if len(fits) == 1 else None
    points: dict[str, list[Metric]] = {}
    now = time.time_ns() // 1_000_000
    for event in cell.recorder.events:
        site = cell.plan.sites.get(event.site)
        if site is None or not event.done or site.kind not in ("metric", "score"):
            continue
        value = as_number(event.value)
        if value is None:
            continue
        if site.kind == "metric":
            if not is_sklearn_metric(event.function):
                continue
            name = getattr(event.function, "__name__", site.name)
            run_id = autolog_state.run_of(_estimator_of(cell, site.model)) or (only if site.model is None else None)
        else:
            run_id = autolog_state.run_of(event.receiver)
            name = f"{type(event.receiver).__name__}_score"
        if run_id is None:
            continue
        key = autolog_state.metric_key(run_id, name, site.dataset or "unknown_dataset")
        points.setdefault(run_id, []).append(Metric(key, value, now, 0))
    store = get_store()
    for run_id, metrics in points.items():
        store.log_batch(run_id, metrics=metrics)


def _write_in_background(fits: list[log.Fit], config: log.AutologConfig | None, status: str) -> None:
    """Training metrics, search results, datasets, models; then end the runs autolog started.

    ``config`` None (autolog disabled during the cell): only end the runs.  An estimator fitted
    several times in the cell gets these for its last fit only (it holds only that state).
    Once the ends are durable, each run autolog ended is published as
    :class:`~mlnb.tracking.events.RunEnded`.
    """
    err = sys.stderr
    loop = session.kernel_loop()

    def work() -> None:
        from mlnb.tracking.state import get_store

        problems: list[str] = []
        last = {id(fit.estimator): fit for fit in fits}
        for fit in fits:
            if config is None or last[id(fit.estimator)] is not fit:
                continue
            try:
                log.log_posttraining(fit, config, problems)
            except Exception as exc:
                problems.append(
                    f"logging {type(fit.estimator).__name__} failed ({type(exc).__name__}: {exc})"
                )
        store = get_store()
        ended: list[str] = []
        for fit in fits:
            if fit.created:
                try:
                    store.finish_run(fit.run_id, status)
                    ended.append(fit.run_id)
                except Exception as exc:
                    problems.append(f"ending run {fit.run_id} failed ({exc})")
        try:
            store.flush()
        except Exception as exc:
            problems.append(f"saving runs failed ({exc})")
        else:
            for run_id in dict.fromkeys(ended):
                session.publish_end(run_id, status, loop)
        if config is None or not config.silent:
            for message in problems:
                print(f"mlnb autolog: {message}", file=err)

    thread = threading.Thread(target=work, name="mlnb-autolog", daemon=False)
    session.add_writer(thread)
    thread.start()


_EVENTS = ("pre_execute", "pre_run_cell", "post_run_cell")


def register(shell: Any) -> None:
    """Install the cell hooks on ``shell`` (once)."""
    if id(shell) in _hooks:
        return
    hooks = _Hooks(shell)
    for event in _EVENTS:
        shell.events.register(event, getattr(hooks, event))
    shell.ast_transformers.append(hooks.ast_hook)
    _hooks[id(shell)] = hooks


def unregister_all() -> None:
    """Remove the hooks from every shell (``autolog(disable=True)``)."""
    for hooks in list(_hooks.values()):
        shell = hooks.shell
        for event in _EVENTS:
            try:
                shell.events.unregister(event, getattr(hooks, event))
            except ValueError:
                pass
        if hooks.ast_hook in shell.ast_transformers:
            shell.ast_transformers.remove(hooks.ast_hook)
        if hooks.cell is not None:  # autolog(disable=True) inside a cell: end what it started
            cell, hooks.cell = hooks.cell, None
            if probe.active() is cell.recorder:
                probe.install(None)
            if cell.recorder.fits:
                _write_in_background(cell.recorder.fits, None, _status(None))
    _hooks.clear()
