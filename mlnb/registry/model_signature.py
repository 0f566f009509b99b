"""``set_signature``: replace the signature in a logged model's ``MLmodel`` file.

The file is read through its recorded sha256 (a model changed on disk is refused) and written
back as a new artifact version with its new hash.  Registered versions keep the files they were
registered with, so, as in MLflow, ``models:/<name>/<version>`` URIs are refused: set the
signature on the run's model (``runs:/<run_id>/<path>``) and register it again.
"""

from __future__ import annotations

from typing import Any

from mlnb.errors import ArtifactNotFound, InvalidParameter, ModelNotFound
from mlnb.flavors.model import MLMODEL_FILE, dump_mlmodel, parse_mlmodel
from mlnb.registry.artifact_uris import located


def set_signature(model_uri: str, signature: Any) -> None:
    """Set ``signature`` (a ``ModelSignature``) on the model logged at ``model_uri``.

    Examples
    --------
    >>> sig = mlnb.models.infer_signature(X_test, model.predict(X_test))  # doctest: +SKIP
    >>> mlnb.models.set_signature(f"runs:/{run_id}/model", sig)  # doctest: +SKIP
    """
    from mlnb.flavors.schema import ModelSignature

    if not isinstance(signature, ModelSignature) and type(signature).__name__ != "ModelSignature":
        raise InvalidParameter(
            f"The signature argument must be a ModelSignature object, got {type(signature).__name__}; "
            "build one with mlnb.models.infer_signature(X, predictions)"
        )
    if isinstance(model_uri, str) and model_uri.startswith("models:/"):
        raise InvalidParameter(
            f"Failed to set signature on {model_uri!r}. Model URIs with the `models:/<name>/<version>` "
            "scheme are not supported; use the run's model URI, runs:/<run_id>/<path>"
        )
    with located(model_uri) as ref:
        rel = f"{ref.path}/{MLMODEL_FILE}" if ref.path else MLMODEL_FILE
        try:
            meta = parse_mlmodel(ref.store.artifacts.read_verified(ref.run_id, rel))
        except ArtifactNotFound:
            raise ModelNotFound(
                f'Failed to download an "{MLMODEL_FILE}" model file from "{model_uri}"'
            ) from None
        meta["signature"] = signature.to_dict()
        ref.store.artifacts.write_files(ref.run_id, [(rel, dump_mlmodel(meta))])
