"""SQL ``LIKE`` matching in linear-ish time, for the search filters of runs, experiments and models.

A pattern is split at each ``%`` into segments of fixed length (literal characters and ``_``,
which stands for any one character).  The first segment must match at the start of the value,
the last one at its end, and each segment in between is found at its leftmost place after the
previous one: leftmost placement never loses a match, so no choice is ever revisited.  Finding a
segment is ``str.find`` for literal text, or a regular expression of fixed length (no
repetition, hence no backtracking) when it holds ``_``: at most O(len(value) × len(pattern))
steps, where translating ``%`` into ``.*`` for a backtracking regex took time growing as the
value's length to the power of the number of ``%`` (``%a%a%a%b`` ran for minutes on 2,000
characters).

There is no escape character (as in MLflow's search language); ``ci=True`` (ILIKE) compares the
lower-cased value and pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mlnb.errors import FilterSyntaxError

MAX_LIKE_PATTERN = 1000  # characters of a LIKE/ILIKE pattern


def check_like_pattern(pattern: str) -> None:
    """Refuse a LIKE pattern longer than :data:`MAX_LIKE_PATTERN` characters."""
    if len(pattern) > MAX_LIKE_PATTERN:
        raise FilterSyntaxError(
            f"a LIKE/ILIKE pattern is limited to {MAX_LIKE_PATTERN} characters, got one of "
            f"{len(pattern)} ({pattern[:40]!r}...); compare with '=' or a shorter pattern"
        )


# a segment: literal text, or a fixed-length regex when it holds ``_``; with its length
_Segment = tuple[str | re.Pattern[str], int]


@lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[tuple[_Segment, ...], bool]:
    """The ``%``-separated segments of ``pattern`` and whether it holds ``%`` at all."""
    parts = pattern.split("%")
    segments: list[_Segment] = []
    for part in parts:
        if "_" in part:
            body = "".join("." if ch == "_" else re.escape(ch) for ch in part)
            segments.append((re.compile(body, re.DOTALL), len(part)))
        else:
            segments.append((part, len(part)))
    return tuple(segments), len(parts) > 1


def _at(segment: _Segment, value: str, pos: int) -> bool:
    """Whether ``segment`` matches ``value`` exactly at ``pos``."""
    matcher = segment[0]
    if isinstance(matcher, str):
        return value.startswith(matcher, pos)
    return matcher.match(value, pos) is not None


def _find(segment: _Segment, value: str, pos: int, end: int) -> int:
    """The leftmost place at or after ``pos`` where ``segment`` matches within ``value[:end]``."""
    matcher = segment[0]
    if isinstance(matcher, str):
        return value.find(matcher, pos, end)
    m = matcher.search(value, pos, end)
    return -1 if m is None else m.start()


def like(value: str, pattern: str, ci: bool = False) -> bool:
    """Whether ``value`` matches the SQL LIKE ``pattern`` (``%`` any text, ``_`` one character)."""
    if ci:
        value, pattern = value.lower(), pattern.lower()
    segments, has_any = _compile(pattern)
    if not has_any:  # no %: one fixed-length segment covering the whole value
        return len(value) == segments[0][1] and _at(segments[0], value, 0)
    first, *middle, last = segments
    end = len(value) - last[1]  # the last segment owns the end of the value
    if first[1] > end or not _at(first, value, 0) or not _at(last, value, end):
        return False
    pos = first[1]
    for segment in middle:
        found = _find(segment, value, pos, end)
        if found < 0:
            return False
        pos = found + segment[1]
    return True


def like_match(value: str | None, pattern: str | None, ci: bool) -> int | None:
    """SQL LIKE with ``%`` and ``_`` and no escape character, as a SQLite function returns it:
    ``1``/``0``, or ``None`` when either side is NULL; ``ci`` compares lower-cased text."""
    if value is None or pattern is None:
        return None
    check_like_pattern(pattern)
    return 1 if like(str(value), str(pattern), ci) else 0
