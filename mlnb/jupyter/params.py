"""What the REST routes accept: each request parameter checked before it reaches a store.

Every check raises :class:`~mlnb.errors.InvalidParameter` (a 400) with one line naming the
parameter, the offending value (truncated) and the accepted form, so that no input can make a
route answer 500: lengths, counts, integer ranges and formats are bounded here, whatever the
store below would do with them.
"""

from __future__ import annotations

import re
import unicodedata

from mlnb.errors import InvalidParameter
from mlnb.registry.uris import MAX_NAME_LENGTH, check_model_name
from mlnb.store.paths import MAX_PATH_LENGTH
from mlnb.store.values import INT64_MAX, INT64_MIN, MAX_KEY_LENGTH

MAX_DIR_PATH = 4096  # ``path``: PATH_MAX of Linux
MAX_NAME_BYTES = 255  # one component of ``path``: NAME_MAX of every common file system
MAX_FILTER_LENGTH = 10_000  # ``filter`` and ``search``
MAX_FILTER_DEPTH = 50  # nested parentheses in a filter
MAX_ORDER_BY = 10  # ``order_by`` clauses (SQLite 3.40 crashes past ~30 sort keys)
MAX_ORDER_BY_LENGTH = 2 * MAX_KEY_LENGTH  # one clause: a prefixed, quoted key and ASC/DESC
MAX_EXPERIMENT_IDS = 1000
MAX_EXPERIMENT_ID = INT64_MAX  # the store keeps experiment ids as SQLite integers
MAX_PAGE_TOKEN = 10**9  # an offset into the search's runs
SHOWN = 60  # characters of an offending value quoted in a message
_RUN_ID = re.compile(r"[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9]+")
# an integer literal of a filter (not part of a key or of a float such as 1.5 or 1e9)
_INTEGER = re.compile(r"(?<![\w.\-/:])-?[0-9]+(?![\w.])")


def shown(value: str, limit: int = SHOWN) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters with its length noted."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value):,} characters)"


def _printable(value: str, what: str) -> str:
    """``value`` unless it holds a NUL or a lone surrogate (neither can be stored or be a name)."""
    for ch in value:
        if ch == "\x00" or unicodedata.category(ch) == "Cs":
            raise InvalidParameter(f"{what} {shown(value)} contains the character {ch!r}; remove it")
    return value


def api_path(value: str | None) -> str:
    """The ``path`` parameter (a notebook or directory relative to the server root), trimmed."""
    value = (value or "").strip("/")
    if len(value) > MAX_DIR_PATH:
        raise InvalidParameter(
            f"path {shown(value)} is longer than {MAX_DIR_PATH} characters; pass the notebook's "
            "path relative to the server root"
        )
    _printable(value, "path")
    for part in value.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise InvalidParameter(
                f"path component {shown(part)} is longer than {MAX_NAME_BYTES} bytes, which no file "
                "name can be; pass the notebook's path relative to the server root"
            )
    return value


def run_id(value: str) -> str:
    """A run id as the store writes them: 32 hex digits."""
    if not _RUN_ID.fullmatch(value):
        raise InvalidParameter(f"run id {shown(value)} is not a run id; run ids are 32 hex digits")
    return value


def filter_text(value: str | None, what: str = "filter") -> str | None:
    """A ``filter`` or ``search`` string: bounded length and parenthesis nesting."""
    if value is None:
        return None
    if len(value) > MAX_FILTER_LENGTH:
        raise InvalidParameter(
            f"{what} {shown(value)} is longer than {MAX_FILTER_LENGTH:,} characters; shorten it"
        )
    _printable(value, what)
    depth = deepest = 0
    quote = ""
    unquoted = []  # the text outside quotes, quoted parts replaced by a space
    for ch in value:
        if quote:
            if ch == quote:  # a doubled quote closes and reopens: the depth is unchanged
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
            unquoted.append(" ")
            continue
        unquoted.append(ch)
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    for number in _INTEGER.findall("".join(unquoted)):
        if len(number) > 20 or not INT64_MIN <= int(number) <= INT64_MAX:
            raise InvalidParameter(
                f"{what}: the number {shown(number)} is outside the 64-bit integer range "
                f"({INT64_MIN} to {INT64_MAX}); write a smaller number or a float such as 1e30"
            )
    if deepest > MAX_FILTER_DEPTH:
        raise InvalidParameter(
            f"{what} {shown(value)} nests parentheses {deepest} deep; at most {MAX_FILTER_DEPTH} "
            "levels are accepted"
        )
    return value


def order_by(values: list[str]) -> list[str] | None:
    """The ``order_by`` clauses: at most :data:`MAX_ORDER_BY`, each of bounded length."""
    kept = [v for v in values if v]
    if len(kept) > MAX_ORDER_BY:
        raise InvalidParameter(
            f"order_by has {len(kept):,} clauses; at most {MAX_ORDER_BY} are accepted (sort by fewer keys)"
        )
    for clause in kept:
        if len(clause) > MAX_ORDER_BY_LENGTH:
            raise InvalidParameter(
                f"order_by clause {shown(clause)} is longer than {MAX_ORDER_BY_LENGTH} characters; "
                "write e.g. 'metrics.accuracy DESC'"
            )
        _printable(clause, "order_by clause")
    return kept or None


def experiment_ids(values: list[str]) -> list[str]:
    """The ``experiment_id`` values: decimal integers the store can hold."""
    kept = [v for v in values if v]
    if len(kept) > MAX_EXPERIMENT_IDS:
        raise InvalidParameter(
            f"{len(kept):,} experiment_id values given; at most {MAX_EXPERIMENT_IDS} are accepted"
        )
    for value in kept:
        if not _DIGITS.fullmatch(value) or len(value) > 19 or int(value) > MAX_EXPERIMENT_ID:
            raise InvalidParameter(
                f"experiment_id {shown(value)} is not an experiment id; ids are whole numbers "
                f"from 0 to {MAX_EXPERIMENT_ID}"
            )
    return kept


def whole_number(value: str | None, what: str, default: int, lowest: int, highest: int) -> int:
    """A decimal parameter such as ``page_size`` within ``lowest..highest``."""
    if value is None or value == "":
        return default
    if not _DIGITS.fullmatch(value) or len(value) > len(str(highest)) or not lowest <= int(value) <= highest:
        raise InvalidParameter(
            f"{what} {shown(value)} must be a whole number from {lowest} to {highest}"
            + ("; pass the next_page_token of the previous page unchanged" if what == "page_token" else "")
        )
    return int(value)


def one_of(value: str | None, what: str, choices: tuple[str, ...]) -> str:
    """An enumerated parameter (``view``, ``scope``); absent or empty means the first choice."""
    if value is None or value == "":
        return choices[0]
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise InvalidParameter(f"{what} {shown(value)} is not one of {listed}")
    return value


def metric_key(value: str | None) -> str:
    """The ``key`` of a metric history: present and no longer than any stored key."""
    if not value:
        raise InvalidParameter("the metric key is missing; pass ?key=<metric name>")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"metric key {shown(value)} is longer than {MAX_KEY_LENGTH} characters, so no run has it"
        )
    return _printable(value, "metric key")


def model_name(value: str | None) -> str | None:
    """The ``name`` of a registered model, checked as the registry checks names."""
    if value is None:
        return None
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidParameter(
            f"model name {shown(value)} is longer than {MAX_NAME_LENGTH} characters, so no model has it"
        )
    check_model_name(value)
    return value


def artifact_path(value: str) -> str:
    """An artifact path from the URL: bounded before the store checks its form."""
    if len(value) > MAX_PATH_LENGTH:
        raise InvalidParameter(
            f"artifact path {shown(value)} is longer than {MAX_PATH_LENGTH} characters, so no artifact has it"
        )
    return value
