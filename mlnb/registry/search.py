"""Filters for registry searches, in MLflow's syntax plus ``OR`` and parentheses.

``search_model_versions("name = 'churn' AND tags.team = 'risk'")``,
``search_registered_models("name LIKE 'churn%'")``.  The text is tokenized by the run filter's
tokenizer (:mod:`mlnb.store.filters`) and evaluated on the entities in Python: a registry holds
hundreds of rows, not millions, so no SQL is generated from it.

Identifiers: ``name``, ``version`` (``version_number``), ``run_id``, ``source``
(``source_path``), ``current_stage``, ``user_id``, ``description``, ``alias`` (true when any
alias matches) and ``tags.<key>``.  Strings compare with ``=  !=  LIKE  ILIKE  IN  NOT IN``,
versions with ``=  !=  <  <=  >  >=  IN  NOT IN``; ``IS NULL`` / ``IS NOT NULL`` test tags
and descriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlnb.errors import FilterSyntaxError
from mlnb.store.filters import MAX_NESTING, Token, tokenize
from mlnb.store.like import like_match

_ALIASES = {"version_number": "version", "source_path": "source", "stage": "current_stage"}
VERSION_FIELDS = {"name", "version", "run_id", "source", "current_stage", "user_id", "description", "alias"}
MODEL_FIELDS = {"name", "user_id", "description", "alias"}
_NUMBER_OPS = {"=", "!=", "<", "<=", ">", ">="}

Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class _Field:
    name: str  # field name or "tags"
    key: str | None = None  # tag key


class _Parser:
    def __init__(self, text: str, fields: set[str]) -> None:
        self.text = text
        self.fields = fields
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, expected: str) -> FilterSyntaxError:
        tok = self.peek()
        pos = tok.pos if tok else len(self.text)
        got = f"got {tok.text!r}" if tok else "got the end of the text"
        return FilterSyntaxError(f"expected {expected} at column {pos + 1} ({got})", self.text, pos)

    def keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "keyword" and tok.text in words:
            self.i += 1
            return tok.text
        return None

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda _item: True
        pred = self.parse_or()
        if self.peek() is not None:
            raise self.fail("AND, OR or the end of the filter")
        return pred

    def parse_or(self) -> Predicate:
        items = [self.parse_and()]
        while self.keyword("OR"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else lambda item: any(p(item) for p in items)

    def parse_and(self) -> Predicate:
        items = [self.parse_atom()]
        while self.keyword("AND"):
            items.append(self.parse_atom())
        if len(items) == 1:
            return items[0]

        def both(item: Any) -> bool:
            return all(p(item) for p in items)

        # "name = 'x' AND ..." can only match versions of x: the store reads just those.
        both.name_eq = next((p.name_eq for p in items if getattr(p, "name_eq", None)), None)  # type: ignore[attr-defined]
        return both

    def parse_atom(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.kind == "lparen":
            if self.depth == MAX_NESTING:
                raise self.fail(f"at most {MAX_NESTING} levels of nested parentheses")
            self.i += 1
            self.depth += 1
            pred = self.parse_or()
            self.depth -= 1
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise self.fail("')'")
            self.i += 1
            return pred
        return self.parse_comparison()

    def parse_field(self) -> _Field:
        tok = self.peek()
        known = ", ".join(sorted(self.fields)) + " or tags.<key>"
        if tok is None or tok.kind not in ("word", "keyword"):
            raise self.fail(f"one of {known}")
        self.i += 1
        prefix, dot, key = tok.text.partition(".")
        if dot and prefix.lower() in ("tag", "tags"):
            if key == "":
                quoted = self.peek()
                if quoted is None or quoted.kind not in ("backtick", "string"):
                    raise self.fail("a tag key after 'tags.'")
                self.i += 1
                key = str(quoted.value)
            return _Field("tags", key)
        name = key if dot and prefix.lower() in ("attribute", "attributes", "attr") else tok.text
        name = _ALIASES.get(name.lower(), name.lower())
        if name not in self.fields:
            self.i -= 1
            raise self.fail(f"one of {known}")
        return _Field(name)

    def parse_comparison(self) -> Predicate:
        field = self.parse_field()
        numeric = field.name == "version"
        tok = self.peek()
        ops = "=, !=, <, <=, >, >=, IN, NOT IN" if numeric else "=, !=, LIKE, ILIKE, IN, NOT IN, IS"
        if tok is None:
            raise self.fail(f"an operator ({ops})")
        if tok.kind == "op" and (numeric or tok.text in ("=", "!=")):
            self.i += 1
            return _compare(field, tok.text, self.value(numeric))
        if tok.kind == "keyword" and tok.text in ("LIKE", "ILIKE") and not numeric:
            self.i += 1
            return _compare(field, tok.text, self.value(False))
        if tok.kind == "keyword" and tok.text in ("IN", "NOT"):
            self.i += 1
            if tok.text == "NOT" and not self.keyword("IN"):
                raise self.fail("IN after NOT")
            return _compare(field, "IN" if tok.text == "IN" else "NOT IN", self.values(numeric))
        if tok.kind == "keyword" and tok.text == "IS" and field.name in ("tags", "description"):
            self.i += 1
            negated = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise self.fail("NULL")
            return _compare(field, "IS NOT NULL" if negated else "IS NULL", None)
        raise self.fail(f"an operator ({ops})")

    def value(self, numeric: bool) -> object:
        tok = self.peek()
        if numeric and tok is not None and tok.kind == "string" and str(tok.value).isdigit():
            self.i += 1  # MLflow writes versions as strings: version = '3'
            return float(str(tok.value))
        want = "number" if numeric else "string"
        if tok is None or tok.kind != want:
            raise self.fail("a version number" if numeric else "a quoted string")
        self.i += 1
        return tok.value

    def values(self, numeric: bool) -> tuple[object, ...]:
        tok = self.peek()
        if tok is None or tok.kind != "lparen":
            raise self.fail("'(' to open the list of values")
        self.i += 1
        out = [self.value(numeric)]
        while True:
            tok = self.peek()
            if tok is not None and tok.kind == "comma":
                self.i += 1
                out.append(self.value(numeric))
            elif tok is not None and tok.kind == "rparen":
                self.i += 1
                return tuple(out)
            else:
                raise self.fail("',' or ')'")


def _get(item: Any, field: _Field) -> list[Any]:
    """The values of ``field`` on an entity (a list: ``alias`` may have several)."""
    if field.name == "tags":
        value = item.tags.get(field.key)
        return [] if value is None else [value]
    if field.name == "alias":
        return list(item.aliases)
    value = getattr(item, field.name)
    return [] if value is None else [value]


def _test(value: Any, op: str, operand: Any) -> bool:
    if op == "=":
        return bool(value == operand)
    if op == "!=":
        return bool(value != operand)
    if op in ("LIKE", "ILIKE"):
        return like_match(str(value), str(operand), op == "ILIKE") == 1
    if op == "IN":
        return value in operand
    if op == "NOT IN":
        return value not in operand
    return bool(
        {"<": value < operand, "<=": value <= operand, ">": value > operand, ">=": value >= operand}[op]
    )


def _compare(field: _Field, op: str, operand: Any) -> Predicate:
    if op in ("IS NULL", "IS NOT NULL"):
        return lambda item: (not _get(item, field)) == (op == "IS NULL")
    # A missing value never matches, '!=' and 'NOT IN' included (as in run search).

    def match(item: Any) -> bool:
        return any(_test(v, op, operand) for v in _get(item, field))

    match.name_eq = operand if field.name == "name" and op == "=" else None  # type: ignore[attr-defined]
    return match


def compile_filter(text: str | None, fields: set[str]) -> Predicate:
    """Compile a registry filter into a predicate on ModelVersion / RegisteredModel entities.

    The predicate's ``name_eq`` attribute (when present and not None) is a name every match
    must have, so callers may read only that model's rows.
    """
    if text is None:
        return lambda _item: True
    return _Parser(text, fields).parse()
