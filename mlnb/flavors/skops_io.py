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

from mlnb.errors import IntegrityError, UnsupportedModel

SKOPS = "skops"
CLOUDPICKLE = "cloudpickle"
PICKLE = "pickle"
SKOPS_FILE = "model.skops"
PICKLE_FILE = "model.pkl"
TRUSTED_ROOTS = frozenset({"sklearn", "numpy", "scipy", "pandas", "skops"})
# Inside those packages, modules that read pickles, load native code, evaluate text or run
# scripts (numpy.load, pandas.read_pickle, numpy.ctypeslib.load_library, pandas.eval,
# numpy.testing's runstring, skops.io.load, ...): skops calls a trusted name with the file's
# arguments, so none of them is ever trusted.
_REFUSED_MODULES = frozenset(
    {"io", "_io", "npyio", "_npyio_impl", "format", "_format_impl", "ctypeslib", "_ctypeslib",
     "f2py", "distutils", "testing", "_testing", "computation", "pickle", "pickle_compat",
     "_datasource", "_pytesttester", "conftest", "tests"}
)  # fmt: skip
_REFUSED_NAMES = frozenset(
    {"load", "loads", "loadtxt", "genfromtxt", "fromfile", "memmap", "open_memmap", "read_pickle",
     "eval", "exec", "compile", "system", "popen", "load_library", "__import__", "getattr",
     "setattr", "delattr", "globals", "open", "runstring", "run_module_suite", "show_config"}
)  # fmt: skip


def is_acceptable(type_name: str) -> bool:
    """Whether a skops type from outside skops' default list may be trusted (scientific stack only).

    The same rule applies when a model is saved and, again, to the types a model's database
    record lists when it is loaded.
    """
    if not isinstance(type_name, str) or "<lambda>" in type_name or "<locals>" in type_name:
        return False
    parts = type_name.split(".")
    if parts[0] not in TRUSTED_ROOTS or len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return False
    return not (_REFUSED_MODULES.intersection(parts[1:-1]) or parts[-1] in _REFUSED_NAMES)


def refused_types(type_names: list[str]) -> list[str]:
    """The names in ``type_names`` that :func:`is_acceptable` refuses."""
    return [t for t in type_names if not is_acceptable(t)]


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
    refused = refused_types(untrusted)
    if refused:
        raise _unsupported(model, f"it contains {', '.join(refused)}")
    return data, untrusted


def load_skops(path: Path, trusted: list[str]) -> Any:
    """Load a skops file trusting only the default types plus ``trusted``.

    ``trusted`` comes from a database record, which may have been edited: it is checked against
    the rule used at saving time (:func:`is_acceptable`) before skops sees it.

    Raises
    ------
    mlnb.errors.IntegrityError
        ``trusted`` lists a type from outside the scientific stack (``builtins.exec``,
        ``os.system``, ...) or one that loads pickles or code.
    """
    import skops.io as sio

    refused = refused_types(list(trusted))
    if refused:
        shown = ", ".join(repr(t)[:80] for t in refused[:3])
        raise IntegrityError(
            f"the model's record asks to trust {shown}, which mlnb never trusts when loading a "
            f"skops file ({str(path)!r}); log the model again from code you trust, or, if you "
            "have audited the file, load it yourself with skops.io.load(path, trusted=[...])"
        )
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
