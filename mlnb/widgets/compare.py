"""``mlnb.compare()``: a runs table and plots, live in the notebook, with a static fallback.

The panel is an ipywidgets composition: a filter box and switches (plain ipywidgets) above one
anywidget view (``static/compare.js``) that draws the column chooser, the virtualized table and
the plots from compact columnar data (see ``_compare_data``).  Selections made in the browser
(checkboxes, parallel-coordinates brushes) come back as ``panel.selected``.

The table opens on the columns of :func:`~mlnb.widgets._compare_defaults.default_columns`
(metrics, most recent first, then the params that differ) with child runs folded under their
parent; a column choice made in the browser is kept there (localStorage, per store and
experiment) and comes back when the panel is opened again.

A big experiment opens in two steps: the first payload holds the most recent
``FIRST_PAGE`` runs, so the panel appears at once; the front end then asks for the rest
(``load_all``) and the table fills in.  Python-side reads (``selected``, ``to_frame``) load
everything first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anywidget
import ipywidgets as w
import numpy as np
import traitlets as tl

from mlnb.display import format as fmt
from mlnb.display.html import esc
from mlnb.entities import Experiment, ViewType
from mlnb.errors import MlnbError
from mlnb.tracking.state import get_store
from mlnb.widgets import _base, _fallback
from mlnb.widgets import _compare_defaults as defaults
from mlnb.widgets._compare_data import RunTable, payload, table_from_search

FIRST_PAGE = 1000
MAX_HISTORY_RUNS = 20
_KIND_RANK = {"metrics": 0, "params": 1, "tags": 2}


class CompareView(anywidget.AnyWidget):
    """The drawn part of the compare panel: table + plots (state only; logic in ComparePanel)."""

    _esm = _base.STATIC / "compare.js"
    _css = _base.STATIC / "compare.css"

    data = tl.Dict().tag(sync=True)
    # the visible data columns in display order (metrics, then params, then tags); run name and
    # status always lead.  ``chosen`` is the choice they come from (the defaults until the user
    # picks columns: then ``custom``), before "only differences" drops the constant ones.
    columns = tl.List(tl.Unicode()).tag(sync=True)
    chosen = tl.List(tl.Unicode()).tag(sync=True)
    custom = tl.Bool(False).tag(sync=True)
    default_columns = tl.List(tl.Unicode()).tag(sync=True)
    differing_params = tl.List(tl.Unicode()).tag(sync=True)
    primary_metric = tl.Unicode("").tag(sync=True)
    storage_key = tl.Unicode("").tag(sync=True)  # localStorage key of the column choice
    sort: tl.List[Any] = tl.List().tag(sync=True)  # [] or [key, "asc" | "desc"]
    selected = tl.List(tl.Unicode()).tag(sync=True)  # run ids
    transpose = tl.Bool(False).tag(sync=True)
    plot = tl.Unicode("parallel").tag(sync=True)
    axes = tl.List(tl.Unicode()).tag(sync=True)
    brushes = tl.Dict().tag(sync=True)  # key -> [low, high] in data units
    scatter_x = tl.Unicode("").tag(sync=True)
    scatter_y = tl.Unicode("").tag(sync=True)
    box_metric = tl.Unicode("").tag(sync=True)
    box_group = tl.Unicode("").tag(sync=True)
    contour_x = tl.Unicode("").tag(sync=True)
    contour_y = tl.Unicode("").tag(sync=True)
    contour_z = tl.Unicode("").tag(sync=True)
    history_metric = tl.Unicode("").tag(sync=True)
    history = tl.Dict().tag(sync=True)
    loading = tl.Bool(False).tag(sync=True)


def _experiment_ids(experiment: Any) -> list[str]:
    from mlnb.tracking.search import resolve_experiment_ids as resolve

    if experiment is None:
        return resolve(None, None, False)
    items = experiment if isinstance(experiment, (list, tuple)) else [experiment]
    store = get_store()
    ids = []
    for item in items:
        if isinstance(item, Experiment):
            ids.append(item.experiment_id)
        elif store.get_experiment_by_name(str(item)) is not None:
            ids += resolve(None, [str(item)], False)
        else:
            ids.append(store.get_experiment(str(item)).experiment_id)
    return ids


def _run_ids(runs: Any) -> list[str] | None:
    if runs is None:
        return None
    if isinstance(runs, str):
        return [runs]
    if hasattr(runs, "columns") and "run_id" in getattr(runs, "columns", ()):
        return [str(r) for r in runs["run_id"]]
    out = []
    for run in runs:
        info = getattr(run, "info", run)
        out.append(str(getattr(info, "run_id", info)))
    return out


class ComparePanel(w.VBox):
    """Runs table and plots of an experiment's runs; see :func:`compare`."""

    def __init__(
        self,
        runs: Any = None,
        experiment: Any = None,
        filter: str = "",
        *,
        max_results: int = 100_000,
    ) -> None:
        self._fixed_ids = _run_ids(runs)
        self._experiments = (
            _experiment_ids(experiment) if experiment is not None or self._fixed_ids is None else []
        )
        self._max_results = max_results
        self._table = RunTable()
        self._complete = False
        self._version = 0
        self._seen_end = 0.0
        self.view = CompareView()
        self.filter_box = w.Text(
            value=filter or "",
            placeholder="search: a run name or tag (rf), or a filter (metrics.accuracy > 0.8)",
            continuous_update=False,
            layout=w.Layout(flex="1 1 auto", width="auto"),
        )
        self.only_differences = w.Checkbox(value=False, description="only differences", indent=False)
        self.transpose = w.Checkbox(value=False, description="transpose", indent=False)
        self.refresh_button = w.Button(description="refresh", icon="refresh", layout=w.Layout(width="90px"))
        self.error = w.HTML(value="")
        controls = w.HBox(
            [self.filter_box, self.only_differences, self.transpose, self.refresh_button],
            layout=w.Layout(align_items="center"),
        )
        super().__init__([controls, self.error, self.view])
        self.add_class("mlnb-compare-panel")
        self.view.storage_key = defaults.storage_key(
            get_store().location.uri, self._experiments, self._fixed_ids
        )
        self.filter_box.observe(self._on_filter, names="value")
        self.only_differences.observe(self._update_columns, names="value")
        self.view.observe(self._update_columns, names=["chosen", "custom"])
        self.transpose.observe(lambda ch: setattr(self.view, "transpose", ch["new"]), names="value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.view.observe(self._update_history, names=["plot", "history_metric", "selected"])
        self.view.on_msg(self._on_msg)
        self._load(self.filter_box.value, first_page=True)
        _base.add_run_listener(self)

    # -- loading ---------------------------------------------------------------------------
    def _search(self, search: str, limit: int, also: str | None = None) -> Any:
        """Runs matching the filter box's ``search`` (and the filter ``also``, when given)."""
        from mlnb.store.search_text import interpret

        # a filter, or plain text found in run names and tag values ("rf"); blank is neither
        filter_string, text = interpret(search)
        if also is not None:
            filter_string = f"({filter_string}) AND {also}" if filter_string else also
        store = get_store()
        store.flush()
        return store.search_runs(
            self._experiments, filter_string, None, limit, ViewType.ACTIVE_ONLY, self._fixed_ids, text=text
        )

    def _load(self, filter_string: str, *, first_page: bool = False) -> bool:
        limit = min(FIRST_PAGE, self._max_results) if first_page else self._max_results
        try:
            result = self._search(filter_string, limit)
        except MlnbError as exc:
            self._show_error(str(exc))
            return False
        self._show_error("")
        self._table = table_from_search(result)
        self._complete = len(self._table) < limit or limit == self._max_results
        ends = self._table.end_time
        if len(ends) and not np.isnan(ends).all():
            self._seen_end = max(self._seen_end, float(np.nanmax(ends)))
        self._push()
        return True

    def _push(self) -> None:
        table = self._table
        self._version += 1
        known = set(table.run_ids)
        view = self.view
        with view.hold_sync():
            self._choose_defaults()
            best, _used = defaults.best_children(
                table, [k for k in view.default_columns if k.startswith("metrics.")]
            )
            view.data = payload(
                table,
                complete=self._complete,
                version=self._version,
                best=best,
                primary_best=defaults.best_row(table, view.primary_metric),
            )
            view.selected = [r for r in view.selected if r in known]
            view.loading = not self._complete
            self._update_columns()
        self._update_history()

    def _ensure_complete(self) -> None:
        if not self._complete:
            self._load(self.filter_box.value)

    def _choose_defaults(self) -> None:
        table, view = self._table, self.view
        keys = table.keys
        times = defaults.read_metric_times(get_store(), table.run_ids) if len(table) else {}
        columns = defaults.default_columns(table, times)
        view.default_columns = columns
        view.differing_params = defaults.differing_params(table)
        view.primary_metric = defaults.primary_metric(columns) or ""
        if not view.custom:
            view.chosen = columns
        numeric = [k for k in keys if table.columns[k].numeric]
        params = [k for k in keys if k.startswith("params.")]
        num_params = [k for k in params if k in numeric]
        metrics = [k for k in columns if k.startswith("metrics.")]

        def pick(current: str, candidates: list[str], fallback: str = "") -> str:
            return current if current in keys else (candidates[0] if candidates else fallback)

        view.scatter_x = pick(view.scatter_x, num_params or params)
        view.scatter_y = pick(view.scatter_y, metrics)
        view.box_metric = pick(view.box_metric, metrics)
        groups = [
            k for k in keys if not k.startswith("metrics.") and 1 < table.columns[k].distinct_count() <= 30
        ]
        view.box_group = pick(view.box_group, groups)
        view.contour_x = pick(view.contour_x, num_params)
        view.contour_y = pick(view.contour_y, [k for k in num_params if k != view.contour_x])
        view.contour_z = pick(view.contour_z, metrics)
        view.history_metric = pick(view.history_metric, metrics)

    # -- reactions -------------------------------------------------------------------------
    def _on_filter(self, change: dict[str, Any]) -> None:
        self._load(change["new"], first_page=True)

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "load_all":
            self._ensure_complete()

    def _update_columns(self, _change: Any = None) -> None:
        view, columns = self.view, self._table.columns
        chosen = [k for k in view.chosen if k in columns]
        if view.custom and not chosen and view.chosen:  # none of the chosen keys in these runs
            chosen = [k for k in view.default_columns if k in columns]
        if self.only_differences.value:
            varying = set(self._table.varying_keys())
            chosen = [k for k in chosen if k in varying]
        chosen.sort(key=lambda k: _KIND_RANK.get(k.split(".", 1)[0], 3))  # stable: metrics first
        view.columns = chosen

    # -- columns from Python ---------------------------------------------------------------
    def choose_columns(self, keys: Sequence[str]) -> None:
        """Show these columns (``metrics.x``, ``params.y``, ``tags.z``) after run name and status.

        The browser keeps the choice for this experiment (as when it is made in the chooser).
        """
        unknown = [k for k in keys if k not in self._table.columns]
        if unknown:
            raise MlnbError(
                f"no such column: {', '.join(unknown)}; the columns are "
                f"{', '.join(self._table.keys[:20]) or '(none: no runs)'}"
            )
        self.view.chosen = list(keys)
        self.view.custom = True

    def reset_columns(self) -> None:
        """Back to the default columns: metrics (most recent first), then the params that differ."""
        self.view.custom = False
        self.view.chosen = list(self.view.default_columns)

    def _update_history(self, _change: Any = None) -> None:
        view = self.view
        if view.plot != "history" or not view.history_metric:
            return
        self.view.history = self.metric_history(view.history_metric)

    def _show_error(self, message: str) -> None:
        self.error.value = (
            '<div class="mlnb-compare-error" style="color:var(--jp-error-color1, #b00020)">'
            f"{esc(message)}</div>"
            if message
            else ""
        )

    # -- refresh hooks ---------------------------------------------------------------------
    def _on_run_finished(self, _run_id: str) -> None:
        self.refresh()

    def _poll(self) -> None:
        """After a cell: refresh if a run of this panel's scope ended since the last load."""
        try:
            found = self._search(self.filter_box.value, 1, f"attributes.end_time > {int(self._seen_end)}")
        except MlnbError:
            return
        if found.runs:
            self.refresh()

    def refresh(self) -> None:
        """Read the runs again from the store (keeps the filter, columns and selection)."""
        self._load(self.filter_box.value, first_page=not self._complete)

    def close(self) -> None:
        _base.remove_run_listener(self)
        super().close()

    # -- Python side of the selection and the table ---------------------------------------
    @property
    def table(self) -> RunTable:
        """Every run of the panel as columns (loads the rest of a big experiment first)."""
        self._ensure_complete()
        return self._table

    @property
    def error_message(self) -> str:
        """The filter error shown in the panel ('' when the filter is valid)."""
        import html
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.error.value))

    @property
    def selected(self) -> Any:
        """The selected runs as a DataFrame with :func:`mlnb.search_runs`' columns, in table order."""
        from mlnb.tracking.search import search_runs

        ids = list(self.view.selected)
        frame = search_runs(run_ids=ids, search_all_experiments=True, run_view_type=ViewType.ALL)
        position = {rid: i for i, rid in enumerate(self.table.run_ids)}
        ids_in_frame = frame["run_id"].tolist()
        order = sorted(range(len(ids_in_frame)), key=lambda i: position.get(ids_in_frame[i], 0))
        return frame.iloc[order].reset_index(drop=True)

    def select(self, run_ids: Sequence[str]) -> None:
        """Select runs from Python (the table's checkboxes follow)."""
        known = set(self.table.run_ids)
        self.view.selected = [r for r in run_ids if r in known]

    def visible_columns(self) -> list[str]:
        """Run name, status, the chosen columns (metrics, params, tags) and the start time."""
        return [*defaults.BASE_COLUMNS, *self.view.columns, "start_time"]

    def to_frame(self, *, load_all: bool = True, limit: int | None = None) -> Any:
        """The table as shown: chosen columns, current sort, transposed when switched.

        ``limit`` keeps the first rows only (after sorting).
        """
        import pandas as pd

        table = self.table if load_all else self._table
        sort = list(self.view.sort)
        order = table.sort_order(sort[0] if sort else None, len(sort) > 1 and sort[1] == "desc")
        order = order[:limit] if limit is not None else order
        cols = self.visible_columns()
        frame = pd.DataFrame(
            {c: [table.cell(c, int(i)) for i in order] for c in cols},
            index=pd.Index([table.run_ids[int(i)] for i in order], name="run_id"),
        )
        return frame.T if self.view.transpose else frame

    def metric_history(self, key: str, run_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Step-wise values of metric ``key`` for ``run_ids`` (default: the selected runs, or the
        first ones when none is selected), at most ``MAX_HISTORY_RUNS`` runs."""
        store = get_store()
        table = self._table
        ids = list(run_ids if run_ids is not None else self.view.selected) or table.run_ids
        names = dict(zip(table.run_ids, table.names, strict=True))
        series = []
        for run_id in ids[:MAX_HISTORY_RUNS]:
            points = store.get_metric_history(run_id, key.removeprefix("metrics."))
            values = [None if p.value != p.value else p.value for p in points]
            series.append(
                {
                    "run_id": run_id,
                    "name": names.get(run_id, run_id),
                    "steps": [p.step for p in points],
                    "values": values,
                }
            )
        return {"metric": key, "series": series}

    # -- static fallback -------------------------------------------------------------------
    _ipython_display_ = _fallback.display_method("compare")  # static version + live widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from mlnb.widgets._compare_static import render_html

        bundle = super()._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data["text/html"] = render_html(self)
        data["text/plain"] = repr(self)
        return data

    def __repr__(self) -> str:
        return f"<ComparePanel: {fmt.count(len(self._table), 'run')}, {len(self.view.selected)} selected>"


def compare(
    runs: Any = None,
    experiment: Any = None,
    filter: str = "",
    *,
    max_results: int = 100_000,
) -> ComparePanel:
    """Compare runs inline: sortable table, filter, plots; selections flow back to Python.

    Parameters
    ----------
    runs : DataFrame, list of run ids or Run objects, optional
        Exactly these runs (for example ``mlnb.search_runs(...)``). Default: the experiment's.
    experiment : str, Experiment or list, optional
        Experiment name(s) or id(s); default the current experiment.
    filter : str
        MLflow's filter language (plus ``OR`` and parentheses); editable in the panel.
    max_results : int
        At most this many runs (most recent first).

    Returns
    -------
    ComparePanel
        Display it (last expression of a cell); ``panel.selected`` is a DataFrame of the runs
        ticked or brushed in the browser.

    Notes
    -----
    The table opens on run name and status, the metrics (most recently logged first), then
    only the params whose values differ between the runs; tags are hidden.  Child runs (a
    search CV's candidates, nested runs) are folded under their parent, which shows its best
    child (by the first metric; lower is better for loss/error-like names).  The *columns*
    button opens a searchable chooser (metrics / params / tags); the choice is remembered by
    the browser for this experiment, and *reset* returns to the defaults.  From Python:
    :meth:`ComparePanel.choose_columns` and :meth:`ComparePanel.reset_columns`.

    Examples
    --------
    >>> panel = mlnb.compare(experiment="churn", filter="metrics.f1 > 0.7")  # doctest: +SKIP
    >>> panel                                                                # doctest: +SKIP
    >>> panel.selected[["run_id", "metrics.f1"]]                             # doctest: +SKIP
    """
    return ComparePanel(runs=runs, experiment=experiment, filter=filter, max_results=max_results)
