"""What explain/evaluate were given: an estimator, a model URI or a run; and how a Pipeline splits.

A model URI (``runs:/…``, ``models:/…``) or a run id is loaded with ``mlnb.load_model`` (sha256
verified, skops trusted types from the store); the run it lives in is where results are logged.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mlnb.errors import InvalidParameter

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ResolvedModel:
    estimator: Any
    run_id: str | None  # the run the model was logged in, if it came from the store
    uri: str | None
    content_key: str | None = None  # hash of the stored model files, when loaded from the store


# models loaded from the store, by the hash of their files: a second explain/evaluate of the
# same URI neither reloads nor re-hashes the model
_LOADED: OrderedDict[str, Any] = OrderedDict()
_LOADED_SIZE = 4
_loaded_lock = threading.Lock()


def _files_key(run_id: str, path: str) -> str:
    from mlnb.tracking.state import get_store

    rows = get_store().artifact_rows(run_id, path)
    text = "\n".join(f"{p}:{sha}" for p, (sha, _size) in sorted(rows.items()))
    return hashlib.sha256(f"{run_id}/{path}\n{text}".encode()).hexdigest()


def _load(uri: str, run_id: str, path: str) -> ResolvedModel:
    try:
        from mlnb.registry.loading import load_model
    except ImportError as exc:  # pragma: no cover - depends on the registry being installed
        raise InvalidParameter(
            f"cannot load {uri!r}: model loading is not available in this build; pass the estimator"
        ) from exc
    key = _files_key(run_id, path)
    with _loaded_lock:
        model = _LOADED.get(key)
    if model is None:
        model = load_model(uri)  # verifies every file against its recorded sha256
        with _loaded_lock:
            _LOADED[key] = model
            while len(_LOADED) > _LOADED_SIZE:
                _LOADED.popitem(last=False)
    return ResolvedModel(unwrap_search(model), run_id, uri, key)


def _model_paths(run_id: str) -> list[str]:
    from mlnb.tracking.fluent import get_run

    tags = get_run(run_id).data.tags
    return sorted(k[len("mlnb.model.") :] for k in tags if k.startswith("mlnb.model."))


def unwrap_search(estimator: Any) -> Any:
    """A fitted search CV (GridSearchCV, RandomizedSearchCV, ...) as its refitted best estimator;
    any other estimator as is."""
    name = type(estimator).__name__
    if not (name.endswith("SearchCV") or hasattr(estimator, "best_estimator_")):
        return estimator
    best = getattr(estimator, "best_estimator_", None)
    if best is not None:
        return best
    if not hasattr(estimator, "cv_results_"):
        raise InvalidParameter(
            f"the {name} is not fitted; fit it first (explain and evaluate use its best_estimator_)"
        )
    raise InvalidParameter(
        f"the {name} was fitted with refit=False, so it has no best_estimator_ to explain or "
        "evaluate; fit it with refit=True, or pass an estimator fitted with its best_params_"
    )


def resolve(model: Any) -> ResolvedModel:
    """An estimator as is (a fitted search CV as its best estimator); a ``runs:/``/``models:/``
    URI or a run (id, Run, ActiveRun) loaded."""
    info = getattr(model, "info", None)
    if info is not None and getattr(info, "run_id", None):
        model = info.run_id
    if not isinstance(model, str):
        model = unwrap_search(model)
        if not (hasattr(model, "predict") or callable(model)):
            raise InvalidParameter(
                f"cannot explain a {type(model).__name__}: give a fitted estimator, a model URI "
                "('runs:/<id>/<path>', 'models:/<name>@<alias>') or a run id"
            )
        return ResolvedModel(model, None, None)
    if model.startswith(("runs:/", "models:/")):
        from mlnb.registry.uris import resolve_model_uri

        run_id, path = resolve_model_uri(model)
        return _load(model, run_id, path)
    if _RUN_ID.match(model):
        paths = _model_paths(model)
        if not paths:
            raise InvalidParameter(f"run {model} has no logged model; log one or pass the estimator")
        if len(paths) > 1 and "model" not in paths:
            choices = ", ".join(f"'runs:/{model}/{p}'" for p in paths)
            raise InvalidParameter(f"run {model} has several models; pick one of {choices}")
        path = "model" if "model" in paths else paths[0]
        return _load(f"runs:/{model}/{path}", model, path)
    raise InvalidParameter(
        f"{model!r} is neither a model URI ('runs:/…', 'models:/…') nor a 32-character run id"
    )


def model_hash(resolved: ResolvedModel) -> str:
    """Content hash of the model, the model half of the explain cache key: the stored files' hash
    for a model from the store, else the estimator's pickle."""
    if resolved.content_key is not None:
        return resolved.content_key
    estimator = resolved.estimator
    try:
        data = pickle.dumps(estimator, protocol=5)
    except Exception:
        # unpicklable (a lambda, a closure): fall back to identity, cached only while it lives
        data = f"id:{id(estimator)}:{type(estimator).__qualname__}".encode()
    return hashlib.sha256(data).hexdigest()


def split_pipeline(estimator: Any) -> tuple[Any | None, Any]:
    """``(preprocessing or None, final estimator)`` for a Pipeline; ``(None, est)`` otherwise."""
    steps = getattr(estimator, "steps", None)
    if not steps or not hasattr(estimator, "__getitem__"):
        return None, estimator
    final = estimator[-1]
    if len(steps) == 1:
        return None, final
    return estimator[:-1], final


def transform(pre: Any | None, X: Any) -> tuple[Any, list[str]]:
    """Dense float matrix the final estimator sees, with its feature names."""
    import numpy as np

    if pre is None:
        names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
        data = X
    else:
        data = pre.transform(X)
        try:
            names = [str(n) for n in pre.get_feature_names_out()]
        except Exception:
            names = None
    if hasattr(data, "toarray"):
        data = data.toarray()
    matrix = np.asarray(data, dtype="float64")
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    if names is None or len(names) != matrix.shape[1]:
        names = [f"x{i}" for i in range(matrix.shape[1])]
    return matrix, names


def _transformer_groups(trans: Any, cols: list[str], prefix: str) -> dict[str, str]:
    """Output feature name -> source column for one fitted ColumnTransformer entry."""
    try:
        outputs = [str(o) for o in trans.get_feature_names_out(cols)]
    except Exception:
        return {}
    if len(outputs) == len(cols):
        return {prefix + o: c for o, c in zip(outputs, cols, strict=True)}
    mapping = {}
    by_length = sorted(cols, key=len, reverse=True)
    for out in outputs:
        source = next((c for c in by_length if out == c or out.startswith(c + "_")), out)
        mapping[prefix + out] = source
    return mapping


def source_groups(pre: Any | None, names: list[str]) -> dict[str, str]:
    """Map each transformed feature name to the raw column it came from (one-hot columns grouped).

    Works through a ColumnTransformer (possibly the last step of ``pre``); features it cannot map
    stay their own group.
    """
    ct = pre
    if ct is not None and hasattr(ct, "steps"):
        ct = ct.steps[-1][1] if len(ct.steps) == 1 else ct[-1]
    mapping: dict[str, str] = {}
    if ct is not None and hasattr(ct, "transformers_"):
        verbose = getattr(ct, "verbose_feature_names_out", True)
        for name, trans, cols in ct.transformers_:
            if isinstance(trans, str) and trans == "drop":
                continue
            cols = [str(c) for c in ([cols] if isinstance(cols, str) else list(cols))]
            if isinstance(trans, str) and trans == "passthrough":
                mapping.update({(f"{name}__{c}" if verbose else c): c for c in cols})
                continue
            mapping.update(_transformer_groups(trans, cols, f"{name}__" if verbose else ""))
    return {n: mapping.get(n, n) for n in names}
