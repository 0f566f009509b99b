"""Loading a logged model back, refusing anything that changed since it was logged.

Order of checks: the URI resolves (mlnb.registry.uris); every file of the model directory matches the
sha256 the store recorded when it was written; the serialization and the skops types to trust
come from the run's ``mlnb.model.<path>`` tag in the database, never from the ``MLmodel`` file
(which an attacker with write access to the artifact directory could edit).

A local model directory (a path or ``file://`` URI, e.g. one written by ``save_model`` or by
MLflow) has no recorded hashes; its skops file is loaded trusting only the scientific stack's
types (the types listed in its ``MLmodel`` are not trusted), and pickles need ``allow_pickle``.

Pickles: a model logged into the store with an explicit pickle format (``serialization_format=
"cloudpickle"``, ``allow_pickle=True`` or ``%%track --allow-pickle``) loads like any other once its
files match their recorded hashes — that logging call was the opt-in, and the bytes are the ones it
wrote.  ``allow_pickle=False`` refuses it anyway; a pickle in a directory outside the store loads only
with ``allow_pickle=True``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlnb.errors import IntegrityError, InvalidParameter, ModelNotFound, os_errors
from mlnb.flavors import skops_io
from mlnb.flavors.model import MLMODEL_FILE, Model, read_mlmodel, set_uri_opener
from mlnb.registry.uris import resolve_model_uri
from mlnb.store.paths import check_relpath
from mlnb.tracking.model_logging import SHARED_ATTRIBUTES, model_tag
from mlnb.tracking.state import get_store

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(frozen=True)
class VerifiedModel:
    """A model directory whose files all matched their recorded hashes."""

    run_id: str
    artifact_path: str
    directory: Path
    mlmodel: dict[str, Any]
    serialization: str
    trusted_types: list[str] | None
    flavor: str = "sklearn"
    in_store: bool = True
    # a path sharing a search CV's files (``best_estimator``) loads this attribute of the object
    attribute: str | None = None

    @property
    def signature(self) -> dict[str, Any] | None:
        return self.mlmodel.get("signature")

    @property
    def uri(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}" if self.in_store else str(self.directory)

    @property
    def meta(self) -> Model:
        """The ``MLmodel`` file as a :class:`~mlnb.flavors.model.Model`."""
        model = Model.from_dict(self.mlmodel)
        model._directory = self.directory
        return model


def verify_model(model_uri: str) -> VerifiedModel:
    """Resolve ``model_uri`` and check every file of its directory against the store's hashes."""
    run_id, path = resolve_model_uri(model_uri)
    store = get_store()
    rows = store.artifact_rows(run_id, path)
    mlmodel_rel = f"{path}/{MLMODEL_FILE}"
    if mlmodel_rel not in rows:
        raise ModelNotFound(
            f"run {run_id} has no model at {path!r} (no {MLMODEL_FILE} file); list the run's "
            "artifacts with mlnb.list_artifacts"
        )
    for rel in rows:
        store.artifacts.verified_path(run_id, rel)
    tags = store.get_run(run_id).data.tags
    raw = tags.get(model_tag(path))
    if raw is None:
        raise ModelNotFound(
            f"the model at {model_uri!r} was not logged by mlnb.log_model (run tag "
            f"{model_tag(path)!r} is missing), so its trusted types are unknown; log it again"
        )
    record = _record(raw, model_uri)
    directory = store.run_dir(run_id).joinpath(*path.split("/"))
    meta = read_mlmodel(directory / MLMODEL_FILE)
    _check_record_matches(record, meta, model_uri)
    return VerifiedModel(
        run_id=run_id,
        artifact_path=path,
        directory=directory,
        mlmodel=meta,
        serialization=record["serialization"],
        trusted_types=list(record.get("trusted_types") or []),
        flavor=record.get("flavor", "sklearn"),
        attribute=record.get("attribute"),
    )


def _record(raw: str, model_uri: str) -> dict[str, Any]:
    """The run tag's record, checked for shape: an edited row fails here, not inside a loader."""
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if isinstance(record, dict) and isinstance(record.get("serialization"), str):
        trusted = record.get("trusted_types")
        if trusted is None or (isinstance(trusted, list) and all(isinstance(t, str) for t in trusted)):
            return record
    raise IntegrityError(
        f"the record of how the model {model_uri!r} was saved is not valid (run tag "
        f"{raw[:60]!r}); the database was edited by hand: log the model again"
    )


def _check_record_matches(record: dict[str, Any], meta: dict[str, Any], model_uri: str) -> None:
    """The database's record and the (hash-checked) MLmodel file describe the same model.

    The record decides how the model loads; a record edited to say ``cloudpickle`` for a model
    saved with skops (or a Python model for a scikit-learn one) is refused, not followed.
    """
    flavors = meta.get("flavors") or {}
    flavor = record.get("flavor", "sklearn")
    sklearn = flavors.get("sklearn")
    if flavor == "sklearn":
        saved = (sklearn or {}).get("serialization_format") if isinstance(sklearn, dict) else None
        agree = saved is None or saved == record["serialization"]
    else:
        pyfunc = flavors.get("python_function") or {}
        code = isinstance(pyfunc, dict) and "model_code_path" in pyfunc
        agree = sklearn is None and (record["serialization"] == "code") == code
    if not agree:
        raise IntegrityError(
            f"the database records the model {model_uri!r} as a {flavor} model saved with "
            f"{record['serialization']!r}, which its MLmodel file contradicts; the record was "
            "edited: log the model again"
        )


def _local_directory(location: str) -> Path | None:
    """The directory a local path or ``file:`` URI names; None for ``runs:/``/``models:/``/other schemes."""
    if location.startswith("file://"):
        return Path(location[len("file://") :])
    if location.startswith("file:"):
        return Path(location[len("file:") :])
    if location.startswith(("runs:/", "models:/")):
        return None
    if _SCHEME.match(location):  # s3://, http://, ... (a one-letter "scheme" is a drive)
        return None
    return Path(location)


def open_local(directory: Path) -> VerifiedModel:
    """A model directory outside the store (no hashes to check; nothing is trusted from it)."""
    file = directory / MLMODEL_FILE
    with os_errors("read the model directory", directory):
        found = file.is_file()
    if not found:
        raise ModelNotFound(f"no {MLMODEL_FILE} file in {str(directory)!r}; is it a model directory?")
    meta = read_mlmodel(file)
    flavors = meta["flavors"]
    if "sklearn" in flavors:
        flavor, serialization = "sklearn", flavors["sklearn"].get("serialization_format") or "cloudpickle"
    else:
        flavor, serialization = "python_function", ""
    return VerifiedModel(
        run_id=str(meta.get("run_id") or ""),
        artifact_path=str(meta.get("artifact_path") or directory.name),
        directory=directory,
        mlmodel=meta,
        serialization=serialization,
        trusted_types=None,
        flavor=flavor,
        in_store=False,
    )


def open_model(location: str | Path) -> VerifiedModel:
    """A verified model from a ``runs:/``/``models:/`` URI, or a local model directory.

    Raises :class:`mlnb.errors.InvalidUri` for other schemes.
    """
    text = str(location)
    directory = _local_directory(text)
    if directory is None:
        return verify_model(text)
    return open_local(directory)


def _model_file(model: VerifiedModel, default: str) -> Path:
    """The model file the sklearn flavor names, kept inside the model directory."""
    name = default
    if not model.in_store:
        name = check_relpath(str(model.mlmodel["flavors"]["sklearn"].get("pickled_model") or default))
    return model.directory.joinpath(*name.split("/"))


def _local_trusted(path: Path) -> list[str]:
    import skops.io as sio

    untrusted = sorted(sio.get_untrusted_types(file=path))
    refused = [t for t in untrusted if not skops_io.is_acceptable(t)]
    if refused:
        raise IntegrityError(
            f"the skops file {str(path)!r} needs types outside the scientific stack "
            f"({', '.join(refused)}); mlnb does not trust types listed in a model directory. "
            "Log the model into an mlnb store from code you trust instead"
        )
    return untrusted


def pickle_allowed(model: VerifiedModel, allow_pickle: bool | None) -> bool:
    """Whether a pickled ``model`` may be unpickled: the caller's choice, else only a stored one."""
    return model.in_store if allow_pickle is None else allow_pickle


def load_verified(model: VerifiedModel, *, allow_pickle: bool | None = None) -> Any:
    """Deserialize a verified model with the database's serialization and trusted types."""
    loaded = _deserialize(model, allow_pickle)
    if model.attribute is None:
        return loaded
    if model.attribute not in SHARED_ATTRIBUTES or not hasattr(loaded, model.attribute):
        raise IntegrityError(
            f"the model {model.uri} is recorded as the {model.attribute!r} of a shared model, which "
            f"its {type(loaded).__name__} does not have; log the model again"
        )
    return getattr(loaded, model.attribute)


def _deserialize(model: VerifiedModel, allow_pickle: bool | None) -> Any:
    if model.flavor != "sklearn":
        raise InvalidParameter(
            f"the model {model.uri} is a {model.flavor} model, not a scikit-learn one; load it "
            "with mlnb.pyfunc.load_model"
        )
    if model.serialization in (skops_io.CLOUDPICKLE, skops_io.PICKLE):
        if not pickle_allowed(model, allow_pickle):
            where = "" if model.in_store else " outside the store (no recorded hashes)"
            raise InvalidParameter(
                f"the model {model.uri}{where} was saved with {model.serialization}, "
                "which can run arbitrary code when loaded; pass allow_pickle=True if you trust it"
            )
        return skops_io.load_pickle(_model_file(model, skops_io.PICKLE_FILE))
    if model.serialization != skops_io.SKOPS:
        raise IntegrityError(f"unknown serialization {model.serialization!r} recorded for the model")
    from skops.io.exceptions import UntrustedTypesFoundException

    path = _model_file(model, skops_io.SKOPS_FILE)
    trusted = model.trusted_types if model.trusted_types is not None else _local_trusted(path)
    try:
        return skops_io.load_skops(path, trusted)
    except UntrustedTypesFoundException as exc:
        raise IntegrityError(
            f"the model {model.uri} needs types that were not "
            f"trusted when it was logged ({exc}); refusing to load it"
        ) from None


def load_model(model_uri: str, *, allow_pickle: bool | None = None) -> Any:
    """Load a logged scikit-learn model after verifying every file of its directory.

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``, ``models:/<name>/<stage>``,
        ``models:/<name>@<alias>`` or ``models:/<name>/latest``.
    allow_pickle : bool, optional
        ``None`` (default): a model logged with cloudpickle or pickle loads after its hash check
        (logging it so was the opt-in); ``False`` refuses it; ``True`` also allows a pickle in a
        local directory.

    Raises
    ------
    mlnb.IntegrityError
        A file was changed or removed after logging, or the model needs untrusted types.
    mlnb.ModelNotFound
        No model at that URI.

    Examples
    --------
    >>> model = mlnb.load_model("models:/churn@champion")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    return load_verified(verify_model(model_uri), allow_pickle=allow_pickle)


def copy_to(model: VerifiedModel, dst_path: str | Path | None) -> None:
    """Copy a verified model directory into ``dst_path`` (MLflow's download location), if given."""
    if dst_path is None:
        return
    target = Path(dst_path) / (model.artifact_path.rsplit("/", 1)[-1] or "model")
    shutil.copytree(model.directory, target, dirs_exist_ok=True)


def load_sklearn_model(
    model_uri: str | Path, dst_path: str | Path | None = None, *, allow_pickle: bool | None = None
) -> Any:
    """MLflow's ``mlflow.sklearn.load_model``: a stored model by URI, or a local model directory.

    Parameters
    ----------
    model_uri : str or Path
        ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
        ``models:/<name>/<stage>``, or a local directory (path or ``file://`` URI) such as
        one written by ``mlnb.sklearn.save_model`` or ``mlflow.sklearn.save_model``.
    dst_path : str or Path, optional
        Also copy the (verified) model directory there, as MLflow downloads it.
    allow_pickle : bool, optional
        mlnb's opt-in for pickles: ``None`` (default) loads a stored model logged with a pickle
        format after its hash check and refuses one in a local directory; ``True`` allows both,
        ``False`` neither.

    Examples
    --------
    >>> model = mlnb.sklearn.load_model("models:/churn@champion")  # doctest: +SKIP
    """
    model = open_model(model_uri)
    loaded = load_verified(model, allow_pickle=allow_pickle)
    copy_to(model, dst_path)
    return loaded


def _verified_directory(model_uri: str) -> Path:
    return verify_model(model_uri).directory


set_uri_opener(_verified_directory)
