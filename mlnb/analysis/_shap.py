"""SHAP values for one fitted estimator on a numeric matrix: pick the explainer, compute fast.

* ``linear`` — models with ``coef_``/``intercept_`` from ``sklearn.linear_model`` (and linear
  SVMs): interventional SHAP values in closed form, ``coef * (x - mean(background))``, which is
  exactly what ``shap.LinearExplainer`` computes with an Independent masker over the same
  background, without importing shap.
* ``tree`` — tree ensembles (forests, single trees, gradient boosting incl.
  HistGradientBoosting, XGBoost, LightGBM, CatBoost): ``shap.TreeExplainer``, exact
  path-dependent TreeSHAP. Identical rows are explained once, and the rows are split between
  this process and one forked child on a multi-core POSIX machine, because TreeExplainer holds
  the GIL.
* ``permutation`` — any other estimator: ``shap.PermutationExplainer`` over its
  ``predict_proba``/``decision_function``/``predict`` with a 100-row background.
* ``kernel`` — last resort, for a bare prediction function: ``shap.KernelExplainer`` with a
  k-means background and sampled rows.

Every explainer but ``linear`` (closed form, instant) explains the rows in batches and reports
them to a progress bar (:mod:`mlnb.display.progress`), which shows once the computation has run
for a second; shap's own tqdm bars stay silent.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

from mlnb.display.progress import Progress, progress
from mlnb.errors import InvalidParameter

EXPLAINERS = ("auto", "tree", "linear", "permutation", "kernel")
_TREE_PREFIXES = ("RandomForest", "ExtraTrees", "ExtraTree", "DecisionTree", "GradientBoosting")
_TREE_NAMES = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")
_PROBABILITY_TREES = ("RandomForest", "ExtraTrees", "ExtraTree", "DecisionTree")
# below this much work (unique rows x tree nodes) a fork costs more than it saves
_PARALLEL_WORK = 2_000_000
# rows are explained in about this many batches, so the bar moves smoothly
_BATCHES = 20
_MIN_BATCH = 16


@dataclass
class Computed:
    values: Any  # (n, f) or (n, f, k)
    base_values: Any  # (n,) or (n, k)
    explainer: str
    output: str  # "probability" | "log_odds" | "margin" | "raw"
    rows: Any = None  # indices of the explained rows when they were sampled


def import_shap() -> Any:
    """Import shap on first use, silencing its import-time PendingDeprecationWarnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import shap
    return shap


def is_classifier(est: Any) -> bool:
    return getattr(est, "_estimator_type", None) == "classifier" or (
        hasattr(est, "classes_") and hasattr(est, "predict")
    )


def _n_classes(est: Any) -> int:
    return len(getattr(est, "classes_", ())) or 1


def choose(est: Any) -> str:
    """The explainer ``explainer="auto"`` uses for this final estimator."""
    if not hasattr(est, "predict"):
        return "kernel"
    name = type(est).__name__
    module = type(est).__module__
    if name in _TREE_NAMES or module.split(".")[0] in ("xgboost", "lightgbm", "catboost"):
        return "tree"
    if name.startswith(_TREE_PREFIXES) and hasattr(est, "estimators_" if "Forest" in name else "tree_"):
        return "tree"
    if name.startswith("GradientBoosting"):
        return "tree" if _n_classes(est) <= 2 else "permutation"
    linear_module = module.startswith("sklearn.linear_model") or name in ("LinearSVC", "LinearSVR")
    if linear_module and hasattr(est, "coef_") and hasattr(est, "intercept_"):
        return "linear"
    return "permutation"


def _per_row(base: Any, values: Any) -> Any:
    import numpy as np

    base = np.asarray(base, dtype="float64").reshape(-1)
    n = values.shape[0]
    if values.ndim == 3:
        return np.broadcast_to(base, (n, values.shape[2])).copy()
    return np.full(n, base[0])


def _linear(est: Any, X: Any, background: Any) -> Computed:
    import numpy as np

    coef = np.atleast_2d(np.asarray(est.coef_, dtype="float64"))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype="float64"))
    mean = np.asarray(background, dtype="float64").mean(axis=0)
    centred = X - mean
    if coef.shape[0] == 1:
        values = centred * coef[0]
    else:
        values = centred[:, :, None] * coef.T[None, :, :]
    base = coef @ mean + intercept
    output = "log_odds" if hasattr(est, "predict_proba") else "margin"
    return Computed(values, _per_row(base, values), "linear", output if is_classifier(est) else "raw")


def _bar(rows: int, show: bool) -> Progress:
    return progress(rows, "SHAP values", unit="row", mode=None if show else "off")


def batched(fn: Any, X: Any, bar: Progress | None = None) -> Any:
    """``fn(X)`` computed in batches of rows (``X[a:b]``: an array or a DataFrame), each reported to ``bar``."""
    import numpy as np

    n = len(X)
    size = max(_MIN_BATCH, -(-n // _BATCHES))
    if n <= size:
        out = np.asarray(fn(X))
        if bar is not None:
            bar.update(n)
        return out
    parts = []
    for start in range(0, n, size):
        part = np.asarray(fn(X[start : start + size]))
        parts.append(part)
        if bar is not None:
            bar.update(len(part))
    return np.concatenate(parts, axis=0)


def _in_halves(fn: Any, X: Any, bar: Progress | None = None) -> Any:
    """``fn(X)`` with the second half of the rows computed in a forked child process.

    The parent's half is reported to ``bar`` batch by batch, the child's when it arrives.
    """
    import multiprocessing

    import numpy as np

    first, second = np.array_split(X, 2)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(("ok", np.asarray(fn(second))))
        except BaseException as exc:  # report, the parent computes the half itself
            sender.send(("error", repr(exc)))
        finally:
            sender.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() in a multi-threaded process"
        proc = ctx.Process(target=child, daemon=True)
        proc.start()
    sender.close()
    try:
        head = batched(fn, first, bar)
        try:
            status, tail = receiver.recv()
        except EOFError:
            status, tail = "error", "child exited"
    finally:
        receiver.close()
        proc.join(timeout=5)
    if status != "ok":
        tail = batched(fn, second, bar)
    elif bar is not None:
        bar.update(len(second))
    return np.concatenate([head, tail], axis=0)


def _tree(est: Any, X: Any, n_jobs: int, show: bool = True) -> Computed:
    import numpy as np

    # identical rows have identical values: explain each distinct row once
    unique, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    shap = import_shap()
    explainer = shap.TreeExplainer(est)
    expected = explainer.expected_value
    nodes = _node_count(est)
    work = nodes * len(unique)
    parallel = n_jobs > 1 and hasattr(os, "fork") and len(unique) >= 64 and work > _PARALLEL_WORK

    # additivity holds by construction; shap's check would re-run the model on every row
    def compute(rows: Any) -> Any:
        return explainer.shap_values(rows, check_additivity=False)

    with _bar(len(unique), show) as bar:
        values = _in_halves(compute, unique, bar) if parallel else batched(compute, unique, bar)
    values = np.asarray(values)[inverse]
    if is_classifier(est):
        output = "probability" if type(est).__name__.startswith(_PROBABILITY_TREES) else "log_odds"
    else:
        output = "raw"
    return Computed(values, _per_row(expected, values), "tree", output)


def _node_count(est: Any) -> int:
    trees = getattr(est, "estimators_", None)
    if trees is None:
        tree = getattr(est, "tree_", None)
        return int(tree.node_count) if tree is not None else 10_000
    import numpy as np

    flat = np.asarray(trees, dtype=object).reshape(-1)
    return int(sum(t.tree_.node_count for t in flat if hasattr(t, "tree_")))


def _prediction_function(est: Any) -> tuple[Any, str]:
    if not hasattr(est, "predict"):
        return est, "raw"
    if is_classifier(est):
        # SVC(probability=False) hides predict_proba: hasattr is False
        if hasattr(est, "predict_proba"):
            return est.predict_proba, "probability"
        if hasattr(est, "decision_function"):
            return est.decision_function, "margin"
    return est.predict, "raw"


def _sample(X: Any, max_rows: int | None, seed: int) -> tuple[Any, Any]:
    import numpy as np

    if max_rows is None or len(X) <= max_rows:
        return X, None
    rows = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))
    return X[rows], rows


def _permutation(
    est: Any, X: Any, background: Any, seed: int, progress: bool, max_rows: int | None
) -> Computed:
    import numpy as np

    shap = import_shap()
    fn, output = _prediction_function(est)
    masker = shap.maskers.Independent(background, max_samples=100)
    explainer = shap.PermutationExplainer(fn, masker, seed=seed)
    Xs, rows = _sample(X, max_rows, seed)
    max_evals = max(500, 2 * X.shape[1] + 1)
    bases: list[Any] = []

    def batch(rows: Any) -> Any:  # the seed is set once, so batches draw what one call would
        result = explainer(rows, max_evals=max_evals, silent=True)
        bases.append(np.asarray(result.base_values, dtype="float64"))
        return np.asarray(result.values, dtype="float64")

    with _bar(len(Xs), progress) as bar:
        values = batched(batch, Xs, bar)
    base = np.concatenate(bases, axis=0)
    return Computed(values, base, "permutation", output, rows)


def _kernel(est: Any, X: Any, background: Any, seed: int, progress: bool, max_rows: int | None) -> Computed:
    import numpy as np

    shap = import_shap()
    fn, output = _prediction_function(est)
    bg = shap.kmeans(background, 10) if len(background) > 50 else background
    explainer = (
        shap.KernelExplainer(fn, bg, seed=seed) if _accepts_seed(shap) else shap.KernelExplainer(fn, bg)
    )
    Xs, rows = _sample(X, 100 if max_rows is None else max_rows, seed)
    with _bar(len(Xs), progress) as bar:
        values = batched(
            lambda rows: np.asarray(
                explainer.shap_values(rows, nsamples="auto", silent=True), dtype="float64"
            ),
            Xs,
            bar,
        )
    return Computed(values, _per_row(explainer.expected_value, values), "kernel", output, rows)


def _accepts_seed(shap: Any) -> bool:
    import inspect

    return "seed" in inspect.signature(shap.KernelExplainer.__init__).parameters


def compute(
    est: Any,
    X: Any,
    *,
    explainer: str = "auto",
    background: Any = None,
    n_jobs: int = 2,
    seed: int = 0,
    progress: bool = True,
    max_rows: int | None = None,
) -> Computed:
    """SHAP values of ``est`` on the dense float matrix ``X`` (rows x features)."""
    if explainer not in EXPLAINERS:
        raise InvalidParameter(f"explainer must be one of {', '.join(EXPLAINERS)}, got {explainer!r}")
    kind = choose(est) if explainer == "auto" else explainer
    bg = X if background is None else background
    if kind == "linear":
        if not hasattr(est, "coef_"):
            raise InvalidParameter(f"explainer='linear' needs a linear model, got {type(est).__name__}")
        return _linear(est, X, bg)
    if kind == "tree":
        return _tree(est, X, n_jobs, progress)
    if kind == "permutation":
        return _permutation(est, X, bg, seed, progress, max_rows)
    return _kernel(est, X, bg, seed, progress, max_rows)
