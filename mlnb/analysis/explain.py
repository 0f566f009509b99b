"""``mlnb.explain``: SHAP values for a model on a table, cached, logged to the run, shown inline."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from mlnb.analysis import _models, _shap
from mlnb.analysis.explanation import Explanation
from mlnb.errors import InvalidParameter

ARTIFACT_PATH = "model_explanations_shap"
_CACHE_SIZE = 16
_cache: OrderedDict[str, _shap.Computed] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(X: Any) -> str:
    from mlnb.tracking.datasets import fingerprint

    return fingerprint(X).digest


def _cache_get(key: str) -> _shap.Computed | None:
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
        return hit


def _cache_put(key: str, computed: _shap.Computed) -> None:
    with _cache_lock:
        _cache[key] = computed
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def clear_cache() -> None:
    """Forget every explanation computed in this process (the run artifacts stay)."""
    with _cache_lock:
        _cache.clear()


def _target_run(run: Any, resolved: _models.ResolvedModel) -> str | None:
    if run is False:
        return None
    if run is not None and run is not True:
        info = getattr(run, "info", None)
        return info.run_id if info is not None else str(run)
    if resolved.run_id is not None:
        return resolved.run_id
    from mlnb.tracking.fluent import active_run

    active = active_run()
    return active.info.run_id if active is not None else None


def _from_run(run_id: str, key: str, artifact_path: str) -> _shap.Computed | None:
    """The explanation already stored on the run under the same cache key, if any."""
    import numpy as np

    from mlnb.tracking.state import get_store

    store = get_store()
    rows = store.artifact_rows(run_id, artifact_path)
    meta_path = f"{artifact_path}/explanation.json"
    if meta_path not in rows:
        return None
    meta = json.loads(store.artifacts.verified_path(run_id, meta_path).read_text("utf-8"))
    if meta.get("key") != key:
        return None
    values = np.load(store.artifacts.verified_path(run_id, f"{artifact_path}/shap_values.npy"))
    base = np.load(store.artifacts.verified_path(run_id, f"{artifact_path}/base_values.npy"))
    row_idx = np.asarray(meta["rows"]) if meta.get("rows") is not None else None
    return _shap.Computed(values, base, meta["explainer"], meta["output"], row_idx)


def explain(
    model: Any,
    X: Any,
    *,
    explainer: str = "auto",
    background: Any = None,
    group_one_hot: bool = False,
    run: Any = None,
    artifact_path: str = ARTIFACT_PATH,
    log_plots: bool = True,
    n_jobs: int = 2,
    max_rows: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Explanation:
    """Explain a model's predictions on ``X`` with SHAP values, inline and logged to the run.

    The explainer is picked from the (final) estimator: exact path-dependent TreeSHAP for tree
    ensembles (the values of ``shap.TreeExplainer``; scikit-learn forests through mlnb's own
    multi-threaded kernel, gradient boosting incl. HistGradientBoosting through shap), exact
    linear SHAP for linear models (the values of ``shap.LinearExplainer`` with the whole
    ``background`` as reference), ``PermutationExplainer`` for other estimators and, as a last
    resort for a bare prediction function, ``KernelExplainer`` on sampled rows with a progress
    bar. ``shap`` is imported only when one of its explainers is needed.
    For a ``Pipeline`` the preprocessing steps transform ``X`` and the final estimator is
    explained, with feature names from ``get_feature_names_out``.

    Results are cached by (model hash, data fingerprint, options): a second call with the same
    model and data returns at once, also after a restart when the run already holds them.

    Parameters
    ----------
    model : estimator, str or run
        A fitted estimator or Pipeline, a model URI (``"runs:/<id>/<path>"``,
        ``"models:/<name>@<alias>"``), a run id, or a Run/ActiveRun whose model is explained.
    X : DataFrame or array
        The rows to explain, in the model's input format (raw columns for a Pipeline).
    explainer : {"auto", "tree", "linear", "permutation", "kernel"}
        Force an explainer instead of picking one from the model.
    background : DataFrame or array, optional
        Reference rows for the linear, permutation and kernel explainers (default: ``X``).
    group_one_hot : bool
        Return the explanation with one-hot columns summed back into their source column
        (also available later as ``explanation.grouped()``).
    run : str, Run, bool, optional
        Where to log the artifacts: default the model's run, else the active run, else nowhere;
        ``False`` never logs.
    artifact_path : str
        Directory of the artifacts in the run (MLflow's ``log_explanation`` default name).
    log_plots : bool
        Also log ``summary_bar_plot.png`` and ``beeswarm_plot.png`` (rendered in a background
        thread; ``explanation.wait()`` blocks until they are written).
    n_jobs : int
        Processes for TreeExplainer (1 disables the forked helper).
    max_rows : int, optional
        Explain only a seeded sample of this many rows (permutation/kernel; kernel default 100).
    seed : int
        Seed of the sampling explainers and of row sampling.
    progress : bool
        Show a progress bar (rows explained, rate, time left) when the computation takes
        more than a second; see :mod:`mlnb.display.progress` for where it shows.

    Returns
    -------
    Explanation
        ``.values``, ``.base_values``, ``.feature_names``, ``.class_names``, plots, and an
        interactive panel when displayed.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3)); y = (X[:, 0] > 0).astype(int)
    >>> e = explain(LogisticRegression().fit(X, y), X, run=False)
    >>> e.values.shape, e.explainer
    ((50, 3), 'linear')
    """
    resolved = _models.resolve(model)
    if explainer not in _shap.EXPLAINERS:
        raise InvalidParameter(f"explainer must be one of {', '.join(_shap.EXPLAINERS)}, got {explainer!r}")
    pre, final = _models.split_pipeline(resolved.estimator)
    if not hasattr(final, "predict") and pre is not None:
        raise InvalidParameter(f"the last step of the Pipeline ({type(final).__name__}) has no predict")
    matrix, names = _models.transform(pre, X)
    bg_matrix = None if background is None else _models.transform(pre, background)[0]
    options = json.dumps(
        [explainer, max_rows, seed, None if background is None else _fingerprint(background)]
    )
    key = hashlib.sha256(f"{_models.model_hash(resolved)}|{_fingerprint(X)}|{options}".encode()).hexdigest()
    run_id = _target_run(run, resolved)

    computed = _cache_get(key)
    cached = computed is not None
    if computed is None and run_id is not None:
        computed = _from_run(run_id, key, artifact_path)
        cached = computed is not None
    if computed is None:
        computed = _shap.compute(
            final,
            matrix,
            explainer=explainer,
            background=bg_matrix,
            n_jobs=n_jobs,
            seed=seed,
            progress=progress,
            max_rows=max_rows,
        )
    _cache_put(key, computed)
    result = Explanation(
        computed=computed,
        data=matrix,
        feature_names=names,
        raw=X,
        groups=_models.source_groups(pre, names),
        class_names=_class_names(final, computed),
        key=key,
        run_id=run_id,
        model_uri=resolved.uri,
        artifact_path=artifact_path,
        from_cache=cached,
    )
    if run_id is not None and not cached:
        result.log(run_id, artifact_path=artifact_path, plots=log_plots)
    return result.grouped() if group_one_hot else result


def _class_names(est: Any, computed: _shap.Computed) -> list[str] | None:
    classes = getattr(est, "classes_", None)
    if computed.values.ndim != 3:
        if classes is not None and len(classes) == 2:
            return [str(classes[1])]  # one output: the positive class
        return None
    if classes is not None and len(classes) == computed.values.shape[2]:
        return [str(c) for c in classes]
    return [f"output {i}" for i in range(computed.values.shape[2])]
