"""Artifact paths: one canonical relative form, or a clear refusal.

A path names a file below a run's artifact directory.  It is refused when it could name
anything else on any platform or through any decoding layer: parent references, absolute
paths, drive letters, backslashes, percent-encoding, URL delimiters, control characters.
The check on the final filesystem path (symlinks) is in :func:`contained`.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from mlnb.errors import UnsafePath

MAX_PATH_LENGTH = 1024
# Characters that mean something to Windows, URLs or shells, never needed in an artifact name.
_FORBIDDEN = set('\\:*?"<>|#%;')

_HOW = "use a relative path of plain names separated by '/', like 'plots/roc.png'"


def _refuse(path: object, why: str) -> UnsafePath:
    return UnsafePath(f"artifact path {path!r} is refused: {why}; {_HOW}")


def check_relpath(path: str | os.PathLike[str], *, allow_empty: bool = False) -> str:
    """Return ``path`` as a canonical relative POSIX path, or raise :class:`UnsafePath`.

    One trailing ``/`` is accepted (a directory); everything else must already be canonical.
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise _refuse(path, f"it is a {type(path).__name__}, not a string")
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    if path == "":
        if allow_empty:
            return ""
        raise _refuse(path, "it is empty")
    if len(path) > MAX_PATH_LENGTH:
        raise _refuse(path[:40] + "...", f"it is longer than {MAX_PATH_LENGTH} characters")
    for ch in path:
        if ch in _FORBIDDEN:
            raise _refuse(path, f"it contains {ch!r}")
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise _refuse(path, f"it contains the control or invisible character {ch!r}")
    if path.startswith("/") or path.startswith("~"):
        raise _refuse(path, "it is absolute")
    for part in path.split("/"):
        if part == "":
            raise _refuse(path, "it has an empty component ('//')")
        if part in (".", ".."):
            raise _refuse(path, f"it has a {part!r} component")
        if part != part.strip():
            raise _refuse(path, "a component starts or ends with whitespace")
    if unicodedata.normalize("NFC", path) != path:
        raise _refuse(path, "it is not in Unicode NFC form")
    return path


def join_relpath(*parts: str | None) -> str:
    """Join checked relative parts; ``None`` and ``""`` parts are skipped."""
    kept = [check_relpath(p) for p in parts if p]
    return "/".join(kept)


def contained(base: Path, rel: str) -> Path:
    """The real filesystem path of ``rel`` under ``base``, refusing symlinks that leave ``base``."""
    root = os.path.realpath(base)
    target = os.path.realpath(os.path.join(root, *rel.split("/")))
    if target != root and not target.startswith(root + os.sep):
        raise _refuse(rel, "it resolves outside the run's artifact directory (symlink)")
    return Path(target)
