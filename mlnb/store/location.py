"""Where the store lives, and which URIs name one.

Precedence: ``set_tracking_uri``/``set_store`` > ``MLNB_STORE`` / ``MLNB_TRACKING_URI`` >
``MLFLOW_TRACKING_URI`` (only when neither mlnb variable is set) > the nearest ``.mlnb/``
walking up from the working directory > a new ``./.mlnb/``.

Accepted URIs:

* a directory path or ``file:`` URI: a store directory holding ``mlnb.db`` and ``artifacts/``
  (a project directory that holds a ``.mlnb/`` means that ``.mlnb/``);
* ``sqlite:///relative.db`` or ``sqlite:////absolute.db``: a store on that database file, its
  artifacts in ``<stem>-artifacts/`` beside it (``sqlite:///mlflow.db`` -> ``mlflow-artifacts/``);
* ``postgresql+psycopg://user@host/db?artifact_root=/dir``: a team store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mlnb import config
from mlnb.errors import InvalidUri, os_errors

SUPPORTED_SCHEMES = ("file", "sqlite", "postgresql")
ARTIFACTS_SUFFIX = "-artifacts"
_MLFLOW_NAMED_SERVICES = ("databricks", "databricks-uc", "uc")


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: a database URL and the directory that holds the artifacts."""

    db_url: str
    artifact_root: Path
    root: Path | None  # the directory that holds the database file; None for a database server
    source: str  # how it was found: "set_store", "env", "found", "new"
    db_path: Path | None = None  # the SQLite file, when it is not ``root / mlnb.db``

    @property
    def db_file(self) -> Path | None:
        """The SQLite database file (None for a database server)."""
        if self.db_path is not None:
            return self.db_path
        return None if self.root is None else self.root / config.DB_FILENAME

    @property
    def uri(self) -> str:
        """A URI that resolves to this same store (a directory path, or the database URL)."""
        if self.db_path is not None or self.root is None:
            return self.db_url
        return str(self.root)

    @property
    def tracking_uri(self) -> str:
        """The store as MLflow spells a tracking URI: ``file:///abs/dir`` or ``sqlite:///...``."""
        if self.db_path is not None or self.root is None:
            return self.db_url
        return self.root.as_uri()


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``Path(path).expanduser()``, with :class:`InvalidUri` for ``~name`` of an unknown user."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise InvalidUri(
            f"{str(path)[:120]!r} starts with '~' but names no known user's home directory; give "
            "the full path"
        ) from None


def find_store_dir(start: Path) -> Path | None:
    """The nearest ``.mlnb`` directory at ``start`` or above, like git finds ``.git``."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        probe = candidate / config.STORE_DIRNAME
        if probe.is_dir():
            return probe
    return None


def _unsupported(text: str, scheme: str) -> InvalidUri:
    return InvalidUri(
        f"tracking URI {text!r} has scheme {scheme!r}, which mlnb does not support; use a "
        "directory path or file:///path/to/dir (a store directory), sqlite:///path/to/file.db, "
        "or postgresql+psycopg://user@host/db?artifact_root=/shared/dir (supported schemes: "
        f"{', '.join(SUPPORTED_SCHEMES)})"
    )


def _sqlite_location(text: str, source: str) -> StoreLocation:
    # sqlite:///rel.db is relative to the working directory, sqlite:////abs.db is absolute,
    # as SQLAlchemy (and so MLflow) reads them.
    rest = text[len("sqlite:") :]
    if not rest.startswith("///"):
        raise InvalidUri(
            f"sqlite URI {text!r} names no file; write sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    raw = rest[3:].split("?", 1)[0]
    if not raw or raw == ":memory:":
        raise InvalidUri(
            f"sqlite URI {text!r} names no file (an in-memory database cannot hold a store); "
            "write sqlite:///path/to/file.db"
        )
    db = expand_user(unquote(raw)).resolve()
    if db.is_dir():
        raise InvalidUri(f"sqlite URI {text!r} names a directory; name a database file in it")
    return StoreLocation(f"sqlite:///{db}", db.parent / f"{db.stem}{ARTIFACTS_SUFFIX}", db.parent, source, db)


def _file_path(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise InvalidUri(
            f"file URI {text[:120]!r} is malformed ({exc}); write file:///absolute/path"
        ) from None
    if parts.netloc not in ("", "localhost"):
        raise InvalidUri(
            f"file URI {text!r} names host {parts.netloc!r}; a file URI must be local "
            "(file:///absolute/path or file:relative/path)"
        )
    return unquote(parts.path)


def parse_store_uri(uri: str | os.PathLike[str], *, source: str) -> StoreLocation:
    """Turn a user-supplied store URI or path into a :class:`StoreLocation`.

    A path (or ``file:`` URI) names the store directory itself, or a project directory that
    holds a ``.mlnb/``.  ``sqlite:///x.db`` names the database file.
    ``postgresql+psycopg://user@host/db`` names a team store; its artifacts go to
    ``MLNB_ARTIFACT_ROOT`` (required) or ``?artifact_root=`` appended to the URI.
    """
    if not isinstance(uri, str | os.PathLike):
        raise InvalidUri(f"a tracking URI is a string or a path, got {type(uri).__name__}")
    with os_errors("use the store", uri):
        return _parse_store_uri(os.fspath(uri), source=source)


def _parse_store_uri(text: str, *, source: str) -> StoreLocation:
    if not isinstance(text, str):
        raise InvalidUri(f"a tracking URI is a string or a path, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidUri(f"store URI {text!r} contains a lone surrogate; give a valid path") from None
    if not text or not text.strip() or "\x00" in text:
        raise InvalidUri(f"store URI {text!r} is empty or contains NUL; give a directory path")
    scheme = ""
    head = text.split(":", 1)[0]
    if ":" in text and len(head) > 1 and head.replace("+", "").replace("-", "").replace(".", "").isalnum():
        scheme = head.lower()  # (a one-letter "scheme" is a Windows drive, C:\...)
    if text in _MLFLOW_NAMED_SERVICES:  # MLflow reads these bare words as remote services
        raise _unsupported(text, text)
    if scheme.startswith("postgresql"):
        base, _, query = text.partition("?artifact_root=")
        root = query or os.environ.get("MLNB_ARTIFACT_ROOT", "")
        if not root:
            raise InvalidUri(
                f"store URI {base!r} names a database server but no artifact directory; append "
                "'?artifact_root=/shared/dir' or set MLNB_ARTIFACT_ROOT"
            )
        return StoreLocation(base, expand_user(root).resolve(), None, source)
    if scheme == "sqlite":
        return _sqlite_location(text, source)
    if scheme and scheme != "file":
        raise _unsupported(text, scheme)
    if scheme == "file":
        text = _file_path(text)
    path = expand_user(text)
    if path.name != config.STORE_DIRNAME and (path / config.STORE_DIRNAME).is_dir():
        path = path / config.STORE_DIRNAME
    path = path.resolve()
    if path.is_file():
        raise InvalidUri(
            f"store path {str(path)!r} is a file; a store is a directory (for a database file "
            f"write sqlite:///{path})"
        )
    return StoreLocation(
        f"sqlite:///{path / config.DB_FILENAME}", path / config.ARTIFACTS_DIRNAME, path, source
    )


def env_uri() -> tuple[str, str] | None:
    """(variable, value) of the environment variable that names the store, if any is set."""
    for name in (config.STORE_ENV, config.TRACKING_URI_ENV):
        value = os.environ.get(name)
        if value:
            return name, value
    value = os.environ.get(config.MLFLOW_TRACKING_URI_ENV)
    if value:
        return config.MLFLOW_TRACKING_URI_ENV, value
    return None


def resolve(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> StoreLocation:
    """Resolve the store location by the documented precedence."""
    if explicit is not None:
        return parse_store_uri(explicit, source="set_store")
    env = env_uri()
    if env is not None:
        try:
            return parse_store_uri(env[1], source="env")
        except InvalidUri as exc:
            raise InvalidUri(f"{env[0]}={env[1]!r}: {exc}") from None
    start = cwd if cwd is not None else Path.cwd()
    found = find_store_dir(start)
    if found is not None:
        return parse_store_uri(found, source="found")
    return parse_store_uri(start / config.STORE_DIRNAME, source="new")
