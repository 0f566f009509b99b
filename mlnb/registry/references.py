"""What a registered version names: the run's model directory, still holding the files that
were registered.

A version records a digest of its model directory's files (:func:`model_digest`) when it is
registered; :func:`resolve_version` looks a version up by number, alias or stage and refuses
it when the files changed since.
"""

from __future__ import annotations

import hashlib

from mlnb.errors import IntegrityError, ModelNotFound, RunNotFound
from mlnb.registry.active import active_store


def model_digest(files: dict[str, tuple[str, int]], path: str) -> str:
    """sha256 over the sorted ``(relative path, sha256)`` pairs of a model directory's files."""
    h = hashlib.sha256()
    for full in sorted(files):
        if full.startswith(path + "/"):
            h.update(f"{full[len(path) + 1 :]}\0{files[full][0]}\n".encode())
    return h.hexdigest()


def resolve_version(
    name: str, *, version: int | None = None, alias: str | None = None, stage: str | None = None
) -> tuple[str, str]:
    """``(run_id, artifact_path)`` of a version of ``name`` named by number, alias, stage (the
    newest in it) or, with none of them, of the newest version.

    The model directory's files must still be the ones registered (same paths and sha256);
    otherwise :class:`mlnb.IntegrityError`.  A version whose run is gone raises
    :class:`mlnb.ModelNotFound`.
    """
    store = active_store()
    number, run_id, path, pinned = store.registry.locate_version(
        name, version=version, alias=alias, stage=stage
    )
    try:
        files = store.artifact_rows(run_id, path)
    except RunNotFound:
        raise ModelNotFound(
            f"version {number} of registered model {name!r} points at run {run_id}, which no "
            "longer exists (purged?); register the model again from a run that has it"
        ) from None
    if pinned is not None and model_digest(files, path) != pinned:
        raise IntegrityError(
            f"the files of version {number} of registered model {name!r} "
            f"(runs:/{run_id}/{path}) changed after it was registered; register the new files as "
            "a new version, or restore the original ones"
        )
    return run_id, path
