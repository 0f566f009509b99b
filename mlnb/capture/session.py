"""One tracked cell execution -> one run: start before the cell, record during, log after.

The IPython side (:mod:`mlnb.magics`) calls :meth:`TrackSession.start` from ``pre_run_cell``,
:meth:`TrackSession.transform_ast` from its AST transformer, :meth:`TrackSession.cell_done`
from ``post_execute`` and :meth:`TrackSession.finish` from ``post_run_cell``.  Every step after
the cell is isolated: a failure becomes a warning in :attr:`CellResult.warnings` and never
changes what the cell did.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import hashlib
import sys
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlnb.capture import context, outputs, probe, searchfit
from mlnb.capture import runlog as log
from mlnb.capture.instrument import CellPlan, instrument
from mlnb.capture.options import TrackOptions
from mlnb.display.format import size
from mlnb.display.progress import progress
from mlnb.entities import RunStatus
from mlnb.errors import FlushFailed, MlnbError
from mlnb.tracking import events

_PLOT_HINTS = ("plt", "matplotlib", "seaborn", ".plot(", "Display")
_T = TypeVar("_T")


@dataclass
class CellResult:
    """What the run card needs besides the run itself."""

    run_id: str | None
    status: str
    cell_key: str | None = None
    error: dict[str, str] | None = None
    models: list[dict[str, str]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    end_time: int | None = None  # ms; the run's own end_time follows once its models are saved


def cell_key(notebook: str | None, cell_id: str | None, run_name: str | None, code_hash: str) -> str:
    """Identifies "the same cell" across executions (for the change since the last run)."""
    if cell_id:
        basis = f"cell:{notebook or ''}:{cell_id}"
    elif run_name:
        basis = f"name:{notebook or ''}:{run_name}"
    else:
        basis = f"code:{notebook or ''}:{code_hash}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


class TrackSession:
    """The run of one ``%%track`` cell."""

    def __init__(
        self,
        options: TrackOptions,
        source: str,
        user_ns: MutableMapping[str, Any],
        cell_id: str | None = None,
        origins: dict[str, tuple[str, int]] | None = None,
    ) -> None:
        self.options = options
        self.source = source
        self.user_ns = user_ns
        self.cell_id = cell_id or None
        # where earlier tracked cells' predictions came from, if the variables still hold them
        self._known_origins = origins if origins is not None else {}
        self.plan = CellPlan(
            origins={
                var: dataset
                for var, (dataset, oid) in self._known_origins.items()
                if var in user_ns and id(user_ns[var]) == oid
            }
        )
        self.recorder = probe.Recorder()
        self.search_fits = searchfit.SearchFitProgress()
        self.streams = outputs.StreamCapture()
        self.figures = outputs.FigureCollector()
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.key: str | None = None
        self.warnings: list[str] = []
        self.lost: list[str] = []  # what the store could not take: the run ends FAILED with it
        self._writer: threading.Thread | None = None
        self.start_seconds = 0.0  # opening the run (set by start)
        self.hook_seconds = 0.0  # the whole pre-cell hook (set by the magics, for the timings)
        self.instrument_seconds = 0.0
        self._previous_recorder: probe.Recorder | None = None

    # --- before the cell -------------------------------------------------------------------
    def start(self) -> None:
        """Open the run and start recording; on failure the cell runs untracked (a warning)."""
        from mlnb.tracking import fluent
        from mlnb.tracking.state import get_store

        t0 = time.perf_counter()
        opts = self.options
        code_hash = hashlib.sha256(self.source.encode("utf-8", "surrogatepass")).hexdigest()
        notebook = context.notebook_path(self.user_ns)
        self.key = cell_key(notebook, self.cell_id, opts.name, code_hash)
        store = get_store()
        experiment_id = None
        if opts.experiment:
            exp = store.get_experiment_by_name(opts.experiment)
            experiment_id = exp.experiment_id if exp else store.create_experiment(opts.experiment)
        active = fluent.active_run()
        if opts.nested and active is None:
            self.warnings.append("--nested: no run is active, so this run has no parent")
        if active is not None and not opts.nested:
            self.warnings.append(
                f"run {active.info.run_id} is active, so this cell's run is its child; pass --nested "
                "to make that explicit, or end it with mlnb.end_run()"
            )
        tags = {"mlnb.cell": self.key, "mlnb.code_hash": code_hash}
        if self.cell_id:
            tags["mlnb.cell_id"] = self.cell_id
        tags.update(context.source_tags(notebook))
        tags.update(context.environment_tags())
        tags.update(context.git_tags())
        tags.update(opts.tags)
        run = fluent.open_run(  # start_run refuses the reserved mlnb.* tags: they are mlnb's
            experiment_id=experiment_id,
            run_name=opts.name,
            nested=active is not None,
            tags=tags,
            notebook=notebook,
            cell_id=self.cell_id,
            code_hash=code_hash,
        )
        self.run_id = run.info.run_id
        self.experiment_id = run.info.experiment_id
        self._previous_recorder = probe.install(self.recorder)
        self.streams.start()
        if opts.figures:
            self.figures.start(may_plot=any(h in self.source for h in _PLOT_HINTS))
        self.start_seconds = time.perf_counter() - t0

    def transform_ast(self, tree: ast.AST) -> ast.AST:
        if self.run_id is None:
            return tree
        t0 = time.perf_counter()
        try:
            tree = instrument(tree, self.plan)
            self.recorder.sample_sites = frozenset(
                sid
                for sid, site in self.plan.sites.items()
                if site.kind == "predict" and site.name == "predict"
            )
            self.recorder.fit_sites = frozenset(
                sid for sid, site in self.plan.sites.items() if site.kind == "fit"
            )
            self.recorder.on_fit = self.search_fits.starting
            self.recorder.on_fit_done = self.search_fits.stop
            return tree
        finally:
            self.instrument_seconds += time.perf_counter() - t0

    # --- after the cell --------------------------------------------------------------------
    def cell_done(self) -> None:
        """Called as soon as the cell's code returned (before the inline backend closes figures)."""
        if self.options.figures:
            self.figures.snapshot_open()

    def stop_recording(self) -> None:
        """Undo what :meth:`start` installed (recorder, stream tees, figure hooks); idempotent."""
        self.search_fits.stop()  # a search fit that raised leaves its bar and joblib hooks here
        self._known_origins.clear()
        self._known_origins.update(
            {var: (ds, id(self.user_ns[var])) for var, ds in self.plan.origins.items() if var in self.user_ns}
        )
        if probe.active() is self.recorder:
            probe.install(self._previous_recorder)
        self.streams.stop()
        self.figures.stop()

    def _step(self, name: str, action: Callable[[], _T]) -> _T | None:
        t0 = time.perf_counter()
        try:
            return action()
        except FlushFailed as exc:
            message = f"{name}: {exc}"
            if exc.kept != "lost":  # held in memory or spilled to the journal: written later, not lost
                self.result.warnings.append(message)
                return None
        except MlnbError as exc:
            message = f"{name}: {exc}"
        except Exception as exc:
            message = f"{name} failed ({type(exc).__name__}: {exc})"
        finally:
            self.result.timings[name] = time.perf_counter() - t0
        # shown after the cell (self.warnings was copied into the result before the steps ran)
        self.result.warnings.append(message)
        if name in _LOGGING_STEPS:
            self.lost.append(message)
        return None

    def finish(self, error: BaseException | None) -> CellResult:
        """Log everything the cell did and end the run with the cell's outcome."""
        self.stop_recording()
        if error is None:
            status = RunStatus.FINISHED
        elif isinstance(error, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        self.result = CellResult(self.run_id, status, self.key, end_time=time.time_ns() // 1_000_000)
        self.result.timings["start"] = self.start_seconds
        self.result.timings["instrumenting"] = self.instrument_seconds
        self.result.warnings.extend(self.warnings)
        run_id = self.run_id
        if run_id is None:
            return self.result
        if error is not None:
            self.result.error = {"type": type(error).__name__, "message": str(error)[:500]}
        record = log.CellRecord(
            run_id,
            self.source,
            self.options,
            self.plan,
            self.recorder.events,
            self.user_ns,
            self.streams,
            self.figures,
        )
        fitted = self._step("finding estimators", lambda: log.fitted_estimators(record))
        fitted = fitted or []
        param_warnings = self._step("params", lambda: log.log_params(record, fitted))
        self.result.warnings.extend(param_warnings or [])
        self._step("metrics", lambda: log.log_metrics(record, fitted))
        self._step("datasets", lambda: log.log_datasets(record, fitted))
        planned = None
        if self.options.models:
            planned = self._step(
                "planning models",
                lambda: log.plan_models(fitted, self.options.allow_pickle, self.result.warnings),
            )
        self._step("search runs", lambda: log.log_searches(record, fitted))
        self._step("artifacts", lambda: log.log_artifacts(record, error, self.result.figures))
        if self.lost and status == RunStatus.FINISHED:
            status = self.result.status = RunStatus.FAILED  # a FINISHED run holds all it logged
        jobs, aliases = planned or ([], [])
        if jobs:
            samples = self._step("prediction samples", lambda: log.prediction_samples(record)) or {}
            names = [name for _, name, _ in jobs] + [alias.name for alias in aliases]
            self.result.models = [
                {"name": n, "uri": f"runs:/{run_id}/{n}", "flavor": "sklearn"} for n in names
            ]
            self._write_in_background(run_id, jobs, aliases, status, error, samples)
        else:
            self._step("ending the run", lambda: self._end(run_id, status, error))
        checked = self._step("checking the store", lambda: log.store_problems(run_id))
        if checked is not None:
            problems, reason = checked
            self.result.warnings.extend(problems)
            if reason is not None:
                self.result.status = RunStatus.FAILED
                self.result.warnings.append(f"the run is marked FAILED: {reason}")
        self.warnings = self.result.warnings
        return self.result

    def _write_in_background(
        self,
        run_id: str,
        jobs: list[tuple[Any, str, Any]],
        aliases: list[log.Alias],
        status: str,
        error: BaseException | None,
        samples: dict[int, Any],
    ) -> None:
        """Save models while the kernel is idle; the next cell waits for them (:func:`wait`).

        The run ends (with the cell's status) once its models are written, so a reader never
        sees a FINISHED run without them.  Nothing else runs meanwhile: the join happens before
        the next cell executes, so the estimators cannot change under the writer.
        """
        from mlnb.tracking.state import get_store

        err = sys.stderr
        timings = self.result.timings
        written = _Written(len(jobs))  # aliases share saved files: nothing to write
        loop = kernel_loop()

        def work() -> None:
            t0 = time.perf_counter()
            # skops builds ~10^5 short-lived containers per forest; every full collection they
            # trigger walks the whole kernel heap (a fifth of the write time).  No user code runs
            # meanwhile (the next cell waits in pre_execute), so the pause is safe.
            collecting = gc.isenabled()
            gc.disable()
            try:
                _saved, problems = log.write_models(
                    run_id,
                    jobs,
                    aliases,
                    self.options.allow_pickle,
                    samples,
                    lambda path: written.add(run_id, path),
                )
            except Exception as exc:
                problems = [f"saving models failed ({type(exc).__name__}: {exc})"]
                self.lost.append(problems[0])
            finally:
                if collecting:
                    gc.enable()
            timings["models (background)"] = time.perf_counter() - t0
            try:
                final = RunStatus.FAILED if self.lost and status == RunStatus.FINISHED else status
                self._end(run_id, final, error, loop)
            except MlnbError as exc:
                problems.append(f"ending the run: {exc}")
            except Exception as exc:
                problems.append(f"ending the run failed ({type(exc).__name__}: {exc})")
            try:
                store = get_store()
                problems.extend(f"store: {p}" for p in store.take_write_problems())
                if run_id in store.lost_runs():
                    problems.append(f"the run is marked FAILED: {store.lost_runs()[run_id]}")
            except Exception:
                pass
            for message in problems:
                print(f"mlnb: {message}", file=err)

        thread = threading.Thread(target=work, name=f"mlnb-models-{run_id}", daemon=False)
        add_writer(thread, written)
        self._writer = thread

    def start_background(self) -> None:
        """Start saving models; called once the run card is shown, so the two do not compete."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.start()

    def _end(
        self,
        run_id: str,
        status: str,
        error: BaseException | None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """End the run, make that durable, then publish :class:`~mlnb.tracking.events.RunEnded`."""
        from mlnb.tracking import fluent
        from mlnb.tracking.state import get_store

        if error is not None:
            get_store().log_batch(run_id, tags={"mlnb.error": f"{type(error).__name__}: {str(error)[:400]}"})
        if self.lost:  # the reason the cell's run is FAILED although the cell succeeded
            get_store().log_batch(run_id, tags={"mlnb.failure": "; ".join(self.lost)[:1000]})
        fluent.end_run(status, _run_id=run_id)
        get_store().flush()  # a finished tracked cell is durable, even if the kernel dies now
        publish_end(run_id, status, loop)


# steps whose failure means the run lacks something the cell did
_LOGGING_STEPS = ("params", "metrics", "datasets", "search runs", "artifacts")


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running on this thread (the kernel's, during a cell), or None.

    A background writer started from a cell hands it to :func:`publish_end`, so the kernel
    delivers the run-end event as soon as the writer is done, while it is idle.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a plain shell or a script: :func:`wait` delivers instead
        return None


def publish_end(run_id: str, status: str, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Publish that run ``run_id`` ended with ``status`` (call it once the end is durable).

    On the kernel's thread the listeners (the run card, panels) run now.  From a background
    writer the event is queued: ``loop`` (from :func:`kernel_loop`) is asked to deliver it on
    its own thread; without one, the next :func:`wait` or cell delivers it.
    """
    events.publish(events.RunEnded(run_id, status))
    if loop is not None and threading.current_thread() is not threading.main_thread():
        try:
            loop.call_soon_threadsafe(events.deliver_pending)
        except RuntimeError:  # the loop has closed (the kernel is shutting down)
            pass


_background: list[threading.Thread] = []
_background_lock = threading.Lock()
_POLL_S = 0.1


class _Written:
    """How far a background writer got: models written of ``total``, and their bytes."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.bytes = 0

    def add(self, run_id: str, path: str) -> None:
        """Called on the writer's thread after each model directory is written."""
        try:
            from mlnb.tracking.state import get_store

            rows = get_store().artifact_rows(run_id, path)
            self.bytes += sum(nbytes for _sha, nbytes in rows.values())
        except Exception:  # the size is only for the progress label
            pass
        self.done += 1  # after the bytes: a reader never sees the count without its size


_written: dict[threading.Thread, _Written] = {}


def add_writer(thread: threading.Thread, written: _Written | None = None) -> None:
    """Have the next cell (and :func:`wait`) wait for ``thread``, a writer of tracked runs.

    ``written`` reports its progress (%%track's model writer); a thread not yet started when
    :func:`wait` comes is started there.
    """
    with _background_lock:
        _background.append(thread)
        if written is not None:
            _written[thread] = written


def wait(timeout: float | None = None) -> None:
    """Wait until the models of earlier tracked cells are written and their runs ended.

    A wait longer than a second shows its progress (``writing models: 2 of 3 models, 8.8 MB``);
    ``timeout`` bounds the wait for each writer.  Then, on the main thread, the run-end events
    the writers published are delivered (:func:`mlnb.tracking.events.deliver_pending`).
    """
    with _background_lock:
        threads = [t for t in _background if t.ident is None or t.is_alive()]
        known = [_written[t] for t in threads if t in _written]
    if threads:
        total = sum(w.total for w in known) if len(known) == len(threads) else None
        with progress(total, "writing models", unit="model") as bar:
            for thread in threads:
                if thread.ident is None:  # never started (the card step failed): run it now
                    thread.start()
                deadline = None if timeout is None else time.monotonic() + timeout
                while thread.is_alive():
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    thread.join(_POLL_S if left is None else min(_POLL_S, left))
                    written = sum(w.bytes for w in known)
                    bar.set(sum(w.done for w in known), detail=size(written) if written else None)
    with _background_lock:
        _background[:] = [t for t in _background if t.is_alive()]
        for thread in [t for t in _written if t not in _background]:
            del _written[thread]
    if threading.current_thread() is threading.main_thread():
        events.deliver_pending()
