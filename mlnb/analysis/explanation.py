"""The result of ``mlnb.explain``: SHAP values with names, plots, run artifacts and a panel."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from mlnb.analysis import _plots
from mlnb.display import format as _format
from mlnb.display.html import bullets, esc, img
from mlnb.errors import InvalidParameter


class Explanation:
    """SHAP values of one model on one table.

    Attributes
    ----------
    values : ndarray
        ``(rows, features)`` for regression and single-output classifiers, ``(rows, features,
        classes)`` when the model has one output per class.
    base_values : ndarray
        ``(rows,)`` or ``(rows, classes)``: the expected model output the values add up from.
    data : ndarray
        The feature values the model saw (after a Pipeline's preprocessing).
    feature_names, class_names : list of str
    explainer : str
        ``"tree"``, ``"linear"``, ``"permutation"`` or ``"kernel"``.
    output : str
        The model output explained: ``"probability"``, ``"log_odds"``, ``"margin"`` or ``"raw"``.
    from_cache : bool
        True when the values came from the cache or from the run instead of being computed.
    """

    def __init__(
        self,
        *,
        computed: Any,
        data: Any,
        feature_names: list[str],
        raw: Any,
        groups: dict[str, str],
        class_names: list[str] | None,
        key: str,
        run_id: str | None,
        model_uri: str | None,
        artifact_path: str,
        from_cache: bool,
        is_grouped: bool = False,
    ) -> None:
        rows = computed.rows
        self.values = computed.values
        self.base_values = computed.base_values
        self.data = data if rows is None else data[rows]
        self.raw = raw if rows is None or raw is None else _take(raw, rows)
        self.rows = rows
        self.feature_names = list(feature_names)
        self.groups = dict(groups)
        self.class_names = class_names
        self.explainer = computed.explainer
        self.output = computed.output
        self.key = key
        self.run_id = run_id
        self.model_uri = model_uri
        self.artifact_path = artifact_path
        self.from_cache = from_cache
        self.is_grouped = is_grouped
        self._computed = computed
        self._writer: threading.Thread | None = None
        self._write_error: BaseException | None = None
        self._view: Any = None  # set by mlnb.widgets.explain: a callable returning the panel

    # --- selecting one output -------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        return 1 if self.values.ndim == 2 else self.values.shape[2]

    def class_index(self, cls: Any = None) -> int:
        """Index of an output given a class label, an index or None (positive class / first)."""
        if self.values.ndim == 2:
            return 0
        names = self.class_names or []
        if cls is None:
            return 1 if self.n_outputs == 2 else 0
        if str(cls) in names:
            return names.index(str(cls))
        if isinstance(cls, int) and 0 <= cls < self.n_outputs:
            return cls
        raise InvalidParameter(f"unknown class {cls!r}; the classes are {names}")

    def values_for(self, cls: Any = None) -> Any:
        """``(rows, features)`` SHAP values for one class (see :meth:`class_index`)."""
        return self.values if self.values.ndim == 2 else self.values[:, :, self.class_index(cls)]

    def base_for(self, cls: Any = None) -> Any:
        return self.base_values if self.base_values.ndim == 1 else self.base_values[:, self.class_index(cls)]

    def importance(self, cls: Any = None) -> Any:
        """Mean |SHAP value| per feature, largest first (a pandas Series)."""
        import numpy as np
        import pandas as pd

        values = np.abs(self.values_for(cls)).mean(axis=0)
        return pd.Series(values, index=self.feature_names, name="mean_abs_shap").sort_values(ascending=False)

    def _title(self, cls: Any) -> str:
        if self.values.ndim == 3 and self.class_names:
            return f"class {self.class_names[self.class_index(cls)]} ({self.output})"
        if self.class_names:
            return f"class {self.class_names[0]} ({self.output})"
        return self.output

    # --- grouping one-hot columns -----------------------------------------------------------
    def grouped(self) -> Explanation:
        """The same explanation with one-hot (and other derived) columns summed per source column.

        SHAP values are additive, so the grouped values still add up to the model output.
        """
        import numpy as np

        if self.is_grouped:
            return self
        sources: list[str] = []
        for name in self.feature_names:
            src = self.groups.get(name, name)
            if src not in sources:
                sources.append(src)
        members = [
            [i for i, n in enumerate(self.feature_names) if self.groups.get(n, n) == s] for s in sources
        ]
        values = np.stack([self.values[:, m].sum(axis=1) for m in members], axis=1)
        data = np.stack([self._group_data(s, m) for s, m in zip(sources, members, strict=True)], axis=1)
        from mlnb.analysis._shap import Computed

        computed = Computed(values, self.base_values, self.explainer, self.output, None)
        out = Explanation(
            computed=computed,
            data=data,
            feature_names=sources,
            raw=self.raw,
            groups={s: s for s in sources},
            class_names=self.class_names,
            key=self.key,
            run_id=self.run_id,
            model_uri=self.model_uri,
            artifact_path=self.artifact_path,
            from_cache=self.from_cache,
            is_grouped=True,
        )
        out.rows = self.rows
        out._view = self._view
        return out

    def _group_data(self, source: str, members: list[int]) -> Any:
        import numpy as np
        import pandas as pd

        raw = self.raw
        if isinstance(raw, pd.DataFrame) and source in raw.columns:
            column = raw[source]
            if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
                return column.to_numpy(dtype="float64")
            codes = pd.Categorical(column).codes.astype("float64")
            codes[codes < 0] = np.nan
            return codes
        return self.data[:, members[0]]

    # --- plots ---------------------------------------------------------------------------------
    def plot_bar(self, cls: Any = None, max_display: int = 12) -> Any:
        """Global importance bar chart (matplotlib Figure)."""
        return _plots.bar(self.values_for(cls), self.feature_names, self._title(cls), max_display)

    def plot_beeswarm(self, cls: Any = None, max_display: int = 12) -> Any:
        """Beeswarm summary: every row's SHAP value per feature, coloured by the feature value."""
        return _plots.beeswarm(
            self.values_for(cls), self.data, self.feature_names, self._title(cls), max_display
        )

    def plot_waterfall(self, row: int = 0, cls: Any = None, max_display: int = 10) -> Any:
        """How the prediction for one row is built from the base value."""
        if not 0 <= row < len(self.values):
            raise InvalidParameter(f"row must be in 0..{len(self.values) - 1}, got {row}")
        return _plots.waterfall(
            self.values_for(cls)[row],
            float(self.base_for(cls)[row]),
            self.feature_names,
            self.data[row],
            f"row {row} · {self._title(cls)}",
            max_display,
        )

    def plot_dependence(self, feature: str | int, cls: Any = None) -> Any:
        """SHAP value of one feature against its value."""
        index = feature if isinstance(feature, int) else self._feature_index(feature)
        return _plots.dependence(self.values_for(cls), self.data, self.feature_names, index, self._title(cls))

    def _feature_index(self, name: str) -> int:
        if name not in self.feature_names:
            raise InvalidParameter(f"unknown feature {name!r}; the features are {self.feature_names}")
        return self.feature_names.index(name)

    def to_shap(self, cls: Any = None) -> Any:
        """A ``shap.Explanation`` for one class, for shap's own plotting functions."""
        from mlnb.analysis._shap import import_shap

        shap = import_shap()
        return shap.Explanation(
            values=self.values_for(cls),
            base_values=self.base_for(cls),
            data=self.data,
            feature_names=self.feature_names,
        )

    # --- run artifacts ---------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "explainer": self.explainer,
            "output": self.output,
            "feature_names": self.feature_names,
            "class_names": self.class_names,
            "groups": self.groups,
            "rows": None if self.rows is None else [int(r) for r in self.rows],
            "shape": list(self.values.shape),
            "model_uri": self.model_uri,
        }

    def log(self, run_id: str, *, artifact_path: str | None = None, plots: bool = True) -> None:
        """Write ``shap_values.npy``, ``base_values.npy``, ``feature_names.json``,
        ``explanation.json`` (and the plots, in a background thread) to the run."""
        import io

        import numpy as np

        from mlnb.tracking.reserved import check_not_model_files
        from mlnb.tracking.state import get_store

        path = artifact_path or self.artifact_path
        store = get_store()
        check_not_model_files(store, run_id, [path])  # a logged model's directory is immutable

        def npy(array: Any) -> bytes:
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
            return buf.getvalue()

        items: list[tuple[str, bytes | Any]] = [
            (f"{path}/shap_values.npy", npy(self._computed.values)),
            (f"{path}/base_values.npy", npy(self._computed.base_values)),
            (f"{path}/feature_names.json", json.dumps(self.feature_names).encode()),
            (f"{path}/explanation.json", json.dumps(self.metadata(), indent=1).encode()),
        ]
        self.run_id = run_id
        if plots:
            # rendering (CPU) starts first and overlaps with the file writes below (I/O)
            self._writer = threading.Thread(
                target=self._log_plots, args=(store, run_id, path), name="mlnb-explain-plots"
            )
            self._writer.start()
        store.artifacts.write_files(run_id, items)

    def _log_plots(self, store: Any, run_id: str, path: str) -> None:

        try:
            store.artifacts.write_files(
                run_id,
                [
                    (f"{path}/summary_bar_plot.png", _plots.to_png(self.plot_bar())),
                    (f"{path}/beeswarm_plot.png", _plots.to_png(self.plot_beeswarm())),
                ],
            )
        except BaseException as exc:  # surfaced by wait()
            self._write_error = exc

    def wait(self, timeout: float | None = None) -> Explanation:
        """Block until the plot artifacts are written; re-raise an error from writing them."""
        if self._writer is not None:
            self._writer.join(timeout)
        if self._write_error is not None:
            raise self._write_error
        return self

    # --- display ---------------------------------------------------------------------------------
    def panel(self) -> Any:
        """The interactive panel (bar, beeswarm, waterfall, dependence) for this explanation."""
        if self._view is None:
            from mlnb.errors import InvalidState

            raise InvalidState("no panel available: use mlnb.explain(...) to get an explanation with a panel")
        return self._view(self)

    def payload(self, max_rows: int = 1000) -> dict[str, Any]:
        """JSON for the panel: per class values (rounded), data and base values on <= max_rows rows."""
        import numpy as np

        n = len(self.values)
        rows = (
            np.arange(n)
            if n <= max_rows
            else np.sort(np.random.default_rng(0).choice(n, max_rows, replace=False))
        )
        outputs = []
        for k in range(self.n_outputs):
            cls = k if self.values.ndim == 3 else None
            values = self.values_for(cls)
            outputs.append(
                {
                    "name": (self.class_names or [self.output])[k] if self.class_names else self.output,
                    "importance": np.abs(values).mean(axis=0).round(6).tolist(),
                    "values": values[rows].round(6).tolist(),
                    "base": self.base_for(cls)[rows].round(6).tolist(),
                }
            )
        data = np.where(np.isfinite(self.data[rows]), self.data[rows], np.nan).round(6)
        return {
            "features": self.feature_names,
            "rows": [int(r) for r in (rows if self.rows is None else self.rows[rows])],
            "data": [[None if np.isnan(v) else float(v) for v in row] for row in data],
            "outputs": outputs,
            "default_output": self.class_index() if self.values.ndim == 3 else 0,
            "explainer": self.explainer,
            "output": self.output,
        }

    def _static_bundle(self) -> dict[str, Any]:
        bar = base64.b64encode(_plots.to_png(self.plot_bar())).decode()
        swarm = base64.b64encode(_plots.to_png(self.plot_beeswarm())).decode()
        top = self.importance().head(5)
        shown = [f"{k}: {_format.number(float(v))}" for k, v in top.items()]
        items = bullets(shown, ordered=True, style="margin-top:2px")
        summary = " · ".join(
            [
                f"{esc(self.explainer)} explainer",
                _format.count(len(self.values), "row"),
                _format.count(len(self.feature_names), "feature"),
                f"output: {esc(self.output)}",
            ]
        )
        text = (
            "<div class='mlnb-explanation' style='max-width:100%;overflow-x:auto'>"
            f"<b>SHAP explanation</b> ({summary})"
            f"<p style='margin:4px 0 0'>mean |SHAP value|, top {_format.count(len(top), 'feature')}:</p>"
            f"{items}"
            + img(bar, "mean absolute SHAP value per feature", style="max-width:100%")
            + img(swarm, "SHAP beeswarm: value of every row per feature", style="max-width:100%")
            + "</div>"
        )
        return {"text/plain": repr(self), "text/html": text, "image/png": bar}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = self._static_bundle()
        if self._view is not None:
            view = self._view(self)
            widget_bundle = view._repr_mimebundle_(include=include, exclude=exclude)
            if isinstance(widget_bundle, tuple):
                widget_bundle = widget_bundle[0]
            bundle.update({k: v for k, v in (widget_bundle or {}).items() if k != "text/plain"})
        return bundle

    def _ipython_display_(self) -> None:
        # the panel shows itself (static version + live widget, see mlnb.widgets._fallback)
        from IPython.display import display

        if self._view is not None:
            display(self._view(self))
        else:
            display(self._static_bundle(), raw=True)

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.values.shape)
        top = ", ".join(f"{k}={_format.number(float(v))}" for k, v in self.importance().head(3).items())
        return f"<Explanation {self.explainer} {shape} output={self.output} top: {top}>"


def _take(raw: Any, rows: Any) -> Any:
    if hasattr(raw, "iloc"):
        return raw.iloc[rows]
    import numpy as np

    return np.asarray(raw)[rows]
