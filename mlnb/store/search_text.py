"""What a search box's text means: a filter, or plain text to find in run names and tags.

The sidebar's search box and the compare panel's filter box take either a filter
(``metrics.acc > 0.8``, ``params.C = '1'``) or plain text (``rf``): text that parses as a filter
is one; other text is searched for in run names and user tag values (``search_runs(text=...)``),
unless it looks like a mistyped filter (it has both a key prefix such as ``metrics.`` and an
operator), which is an error saying what the parser expected.
"""

from __future__ import annotations

import re

from mlnb.errors import FilterSyntaxError
from mlnb.store.filters import parse_filter

_KEY_PREFIX = re.compile(
    r"(?i)(^|[\s(])`?(metrics?|params?|parameters?|tags?|attributes?|attr|run|datasets?)`?\s*\."
)
_OPERATOR = re.compile(r"(?i)(!=|<=|>=|=|<|>|\b(i?like|in|is)\b)")


def looks_like_filter(text: str) -> bool:
    """Whether ``text`` was meant as a filter: it names a key with its prefix and compares it."""
    return bool(_KEY_PREFIX.search(text)) and bool(_OPERATOR.search(text))


def interpret(search: str | None) -> tuple[str | None, str | None]:
    """``(filter_string, text)`` for a search box's ``search``: at most one is set.

    Raises :class:`~mlnb.errors.FilterSyntaxError` when the text looks like a filter but is
    not one (the message says what the parser expected).

    Examples
    --------
    >>> interpret("metrics.acc > 0.8"), interpret("rf"), interpret("  ")
    (('metrics.acc > 0.8', None), (None, 'rf'), (None, None))
    """
    search = (search or "").strip()
    if not search:
        return None, None
    try:
        parse_filter(search)
    except FilterSyntaxError:
        if looks_like_filter(search):
            raise
        return None, search
    return search, None
