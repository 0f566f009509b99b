"""Where the store lives: ``set_store`` > ``MLNB_STORE`` > nearest ``.mlnb/`` upward > ``./.mlnb/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlnb import config
from mlnb.errors import InvalidUri

_SQL_SCHEMES = ("postgresql", "postgresql+psycopg", "postgresql+psycopg2", "sqlite")


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: a database URL and the directory that holds the artifacts."""

    db_url: str
    artifact_root: Path
    root: Path | None  # the ``.mlnb`` directory of a local store, None for a database server
    source: str  # how it was found: "set_store", "env", "found", "new"

    @property
    def uri(self) -> str:
        return str(self.root) if self.root is not None else self.db_url


def find_store_dir(start: Path) -> Path | None:
    """The nearest ``.mlnb`` directory at ``start`` or above, like git finds ``.git``."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        probe = candidate / config.STORE_DIRNAME
        if probe.is_dir():
            return probe
    return None


def parse_store_uri(uri: str | os.PathLike[str], *, source: str) -> StoreLocation:
    """Turn a user-supplied store URI or path into a :class:`StoreLocation`.

    A path (or ``file:`` URI) names the ``.mlnb`` directory itself, or a project directory that
    holds one.  ``postgresql+psycopg://user@host/db`` names a team store; its artifacts go to
    ``MLNB_ARTIFACT_ROOT`` (required) or ``?artifact_root=`` appended to the URI.
    """
    text = os.fspath(uri)
    if not text or "\x00" in text:
        raise InvalidUri(f"store URI {text!r} is empty or contains NUL; give a directory path")
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if scheme.startswith("postgresql"):
        base, _, query = text.partition("?artifact_root=")
        root = query or os.environ.get("MLNB_ARTIFACT_ROOT", "")
        if not root:
            raise InvalidUri(
                f"store URI {base!r} names a database server but no artifact directory; append "
                "'?artifact_root=/shared/dir' or set MLNB_ARTIFACT_ROOT"
            )
        return StoreLocation(base, Path(root).expanduser().resolve(), None, source)
    if scheme and scheme != "file":
        raise InvalidUri(
            f"store URI {text!r} has scheme {scheme!r}; use a directory path or "
            "postgresql+psycopg://user@host/dbname"
        )
    if scheme == "file":
        text = text[len("file://") :]
    path = Path(text).expanduser()
    if path.name != config.STORE_DIRNAME and (path / config.STORE_DIRNAME).is_dir():
        path = path / config.STORE_DIRNAME
    path = path.resolve()
    return StoreLocation(
        f"sqlite:///{path / config.DB_FILENAME}", path / config.ARTIFACTS_DIRNAME, path, source
    )


def resolve(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> StoreLocation:
    """Resolve the store location by the documented precedence."""
    if explicit is not None:
        return parse_store_uri(explicit, source="set_store")
    env = os.environ.get(config.STORE_ENV)
    if env:
        return parse_store_uri(env, source="env")
    start = cwd if cwd is not None else Path.cwd()
    found = find_store_dir(start)
    if found is not None:
        return parse_store_uri(found, source="found")
    return parse_store_uri(start / config.STORE_DIRNAME, source="new")
