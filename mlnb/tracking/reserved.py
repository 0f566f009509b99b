"""What the public API may not write: mlnb's own run tags and the files of a logged model.

``mlnb.*`` run tags are written by mlnb itself; ``mlnb.model.<path>`` records how the model at
``<path>`` was saved and which skops types loading may trust, so a user-writable one would let a
``set_tag`` make ``load_model`` trust ``builtins.exec``.  The public setters (fluent and client)
check their keys here; mlnb's own writers call the store's ``log_batch`` directly, which no public
function reaches with a caller's keys.  ``mlflow.*`` tags stay writable, as in MLflow.

A logged model's files are immutable: once its run records them, no public artifact function
writes below the model's directory (plain artifacts may still be overwritten, as in MLflow).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from mlnb.errors import InvalidParameter

if TYPE_CHECKING:
    from mlnb.entities import Run

class RunReader(Protocol):
    """What the checks below read from a store: a run's tags and its artifact rows."""

    def get_run(self, run_id: str) -> Run: ...
    def artifact_rows(self, run_id: str, prefix: str = "") -> dict[str, tuple[str, int]]: ...


RESERVED_TAG_PREFIX = "mlnb."
MODEL_TAG_PREFIX = "mlnb.model."


def check_user_tags(keys: Iterable[object], action: str = "set") -> None:
    """Refuse run tag keys under ``mlnb.``: only mlnb writes them.

    Raises
    ------
    mlnb.errors.InvalidParameter
        Naming the first reserved key.
    """
    for key in keys:
        if isinstance(key, str) and key.startswith(RESERVED_TAG_PREFIX):
            shown = key if len(key) <= 80 else key[:77] + "..."
            raise InvalidParameter(
                f"cannot {action} the tag {shown!r}: tags starting with {RESERVED_TAG_PREFIX!r} are "
                "reserved, written by mlnb itself (they record how models were saved); choose "
                "another key"
            )


def model_paths(tags: dict[str, str]) -> list[str]:
    """The artifact paths of the models a run's tags record."""
    return [k[len(MODEL_TAG_PREFIX) :] for k in tags if k.startswith(MODEL_TAG_PREFIX)]


def _fold(path: str) -> str:
    # On case-insensitive or normalizing file systems (macOS, Windows) "Model/x" is "model/x".
    return unicodedata.normalize("NFC", path).casefold()


def _inside(rel: str, directory: str) -> bool:
    rel, directory = _fold(rel), _fold(directory)
    return rel == directory or rel.startswith(directory + "/")


def check_not_model_files(store: RunReader, run_id: str, rels: Iterable[str]) -> None:
    """Refuse artifact paths at or below a model the run has logged.

    Raises
    ------
    mlnb.errors.InvalidParameter
        Naming the path and the model directory it falls in.
    """
    rels = list(rels)
    if not rels:
        return
    models = model_paths(store.get_run(run_id).data.tags)
    for rel in rels:
        for model in models:
            if _inside(rel, model):
                raise InvalidParameter(
                    f"cannot write the artifact {rel!r}: it is inside the model logged at {model!r} "
                    f"in run {run_id}, whose files are immutable; log it under another path, or log "
                    "a new model under a new name"
                )


def check_new_model_path(store: RunReader, run_id: str, name: str) -> None:
    """Refuse logging a model at ``name`` when the run already has a model there or around it,
    or any artifact below ``name`` (a model directory holds only the model's own files)."""
    models = model_paths(store.get_run(run_id).data.tags)
    for model in models:
        if _inside(name, model) or _inside(model, name):
            what = "already holds a model" if model == name else f"overlaps the model at {model!r}"
            raise InvalidParameter(
                f"cannot log a model at {name!r}: run {run_id} {what}, and a logged model's files "
                "are immutable; log it under another name"
            )
    if store.artifact_rows(run_id, name):
        raise InvalidParameter(
            f"cannot log a model at {name!r}: run {run_id} already has artifacts there; log the "
            "model under another name"
        )
