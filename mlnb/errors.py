"""The error hierarchy of mlnb.

Every error says what was wrong, with the offending value, and how to fix it.  Each class knows
the HTTP status it maps to, so the scoring server and the Jupyter server extension answer with
the right code without a lookup table of their own.  In IPython an mlnb error prints as one
line (``_render_traceback_``) instead of a long traceback.
"""

from __future__ import annotations


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
