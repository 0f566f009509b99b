"""Loading a logged model back, refusing anything that changed since it was logged.

Order of checks: the URI resolves (mlnb.registry.uris); every file of the model directory matches the
sha256 the store recorded when it was written; the serialization and the skops types to trust
come from the run's ``mlnb.model.<path>`` tag in the database, never from the ``MLmodel`` file
(which an attacker with write access to the artifact directory could edit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlnb.errors import IntegrityError, InvalidParameter, ModelNotFound
from mlnb.flavors import skops_io
from mlnb.flavors.mlmodel import MLMODEL_FILE, parse_mlmodel
from mlnb.registry.uris import resolve_model_uri
from mlnb.store import artifacts as files
from mlnb.tracking.model_logging import model_tag
from mlnb.tracking.state import get_store


@dataclass(frozen=True)
class VerifiedModel:
    """A model directory whose files all matched their recorded hashes."""

    run_id: str
    artifact_path: str
    directory: Path
    mlmodel: dict[str, Any]
    serialization: str
    trusted_types: list[str]

    @property
    def signature(self) -> dict[str, Any] | None:
        return self.mlmodel.get("signature")


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
        files.verified_path(store, run_id, rel)
    tags = store.get_run(run_id).data.tags
    raw = tags.get(model_tag(path))
    if raw is None:
        raise ModelNotFound(
            f"the model at {model_uri!r} was not logged by mlnb.log_model (run tag "
            f"{model_tag(path)!r} is missing), so its trusted types are unknown; log it again"
        )
    record = json.loads(raw)
    directory = store.run_dir(run_id).joinpath(*path.split("/"))
    meta = parse_mlmodel((directory / MLMODEL_FILE).read_bytes())
    return VerifiedModel(
        run_id=run_id,
        artifact_path=path,
        directory=directory,
        mlmodel=meta,
        serialization=record["serialization"],
        trusted_types=list(record.get("trusted_types") or []),
    )


def load_verified(model: VerifiedModel, *, allow_pickle: bool = False) -> Any:
    """Deserialize a verified model with the database's serialization and trusted types."""
    if model.serialization == skops_io.CLOUDPICKLE:
        if not allow_pickle:
            raise InvalidParameter(
                f"the model runs:/{model.run_id}/{model.artifact_path} was saved with cloudpickle, "
                "which can run arbitrary code when loaded; pass allow_pickle=True if you trust it"
            )
        return skops_io.load_pickle(model.directory / skops_io.PICKLE_FILE)
    if model.serialization != skops_io.SKOPS:
        raise IntegrityError(f"unknown serialization {model.serialization!r} recorded for the model")
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return skops_io.load_skops(model.directory / skops_io.SKOPS_FILE, model.trusted_types)
    except UntrustedTypesFoundException as exc:
        raise IntegrityError(
            f"the model runs:/{model.run_id}/{model.artifact_path} needs types that were not "
            f"trusted when it was logged ({exc}); refusing to load it"
        ) from None


def load_model(model_uri: str, *, allow_pickle: bool = False) -> Any:
    """Load a logged scikit-learn model after verifying every file of its directory.

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``, ``models:/<name>/<stage>``,
        ``models:/<name>@<alias>`` or ``models:/<name>/latest``.
    allow_pickle : bool
        Needed for models saved with cloudpickle (``log_model(..., allow_pickle=True)``).

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
