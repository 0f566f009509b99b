"""Logging a fitted estimator into a run as an MLflow-compatible model directory.

Every file goes through the store's hashed, atomic write, and the run gets a tag
``mlnb.model.<artifact_path>`` holding ``{"flavor", "serialization", "trusted_types"}``: the skops
types loading may trust come from that database record, never from the directory.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter, ModelNotFound
from mlnb.flavors.mlmodel import ModelFiles, build_model
from mlnb.flavors.model import MLMODEL_FILE, Model, ModelInfo, parse_mlmodel
from mlnb.store.paths import check_relpath
from mlnb.tracking.fluent import run_id_or_active
from mlnb.tracking.reserved import MODEL_TAG_PREFIX, check_new_model_path
from mlnb.tracking.state import get_store

PROFILE_FILE = "reference_profile.json"


def model_tag(artifact_path: str) -> str:
    """The run tag recording how the model at ``artifact_path`` was saved."""
    return MODEL_TAG_PREFIX + artifact_path


def log_model(
    model: Any,
    name: str,
    *,
    input_example: Any = None,
    signature: Any = None,
    run_id: str | None = None,
    allow_pickle: bool = False,
    training_data: Any = None,
    _profiles: dict[int, bytes] | None = None,
    _output_example: Any = None,
    **options: Any,
) -> ModelInfo:
    """Save a fitted scikit-learn estimator in the active run (or ``run_id``) under ``name``.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn estimator or Pipeline.
    name : str
        Artifact path of the model directory inside the run, e.g. ``"model"``.
    input_example : DataFrame or ndarray, optional
        Sample input; its first 5 rows are saved and used to infer the signature.
    signature : dict, optional
        ``{"inputs": ..., "outputs": ...}`` in MLflow's column schema (or an MLflow
        ``ModelSignature``); inferred from ``input_example`` when omitted.
    run_id : str, optional
        Log into this run instead of the active one.
    allow_pickle : bool
        Fall back to cloudpickle when skops cannot save the model.
    training_data : DataFrame, optional
        Also store a reference profile of it (``reference_profile.json``) for drift checks.
    **options
        Passed to :func:`mlnb.flavors.mlmodel.build_model` (``serialization_format``,
        ``pyfunc_predict_fn``, ``metadata``, ``requirements``, ``model_id``, ``code_paths``,
        ``extra_files``).

    Raises
    ------
    mlnb.errors.UnsupportedModel
        skops cannot save the model safely and ``allow_pickle`` is False.

    Examples
    --------
    >>> with mlnb.start_run():  # doctest: +SKIP
    ...     info = mlnb.log_model(pipe, "model", input_example=X_train)
    >>> mlnb.load_model(info.model_uri).predict(X_test)  # doctest: +SKIP
    """
    name = check_relpath(name)
    run = run_id_or_active(run_id)
    built = build_model(
        model,
        input_example=input_example,
        signature=signature,
        allow_pickle=allow_pickle,
        output_example=_output_example,
        run_id=run,
        artifact_path=name,
        **options,
    )
    extra: list[tuple[str, bytes]] = []
    if training_data is not None:
        try:
            from mlnb.flavors.profile import build_profile
        except ImportError:
            pass
        else:
            # One cell often fits several models on the same table: profile it once.
            memo = {} if _profiles is None else _profiles
            profile = memo.get(id(training_data))
            if profile is None:
                profile = memo[id(training_data)] = json.dumps(build_profile(training_data)).encode()
            extra.append((PROFILE_FILE, profile))
    record = {"flavor": "sklearn", "serialization": built.serialization, "trusted_types": built.trusted_types}
    return write_model(run, name, built, record, extra)


def write_model(
    run: str,
    name: str,
    built: ModelFiles,
    record: dict[str, Any],
    extra: list[tuple[str, bytes]] | None = None,
) -> ModelInfo:
    """Write a built model directory into run ``run`` at ``name`` and record how it was saved.

    ``record`` becomes the run tag ``mlnb.model.<name>``: ``flavor``, ``serialization`` and
    ``trusted_types`` are what loading trusts later (never the MLmodel file).
    """
    store = get_store()
    check_new_model_path(store, run, name)
    items: list[tuple[str, bytes | Path]] = [(f"{name}/{rel}", data) for rel, data in built.files]
    items.extend((f"{name}/{rel}", data) for rel, data in extra or [])
    store.artifacts.write_files(run, items)
    # Committed before returning (not buffered): once log_model returns, another process
    # (``mlnb serve``, a registry command) finds the model and the types it may trust.
    store.log_batch(run, tags={model_tag(name): json.dumps(record)}, buffered=False)
    return ModelInfo.from_model(
        Model.from_dict(built.mlmodel),
        model_uri=f"runs:/{run}/{name}",
        run_id=run,
        artifact_path=name,
        name=name,
        flavor=record["flavor"],
        serialization=built.serialization,
        creation_timestamp=int(time.time() * 1000),
    )


# What a shared model directory may select from the object its files hold (see share_model).
SHARED_ATTRIBUTES = ("best_estimator_",)


def share_model(run: str, source: str, name: str, *, attribute: str | None = None) -> ModelInfo:
    """Record the model logged at ``source`` also at ``name``, without a second copy of its bytes.

    Every file of ``source`` is checked against its sha256 and linked under ``name``
    (:meth:`mlnb.store.repository.ArtifactRepository.link_files`): both paths are listed, load and are real model
    directories MLflow reads, while the bytes exist once.  With ``attribute`` (a search CV's
    ``"best_estimator_"``), loading ``name`` returns that attribute of the loaded object: the best
    estimator is stored once, inside its search.

    Raises
    ------
    mlnb.errors.ArtifactNotFound
        Nothing is logged at ``source`` in that run.
    """
    if attribute is not None and attribute not in SHARED_ATTRIBUTES:
        raise InvalidParameter(f"a shared model can select {', '.join(SHARED_ATTRIBUTES)}, not {attribute!r}")
    source, name = check_relpath(source), check_relpath(name)
    store = get_store()
    raw = store.get_run(run).data.tags.get(model_tag(source))
    if raw is None:
        raise ModelNotFound(f"run {run} has no model logged at {source!r} to share as {name!r}")
    record = json.loads(raw)
    record.pop("attribute", None)
    record["shares"] = source
    if attribute is not None:
        record["attribute"] = attribute
    store.artifacts.link_files(run, source, name)
    store.log_batch(run, tags={model_tag(name): json.dumps(record)}, buffered=False)
    meta = Model.from_dict(parse_mlmodel(store.artifacts.read_verified(run, f"{name}/{MLMODEL_FILE}")))
    return ModelInfo.from_model(
        meta,
        model_uri=f"runs:/{run}/{name}",
        run_id=run,
        artifact_path=name,
        name=name,
        flavor=record["flavor"],
        serialization=record["serialization"],
        creation_timestamp=int(time.time() * 1000),
    )
