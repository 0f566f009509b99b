"""How numbers, durations, times and counts read, everywhere mlnb shows them.

One set of rules for the run card, the panels and their static fallbacks, the CLI and (through
``labextension/src/format.ts``, which implements the same rules) the sidebar and the widget front
ends.  ``tests/display/format_cases.json`` is the table both implementations must reproduce, so a
metric reads the same in every place.

The rules:

- **Numbers**: integers as integers (``100``); otherwise four significant digits with trailing
  zeros dropped (``0.8452``, ``2.5``); from 10,000 up, the nearest integer (``12346``); below
  0.0001 or from a million up, a short exponent form (``1.235e6``, ``2.5e-5``).  Ties round away
  from zero on the exact binary value, as JavaScript's ``toPrecision`` does.  A missing value is
  blank (the fixed-width gate and threshold reports ask for ``-``), NaN is ``NaN``, infinities
  are ``∞`` / ``-∞``.  Plot labels (SHAP waterfall, ROC/PR legends) follow the same rule.
- **Percentages** (Python only: the drift and threshold reports): ``25%``, ``2.5%``, ties away
  from zero.
- **Durations**: ``340 ms``, ``2.1 s``, ``42 s``, ``4 min 5 s``, ``1 h 2 min``, ``2 d 3 h``.
- **Timestamps**: ``2026-12-07 16:53:09`` in local time (UTC on request); relative ages as
  ``12 s ago``, ``5 min ago``, ``3 h ago``, ``2 d ago``, then the date.
- **Counts**: ``1 run``, ``2 runs``, ``10,000 runs``.
- **Sizes**: ``512 B``, ``1.5 KB``, ``12 MB`` (powers of 1024).
- **Run ids** in tables: their last eight characters (the random part).
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "ago",
    "count",
    "delta",
    "distinct",
    "duration",
    "number",
    "percent",
    "short_id",
    "size",
    "timestamp",
]

_EXP_BELOW = 1e-4
_EXP_FROM = 1e6
_INT_FROM = 1e4


def _round(value: float, exponent: int) -> Decimal:
    """``value`` rounded to a multiple of ``10**exponent``, ties away from zero (exact binary value)."""
    return Decimal(value).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _shortest(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def number(value: float | int | None, *, missing: str = "") -> str:
    """A number as it reads in every mlnb table and card; ``missing`` is the text of ``None``.

    Tables leave a missing value blank (the default, as the TypeScript ``formatNumber`` does);
    the fixed-width gate and threshold reports write ``missing="-"`` so their columns stay
    readable.

    Examples
    --------
    >>> [number(v) for v in (0.845188, 100, 12345.678, 2.5e-05, 1234567.8, None)]
    ['0.8452', '100', '12346', '2.5e-5', '1.235e6', '']
    >>> number(None, missing="-")
    '-'
    """
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    a = abs(x)
    exp = Decimal(a).adjusted()  # exact: a == d.ddd… × 10**exp
    if a < _EXP_BELOW or a >= _EXP_FROM:
        mantissa = _round(a, exp - 3)  # four significant digits
        if mantissa.adjusted() > exp:  # 9.9996e6 rounds up to 1.000e7
            exp += 1
        text = f"{mantissa.scaleb(-exp):f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return f"{'-' if x < 0 else ''}{text}e{exp}"
    if a >= _INT_FROM:
        return str(int(_round(x, 0)))
    return _shortest(float(_round(x, exp - 3)))


def distinct(value: float | None, other: float | None, *, missing: str = "") -> tuple[str, str]:
    """Two numbers compared in a message: as :func:`number` reads them, in full when that would
    make different values read alike ("0.8 needs >= 0.8" explains nothing).

    Examples
    --------
    >>> distinct(0.845188, 0.7), distinct(0.79995, 0.8), distinct(0.5, None, missing="-")
    (('0.8452', '0.7'), ('0.79995', '0.8'), ('0.5', '-'))
    """
    a, b = number(value, missing=missing), number(other, missing=missing)
    if value is not None and other is not None and a == b and value != other:
        return _shortest(float(value)), _shortest(float(other))
    return a, b


def percent(share: float, *, decimals: int = 0) -> str:
    """A share (``0.25``) as a percentage with ``decimals`` places: ``25%``, ``2.5%``.

    Python-only: no front end shows a percentage (the drift and threshold reports do).

    Examples
    --------
    >>> percent(0.25), percent(0.025, decimals=1), percent(0.125)
    ('25%', '2.5%', '13%')
    """
    return f"{_round(share * 100, -decimals):f}%"


def delta(value: float | None) -> str:
    """A signed difference: ``+0.0123``, ``-2``; blank when missing."""
    if value is None:
        return ""
    text = number(value)
    return text if text.startswith("-") or text == "NaN" else f"+{text}"


def duration(ms: float | None) -> str:
    """A duration given in milliseconds.

    Examples
    --------
    >>> [duration(v) for v in (340, 2149, 42_400, 245_000, 3_720_000, None)]
    ['340 ms', '2.1 s', '42 s', '4 min 5 s', '1 h 2 min', '']
    """
    if ms is None or ms != ms or ms < 0:
        return ""
    whole = int(_round(float(ms), 0))
    if whole < 1000:
        return f"{whole} ms"
    tenths = (whole + 50) // 100
    if tenths < 100:
        return f"{tenths // 10}.{tenths % 10} s"
    seconds = (whole + 500) // 1000
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def timestamp(ms: float | None, *, utc: bool = False) -> str:
    """A point in time (milliseconds since the epoch) as ``YYYY-MM-DD HH:MM:SS``, local unless ``utc``."""
    if ms is None:
        return ""
    seconds = int(ms) // 1000
    moment = _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)
    if not utc:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def ago(ms: float, now: float, *, utc: bool = False) -> str:
    """How long before ``now`` the time ``ms`` was (both in milliseconds): ``5 min ago``."""
    seconds = max(0, int((now - ms) // 1000))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400} d ago"
    return timestamp(ms, utc=utc)[:10]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 run``, ``2 runs``, ``10,000 runs`` (``plural`` for nouns that do not take an s)."""
    word = noun if n == 1 else (plural or f"{noun}s")
    return f"{n:,} {word}"


def size(n: int) -> str:
    """A size in bytes: ``512 B``, ``1.5 KB``, ``12 MB`` (powers of 1024)."""
    if n < 1024:
        return f"{n} B"
    units = ("KB", "MB", "GB", "TB")
    value = n / 1024
    i = 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    places = 1 if value < 10 else 0
    return f"{_round(value, -places):f} {units[i]}"


def short_id(run_id: str) -> str:
    """The last eight characters of a run id, as the panels show it.

    Run ids start with their creation time (see ``mlnb.store._common.new_run_id``), so runs made
    within a minute share their first characters; the random tail tells them apart.
    """
    return run_id[-8:]
