"""``%load_ext mlnb``: the ``%%track`` cell magic and the ``%mlnb`` line magic.

This is the only module that knows IPython's machinery.  A ``%%track`` cell is not run by the
magic: an input transformer blanks the ``%%track`` line (when its options parse), so IPython
runs the body as an ordinary cell -- top-level ``await``, the display of the last expression,
``%``/``!`` lines and tracebacks all behave natively.  The run lives between the
``pre_run_cell`` and ``post_run_cell`` events, and an AST transformer instruments the body
(see :mod:`mlnb.capture.instrument`).  When the options do not parse, the line is left alone,
IPython calls the ``track`` magic, and it raises a one-line ``UsageError``: nothing runs.
"""

from __future__ import annotations

import ast
import copy
import re
import shlex
import sys
import time
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from mlnb.capture.options import TrackOptions, parse_pairs
from mlnb.errors import InvalidParameter
from mlnb.tracking import events
from mlnb.tracking.reserved import check_user_tags

if TYPE_CHECKING:
    import pandas as pd
    from IPython.core.display_functions import DisplayHandle

    from mlnb.capture.session import CellResult, TrackSession

_TRACK_LINE = re.compile(r"^%%track(?=\s|$)(?P<args>.*)$")

_HELP = {
    "experiment": "%mlnb experiment [NAME]\n    Make experiment NAME active (created if missing); "
    "without NAME, show the active one.",
    "store": "%mlnb store [URI]\n    Use the store at URI (a directory or a database URL); "
    "without URI, show where runs are stored.",
    "runs": "%mlnb runs [FILTER]\n    Runs of the active experiment, newest first, optionally "
    "filtered (MLflow syntax, e.g. metrics.accuracy > 0.9 AND params.C = '0.5').",
    "compare": "%mlnb compare [FILTER]\n    The compare panel on the active experiment's runs, optionally "
    "filtered (e.g. metrics.f1 > 0.8).",
    "registry": "%mlnb registry [NAME]\n    The registry panel: registered models (or model NAME), versions, "
    "stages, aliases and their history.",
    "help": "%mlnb help [SUBCOMMAND]\n    This help, or the help of one subcommand.",
}


def _warn(message: str) -> None:
    print(f"mlnb: {message}", file=sys.stderr)


def _track_line(lines: list[str]) -> str | None:
    """The option string of a ``%%track`` first line, or None if the cell is not tracked."""
    if not lines:
        return None
    match = _TRACK_LINE.match(lines[0].rstrip("\r\n"))
    if match is None or match.group("args").rstrip().endswith("?"):
        return None
    return match.group("args").strip()


class _AstHook(ast.NodeTransformer):
    """Instruments the code of the cell being tracked; every other cell passes untouched."""

    def __init__(self, magics: MlnbMagics) -> None:
        self.magics = magics

    def visit(self, node: ast.AST) -> ast.AST:
        """The cell's tree, instrumented when the cell is tracked (else ``node`` untouched)."""
        session = self.magics.current
        if session is None:
            return node
        try:
            return session.transform_ast(copy.deepcopy(node))
        except Exception as exc:  # tracking must never break the cell
            session.warnings.append(f"could not instrument the cell ({type(exc).__name__}: {exc})")
            return node


@magics_class
class MlnbMagics(Magics):
    """Holds the session of the tracked cell currently running, if any."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.ipython = shell  # Magics.shell, known not to be None
        self._hook_session: TrackSession | None = None
        self._magic_sessions: list[TrackSession] = []
        self._origins: dict[str, tuple[str, int]] = {}  # variable -> (dataset, id of its value)
        self.last_result: CellResult | None = None  # of the last tracked cell (timings, warnings)
        self.ast_hook = _AstHook(self)

    @property
    def current(self) -> TrackSession | None:
        """The session of the tracked cell running now, if any."""
        if self._magic_sessions:
            return self._magic_sessions[-1]
        return self._hook_session

    # --- the input transformer and events ---------------------------------------------------
    def strip_track_line(self, lines: list[str]) -> list[str]:
        """Input transformer: blank a valid ``%%track`` line (keeping line numbers)."""
        argstring = _track_line(lines)
        if argstring is None:
            return lines
        try:
            parse_options(argstring)
        except UsageError:
            return lines  # IPython calls the magic, which reports the error
        return ["\n", *lines[1:]]

    # not a side effect, but it makes IPython's completeness check (terminal input) skip this
    # transform, so a %%track cell still ends at a blank line like every cell magic
    strip_track_line.has_side_effects = True  # type: ignore[attr-defined]

    def pre_execute(self) -> None:
        """Before any code runs: let the previous tracked cell's model writes finish."""
        session_module = sys.modules.get("mlnb.capture.session")
        if session_module is not None:
            try:
                session_module.wait()
            except Exception as exc:
                _warn(f"saving models of the previous cell failed ({exc})")

    def pre_run_cell(self, info: Any) -> None:
        """Open the run of a ``%%track`` cell (``info`` is IPython's ExecutionInfo)."""
        try:
            raw = (getattr(info, "raw_cell", None) or "").lstrip("\r\n")
            lines = raw.splitlines(keepends=True)
            argstring = _track_line(lines)
            transformed = getattr(info, "transformed_cell", None) or ""
            if argstring is None or "run_cell_magic('track'" in transformed:
                return
            options = parse_options(argstring)
        except Exception:  # not a valid %%track cell: IPython runs the magic, which reports it
            return
        t0 = time.perf_counter()
        self._hook_session = self._start(options, "".join(lines[1:]), getattr(info, "cell_id", None))
        if self._hook_session is not None:
            self._hook_session.hook_seconds = time.perf_counter() - t0

    def post_execute(self) -> None:
        """As soon as the cell's code returned: snapshot its figures."""
        session = self.current
        if session is not None:
            try:
                session.cell_done()
            except Exception:
                pass

    def post_run_cell(self, result: Any) -> None:
        """Deliver queued run-end events, then log and end a tracked cell's run (its card)."""
        try:  # run ends published by background writers: the card and panels update here
            events.deliver_pending()
        except Exception as exc:
            _warn(f"could not deliver run-end events ({type(exc).__name__}: {exc})")
        session, self._hook_session = self._hook_session, None
        if session is None:
            return
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        t0 = time.perf_counter()
        try:
            self._finish(session, error)
        except Exception as exc:
            _warn(f"tracking failed after the cell ({type(exc).__name__}: {exc})")
        if self.last_result is not None and self.last_result.run_id == session.run_id:
            timings = self.last_result.timings
            timings["total: before the cell"] = session.hook_seconds
            timings["total: after the cell"] = time.perf_counter() - t0

    def _start(self, options: TrackOptions, source: str, cell_id: str | None) -> TrackSession | None:
        from mlnb.capture.session import TrackSession

        session = TrackSession(options, source, self.ipython.user_ns, cell_id, self._origins)
        try:
            session.start()
        except Exception as exc:
            _warn(f"this cell runs untracked: {exc}")
            session.stop_recording()
            return None
        for message in session.warnings:
            _warn(message)
        session.warnings.clear()
        return session

    def _finish(self, session: TrackSession, error: BaseException | None) -> None:
        try:
            result = session.finish(error)
        except Exception as exc:
            _warn(f"tracking failed after the cell ({type(exc).__name__}: {exc})")
            return
        self.last_result = result
        try:
            for message in result.warnings:
                _warn(message)
            if result.run_id is not None:
                self._show_card(result.run_id, result)
        finally:
            try:
                session.start_background()
            except Exception as exc:
                _warn(f"could not save the models ({exc})")

    @staticmethod
    def _show_card(run_id: str, result: CellResult) -> None:
        try:
            from IPython.display import display

            from mlnb.display.cards import MIME_TYPE, run_card_bundle

            t0 = time.perf_counter()
            bundle = run_card_bundle(run_id, result)
            handle = display(bundle, raw=True, display_id=True)
            if handle is not None and bundle[MIME_TYPE]["duration_ms"] is None:
                _pending_cards[run_id] = (handle, result)  # redrawn by _update_card
            result.timings["run card"] = time.perf_counter() - t0
        except Exception as exc:
            _warn(f"could not show the run card ({type(exc).__name__}: {exc})")

    # --- magics ---------------------------------------------------------------------------
    @magic_arguments(name="%track")  # usage reads "%%track [-e NAME] ..."
    @argument("-e", "--experiment", metavar="NAME", help="experiment of the run (created if missing)")
    @argument("-n", "--name", metavar="NAME", help="run name (also identifies the cell across runs)")
    @argument("-t", "--tag", action="append", metavar="KEY=VALUE", help="run tag (repeatable)")
    @argument("-p", "--param", action="append", metavar="KEY=VALUE", help="extra param (repeatable)")
    @argument("--no-models", action="store_true", help="do not save fitted estimators as models")
    @argument("--no-figures", action="store_true", help="do not save matplotlib figures")
    @argument(
        "--training-metrics",
        action="store_true",
        help="also compute MLflow's training_* metrics on the data given to fit",
    )
    @argument("--nested", action="store_true", help="make the run a child of the active run")
    @argument(
        "--allow-pickle",
        action="store_true",
        help="save models skops cannot handle with cloudpickle (loading them needs allow_pickle=True)",
    )
    @cell_magic
    def track(self, line: str, cell: str) -> None:
        """Track this cell as one mlnb run.

        The cell runs exactly as without the magic.  Its run records params (fitted
        estimators' ``get_params``, literal assignments, ``-p``), metrics (sklearn metric
        calls and ``.score``, named by the variable they are assigned to), models, figures,
        stdout/stderr, the cell source and the environment, and ends FINISHED, FAILED or
        KILLED with the cell.  A run card is shown after the cell.
        """
        options = parse_options(line)
        # Reached only when the input transformer did not run (e.g. run_cell_magic called
        # directly): run the body as a nested cell.
        session = self._start(options, cell, None)
        if session is None:
            self.ipython.run_cell(cell, store_history=False)
            return
        self._magic_sessions.append(session)
        error: BaseException | None = None
        try:
            outcome = self.ipython.run_cell(cell, store_history=False)
            session.cell_done()
            error = outcome.error_in_exec or outcome.error_before_exec
        finally:
            self._magic_sessions.remove(session)
        self._finish(session, error)

    @line_magic
    def mlnb(self, line: str) -> Any:
        """mlnb commands: experiment, store, runs, help (``%mlnb help SUBCOMMAND``)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%mlnb: {exc}") from None
        if not words:
            return print(self._help(None))
        command, rest = words[0], words[1:]
        if command in ("help", "-h", "--help"):
            return print(self._help(rest[0] if rest else None))
        if command not in _HELP:
            raise UsageError(f"unknown %mlnb subcommand {command!r}; try: {', '.join(_HELP)}")
        if rest and rest[0] in ("-h", "--help"):
            return print(_HELP[command])
        from mlnb.tracking import experiments, state

        if command == "experiment":
            if len(rest) > 1:
                raise UsageError("usage: %mlnb experiment [NAME] (quote a name with spaces)")
            exp = experiments.set_experiment(rest[0]) if rest else experiments.get_experiment(_experiment_id())
            return print(f"experiment {exp.name!r} (id {exp.experiment_id}) is active")
        if command == "store":
            if len(rest) > 1:
                raise UsageError("usage: %mlnb store [URI]")
            if rest:
                state.set_store(rest[0])
            return print(f"store: {state.get_store().location.uri}")
        text = line.split(None, 1)[1].strip() if len(words) > 1 else None
        if command == "compare":
            from mlnb.widgets.compare import compare

            experiment = experiments.get_experiment(_experiment_id())
            return compare(experiment=experiment.name, filter=text or "")
        if command == "registry":
            from mlnb.widgets.registry import registry_panel

            if rest and len(rest) > 1:
                raise UsageError("usage: %mlnb registry [NAME] (quote a name with spaces)")
            return registry_panel(rest[0] if rest else None)
        # runs
        from mlnb.tracking.search import search_runs

        table = search_runs(
            experiment_ids=[_experiment_id()],
            filter_string=text or "",
            order_by=["attributes.start_time DESC"],
        )
        return _compact(table)

    @staticmethod
    def _help(command: str | None) -> str:
        if command is None:
            return "mlnb line magic:\n" + "\n".join(_HELP.values())
        if command not in _HELP:
            raise UsageError(f"unknown %mlnb subcommand {command!r}; try: {', '.join(_HELP)}")
        return _HELP[command]


def _experiment_id() -> str:
    """The active experiment's id (the one ``%%track`` cells log to)."""
    from mlnb.tracking import fluent

    return fluent.current_experiment_id()


def _compact(table: pd.DataFrame) -> pd.DataFrame:
    """Run info, metrics, and only the params that differ between the runs shown."""
    if len(table) == 0:
        return table
    info = [c for c in ("run_id", "tags.mlflow.runName", "status", "start_time") if c in table.columns]
    metrics = [c for c in table.columns if c.startswith("metrics.")]
    params = [
        c
        for c in table.columns
        if c.startswith("params.") and (len(table) == 1 or table[c].astype(str).nunique(dropna=False) > 1)
    ]
    return table[info + metrics + params[:20]]


_pending_cards: dict[str, tuple[DisplayHandle, CellResult]] = {}


def _update_card(event: events.RunEnded) -> None:
    """Redraw a card shown while its run was still saving models, now that the run has ended."""
    pending = _pending_cards.pop(event.run_id, None)
    if pending is None:
        return
    from mlnb.display.cards import run_card_bundle

    handle, result = pending
    try:
        handle.update(run_card_bundle(event.run_id, result), raw=True)
    except Exception as exc:
        _warn(f"could not update the run card ({type(exc).__name__}: {exc})")


def parse_options(argstring: str) -> TrackOptions:
    """Parse ``%%track`` options; a bad option raises IPython's one-line ``UsageError``."""
    try:  # POSIX quoting, so that -n "my run" names the run my run
        argv = shlex.split(argstring)
    except ValueError as exc:
        raise UsageError(f"%%track: {exc}") from None
    args = MlnbMagics.track.parser.parse_args(argv)
    try:
        tags = parse_pairs(args.tag, "-t/--tag")
        check_user_tags(tags)
        params = parse_pairs(args.param, "-p/--param")
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None
    return TrackOptions(
        experiment=args.experiment,
        name=args.name,
        tags=tags,
        params=params,
        models=not args.no_models,
        figures=not args.no_figures,
        training_metrics=args.training_metrics,
        nested=args.nested,
        allow_pickle=args.allow_pickle,
    )


_EVENTS = ("pre_execute", "pre_run_cell", "post_execute", "post_run_cell")
_loaded: dict[int, MlnbMagics] = {}


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%%track``, ``%mlnb``, the input/AST transformers and the cell events.

    The run card's redraw subscribes to :mod:`mlnb.tracking.events` (a card shown while its
    models were saving is redrawn once its run has ended).
    """
    if id(ipython) in _loaded:  # loading twice would track every cell twice
        return
    magics = MlnbMagics(ipython)
    ipython.register_magics(magics)
    events.subscribe(_update_card)  # idempotent: one card update for every shell
    ipython.input_transformers_cleanup.append(magics.strip_track_line)
    ipython.ast_transformers.append(magics.ast_hook)
    for event in _EVENTS:
        ipython.events.register(event, getattr(magics, event))
    _loaded[id(ipython)] = magics
    from mlnb.capture import context

    context.prefetch()


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext mlnb``: remove everything :func:`load_ipython_extension` registered."""
    magics = _loaded.pop(id(ipython), None)
    if magics is None:
        return
    for event in _EVENTS:
        try:
            ipython.events.unregister(event, getattr(magics, event))
        except ValueError:
            pass
    if magics.strip_track_line in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(magics.strip_track_line)
    if magics.ast_hook in ipython.ast_transformers:
        ipython.ast_transformers.remove(magics.ast_hook)
    if not _loaded:  # the last shell with the extension: nothing shows cards any more
        events.unsubscribe(_update_card)
