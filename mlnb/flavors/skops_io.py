"""Saving and loading estimators: skops by default, cloudpickle only when asked for.

skops refuses to load any type not on its allow-list unless the caller trusts it by name.  At
logging time we list the extra types the model needs (``get_untrusted_types``) and accept them
only from the scientific stack (scikit-learn, numpy, scipy, pandas); a lambda, a class defined in
the notebook or a builtin such as ``eval`` makes the model unsupported without pickle.  The
accepted list is what the caller records in the database, and what loading trusts later.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from mlnb.errors import UnsupportedModel

SKOPS = "skops"
CLOUDPICKLE = "cloudpickle"
PICKLE = "pickle"
SKOPS_FILE = "model.skops"
PICKLE_FILE = "model.pkl"
TRUSTED_ROOTS = frozenset({"sklearn", "numpy", "scipy", "pandas", "skops"})


def is_acceptable(type_name: str) -> bool:
    """Whether a skops type from outside skops' default list may be trusted (scientific stack only)."""
    root = type_name.split(".", 1)[0]
    return root in TRUSTED_ROOTS and "<lambda>" not in type_name and "<locals>" not in type_name


def _unsupported(model: Any, what: str) -> UnsupportedModel:
    return UnsupportedModel(
        f"a {type(model).__module__}.{type(model).__qualname__} cannot be saved safely with skops: "
        f"{what}. Lambdas, functions and classes defined in a notebook, and builtins such as eval "
        "are not loadable without pickle. Define them in an importable module, or pass "
        "allow_pickle=True (%%track --allow-pickle) to save with cloudpickle; loading then needs "
        "allow_pickle=True too"
    )


def dump_skops(model: Any) -> tuple[bytes, list[str]]:
    """Serialize with skops; return the bytes and the extra types loading has to trust.

    Raises :class:`mlnb.errors.UnsupportedModel` naming the offending type when the model
    holds something skops cannot load safely.

    Examples
    --------
    >>> data, trusted = dump_skops(pipeline)  # doctest: +SKIP
    >>> trusted
    []
    """
    import skops.io as sio

    try:
        data = sio.dumps(model)
    except Exception as exc:
        raise _unsupported(model, f"skops failed with {type(exc).__name__}: {exc}") from None
    untrusted = sorted(sio.get_untrusted_types(data=data))
    refused = [t for t in untrusted if not is_acceptable(t)]
    if refused:
        raise _unsupported(model, f"it contains {', '.join(refused)}")
    return data, untrusted


def load_skops(path: Path, trusted: list[str]) -> Any:
    """Load a skops file trusting only the default types plus ``trusted``."""
    import skops.io as sio

    return sio.load(path, trusted=list(trusted))


def dump_pickle(model: Any) -> bytes:
    """Serialize with cloudpickle (python's default protocol, like MLflow, for compatibility)."""
    import cloudpickle

    return cloudpickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL)


def dump_plain_pickle(model: Any) -> bytes:
    """Serialize with the standard library's pickle (MLflow's ``serialization_format="pickle"``)."""
    return pickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL)


def load_pickle(path: Path) -> Any:
    """Load a pickle written by cloudpickle or by pickle (one reader reads both)."""
    import cloudpickle

    with open(path, "rb") as fh:
        return cloudpickle.load(fh)
