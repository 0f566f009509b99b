"""The error hierarchy of mlnb.

Every error says what was wrong, with the offending value, and how to fix it.  Each class knows
the HTTP status and MLflow error code it maps to, so the Jupyter server extension answers with
the right code without a lookup table of its own.  In IPython an mlnb error prints as one line
(``_render_traceback_``) instead of a long traceback.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager


class MlnbError(Exception):
    """Base class of every error raised on purpose by mlnb."""

    http_status = 400
    error_code = "INVALID_PARAMETER_VALUE"

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class InvalidParameter(MlnbError):
    """A value given to the API is not acceptable (wrong type, bad key, too long, ...)."""


class ParamConflict(InvalidParameter):
    """A param was logged again with a different value; params are immutable."""


class UnsafePath(InvalidParameter):
    """An artifact path is not one canonical relative path inside the run's directory."""


class FilterSyntaxError(InvalidParameter):
    """A filter or order-by string does not follow the query language."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        self.text = text
        self.position = position
        super().__init__(message)


class NotFound(MlnbError):
    """Something asked for does not exist."""

    http_status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"


class RunNotFound(NotFound):
    pass


class TagNotFound(NotFound):
    """A tag to delete is not set."""


class ExperimentNotFound(NotFound):
    pass


class ArtifactNotFound(NotFound):
    pass


class ModelNotFound(NotFound):
    pass


class AliasNotFound(ModelNotFound):
    """A registered model has no such alias (MLflow answers this one as a bad parameter)."""

    http_status = 400
    error_code = "INVALID_PARAMETER_VALUE"


class AlreadyExists(MlnbError):
    http_status = 409
    error_code = "RESOURCE_ALREADY_EXISTS"


class InvalidState(MlnbError):
    """The operation does not fit the current state (e.g. a run is already active)."""

    error_code = "INVALID_STATE"


class RunDeleted(InvalidState):
    """A write to a deleted run (MLflow answers it as a bad parameter)."""

    error_code = "INVALID_PARAMETER_VALUE"


class StoreError(MlnbError):
    """The store cannot be opened or written (corrupt file, permissions, newer schema, ...)."""

    http_status = 500
    error_code = "INTERNAL_ERROR"


class StoreReadOnly(StoreError):
    """The store is on a read-only file system (or not writable by this user): it serves reads
    (searches, panels, ``load_model``) and refuses every write."""

    http_status = 403
    error_code = "PERMISSION_DENIED"


class IntegrityError(StoreError):
    """A stored file does not match the hash recorded for it, or is missing."""


class FlushFailed(StoreError):
    """Buffered writes (run starts and ends, params, tags, metric points) could not be committed.

    ``kept`` says where they are now: ``"memory"`` (retried at the next flush), ``"journal"``
    (spilled to ``path`` in the store directory, replayed at the next successful flush or the
    next open of the store) or ``"lost"`` (neither was possible; ``run_ids`` are marked FAILED).
    """

    def __init__(
        self, message: str, kept: str = "memory", path: str | None = None, run_ids: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.kept = kept
        self.path = path
        self.run_ids = run_ids


class InvalidUri(InvalidParameter):
    """A model or store URI is malformed or of a refused scheme."""


class ValidationFailed(MlnbError):
    """A promotion gate or validation threshold failed."""

    error_code = "VALIDATION_FAILED"


class UnsupportedModel(InvalidParameter):
    """A model cannot be saved safely (skops refuses a type) and pickling was not allowed."""


class NotSupportedByMlnb(MlnbError, AttributeError):
    """A public MLflow name that mlnb does not provide (``mlnb.start_span``, ``mlnb.deployments``).

    An ``AttributeError``, so ``hasattr(mlnb, name)`` is false and feature checks keep working;
    the message names the MLflow feature and what to use instead.  ``mlflow_name`` and
    ``feature`` hold them for code.
    """

    http_status = 501
    error_code = "NOT_IMPLEMENTED"
    mlflow_name: str = ""
    feature: str = ""


class ModuleNotSupportedByMlnb(MlnbError, ModuleNotFoundError):
    """The same for an import: ``import mlnb.deployments`` or ``from mlnb import trace``."""

    http_status = 501
    error_code = "NOT_IMPLEMENTED"
    mlflow_name: str = ""
    feature: str = ""


def shorten(text: object, limit: int = 120) -> str:
    """``repr`` of ``text`` on one line, cut in the middle past ``limit`` characters."""
    try:
        shown = repr(os.fspath(text) if isinstance(text, os.PathLike) else text)
    except (RecursionError, Exception):  # nested too deeply, or a __repr__ that fails
        shown = f"<{type(text).__name__}>"
    if len(shown) <= limit:
        return shown
    half = (limit - 5) // 2
    return f"{shown[:half]}[...]{shown[-half:]}"


def free_space(path: str) -> str:
    probe = path
    while probe and not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    import shutil

    try:
        free = shutil.disk_usage(probe or ".").free
    except (OSError, ValueError):
        return "free space unknown"
    return f"{free / 2**20:,.1f} MiB free"


def from_os_error(exc: OSError, path: object, action: str) -> MlnbError:
    """The :class:`MlnbError` that tells a user what an ``OSError`` while ``action`` means.

    ``path`` is the file the caller was working on; the path in the ``OSError`` itself wins
    when it names one.  Disk-full and permission errors name the path, as the user must act
    there.

    Examples
    --------
    >>> try:
    ...     open("/nonexistent/dir/file", "w")
    ... except OSError as exc:
    ...     err = from_os_error(exc, "/nonexistent/dir/file", "write an artifact")
    >>> type(err).__name__
    'InvalidParameter'
    """
    where = exc.filename if isinstance(exc.filename, str | bytes | os.PathLike) else path
    where = os.fsdecode(where) if isinstance(where, bytes | os.PathLike) else str(where)
    shown = shorten(where)
    code = exc.errno
    if code == errno.ENAMETOOLONG:
        return InvalidParameter(
            f"cannot {action}: {shown} is too long for the file system (at most 255 bytes per "
            "name and 4096 per path); use a shorter path"
        )
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreError(
            f"cannot {action}: the disk holding {shown} is full ({free_space(where)}); free "
            "space there and retry, or move the store to a larger disk"
        )
    if code == errno.EROFS:
        return StoreReadOnly(
            f"cannot {action}: {shown} is on a read-only file system, so the store is read-only; "
            "log to a store on a writable disk (mlnb.set_tracking_uri)"
        )
    if code in (errno.EACCES, errno.EPERM):
        return StoreError(
            f"cannot {action}: permission denied on {shown}; give this user write access to it "
            "(chmod/chown) or use a store you can write"
        )
    if code in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
        return InvalidParameter(
            f"cannot {action}: {shown} clashes with an existing file or directory of the same "
            "name (a file cannot also be a directory); choose another path"
        )
    if code == errno.ENOENT:
        return InvalidParameter(f"cannot {action}: {shown} does not exist; check the path")
    if code == errno.EILSEQ or isinstance(exc, UnicodeError):
        return InvalidParameter(f"cannot {action}: {shown} is not a valid file name; rename it")
    reason = (exc.strerror or str(exc) or type(exc).__name__).replace("\n", " ")
    return StoreError(f"cannot {action}: {reason} on {shown}; check the disk and retry")


@contextmanager
def os_errors(action: str, path: object = "") -> Iterator[None]:
    """Turn an ``OSError`` (or a file name no file system can hold) raised inside into an
    :class:`MlnbError` via :func:`from_os_error`."""
    try:
        yield
    except OSError as exc:
        raise from_os_error(exc, path, action) from None
    except (UnicodeEncodeError, ValueError) as exc:
        # a lone surrogate or a NUL in a path: the OS never sees such a name
        if isinstance(exc, ValueError) and "null" not in str(exc) and not isinstance(exc, UnicodeError):
            raise
        raise InvalidParameter(
            f"cannot {action}: {shorten(path)} contains a NUL or a lone surrogate, which no file "
            "name may hold; use plain text"
        ) from None
