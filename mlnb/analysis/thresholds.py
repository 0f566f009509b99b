"""Validation thresholds in MLflow's ``MetricThreshold`` form, and their check against a baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mlnb.display import format as fmt
from mlnb.display import html
from mlnb.display.html import Cell, tone
from mlnb.errors import InvalidParameter, ValidationFailed


@dataclass(frozen=True)
class MetricThreshold:
    """A gate on one metric, as in ``mlflow.models.MetricThreshold``.

    Parameters
    ----------
    threshold : float, optional
        The value must be ``>= threshold`` (``<=`` when lower is better).
    min_absolute_change : float, optional
        Positive; the value must beat the baseline model's by at least this much.
    min_relative_change : float, optional
        In [0, 1]; the value must beat the baseline by this share of ``abs(baseline)``
        (when the baseline is 0: by more than 1e-10).
    greater_is_better : bool
        Required: the direction of the metric.

    At least one of ``threshold``, ``min_absolute_change`` and ``min_relative_change`` is given
    (MLflow's rule; arguments in MLflow's order, so positional calls work as there).

    Examples
    --------
    >>> MetricThreshold(threshold=0.8, min_absolute_change=0.01, greater_is_better=True).check(0.85, 0.83)
    []
    """

    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    greater_is_better: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.greater_is_better, bool):
            raise InvalidParameter(
                f"MetricThreshold needs greater_is_better=True or False, got {self.greater_is_better!r}"
            )
        if self.threshold is not None and not _is_number(self.threshold):
            raise InvalidParameter(f"threshold must be a number, got {self.threshold!r}")
        mac = self.min_absolute_change
        if mac is not None and (not _is_number(mac) or mac <= 0):
            raise InvalidParameter(f"min_absolute_change must be a positive number, got {mac!r}")
        mrc = self.min_relative_change
        if mrc is not None and (not _is_number(mrc) or not 0 <= mrc <= 1):
            raise InvalidParameter(f"min_relative_change must be a number between 0 and 1, got {mrc!r}")
        if self.threshold is None and mac is None and mrc is None:
            raise InvalidParameter(
                "MetricThreshold needs threshold, min_absolute_change or min_relative_change; none was given"
            )

    @property
    def needs_baseline(self) -> bool:
        return self.min_absolute_change is not None or self.min_relative_change is not None

    def check(self, value: float | None, baseline: float | None = None) -> list[str]:
        """The reasons ``value`` fails this gate (empty when it passes)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ["metric missing"]
        up = self.greater_is_better
        op = ">=" if up else "<="
        failures = []
        if self.threshold is not None and not (value >= self.threshold if up else value <= self.threshold):
            shown, limit = fmt.distinct(value, self.threshold)
            failures.append(f"value {shown} {op} threshold {limit} is false")
        if baseline is None:
            if self.needs_baseline:
                failures.append("baseline metric missing")
            return failures
        if self.min_absolute_change is not None:
            bound = baseline + self.min_absolute_change if up else baseline - self.min_absolute_change
            if not (value >= bound if up else value <= bound):
                shown, needed = fmt.distinct(value, bound)
                how = f"baseline {fmt.number(baseline)} {'+' if up else '-'} {fmt.number(self.min_absolute_change)}"
                failures.append(f"value {shown} {op} {needed} ({how}) is false")
        if self.min_relative_change is not None:
            step = self.min_relative_change * abs(baseline) if baseline != 0 else 1e-10
            bound = baseline + step if up else baseline - step
            if not (value >= bound if up else value <= bound):
                shown, needed = fmt.distinct(value, bound)
                how = f"baseline {fmt.number(baseline)} {'+' if up else '-'} {fmt.percent(self.min_relative_change)}"
                failures.append(f"value {shown} {op} {needed} ({how}) is false")
        return failures


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class MetricValidation:
    """The outcome of one metric's gate."""

    metric: str
    value: float | None
    baseline: float | None
    threshold: MetricThreshold
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def validate(
    metrics: dict[str, float],
    thresholds: dict[str, MetricThreshold] | None,
    baseline: dict[str, float] | None,
) -> list[MetricValidation]:
    """Check every gate; a gate that compares with a baseline needs ``baseline`` metrics."""
    out = []
    for name, gate in (thresholds or {}).items():
        if not isinstance(gate, MetricThreshold):
            raise InvalidParameter(f"validation_thresholds[{name!r}] must be a MetricThreshold, got {gate!r}")
        if gate.needs_baseline and baseline is None:
            raise InvalidParameter(
                f"the gate on {name!r} compares with a baseline (min_*_change): pass baseline_model="
            )
        base = None if baseline is None else baseline.get(name)
        value = metrics.get(name)
        out.append(MetricValidation(name, value, base, gate, tuple(gate.check(value, base))))
    return out


def table(results: list[MetricValidation]) -> str:
    """A fixed-width text table of gate results (used in ValidationFailed messages)."""
    rows = [("metric", "value", "baseline", "gate", "result")]
    for r in results:
        gate = _describe(r.threshold)
        rows.append(
            (
                r.metric,
                fmt.number(r.value, missing="-"),
                fmt.number(r.baseline, missing="-"),
                gate,
                "pass" if r.passed else "FAIL: " + "; ".join(r.failures),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4] for row in rows
    )


def html_table(results: list[MetricValidation]) -> str:
    """The gate results as an HTML table (the evaluation's display); the result cell is coloured."""
    rows: list[list[str | Cell]] = [
        [
            r.metric,
            fmt.number(r.value, missing="-"),
            fmt.number(r.baseline, missing="-"),
            _describe(r.threshold),
            Cell(
                "pass" if r.passed else "FAIL: " + "; ".join(r.failures),
                style=tone("success" if r.passed else "error"),
            ),
        ]
        for r in results
    ]
    return html.table(["metric", "value", "baseline", "gate", "result"], rows)


def _describe(t: MetricThreshold) -> str:
    op = ">=" if t.greater_is_better else "<="
    parts = []
    if t.threshold is not None:
        parts.append(f"{op} {fmt.number(t.threshold)}")
    if t.min_absolute_change is not None:
        parts.append(f"{'+' if t.greater_is_better else '-'}{fmt.number(t.min_absolute_change)} vs baseline")
    if t.min_relative_change is not None:
        parts.append(f"{'+' if t.greater_is_better else '-'}{fmt.percent(t.min_relative_change)} vs baseline")
    return ", ".join(parts) or "(no bound)"


def raise_if_failed(results: list[MetricValidation]) -> None:
    failed = [r for r in results if not r.passed]
    if failed:
        names = ", ".join(r.metric for r in failed)
        raise ValidationFailed(
            f"{len(failed)} of {len(results)} metric gates failed ({names}):\n{table(results)}"
        )
