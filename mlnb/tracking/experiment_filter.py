"""``search_experiments``' filter and order_by, in MLflow's grammar for experiments.

Experiments are few, so a filter is checked in Python on the listed experiments.  The grammar
is MLflow's: comparisons joined by ``AND``; the keys are the attributes ``name``,
``experiment_id``, ``creation_time`` and ``last_update_time`` (bare or prefixed ``attribute.`` or
``attributes.``)
and ``tags.<key>`` (or ``tag.<key>``, the key optionally in backticks or double quotes);
``name`` and tags compare with ``=``, ``!=``, ``LIKE`` and ``ILIKE`` against a quoted string,
tags also with ``IS NULL`` / ``IS NOT NULL``, times numerically with ``= != < <= > >=``, and
``experiment_id`` also with ``IN`` / ``NOT IN`` and a list of quoted ids.  The default order is
newest first (``creation_time DESC``, then ``experiment_id``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from mlnb.entities import Experiment
from mlnb.errors import FilterSyntaxError
from mlnb.store.filters import check_order_by_length
from mlnb.store.like import check_like_pattern, like

ATTRIBUTES = ("name", "experiment_id", "creation_time", "last_update_time")
_NUMERIC = ("creation_time", "last_update_time")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
DEFAULT_ORDER = ("creation_time DESC", "experiment_id ASC")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<op>!=|<>|<=|>=|=|<|>)
    | (?P<lpar>\() | (?P<rpar>\)) | (?P<comma>,)
    | (?P<ident>(?:[A-Za-z_][\w]*|`[^`]+`|"[^"]+")(?:\.(?:[A-Za-z_][\w.]*|`[^`]+`|"[^"]+"))?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Clause:
    kind: str  # "attribute" or "tag"
    key: str
    op: str
    value: Any


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`\"'":
        quote = text[0]
        return text[1:-1].replace(quote * 2, quote) if quote != "`" else text[1:-1]
    return text


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip()[:20]
            raise FilterSyntaxError(
                f"cannot read the experiment filter {text!r} at column {pos + 1} (near {bad!r})",
                text,
                pos,
            )
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


def _identifier(raw: str) -> tuple[str, str]:
    head, dot, rest = raw.partition(".")
    if not dot:
        key = _unquote(head)
        if key not in ATTRIBUTES:
            raise FilterSyntaxError(
                f"experiments have no attribute {key!r}; filter on {', '.join(ATTRIBUTES)} or tags.<key>"
            )
        return "attribute", key
    if head not in ("attribute", "attributes", "tag", "tags"):
        raise FilterSyntaxError(
            f"{head!r} is not a key prefix for experiments; use attribute.<name> or tags.<key>"
        )
    key = _unquote(rest)
    if head in ("attribute", "attributes"):
        if key not in ATTRIBUTES:
            raise FilterSyntaxError(
                f"experiments have no attribute {key!r}; use one of {', '.join(ATTRIBUTES)}"
            )
        return "attribute", key
    return "tag", key


def _words(tokens: list[tuple[str, str, int]], i: int, *words: str) -> bool:
    return all(
        i + n < len(tokens) and tokens[i + n][0] == "ident" and tokens[i + n][1].upper() == word
        for n, word in enumerate(words)
    )


@lru_cache(maxsize=128)
def parse_experiment_filter(text: str) -> tuple[_Clause, ...]:
    """Parse a filter into clauses that must all hold (raises :class:`FilterSyntaxError`)."""
    tokens = _tokens(text)
    clauses: list[_Clause] = []
    i = 0
    while i < len(tokens):
        if clauses:
            if not _words(tokens, i, "AND"):
                raise FilterSyntaxError(
                    f"experiment filters join comparisons with AND only, got {tokens[i][1]!r} in {text!r}",
                    text,
                    tokens[i][2],
                )
            i += 1
            if i == len(tokens):  # a trailing AND is tolerated, as MLflow does
                break
        kind, raw, _pos = tokens[i]
        if kind != "ident":
            raise FilterSyntaxError(f"expected a key such as name or tags.<key>, got {raw!r}", text)
        entity, key = _identifier(raw)
        i += 1
        if _words(tokens, i, "IS", "NOT", "NULL") or _words(tokens, i, "IS", "NULL"):
            op = "IS NOT NULL" if tokens[i + 1][1].upper() == "NOT" else "IS NULL"
            if entity != "tag":
                raise FilterSyntaxError(f"{op} applies to tags only, not to the attribute {key!r}")
            clauses.append(_Clause(entity, key, op, None))
            i += 3 if op == "IS NOT NULL" else 2
            continue
        if _words(tokens, i, "NOT", "IN") or _words(tokens, i, "IN"):
            op = "NOT IN" if tokens[i][1].upper() == "NOT" else "IN"
            i += 2 if op == "NOT IN" else 1
            if (entity, key) != ("attribute", "experiment_id"):
                raise FilterSyntaxError(f"only experiment_id compares with {op} (...), not {raw!r}")
            values, i = _value_list(tokens, i, text)
            clauses.append(_Clause(entity, key, op, values))
            continue
        if i >= len(tokens):
            raise FilterSyntaxError(f"expected a comparison after {raw!r} in {text!r}", text)
        op_kind, op, _ = tokens[i]
        if op_kind == "ident" and op.upper() in ("LIKE", "ILIKE"):
            op = op.upper()
        elif op_kind != "op":
            raise FilterSyntaxError(
                f"expected a comparison operator after {raw!r}, got {op!r} (one of "
                "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL)",
                text,
            )
        op = "!=" if op == "<>" else op
        i += 1
        if i >= len(tokens):
            raise FilterSyntaxError(f"expected a value after {raw} {op} in {text!r}", text)
        vkind, vraw, _ = tokens[i]
        i += 1
        clauses.append(_Clause(entity, key, op, _value(entity, key, op, vkind, vraw)))
    return tuple(clauses)


def _value(entity: str, key: str, op: str, kind: str, raw: str) -> Any:
    if entity == "attribute" and key in _NUMERIC:
        if op not in _NUMERIC_OPS:
            raise FilterSyntaxError(f"{key} compares with {', '.join(_NUMERIC_OPS)}, not {op}")
        if kind != "num":
            raise FilterSyntaxError(f"{key} is a time in milliseconds; compare it with a number, not {raw}")
        return float(raw)
    if op not in _STRING_OPS:
        what = f"tag {key!r}" if entity == "tag" else key
        raise FilterSyntaxError(f"{what} compares with {', '.join(_STRING_OPS)}, not {op}")
    if kind != "str":
        raise FilterSyntaxError(f"the value {raw} for {key} must be quoted, e.g. {key} {op} '{raw}'")
    if op in ("LIKE", "ILIKE"):
        check_like_pattern(_unquote(raw))
    return _unquote(raw)


def _value_list(tokens: list[tuple[str, str, int]], i: int, text: str) -> tuple[tuple[str, ...], int]:
    if i >= len(tokens) or tokens[i][0] != "lpar":
        raise FilterSyntaxError(f"IN takes a parenthesised list of quoted ids in {text!r}", text)
    values: list[str] = []
    i += 1
    while i < len(tokens):
        kind, raw, _ = tokens[i]
        if kind != "str":
            raise FilterSyntaxError(f"IN lists quoted ids, got {raw!r} in {text!r}", text)
        values.append(_unquote(raw))
        i += 1
        if i < len(tokens) and tokens[i][0] == "comma":
            i += 1
            continue
        if i < len(tokens) and tokens[i][0] == "rpar":
            return tuple(values), i + 1
        break
    raise FilterSyntaxError(f"unclosed IN list in {text!r}", text)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "LIKE": lambda a, b: like(a, b, False),
    "ILIKE": lambda a, b: like(a, b, True),
    "IN": lambda a, b: a in b,
    "NOT IN": lambda a, b: a not in b,
}


def _holds(clause: _Clause, exp: Experiment) -> bool:
    if clause.kind == "tag":
        present = clause.key in exp.tags
        if clause.op in ("IS NULL", "IS NOT NULL"):
            return present == (clause.op == "IS NOT NULL")
        if not present:
            return False
        value: Any = exp.tags[clause.key]
    else:
        value = getattr(exp, clause.key)
        if value is None:
            return False
    return _COMPARE[clause.op](value, clause.value)


def _order_key(clause: str) -> tuple[str, bool]:
    if not isinstance(clause, str):
        raise FilterSyntaxError(f"an order_by clause is a string like 'name ASC', not {clause!r}")
    text = clause.strip()
    parts = text.rsplit(None, 1)
    ascending = True
    if len(parts) == 2 and parts[1].upper() in ("ASC", "DESC"):
        text, ascending = parts[0].strip(), parts[1].upper() == "ASC"
    try:
        entity, key = _identifier(text)
    except FilterSyntaxError:
        raise FilterSyntaxError(
            f"cannot order experiments by {clause!r}; use name, experiment_id, creation_time or "
            "last_update_time, optionally followed by ASC or DESC"
        ) from None
    if entity != "attribute":
        raise FilterSyntaxError(f"experiments are ordered by attributes, not by tags ({clause!r})")
    return key, ascending


def filter_experiments(
    experiments: Sequence[Experiment], filter_string: str | None, order_by: Sequence[str] | None
) -> list[Experiment]:
    """The experiments matching ``filter_string``, sorted by ``order_by`` (MLflow's default:
    newest first)."""
    clauses = parse_experiment_filter(filter_string) if filter_string else ()
    found = [e for e in experiments if all(_holds(c, e) for c in clauses)]
    if isinstance(order_by, str):
        order_by = [order_by]
    if order_by is not None:
        check_order_by_length(order_by)
    keys = [_order_key(c) for c in (order_by or DEFAULT_ORDER)]
    if not any(key == "experiment_id" for key, _ in keys):
        keys.append(("experiment_id", False))
    for key, ascending in reversed(keys):
        if key == "experiment_id":
            found.sort(key=lambda e: int(e.experiment_id), reverse=not ascending)
        else:
            # missing times sort last either way, like NULLs in MLflow's SQL order
            present = [e for e in found if getattr(e, key) is not None]
            missing = [e for e in found if getattr(e, key) is None]
            present.sort(key=attrgetter(key), reverse=not ascending)
            found = present + missing
    return found
