"""The tokens of the search language (see :mod:`mlnb.store.filters` for the grammar).

Words, quoted strings (``'...'`` or ``"..."``, a doubled quote standing for one), backticked
keys, numbers, operators, parentheses and commas.  A number that fits SQLite's 64-bit integers
is an ``int``, any other a ``float`` (an integer of hundreds of digits is infinite, as in
MLflow, which compares metrics as floats).  Text holding a lone surrogate is refused: no key or
value stored by mlnb can contain one, and SQLite cannot bind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlnb.errors import FilterSyntaxError

_INT64 = 1 << 63
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
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<word>[^\s()'"`,=<>!]+)
    """,
    re.VERBOSE,
)


def _number(raw: str) -> int | float:
    """An integer when it fits SQLite's 64 bits, else a float (as MLflow compares: an integer
    beyond 2**63 is a float, one with hundreds of digits is infinite)."""
    if raw.lstrip("-").isdigit() and len(raw) <= 20:
        value = int(raw)
        if -_INT64 <= value < _INT64:
            return value
    return float(raw)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int
    value: object = None


def syntax_error(text: str, pos: int, expected: str, got: str | None = None) -> FilterSyntaxError:
    """``expected <what> at column <n> (got <text there>)``, pointing into ``text``."""
    if got is None:
        got = text[pos : pos + 12] if pos < len(text) else ""
    shown = f"got {got!r}" if got else "got the end of the text"
    return FilterSyntaxError(f"expected {expected} at column {pos + 1} ({shown})", text, pos)


def check_encodable(text: str, what: str) -> None:
    """Refuse text holding a lone surrogate: no stored key or value holds one, SQLite cannot bind it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FilterSyntaxError(
            f"{what} holds a lone surrogate {text[exc.start]!r} at column {exc.start + 1}, "
            "which no key or value can contain; remove it",
            text,
            exc.start,
        ) from None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (whitespace dropped; keywords upper-cased)."""
    if not isinstance(text, str):
        raise FilterSyntaxError(f"a filter must be a string, not {type(text).__name__}")
    check_encodable(text, "the filter")
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # an unterminated quote
            raise syntax_error(text, pos, "a closing quote for this string")
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
            value = _number(raw)
        elif kind == "op" and raw == "==":
            raise syntax_error(text, m.start(), "'=' (the search language has no '==')", raw)
        elif kind == "word" and raw.upper() in _KEYWORDS:
            kind, raw = "keyword", raw.upper()
        out.append(Token(kind, raw, m.start(), value))
        pos = m.end()
    return out
