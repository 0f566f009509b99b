"""The system tags a new run gets, as MLflow writes them: where the code ran and its git commit.

``mlflow.source.name`` / ``mlflow.source.type`` name the notebook (``NOTEBOOK``) when the kernel
knows its path, else the script (``LOCAL``); ``mlflow.source.git.commit`` / ``.branch`` /
``.repoURL`` describe the repository holding the script (or, in a notebook or console, the
working directory).  Everything is read from files: starting a run never runs ``git``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
RUN_NAME = "mlflow.runName"
RUN_NOTE = "mlflow.note.content"
PARENT_RUN_ID = "mlflow.parentRunId"
USER = "mlflow.user"


def notebook_path(namespace: dict[str, object] | None = None) -> str | None:
    """The notebook file, from what the front end told the kernel (None when unknown).

    JupyterLab/Notebook set ``JPY_SESSION_NAME`` (ipykernel copies it into ``__session__``);
    VS Code sets ``__vsc_ipynb_file__``.  ``namespace`` defaults to ``__main__``'s, which in a
    kernel is the user namespace.
    """
    if namespace is None:
        main = sys.modules.get("__main__")
        namespace = getattr(main, "__dict__", {}) if main is not None else {}
    for value in (
        namespace.get("__vsc_ipynb_file__"),
        namespace.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    return None


def _in_ipython() -> bool:
    """True in a Jupyter kernel or an IPython shell (where sys.argv[0] is IPython's launcher)."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


def source_tags(notebook: str | None) -> dict[str, str]:
    """``mlflow.source.type`` and ``mlflow.source.name`` for a notebook (or the running script)."""
    if notebook:
        return {SOURCE_TYPE: "NOTEBOOK", SOURCE_NAME: notebook}
    name = sys.argv[0] if sys.argv and sys.argv[0] else "<console>"
    return {SOURCE_TYPE: "LOCAL", SOURCE_NAME: name}


def _git_dir(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        dot = candidate / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():  # a worktree: "gitdir: <path>"
            text = dot.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                return (candidate / text.split(":", 1)[1].strip()).resolve()
    return None


def _common_dir(git_dir: Path) -> Path:
    if (git_dir / "commondir").is_file():
        return (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    return git_dir


def _head(git_dir: Path) -> tuple[str | None, str | None]:
    """(commit, ref) of HEAD; ref is None for a detached HEAD."""
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref:"):
        return head or None, None
    ref = head.split(":", 1)[1].strip()
    common = _common_dir(git_dir)
    for base in (git_dir, common):
        ref_file = base / ref
        if ref_file.is_file():
            return ref_file.read_text().strip() or None, ref
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0], ref
    return None, ref


def git_commit(start: Path) -> tuple[str | None, Path | None]:
    """(commit, work tree) read from ``.git`` files directly; (None, None) outside a repo."""
    try:
        git_dir = _git_dir(start.resolve())
        if git_dir is None:
            return None, None
        work_tree = git_dir.parent if git_dir.name == ".git" else start
        return _head(git_dir)[0], work_tree
    except OSError:
        return None, None


_REMOTE_URL = re.compile(r'^\s*\[remote\s+"[^"]*"\]\s*$|^\s*url\s*=\s*(.+?)\s*$')


def _remote_url(git_dir: Path) -> str | None:
    config = _common_dir(git_dir) / "config"
    if not config.is_file():
        return None
    in_remote = False
    for line in config.read_text(errors="replace").splitlines():
        if line.lstrip().startswith("["):
            in_remote = bool(re.match(r'^\s*\[remote\s+"', line))
            continue
        match = _REMOTE_URL.match(line)
        if in_remote and match and match.group(1):
            return _without_credentials(match.group(1))
    return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def git_tags(start: Path | None = None) -> dict[str, str]:
    """MLflow's git tags (commit, branch, first remote's URL) for the repository at ``start``."""
    try:
        git_dir = _git_dir((start or Path.cwd()).resolve())
        if git_dir is None:
            return {}
        commit, ref = _head(git_dir)
        if commit is None:
            return {}
        tags = {GIT_COMMIT: commit}
        if ref is not None and ref.startswith("refs/heads/"):
            tags[GIT_BRANCH] = ref[len("refs/heads/") :]
        url = _remote_url(git_dir)
        if url:
            tags[GIT_REPO_URL] = url
        return tags
    except OSError:
        return {}


def _installed(path: Path) -> bool:
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(path.is_relative_to(prefix) for prefix in prefixes)


def code_dir() -> Path | None:
    """Where the user's code lives: the running script's directory, or the working directory in
    a notebook or console; None for a tool installed in the environment (``pytest``, ...)."""
    main = sys.argv[0] if sys.argv else ""
    if _in_ipython() or not main or not os.path.isfile(main):
        return Path.cwd()
    where = Path(main).resolve().parent
    return None if _installed(where) else where


GIT_TTL_S = 2.0
_git_cache: dict[tuple[str, str, bool], tuple[float, dict[str, str]]] = {}


def _cached_git_tags() -> dict[str, str]:
    # A loop of short runs must not read .git for every run; a commit shows up within GIT_TTL_S.
    key = (os.getcwd(), sys.argv[0] if sys.argv else "", _in_ipython())
    now = time.monotonic()
    hit = _git_cache.get(key)
    if hit is not None and now - hit[0] < GIT_TTL_S:
        return hit[1]
    where = code_dir()
    tags = git_tags(where) if where is not None else {}
    if len(_git_cache) > 64:
        _git_cache.clear()
    _git_cache[key] = (now, tags)
    return tags


def default_tags() -> dict[str, str]:
    """The tags every new run starts with (user tags given to ``start_run`` override them)."""
    tags = source_tags(notebook_path())
    tags.update(_cached_git_tags())
    return tags
