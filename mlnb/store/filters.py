"""MLflow's run-search language, parsed into a tree (compiled to SQL by :mod:`mlnb.store.query`).

Grammar (keywords and operators are case-insensitive; prefixes and attribute names are not,
as in MLflow)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*                      -- mlnb extension
    and_expr   := atom ("AND" atom)*
    atom       := "(" or_expr ")" | comparison                   -- parentheses: mlnb extension
    comparison := ident op value | ident ["NOT"] "IN" "(" value ("," value)* ")"
                | ident "IS" ["NOT"] "NULL"
    ident      := [prefix "."] key                               -- no prefix: an attribute
    prefix     := metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) | attr | run
                | dataset(s)                                     -- each may be `backticked`
    key        := bare characters [word . - / :] | `backticked` | "double" or 'single' quoted

What each entity accepts (what MLflow accepts; anything else is a :class:`FilterSyntaxError`
naming the problem):

- ``metrics``: ``= != < <= > >=`` with a number (a ``-`` sign is allowed, ``+`` is not);
- ``params``, ``tags``: ``= != LIKE ILIKE`` with a quoted string, ``IS NULL``, ``IS NOT NULL``;
- ``attributes``: ``run_id`` takes ``= != LIKE ILIKE`` with a quoted string and ``IN`` /
  ``NOT IN`` with a list of them; ``run_name``, ``status``, ``user_id``, ``artifact_uri`` take
  ``= != LIKE ILIKE``; ``start_time``, ``end_time`` take ``= != < <= > >=`` with a number of
  epoch milliseconds;
- ``datasets``: ``name``, ``digest``, ``context`` take ``= != LIKE ILIKE`` with a quoted
  string and ``IN`` / ``NOT IN`` with a list.

Attribute spellings: ``created`` / ``Created`` mean ``start_time``; ``run name``, ``Run name``
and ``Run Name`` (quoted or backticked) mean ``run_name``.

mlnb's extensions, refused by MLflow: ``OR`` and parentheses.  One deliberate difference: a
doubled quote inside a string stands for one quote, as in SQL (``'it''s'`` is ``it's``; MLflow
has no escape and keeps both characters).  As in MLflow, stray ``AND`` s are ignored and a
blank (whitespace-only) filter is an error, while ``''`` and ``None`` mean no filter.

Metrics compare with numbers (IEEE semantics: NaN is only ``!=`` anything).  A run that lacks
the key never matches a comparison on it, ``!=`` included; ``IS NULL`` finds it.  A dataset
condition holds when any dataset input of the run satisfies it.  Values are always bound
parameters: nothing from the filter text is spliced into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlnb.errors import FilterSyntaxError, InvalidParameter
from mlnb.store.filter_tokens import Token, tokenize
from mlnb.store.filter_tokens import syntax_error as _error
from mlnb.store.like import check_like_pattern

# Bounds that keep a search inside what every supported SQLite plans safely.  Each order key
# costs the query an outer join on the full primary key of a WITHOUT ROWID table and two or three
# ORDER BY terms (three for a metric), and SQLite 3.40 segfaults on 64 ORDER BY terms or more over
# such a join (21 metric keys, 31 param keys did it); 16 keys stay under 50 terms and 20 tables.
# Parentheses nest at most 32 deep (each level is recursion in the parser, in SQLAlchemy's
# compiler and in SQLite's expression tree).  A filter holds at most 200 comparisons and 10,000
# values in IN lists: SQLite refuses an expression tree deeper than 1,000 (about 990 comparisons
# joined by AND) and, with its default limit, more than 32,766 bound values.
MAX_ORDER_BY_KEYS = 16
MAX_NESTING = 32
MAX_COMPARISONS = 200
MAX_IN_VALUES = 10_000

METRIC, PARAM, TAG, ATTR, DATASET = "metrics", "params", "tags", "attributes", "datasets"
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
    "dataset": DATASET,
    "datasets": DATASET,
}
# kinds of attribute: compared with a string, a string or a list of strings, or a number
STRING, LISTABLE, NUMBER = "string", "listable", "number"
RUN_ATTRS = {
    "run_id": LISTABLE,
    "run_name": STRING,
    "status": STRING,
    "user_id": STRING,
    "artifact_uri": STRING,
    "start_time": NUMBER,
    "end_time": NUMBER,
}
RUN_ATTR_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}
# order_by knows the ``created`` spellings but not the ``run name`` ones (as MLflow)
ORDER_ATTR_ALIASES = {"created": "start_time", "Created": "start_time"}
STRING_ATTRS = {k for k, v in RUN_ATTRS.items() if v != NUMBER}
NUMBER_ATTRS = {k for k, v in RUN_ATTRS.items() if v == NUMBER}
DATASET_KEYS = ("name", "digest", "context")

_OPS = {
    METRIC: {"=", "!=", "<", "<=", ">", ">="},
    PARAM: {"=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"},
    TAG: {"=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"},
    DATASET: {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"},
    STRING: {"=", "!=", "LIKE", "ILIKE"},
    LISTABLE: {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"},
    NUMBER: {"=", "!=", "<", "<=", ">", ">="},
}
_OP_ORDER = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL")


@dataclass(frozen=True)
class Comparison:
    kind: str  # METRIC | PARAM | TAG | ATTR | DATASET
    key: str
    op: str  # = != < <= > >= LIKE ILIKE IN "NOT IN" "IS NULL" "IS NOT NULL"
    value: object  # float | int | str | tuple[str, ...] | None


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


_ATTR_EXAMPLE = "an identifier like metrics.accuracy, params.C, tags.team or attributes.status"


class _Parser:
    def __init__(
        self, text: str, attributes: dict[str, str] | None = None, aliases: dict[str, str] | None = None
    ) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.attributes = RUN_ATTRS if attributes is None else attributes
        self.aliases = RUN_ATTR_ALIASES if aliases is None else aliases
        self.depth = 0
        self.comparisons = 0
        self.in_values = 0

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

    def adjacent(self, kinds: tuple[str, ...]) -> Token | None:
        """The next token if it is one of ``kinds`` and touches the previous one (no space)."""
        prev, tok = self.tokens[self.i - 1], self.peek()
        if tok is not None and tok.kind in kinds and tok.pos == prev.pos + len(prev.text):
            return tok
        return None

    # --- boolean structure -------------------------------------------------------------------
    def parse_filter(self) -> Node | None:
        if not self.tokens:
            if self.text:
                raise FilterSyntaxError(
                    f"the filter {self.text!r} is blank: pass '' or None to search every run"
                )
            return None
        if all(tok.kind == "keyword" and tok.text == "AND" for tok in self.tokens):
            return None  # nothing but stray ANDs, which MLflow ignores
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
        # MLflow ignores stray ANDs (leading, doubled, trailing), as left by joining conditions
        # of which some were empty; so does mlnb
        while self.take_keyword("AND"):
            pass
        items = [self.parse_atom()]
        while self.take_keyword("AND"):
            while self.take_keyword("AND"):
                pass
            tok = self.peek()
            if tok is None or tok.kind == "rparen" or (tok.kind == "keyword" and tok.text == "OR"):
                break
            items.append(self.parse_atom())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def parse_atom(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "lparen":
            if self.depth == MAX_NESTING:
                raise _error(self.text, tok.pos, f"at most {MAX_NESTING} levels of nested parentheses", "(")
            self.i += 1
            self.depth += 1
            node = self.parse_or()
            self.depth -= 1
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise self.fail("')'")
            self.i += 1
            return node
        return self.parse_comparison()

    # --- identifiers ---------------------------------------------------------------------------
    def parse_identifier(self) -> tuple[str, str, int]:
        """``(kind, key, column)`` of ``prefix.key``, ```prefix`.key`` or a bare attribute."""
        tok = self.peek()
        start = self.pos()
        if tok is None:
            raise self.fail(_ATTR_EXAMPLE)
        self.i += 1
        if tok.kind == "backtick" or (tok.kind == "string" and tok.text[0] == '"'):
            rest = self.adjacent(("word",))
            if tok.kind == "backtick" and rest is not None and rest.text.startswith("."):
                self.i += 1
                return self.keyed(str(tok.value), rest.text[1:], start, rest)
            return self.attribute(str(tok.value), start)  # `Run name` = 'x'
        if tok.kind not in ("word", "keyword"):
            raise _error(self.text, start, _ATTR_EXAMPLE, tok.text)
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            return self.attribute(tok.text, start)
        return self.keyed(prefix, key, start, tok)

    def keyed(self, prefix: str, key: str, start: int, last: Token) -> tuple[str, str, int]:
        kind = _PREFIXES.get(prefix)
        if kind is None:
            hint = f" (prefixes are lower case: {prefix.lower()}.)" if prefix.lower() in _PREFIXES else ""
            raise _error(
                self.text,
                start,
                f"metrics., params., tags., attributes. or datasets. before the key{hint}",
                prefix,
            )
        if key == "":
            quoted = self.adjacent(("backtick", "string"))
            if quoted is None:
                raise _error(self.text, last.pos + len(last.text), "a key after the '.'")
            self.i += 1
            key = str(quoted.value)
            if key == "":
                raise _error(self.text, quoted.pos, "a non-empty key", quoted.text)
        if kind == ATTR:
            return self.attribute(key, start)
        if kind == DATASET and key not in DATASET_KEYS:
            raise _error(self.text, start, f"a dataset key among {', '.join(DATASET_KEYS)}", key)
        return kind, key, start

    def attribute(self, key: str, start: int) -> tuple[str, str, int]:
        name = self.aliases.get(key, key)
        if name not in self.attributes:
            known = ", ".join(sorted(self.attributes))
            raise _error(self.text, start, f"an attribute among {known}", key)
        return ATTR, name, start

    # --- comparisons ---------------------------------------------------------------------------
    def parse_comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise _error(self.text, self.pos(), f"at most {MAX_COMPARISONS} comparisons in one filter")
        kind, key, _ = self.parse_identifier()
        family = self.attributes[key] if kind == ATTR else kind
        numeric = family in (METRIC, NUMBER)
        op_pos = self.pos()
        tok = self.peek()
        expected = "a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)"
        if tok is None:
            raise self.fail(expected)
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
            raise self.fail(expected)
        allowed = _OPS[family]
        if op not in allowed:
            what = f"{kind}.{key}" if kind in (ATTR, DATASET) else kind
            ops = ", ".join(o for o in _OP_ORDER if o in allowed)
            hint = ""
            if op in ("IN", "NOT IN"):
                hint = "; IN lists apply to attributes.run_id and datasets.* (elsewhere join '=' with OR)"
            elif op in ("IS NULL", "IS NOT NULL"):
                hint = "; IS NULL applies to params and tags"
            raise _error(self.text, op_pos, f"one of {ops} for {what}{hint}", op)
        if op in ("IS NULL", "IS NOT NULL"):
            return Comparison(kind, key, op, None)
        if op in ("IN", "NOT IN"):
            return Comparison(kind, key, op, self.parse_list())
        value = self.parse_value(numeric, kind, key)
        if op in ("LIKE", "ILIKE"):
            check_like_pattern(str(value))
        return Comparison(kind, key, op, value)

    def parse_value(self, numeric: bool, kind: str, key: str) -> object:
        tok = self.peek()
        if numeric:
            if tok is None or tok.kind != "number":
                raise self.fail(f"a number to compare {kind}.{key} with")
            self.i += 1
            return tok.value
        if tok is None or tok.kind != "string":
            hint = f" (quote it: '{tok.text}')" if tok is not None and tok.kind in ("number", "word") else ""
            raise self.fail(f"a quoted string to compare {kind}.{key} with{hint}")
        self.i += 1
        return tok.value

    def parse_list(self) -> tuple[object, ...]:
        tok = self.peek()
        if tok is None or tok.kind != "lparen":
            raise self.fail("'(' to open the list of values")
        self.i += 1
        values: list[object] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind != "string":
                raise self.fail("a quoted string in the list")
            self.i += 1
            values.append(tok.value)
            self.in_values += 1
            if self.in_values > MAX_IN_VALUES:
                raise _error(
                    self.text, tok.pos, f"at most {MAX_IN_VALUES} values in the IN lists of a filter"
                )
            tok = self.peek()
            if tok is not None and tok.kind == "comma":
                self.i += 1
                continue
            if tok is not None and tok.kind == "rparen":
                self.i += 1
                return tuple(values)
            raise self.fail("',' or ')' in the list of values")

    def parse_order(self) -> OrderKey:
        kind, key, start = self.parse_identifier()
        if kind == DATASET:
            raise _error(self.text, start, "metrics., params., tags. or attributes. to order by", "datasets")
        direction = self.take_keyword("ASC", "DESC")
        if self.peek() is not None:
            raise self.fail("ASC, DESC or the end of the order-by clause")
        return OrderKey(kind, key, direction == "DESC")


def parse_filter(
    text: str | None, attributes: dict[str, str] | None = None, aliases: dict[str, str] | None = None
) -> Node | None:
    """Parse a filter string into a tree; ``None`` or blank text means no filter.

    ``attributes`` (name -> ``STRING`` / ``LISTABLE`` / ``NUMBER``) and ``aliases`` replace the
    run attributes for other entities (experiments).
    """
    if text is None:
        return None
    return _Parser(text, attributes, aliases).parse_filter()


def parse_order_by(clauses: list[str] | tuple[str, ...] | str | None) -> list[OrderKey]:
    """Parse MLflow ``order_by`` clauses like ``["metrics.f1 DESC", "params.C"]``."""
    if clauses is None:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    check_order_by_length(clauses)
    out: list[OrderKey] = []
    for clause in clauses:
        if not isinstance(clause, str) or not clause.strip():
            raise FilterSyntaxError(
                f"order_by clause {clause!r} is empty; write e.g. 'metrics.accuracy DESC'"
            )
        if clause != clause.strip():
            raise FilterSyntaxError(
                f"order_by clause {clause!r} has spaces at its ends; write {clause.strip()!r}"
            )
        key = _Parser(clause, aliases=ORDER_ATTR_ALIASES).parse_order()
        if any((k.kind, k.key) == (key.kind, key.key) for k in out):
            raise FilterSyntaxError(
                f"order_by names {key.kind}.{key.key} twice ({clause!r}); keep one clause per key"
            )
        out.append(key)
    return out


def check_order_by_length(clauses: object) -> None:
    """Refuse an ``order_by`` of more than :data:`MAX_ORDER_BY_KEYS` clauses (or not a list)."""
    if not isinstance(clauses, list | tuple):
        raise InvalidParameter(
            f"order_by must be a list of strings like ['metrics.acc DESC'], not {type(clauses).__name__}"
        )
    if len(clauses) > MAX_ORDER_BY_KEYS:
        raise InvalidParameter(
            f"order_by has {len(clauses)} clauses; at most {MAX_ORDER_BY_KEYS} are allowed "
            "(later keys only break ties of the earlier ones: drop them)"
        )
