"""``log_explanation``: SHAP values of a prediction function, stored in a run as MLflow stores them.

The run gets ``<artifact_path>/base_values.npy``, ``shap_values.npy`` and ``summary_bar_plot.png``
with MLflow's shapes: ``(rows, features)`` values and a 0-d base value for a single output,
``(rows, features, outputs)`` values and ``(outputs,)`` base values for one column per class.

When the function is a bound method of a fitted scikit-learn estimator or Pipeline whose output an
exact explainer computes (``predict`` of a tree or linear regressor, ``predict_proba`` of a forest
or decision tree, ``decision_function`` of a linear classifier), that explainer is used on the
model (for a Pipeline on its final step, the values of derived columns summed back into the raw
column they came from). The result is accepted only if it adds up to the function's own output;
anything else is explained model-agnostically like MLflow does: ``shap.KernelExplainer`` over a
k-means summary of at most 100 rows of ``features``.
"""

from __future__ import annotations

import io
from typing import Any

from mlnb.analysis import _models, _plots, _shap
from mlnb.display.progress import progress
from mlnb.errors import InvalidParameter

ARTIFACT_PATH = "model_explanations_shap"
_MAX_BACKGROUND = 100
# the outputs the exact explainers compute, by the prediction method they must reproduce
_OUTPUTS = {
    "predict": ("raw",),
    "predict_proba": ("probability",),
    "decision_function": ("margin", "log_odds"),
}


def _fitted_estimator(predict_function: Any) -> Any | None:
    est = getattr(predict_function, "__self__", None)
    if est is None or not (hasattr(est, "get_params") and hasattr(est, "fit")):
        return None
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError as exc:
        raise InvalidParameter(
            f"{type(est).__name__} is not fitted: fit it before logging an explanation of "
            f"{predict_function.__name__}"
        ) from exc
    except TypeError:
        return None
    return est


def _raw_names(features: Any) -> list[str]:
    """Column names; scikit-learn's ``x0, x1, ...`` for an array, as its transformers name them."""
    if hasattr(features, "columns"):
        return [str(c) for c in features.columns]
    return [f"x{i}" for i in range(features.shape[1])]


def _group_matrix(pre: Any, names: list[str], raw: list[str]) -> Any | None:
    """(derived columns x raw columns) 0/1 matrix, or None when a derived column has no raw source."""
    import numpy as np

    groups = _models.source_groups(pre, names)
    index = {name: i for i, name in enumerate(raw)}
    matrix = np.zeros((len(names), len(raw)))
    for row, name in enumerate(names):
        source = index.get(groups.get(name, name))
        if source is None:
            return None
        matrix[row, source] = 1.0
    return matrix


def _as_mlflow(values: Any, base: Any) -> tuple[Any, Any]:
    """Per-row base values -> the explainer's expected value, as KernelExplainer reports it."""
    import numpy as np

    base = np.asarray(base, dtype="float64")
    expected = base[0] if base.ndim >= 1 and len(base) else base
    return np.asarray(values, dtype="float64"), np.asarray(expected, dtype="float64")


def _adds_up(predict_function: Any, features: Any, values: Any, base: Any) -> bool:
    import numpy as np

    output = np.asarray(predict_function(features), dtype="float64")
    total = values.sum(axis=1) + base
    return output.shape == total.shape and bool(np.allclose(total, output, rtol=1e-6, atol=1e-6))


def fast_values(predict_function: Any, features: Any) -> tuple[Any, Any] | None:
    """``(shap_values, base_values)`` from an exact model-specific explainer, or None."""
    import numpy as np

    method = getattr(predict_function, "__name__", None)
    if method not in _OUTPUTS:
        return None
    est = _fitted_estimator(predict_function)
    if est is None:
        return None
    pre, final = _models.split_pipeline(est)
    kind = _shap.choose(final)
    if kind not in ("tree", "linear"):
        return None
    try:
        matrix, names = _models.transform(pre, features)
    except (TypeError, ValueError):
        return None
    grouping = None
    if pre is not None:
        grouping = _group_matrix(pre, names, _raw_names(features))
        if grouping is None:
            return None
    computed = _shap.compute(final, matrix, explainer=kind)
    if computed.output not in _OUTPUTS[method] or computed.rows is not None:
        return None
    values, base = _as_mlflow(computed.values, computed.base_values)
    if grouping is not None:
        values = np.einsum("nd...,dr->nr...", values, grouping)
    if not _adds_up(predict_function, features, values, base):
        return None
    return values, base


def kernel_values(predict_function: Any, features: Any) -> tuple[Any, Any]:
    """MLflow's own recipe: KernelExplainer over ``shap.kmeans(features, min(100, rows))``."""
    import numpy as np

    shap = _shap.import_shap()
    try:
        background = shap.kmeans(features, min(_MAX_BACKGROUND, len(features)))
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(
            "features must be numeric for the model-agnostic (kernel) explainer "
            f"({exc}); encode the columns first, or pass a bound method of a fitted scikit-learn "
            "Pipeline (e.g. pipeline.predict_proba) so mlnb explains the model itself"
        ) from exc
    explainer = shap.KernelExplainer(predict_function, background)
    with progress(len(features), "SHAP values", unit="row") as bar:
        values = _shap.batched(lambda part: explainer.shap_values(part, silent=True), features, bar)
    return np.asarray(values, dtype="float64"), np.asarray(explainer.expected_value, dtype="float64")


def _npy(array: Any) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _summary_png(values: Any, features: Any) -> bytes:
    import numpy as np

    names = (
        _raw_names(features)
        if hasattr(features, "columns")
        else [f"Feature {i}" for i in range(values.shape[1])]
    )
    # one bar per feature: mean |value|, summed over the outputs of a multi-output model
    flat = np.abs(values).sum(axis=2) if values.ndim == 3 else values
    fig = _plots.bar(flat, names, max_display=20)
    return _plots.to_png(fig)


def log_explanation(predict_function: Any, features: Any, artifact_path: str | None = None) -> str:
    """Compute SHAP values of ``predict_function`` on ``features`` and log them to the active run.

    Stored as MLflow's ``mlflow.shap.log_explanation`` stores them, so code and tools reading those
    files work unchanged: ``base_values.npy``, ``shap_values.npy`` and ``summary_bar_plot.png``
    under ``artifact_path``. Bound methods of fitted scikit-learn estimators and Pipelines
    (``model.predict``, ``model.predict_proba``, ``model.decision_function``) are explained with an
    exact model-specific explainer when one computes that output (trees, linear models); any
    other callable with ``shap.KernelExplainer``, as MLflow does.

    Parameters
    ----------
    predict_function : callable
        ``f(X) -> predictions`` of shape ``(rows,)`` or ``(rows, outputs)``.
    features : DataFrame, ndarray or sparse matrix
        The rows to explain, ``(rows, features)``, in the function's input format.
    artifact_path : str, optional
        Directory in the run; default ``"model_explanations_shap"``.

    Returns
    -------
    str
        The artifact URI of that directory. With no active run a run is started (and left
        active), as MLflow does.

    Examples
    --------
    >>> import numpy as np, mlnb
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = X @ [1.0, 2.0, 0.0]
    >>> with mlnb.start_run():  # doctest: +SKIP
    ...     uri = mlnb.shap.log_explanation(LinearRegression().fit(X, y).predict, X)
    """
    if not callable(predict_function):
        raise InvalidParameter(
            f"predict_function must be callable (e.g. model.predict), got {type(predict_function).__name__}"
        )
    if getattr(features, "ndim", 2) != 2 or len(features) == 0:
        raise InvalidParameter("features must be a non-empty 2-D table: (rows, features)")
    path = ARTIFACT_PATH if artifact_path is None else artifact_path.strip("/")
    computed = fast_values(predict_function, features)
    values, base = computed if computed is not None else kernel_values(predict_function, features)
    png = _summary_png(values, features)

    from mlnb.tracking.fluent import active_run, start_run
    from mlnb.tracking.reserved import check_not_model_files
    from mlnb.tracking.state import get_store

    run = active_run()
    if run is None:
        run = start_run()
    items: list[tuple[str, bytes | Any]] = [
        (f"{path}/base_values.npy", _npy(base)),
        (f"{path}/shap_values.npy", _npy(values)),
        (f"{path}/summary_bar_plot.png", png),
    ]
    check_not_model_files(get_store(), run.info.run_id, [rel for rel, _data in items])
    get_store().artifacts.write_files(run.info.run_id, items)
    return f"{run.info.artifact_uri.rstrip('/')}/{path}"
