"""Lazy public names (PEP 562) for the modules that re-export others' names under MLflow's.

Each such module keeps a table ``name -> module that defines it`` and gets its ``__getattr__`` and
``__dir__`` from :func:`exports`, so importing it costs nothing until a name is used (``import
mlnb.types`` must not pull pandas in).  Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports(
    namespace: dict[str, Any],
    table: Mapping[str, str],
    *,
    before: Callable[[str], None] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module whose globals are ``namespace``.

    ``name`` is imported from ``table[name]`` on first access and cached in the module;
    ``before(name)`` runs first when given (e.g. to load what the value needs at use).

    Examples
    --------
    >>> _EXPORTS = {"infer_signature": "mlnb.flavors.schema"}  # doctest: +SKIP
    >>> __getattr__, __dir__ = exports(globals(), _EXPORTS)  # doctest: +SKIP
    """
    module_name = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        if before is not None:
            before(name)
        value = getattr(import_module(source), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
