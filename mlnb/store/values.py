"""Validation of everything that is logged: keys, param/tag strings, metric numbers.

A value is accepted only when it round-trips exactly through every SQL dialect of the store;
otherwise the caller gets an :class:`InvalidParameter` saying what is wrong and what to do.
"""

from __future__ import annotations

import math
import numbers
import re

from mlnb.errors import InvalidParameter, shorten

MAX_KEY_LENGTH = 250
MAX_VALUE_LENGTH = 100_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# MLflow's rule for keys: word characters (any script), '.', '-', '/', ':' and space.
_KEY_RE = re.compile(r"[\w.\-/: ]+")


def check_key(key: object, what: str = "key") -> str:
    if not isinstance(key, str):
        raise InvalidParameter(f"{what} {key!r} must be a string, not {type(key).__name__}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"{what} {key[:60]!r} must have 1 to {MAX_KEY_LENGTH} characters (has {len(key)})"
        )
    if not _KEY_RE.fullmatch(key):
        bad = next(ch for ch in key if not _KEY_RE.fullmatch(ch))
        raise InvalidParameter(
            f"{what} {key!r} contains {bad!r}; keys may use letters, digits, '_', '-', '.', '/', "
            "':' and spaces"
        )
    return key


def check_text(value: object, what: str) -> str:
    """Params and tags are strings; other values are stored as ``str(value)``, like MLflow."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except RecursionError:
            raise InvalidParameter(
                f"{what} is a {type(value).__name__} nested too deeply to write as text; log it "
                "with mlnb.log_dict or flatten it"
            ) from None
        except Exception as exc:  # a user type whose __str__ fails
            raise InvalidParameter(
                f"{what}: str() of the {type(value).__name__} failed ({type(exc).__name__}); pass a string"
            ) from None
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidParameter(
            f"{what} is {len(text):,} characters long, over the limit of {MAX_VALUE_LENGTH:,}; "
            "log long text as an artifact with mlnb.log_text"
        )
    if "\x00" in text:
        raise InvalidParameter(f"{what} contains a NUL character, which no SQL text type stores")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter(
            f"{what} contains a lone surrogate character and is not valid Unicode"
        ) from None
    return text


def metric_value(value: object, key: str) -> float:
    if type(value) is float:  # the common case, without ABC checks
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, numbers.Real):
        # numpy 0-d arrays and similar expose __float__ without being numbers.Real
        if hasattr(value, "__float__") and not isinstance(value, (str, bytes)):
            try:
                return float(value)
            except (TypeError, ValueError, OverflowError):
                pass
        raise InvalidParameter(
            f"metric {key!r} got {shorten(value)} ({type(value).__name__}); a metric must be a real "
            "number — log text as a tag or param instead"
        )
    try:
        return float(value)
    except OverflowError:
        raise InvalidParameter(
            f"metric {key!r} value {shorten(value)} is too large for a 64-bit float"
        ) from None


def encode_metric(value: float) -> tuple[float | None, int]:
    """(value, special) as stored: NaN -> (None, 1), -0.0 -> (0.0, 2), else (value, 0)."""
    if math.isnan(value):
        return None, 1
    if value == 0.0 and math.copysign(1.0, value) < 0:
        return 0.0, 2
    return value, 0


def decode_metric(value: float | None, special: int) -> float:
    if special == 1:
        return math.nan
    if special == 2:
        return -0.0
    return float(value)  # type: ignore[arg-type]


def check_int(value: object, what: str) -> int:
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:  # the common case, without ABC checks
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameter(f"{what} must be an integer, got {shorten(value)}")
    ivalue = int(value)
    if not INT64_MIN <= ivalue <= INT64_MAX:
        raise InvalidParameter(f"{what} {ivalue} does not fit in a 64-bit integer")
    return ivalue
