"""``mlnb.drift`` and ``mlnb.check_drift``: per-column drift tests, dataset drift, data quality."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mlnb.analysis import _drift_tests as T
from mlnb.display import format as fmt
from mlnb.display.html import Cell, Html, bullets, esc, table, tone
from mlnb.errors import InvalidParameter


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str
    test: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int


@dataclass(frozen=True)
class QualityIssue:
    column: str
    check: str  # "missing_values" | "new_categories" | "out_of_range" | "missing_column" | "type_changed"
    count: int
    share: float
    detail: str


@dataclass
class DriftReport:
    """Result of a drift check: per-column tests, the dataset verdict and data-quality issues."""

    columns: list[ColumnDrift]
    quality: list[QualityIssue]
    drift_share: float
    reference: str
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def share_drifted(self) -> float:
        return len(self.drifted_columns) / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        """True when the share of drifted columns reaches ``drift_share``."""
        return bool(self.columns) and self.share_drifted >= self.drift_share

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns,
            "reference": self.reference,
            "columns": [asdict(c) for c in self.columns],
            "quality": [asdict(q) for q in self.quality],
            "notes": self.notes,
        }

    def to_json(self, path: str | None = None) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.columns]).set_index("column")

    def log(self, run_id: str) -> None:
        """Log ``drift_report.json`` and ``drift_report.html`` plus summary metrics to a run."""
        from mlnb.tracking.fluent import log_metrics
        from mlnb.tracking.state import get_store

        metrics = {
            "dataset_drift": float(self.dataset_drift),
            "share_of_drifted_columns": self.share_drifted,
            "number_of_drifted_columns": float(len(self.drifted_columns)),
            "data_quality_issues": float(len(self.quality)),
        }
        for c in self.columns:
            metrics[f"drift.{_metric_key(c.column)}.{c.test}"] = c.statistic
        log_metrics(metrics, run_id=run_id, synchronous=True)
        get_store().artifacts.write_files(
            run_id,
            [
                ("drift_report.json", self.to_json().encode()),
                ("drift_report.html", self._repr_html_().encode()),
            ],
        )
        self.run_id = run_id

    def _repr_html_(self) -> str:
        verdict = "DRIFT detected" if self.dataset_drift else "no dataset drift"
        colour = tone("error" if self.dataset_drift else "success")
        rows: list[list[str | Cell]] = [
            [
                c.column,
                c.kind,
                c.test,
                fmt.number(c.statistic),
                fmt.number(c.p_value, missing="-"),
                fmt.number(c.threshold),
                Cell("drift" if c.drifted else "ok", style=tone("error" if c.drifted else "success")),
            ]
            for c in self.columns
        ]
        issues = [Html(f"<b>{esc(q.column)}</b> {esc(q.check)}: {esc(q.detail)}") for q in self.quality]
        head = ["column", "type", "test", "statistic", "p-value", "threshold", "result"]
        return (
            f"<div class='mlnb-drift'><p style='{colour}'><b>{verdict}</b>: "
            f"{len(self.drifted_columns)} of {fmt.count(len(self.columns), 'column')} drifted "
            f"(dataset threshold {fmt.percent(self.drift_share)}) · reference: {esc(self.reference)}</p>"
            + table(head, rows)
            + (f"<p><b>Data quality</b></p>{bullets(issues)}" if issues else "<p>Data quality: no issues</p>")
            + "</div>"
        )

    def __repr__(self) -> str:
        verdict = "DRIFT" if self.dataset_drift else "no drift"
        return (
            f"<DriftReport {verdict}: {len(self.drifted_columns)}/{fmt.count(len(self.columns), 'column')} "
            f"{self.drifted_columns}, {fmt.count(len(self.quality), 'quality issue')}>"
        )


def _metric_key(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", name)[:200]


def _refs(reference: Any, columns: list[str] | None) -> tuple[dict[str, T.Ref], str]:
    from mlnb.flavors.profile import check_profile, column_kind, is_profile

    if is_profile(reference):
        profile = check_profile(reference)
        refs = {c["name"]: T.ref_from_profile(c) for c in profile["columns"]}
        label = f"profile of {fmt.count(int(profile['n_rows']), 'row')}"
    else:
        from mlnb.flavors.profile import as_frame

        frame = as_frame(reference)
        refs = {str(c): T.ref_from_series(str(c), frame[c], column_kind(frame[c])) for c in frame.columns}
        label = f"data of {fmt.count(len(frame), 'row')}"
    if columns is not None:
        unknown = [c for c in columns if c not in refs]
        if unknown:
            raise InvalidParameter(f"columns {unknown} are not in the reference; it has {list(refs)}")
        refs = {c: refs[c] for c in columns}
    return refs, label


def _quality(ref: T.Ref, cur: Any, missing_tolerance: float) -> list[QualityIssue]:
    import numpy as np
    import pandas as pd

    issues = []
    n = len(cur)
    missing = int(cur.isna().sum())
    ref_share = ref.missing / max(ref.count + ref.missing, 1)
    if n and missing / n > ref_share + missing_tolerance:
        issues.append(
            QualityIssue(
                ref.name,
                "missing_values",
                missing,
                missing / n,
                f"{fmt.percent(missing / n, decimals=1)} missing vs {fmt.percent(ref_share, decimals=1)} in the reference",
            )
        )
    values = cur.dropna()
    if ref.kind == "numeric":
        if not pd.api.types.is_numeric_dtype(cur.dtype):
            return [
                *issues,
                QualityIssue(ref.name, "type_changed", n, 1.0, f"numeric in the reference, {cur.dtype} now"),
            ]
        x = values.to_numpy(dtype="float64")
        if ref.min is not None and x.size:
            out = int(np.sum((x < ref.min) | (x > ref.max)))
            if out:
                issues.append(
                    QualityIssue(
                        ref.name,
                        "out_of_range",
                        out,
                        out / n,
                        f"{fmt.count(int(out), 'value')} outside the reference range "
                        f"[{fmt.number(ref.min)}, {fmt.number(ref.max)}]",
                    )
                )
    elif ref.counts is not None and not ref.other_count:
        known = set(ref.counts)
        new = values[~values.map(lambda v: T.category_key(v) in known).astype(bool)]
        if len(new):
            names = sorted({str(v) for v in new})[:10]
            issues.append(
                QualityIssue(
                    ref.name,
                    "new_categories",
                    len(new),
                    len(new) / n,
                    f"{fmt.count(len(new), 'row')} with values not seen in the reference: {', '.join(names)}",
                )
            )
    return issues


def drift(
    reference: Any,
    current: Any,
    *,
    columns: list[str] | None = None,
    tests: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    drift_share: float = 0.5,
    missing_tolerance: float = 0.05,
    run: Any = None,
) -> DriftReport:
    """Compare ``current`` data with a reference: per-column drift, dataset drift, data quality.

    **Test per column** (by the reference column's type and its non-missing sample size *n*):

    ==========================  ==============  =============================================
    column                      n <= 1000       n > 1000
    ==========================  ==============  =============================================
    numeric (> 2 values)        Kolmogorov-     Wasserstein distance / reference std
                                Smirnov         (drift when >= 0.1)
                                (p < 0.05)
    categorical (> 2 values)    chi-squared     Jensen-Shannon distance, base 2
                                (p < 0.05)      (drift when >= 0.1)
    binary (exactly 2 values)   two-proportion  Jensen-Shannon distance (>= 0.1)
                                Z-test (p<0.05)
    ==========================  ==============  =============================================

    Change a test with ``tests={"col": "wasserstein"}`` and a threshold with
    ``thresholds={"ks": 0.01}`` (p-value tests drift *below* it, distances *at or above* it).
    The dataset drifts when the share of drifted columns is ``>= drift_share`` (0.5).

    **Data quality** (reported, not part of the drift verdict): a column missing from
    ``current``, a share of missing values more than ``missing_tolerance`` above the reference's,
    categories never seen in the reference, numeric values outside the reference's [min, max],
    and a numeric column that is no longer numeric.

    Parameters
    ----------
    reference : DataFrame or dict
        The reference data, or a reference profile (``mlnb.flavors.profile.build_profile``),
        which gives the same verdicts without a copy of the data.
    current : DataFrame
        The new data.
    columns : list of str, optional
        Only these columns (default: every reference column).
    run : str, Run or bool, optional
        Log the report (JSON + HTML artifacts, summary metrics) to this run; default the active
        run if any; ``False`` never logs.

    Returns
    -------
    DriftReport
        ``.dataset_drift``, ``.drifted_columns``, ``.columns``, ``.quality``, ``.to_json()``.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"x": range(100)}); cur = pd.DataFrame({"x": range(50, 150)})
    >>> drift(ref, cur, run=False).drifted_columns
    ['x']
    """
    from mlnb.flavors.profile import as_frame

    refs, label = _refs(reference, columns)
    frame = as_frame(current)
    frame.columns = [str(c) for c in frame.columns]
    thresholds = {**T.DEFAULT_THRESHOLDS, **(thresholds or {})}
    results, quality, notes = [], [], []
    for name, ref in refs.items():
        if name not in frame.columns:
            quality.append(
                QualityIssue(name, "missing_column", len(frame), 1.0, "column not in the current data")
            )
            continue
        cur = frame[name]
        issues = _quality(ref, cur, missing_tolerance)
        quality.extend(issues)
        if any(i.check == "type_changed" for i in issues):
            continue
        test = (tests or {}).get(name) or T.choose_test(ref)
        if test not in T.RUNNERS:
            raise InvalidParameter(
                f"unknown drift test {test!r} for {name!r}; use one of {', '.join(T.TESTS)}"
            )
        if test in ("ks", "wasserstein") and ref.kind != "numeric":
            raise InvalidParameter(f"{test} needs a numeric column; {name!r} is {ref.kind}")
        statistic, p_value = T.RUNNERS[test](ref, cur)
        limit = thresholds[test]
        drifted = p_value < limit if p_value is not None else statistic >= limit
        results.append(
            ColumnDrift(
                name,
                ref.kind,
                test,
                statistic,
                p_value,
                limit,
                bool(drifted),
                ref.count,
                int(cur.notna().sum()),
            )
        )
    extra = [c for c in frame.columns if c not in refs and columns is None]
    if extra:
        notes.append(f"columns not in the reference, not tested: {', '.join(extra)}")
    report = DriftReport(results, quality, drift_share, label, notes=notes)
    run_id = _run_id(run)
    if run_id is not None:
        report.log(run_id)
    return report


def _run_id(run: Any) -> str | None:
    if run is False:
        return None
    if run is not None and run is not True:
        info = getattr(run, "info", None)
        return info.run_id if info is not None else str(run)
    from mlnb.tracking.fluent import active_run

    active = active_run()
    return active.info.run_id if active is not None else None


def load_reference_profile(model_uri: str) -> dict[str, Any]:
    """The reference profile stored next to a logged model (``<model>/reference_profile.json``)."""
    from mlnb.errors import ArtifactNotFound
    from mlnb.flavors.profile import check_profile
    from mlnb.registry.uris import resolve_model_uri
    from mlnb.tracking.state import get_store

    run_id, path = resolve_model_uri(model_uri)
    rel = f"{path}/reference_profile.json"
    store = get_store()
    if rel not in store.artifact_rows(run_id, path):
        raise ArtifactNotFound(
            f"{model_uri} has no reference profile ({rel}); log the model with training_data=X_train"
        )
    return check_profile(json.loads(store.artifacts.verified_path(run_id, rel).read_text("utf-8")))


def check_drift(model_uri: str, current: Any, **kwargs: Any) -> DriftReport:
    """Drift of ``current`` against the training data of a logged model, from its stored profile.

    Takes the same keyword arguments as :func:`drift`.

    Examples
    --------
    >>> report = check_drift("models:/churn@champion", new_rows)  # doctest: +SKIP
    """
    return drift(load_reference_profile(model_uri), current, **kwargs)
