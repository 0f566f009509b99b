"""Promotion gates: move an alias to a version only if its run's metrics pass every condition.

A gate maps a metric to a condition::

    mlnb.promote("churn", 3, alias="champion", gate={
        "metrics.roc_auc": ">= 0.8",                       # a fixed threshold
        "metrics.f1": "not worse than current",            # >= the current champion's value
        "metrics.log_loss": "not worse than current (lower is better)",   # <= current
        "metrics.recall": ">= current - 0.01",             # a tolerance around the champion
    })

Conditions: ``OP NUMBER``, ``OP current``, ``OP current + NUMBER`` / ``- NUMBER`` (``OP`` is one
of ``>= > <= < == !=``), ``not worse than current`` (``>= current``), ``better than current``
(``> current``), each of the last two optionally followed by ``(lower is better)``.  Metric
values are the latest values logged in the version's source run.  Conditions against
``current`` pass when no version holds the alias yet (nothing to be worse than), and say so.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlnb.display import format as fmt
from mlnb.display.html import esc, table
from mlnb.errors import InvalidParameter, ModelNotFound, ValidationFailed
from mlnb.registry.active import active_store
from mlnb.registry.uris import check_alias, check_model_name
from mlnb.registry.versions import check_version, current_user, get_model_version

if TYPE_CHECKING:
    import pandas as pd

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "=": operator.eq,
    "!=": operator.ne,
}
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_COMPARE = re.compile(rf"(>=|<=|==|!=|>|<|=)\s*(?:(current)\s*(?:([+-])\s*({_NUM}))?|({_NUM}))", re.I)
_PHRASE = re.compile(r"(not worse|better) than current\s*(\(\s*lower is better\s*\))?", re.I)
_GATE_TEXT = re.compile(r"\s*([\w.\-/: ]+?)\s*((?:>=|<=|==|!=|>|<|=|not worse|better).*)", re.I | re.S)


@dataclass(frozen=True)
class _Condition:
    op: str
    current: bool  # compare with the current alias holder (else with a fixed number)
    offset: float  # added to the current value, or the fixed number


def parse_condition(text: str) -> _Condition:
    """Parse a gate condition such as ``">= 0.8"`` or ``"not worse than current"``."""
    if not isinstance(text, str):
        raise InvalidParameter(f"gate condition {text!r} must be a string like '>= 0.8'")
    stripped = text.strip()
    phrase = _PHRASE.fullmatch(stripped)
    if phrase:
        lower = phrase.group(2) is not None
        strict = phrase.group(1).lower() == "better"
        return _Condition(("<" if lower else ">") + ("" if strict else "="), True, 0.0)
    m = _COMPARE.fullmatch(stripped)
    if m is None:
        raise InvalidParameter(
            f"gate condition {text!r} is not understood; write e.g. '>= 0.8', '>= current - 0.01', "
            "'not worse than current' or 'better than current (lower is better)'"
        )
    op, current, sign, delta, number = m.groups()
    op = "==" if op == "=" else op
    if current:
        return _Condition(op, True, float(delta or 0.0) * (-1.0 if sign == "-" else 1.0))
    return _Condition(op, False, float(number))


def parse_gate(text: str) -> tuple[str, str]:
    """Split ``"metrics.f1>=0.8"`` (the CLI's ``--gate`` form) into ``("metrics.f1", ">=0.8")``."""
    m = _GATE_TEXT.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise InvalidParameter(
            f"gate {text!r} is not understood; write METRIC CONDITION like 'metrics.f1>=0.8' or "
            "'metrics.f1 not worse than current'"
        )
    parse_condition(m.group(2))
    return m.group(1), m.group(2).strip()


def _metric_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidParameter(f"gate key {key!r} must name a metric like 'metrics.f1'")
    prefix, dot, rest = key.partition(".")
    if dot and prefix in ("metrics", "metric"):
        return rest
    if dot and prefix in ("params", "param", "tags", "tag", "attributes"):
        raise InvalidParameter(f"gate key {key!r}: gates compare metrics only ('metrics.<name>')")
    return key


@dataclass(frozen=True)
class GateCheck:
    """One condition of a gate, evaluated: values, the bound it needed, pass or fail."""

    metric: str
    condition: str
    op: str
    candidate: float | None
    current: float | None
    bound: float | None
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class PromotionResult:
    """The outcome of :func:`promote`: every gate check and whether the alias moved."""

    name: str
    version: int
    alias: str
    current_version: int | None
    checks: tuple[GateCheck, ...]
    promoted: bool

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def verdict(self) -> str:
        """``promoted``, ``passed`` (a dry run that would promote) or ``failed the gate``."""
        return "promoted" if self.promoted else "passed" if self.passed else "failed the gate"

    @property
    def failures(self) -> tuple[GateCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def _rows(self) -> list[list[str]]:
        current = "current" if self.current_version is None else f"current v{self.current_version}"
        rows = [["metric", "condition", f"candidate v{self.version}", current, "result"]]
        for c in self.checks:
            verdict = "pass" if c.passed else "FAIL"
            if not c.passed and c.bound is not None:
                verdict += f" (needs {c.op} {fmt.distinct(c.bound, c.candidate, missing='-')[0]})"
            if c.note:
                verdict += f" - {c.note}"
            other = c.bound if not c.passed else None
            rows.append(
                [
                    f"metrics.{c.metric}",
                    c.condition,
                    fmt.distinct(c.candidate, other, missing="-")[0],
                    fmt.number(c.current, missing="-"),
                    verdict,
                ]
            )
        return rows

    def table(self) -> str:
        """The checks as a fixed-width text table."""
        rows = self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
            for r in rows
        )

    def __str__(self) -> str:
        return f"{self.name} v{self.version} -> @{self.alias}: {self.verdict}\n{self.table()}"

    def _repr_html_(self) -> str:
        rows = self._rows()
        title = esc(f"{self.name} v{self.version} -> @{self.alias}: {self.verdict}")
        return f"<div><b>{title}</b>{table(rows[0], rows[1:])}</div>"

    def to_frame(self) -> pd.DataFrame:
        """The checks as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([c.__dict__ for c in self.checks])


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _evaluate(
    key: str, text: str, cand: Mapping[str, float], cur: Mapping[str, float] | None, alone: str
) -> GateCheck:
    cond = parse_condition(text)
    candidate = _finite(cand.get(key))
    current = None if cur is None else _finite(cur.get(key))
    if candidate is None:
        why = "NaN" if key in cand else "not logged"
        return GateCheck(key, text, cond.op, None, current, None, False, f"candidate metric {why}")
    if not cond.current:
        ok = _OPS[cond.op](candidate, cond.offset)
        return GateCheck(key, text, cond.op, candidate, current, cond.offset, ok)
    if cur is None:
        return GateCheck(key, text, cond.op, candidate, None, None, True, alone)
    if current is None:
        return GateCheck(key, text, cond.op, candidate, None, None, True, "current version has no value")
    bound = current + cond.offset
    return GateCheck(key, text, cond.op, candidate, current, bound, _OPS[cond.op](candidate, bound))


def _gate_items(gate: Mapping[str, str] | Iterable[str] | None) -> list[tuple[str, str]]:
    if gate is None:
        return []
    if isinstance(gate, Mapping):
        return [(_metric_key(k), str(v).strip()) for k, v in gate.items()]
    if isinstance(gate, str):
        gate = [gate]
    return [(_metric_key(k), v) for k, v in map(parse_gate, gate)]


def promote(
    name: str,
    version: int | str,
    alias: str = "champion",
    gate: Mapping[str, str] | Iterable[str] | None = None,
    *,
    dry_run: bool = False,
) -> PromotionResult:
    """Point ``alias`` at ``version`` if the version's run passes every ``gate`` condition.

    The candidate is compared with the version that holds ``alias`` now; the move is refused
    with :class:`mlnb.ValidationFailed` (its message holds the table of checks, its ``result``
    attribute the :class:`PromotionResult`) when any condition fails.  The alias move is
    recorded in the alias history.

    Parameters
    ----------
    name, version
        The candidate model version.
    alias : str
        The alias to move (default ``"champion"``).
    gate : dict or list of str, optional
        ``{"metrics.roc_auc": ">= 0.8", "metrics.f1": "not worse than current"}`` or
        ``["metrics.roc_auc>=0.8", ...]``; see :mod:`mlnb.registry.gates` for conditions.
    dry_run : bool
        Evaluate and return the result without moving the alias or raising.

    Examples
    --------
    >>> mlnb.promote("churn", 3, gate={"metrics.f1": "not worse than current"})  # doctest: +SKIP
    """
    name, number, alias = check_model_name(name), check_version(version), check_alias(alias)
    items = _gate_items(gate)
    store = active_store()
    candidate = get_model_version(name, number)
    try:
        holder: int | None = store.registry.alias_version(name, alias)
    except ModelNotFound:
        holder = None
    cand_metrics = store.get_run(candidate.run_id).data.metrics
    cur_metrics = None
    if holder is not None and holder != number:
        cur_metrics = store.get_run(get_model_version(name, holder).run_id).data.metrics
    alone = "candidate already holds the alias" if holder == number else "no current version to compare"
    checks = tuple(_evaluate(key, text, cand_metrics, cur_metrics, alone) for key, text in items)
    result = PromotionResult(name, number, alias, holder, checks, promoted=False)
    if dry_run:
        return result
    if not result.passed:
        failed = len(result.failures)
        keep = "has no holder" if holder is None else f"still points at version {holder}"
        exc = ValidationFailed(
            f"version {number} of {name!r} was not promoted to @{alias}: {failed} of "
            f"{fmt.count(len(checks), 'gate condition')} failed; the alias {keep}.\n{result.table()}\n"
            "Improve the model or relax the gate; mlnb.promote(..., dry_run=True) shows the checks."
        )
        exc.result = result  # type: ignore[attr-defined]
        raise exc
    store.registry.set_alias(name, alias, number, current_user(), expected=holder)
    return PromotionResult(name, number, alias, holder, checks, promoted=True)
