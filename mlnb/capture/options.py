"""The options of one ``%%track`` cell, independent of how they were parsed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mlnb.errors import InvalidParameter


@dataclass(frozen=True)
class TrackOptions:
    experiment: str | None = None
    name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    models: bool = True
    figures: bool = True
    training_metrics: bool = False
    nested: bool = False
    allow_pickle: bool = False


def parse_pairs(items: Iterable[str] | None, option: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a missing ``=`` is an error.

    Examples
    --------
    >>> parse_pairs(["team=churn", "C=0.5"], "-t")
    {'team': 'churn', 'C': '0.5'}
    """
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidParameter(f"{option} expects key=value, got {item!r}")
        out[key] = value
    return out
