"""Copying the caller's local files into a model directory (``code_paths``, ``extra_files``, ``artifacts``).

Files are read into ``(relative path, bytes)`` pairs, so they go through the same hashed write
as the model file itself; a directory is walked in sorted order, symlinks refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter

CODE_DIR = "code"
EXTRA_FILES_DIR = "extra_files"


def _local(path: Any, what: str) -> Path:
    text = str(path)
    if text.startswith("file://"):
        text = text[len("file://") :]
    elif "://" in text:
        raise InvalidParameter(f"{what} {text!r} is not a local path; copy it to a local file first")
    local = Path(text)
    if not local.exists():
        raise InvalidParameter(f"{what} {text!r} does not exist")
    return local


def read_tree(path: Any, prefix: str, what: str) -> list[tuple[str, bytes]]:
    """``(prefix/<name>[/...], bytes)`` for a file or every file of a directory under ``path``."""
    local = _local(path, what)
    if local.is_file():
        return [(f"{prefix}/{local.name}", local.read_bytes())]
    out = []
    for file in sorted(local.rglob("*")):
        if file.is_symlink():
            raise InvalidParameter(f"{what} {str(local)!r} holds a symlink ({file}); copy its target instead")
        if file.is_file() and "__pycache__" not in file.parts:
            rel = file.relative_to(local.parent).as_posix()
            out.append((f"{prefix}/{rel}", file.read_bytes()))
    return out


def read_paths(paths: Any, prefix: str, what: str) -> list[tuple[str, bytes]]:
    """Every file of a list of local paths, under ``prefix``."""
    if paths is None:
        return []
    if isinstance(paths, (str, Path)) or not hasattr(paths, "__iter__"):
        raise InvalidParameter(f"{what} must be a list of local paths, got {type(paths).__name__}")
    files: list[tuple[str, bytes]] = []
    for path in paths:
        files.extend(read_tree(path, prefix, what))
    return files
