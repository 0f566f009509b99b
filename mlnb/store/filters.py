"""MLflow's search language, plus ``OR`` and parentheses, parsed into a tree and compiled to SQL.

Grammar (keywords are case-insensitive)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := atom ("AND" atom)*
    atom       := "(" or_expr ")" | comparison
    comparison := ident op value | ident ["NOT"] "IN" "(" value ("," value)* ")"
                | ident "IS" ["NOT"] "NULL"
    ident      := prefix "." key | attribute
    prefix     := metrics | params | tags | attributes   (singular forms and "run" accepted)
    key        := bare characters [word . - / :] | `backticked` | "double quoted"
    op         := = | != | < | <= | > | >= | LIKE | ILIKE

Metrics compare with numbers (IEEE semantics: NaN is only ``!=`` anything); params, tags and
string attributes compare with quoted strings ('' doubles a quote).  A run that lacks the key
never matches a comparison on it, ``!=`` and ``NOT IN`` included; ``IS NULL`` finds it.
Values are always bound parameters: nothing from the filter text is spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlnb.errors import FilterSyntaxError

METRIC, PARAM, TAG, ATTR = "metrics", "params", "tags", "attributes"
_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTR,
    "attributes": ATTR,
    "attr": ATTR,
    "run": ATTR,
}
# attribute name -> kind of value it holds
STRING_ATTRS = {"run_id", "run_name", "status", "user_id", "lifecycle_stage", "parent_run_id"}
NUMBER_ATTRS = {"start_time", "end_time", "experiment_id"}
_ATTR_ALIASES = {"created": "start_time", "run_uuid": "run_id", "name": "run_name"}

_STRING_OPS = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"}
_NUMBER_OPS = {"=", "!=", "<", "<=", ">", ">="}
_KEYWORDS = {"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "ASC", "DESC"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<op><=|>=|!=|==|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<backtick>`(?:[^`]|``)*`)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<word>[^\s()'"`,=<>!]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int
    value: object = None


@dataclass(frozen=True)
class Comparison:
    kind: str  # METRIC | PARAM | TAG | ATTR
    key: str
    op: str  # one of _STRING_OPS | _NUMBER_OPS
    value: object  # float | str | tuple[str | float, ...] | None


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    items: tuple[Node, ...]


Node = Comparison | BoolOp


@dataclass(frozen=True)
class OrderKey:
    kind: str
    key: str
    descending: bool


def _error(text: str, pos: int, expected: str, got: str | None = None) -> FilterSyntaxError:
    if got is None:
        got = text[pos : pos + 12] if pos < len(text) else ""
    shown = f"got {got!r}" if got else "got the end of the text"
    return FilterSyntaxError(f"expected {expected} at column {pos + 1} ({shown})", text, pos)


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise FilterSyntaxError(f"a filter must be a string, not {type(text).__name__}")
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # an unterminated quote
            raise _error(text, pos, "a closing quote for this string")
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "ws":
            pos = m.end()
            continue
        value: object = None
        if kind == "string":
            value = raw[1:-1].replace(raw[0] * 2, raw[0])
        elif kind == "backtick":
            value = raw[1:-1].replace("``", "`")
        elif kind == "number":
            value = float(raw)
        elif kind == "op" and raw == "==":
            raw = "="
        elif kind == "word" and raw.upper() in _KEYWORDS:
            kind, raw = "keyword", raw.upper()
        out.append(Token(kind, raw, m.start(), value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def pos(self) -> int:
        tok = self.peek()
        return tok.pos if tok else len(self.text)

    def fail(self, expected: str) -> FilterSyntaxError:
        tok = self.peek()
        return _error(self.text, self.pos(), expected, tok.text if tok else None)

    def take_keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok and tok.kind == "keyword" and tok.text in words:
            self.i += 1
            return tok.text
        return None

    # --- boolean structure -------------------------------------------------------------------
    def parse_filter(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.parse_or()
        if self.peek() is not None:
            raise self.fail("AND, OR or the end of the filter")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.take_keyword("OR"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_atom()]
        while self.take_keyword("AND"):
            items.append(self.parse_atom())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def parse_atom(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "lparen":
            self.i += 1
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise self.fail("')'")
            self.i += 1
            return node
        return self.parse_comparison()

    # --- identifiers ---------------------------------------------------------------------------
    def parse_identifier(self) -> tuple[str, str, int]:
        tok = self.peek()
        start = self.pos()
        if tok is None or tok.kind not in ("word", "keyword"):
            raise self.fail("an identifier like metrics.accuracy, params.C or tags.team")
        self.i += 1
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            name = _ATTR_ALIASES.get(tok.text.lower(), tok.text.lower())
            if name in STRING_ATTRS or name in NUMBER_ATTRS:
                return ATTR, name, start
            raise _error(
                self.text, start, "an identifier like metrics.accuracy, params.C or tags.team", tok.text
            )
        kind = _PREFIXES.get(prefix.lower())
        if kind is None:
            raise _error(self.text, start, "metrics., params., tags. or attributes. before the key", prefix)
        if key == "":
            quoted = self.peek()
            if (
                quoted is None
                or quoted.kind not in ("backtick", "string")
                or quoted.pos != tok.pos + len(tok.text)
            ):
                raise _error(self.text, start + len(tok.text), "a key after the '.'")
            self.i += 1
            key = str(quoted.value)
            if key == "":
                raise _error(self.text, quoted.pos, "a non-empty key", quoted.text)
        if kind == ATTR:
            name = _ATTR_ALIASES.get(key.lower(), key.lower())
            if name not in STRING_ATTRS and name not in NUMBER_ATTRS:
                known = ", ".join(sorted(STRING_ATTRS | NUMBER_ATTRS))
                raise _error(self.text, start, f"an attribute among {known}", key)
            key = name
        return kind, key, start

    # --- comparisons ---------------------------------------------------------------------------
    def parse_comparison(self) -> Comparison:
        kind, key, _ = self.parse_identifier()
        numeric = kind == METRIC or (kind == ATTR and key in NUMBER_ATTRS)
        op_pos = self.pos()
        tok = self.peek()
        if tok is None:
            raise self.fail("a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)")
        if tok.kind == "op" or (tok.kind == "keyword" and tok.text in ("LIKE", "ILIKE", "IN")):
            self.i += 1
            op = tok.text
        elif tok.kind == "keyword" and tok.text == "NOT":
            self.i += 1
            if not self.take_keyword("IN"):
                raise self.fail("IN after NOT")
            op = "NOT IN"
        elif tok.kind == "keyword" and tok.text == "IS":
            self.i += 1
            negated = self.take_keyword("NOT")
            if not self.take_keyword("NULL"):
                raise self.fail("NULL after IS" + (" NOT" if negated else ""))
            op = "IS NOT NULL" if negated else "IS NULL"
        else:
            raise self.fail("a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)")
        allowed = _NUMBER_OPS if numeric else _STRING_OPS
        if kind == ATTR and key == "run_id":
            allowed = _STRING_OPS - {"IS NULL", "IS NOT NULL"}
        if op not in allowed:
            what = "metrics" if kind == METRIC else f"{kind}.{key}" if kind == ATTR else kind
            raise _error(self.text, op_pos, f"one of {', '.join(sorted(allowed))} for {what}", op)
        if op in ("IS NULL", "IS NOT NULL"):
            return Comparison(kind, key, op, None)
        if op in ("IN", "NOT IN"):
            return Comparison(kind, key, op, self.parse_list(numeric))
        return Comparison(kind, key, op, self.parse_value(numeric, kind, key))

    def parse_value(self, numeric: bool, kind: str, key: str) -> object:
        tok = self.peek()
        if numeric:
            if tok is None or tok.kind != "number":
                raise self.fail(f"a number to compare {kind}.{key} with")
            self.i += 1
            return tok.value
        if tok is None or tok.kind != "string":
            hint = f" (quote it: '{tok.text}')" if tok is not None and tok.kind == "number" else ""
            raise self.fail(f"a quoted string to compare {kind}.{key} with{hint}")
        self.i += 1
        return tok.value

    def parse_list(self, numeric: bool) -> tuple[object, ...]:
        tok = self.peek()
        if tok is None or tok.kind != "lparen":
            raise self.fail("'(' to open the list of values")
        self.i += 1
        values: list[object] = []
        want = "number" if numeric else "string"
        while True:
            tok = self.peek()
            if tok is None or tok.kind != want:
                raise self.fail("a quoted string in the list" if not numeric else "a number")
            self.i += 1
            values.append(tok.value)
            tok = self.peek()
            if tok is not None and tok.kind == "comma":
                self.i += 1
                continue
            if tok is not None and tok.kind == "rparen":
                self.i += 1
                return tuple(values)
            raise self.fail("',' or ')' in the list of values")

    def parse_order(self) -> OrderKey:
        kind, key, _ = self.parse_identifier()
        direction = self.take_keyword("ASC", "DESC")
        if self.peek() is not None:
            raise self.fail("ASC, DESC or the end of the order-by clause")
        return OrderKey(kind, key, direction == "DESC")


def parse_filter(text: str | None) -> Node | None:
    """Parse a filter string into a tree; ``None`` or blank text means no filter."""
    if text is None:
        return None
    return _Parser(text).parse_filter()


def parse_order_by(clauses: list[str] | tuple[str, ...] | str | None) -> list[OrderKey]:
    """Parse MLflow ``order_by`` clauses like ``["metrics.f1 DESC", "params.C"]``."""
    if clauses is None:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    out = []
    for clause in clauses:
        if not isinstance(clause, str) or not clause.strip():
            raise FilterSyntaxError(
                f"order_by clause {clause!r} is empty; write e.g. 'metrics.accuracy DESC'"
            )
        out.append(_Parser(clause).parse_order())
    return out
