"""Exact path-dependent TreeSHAP for scikit-learn forests, in linear time per node, on all cores.

Same values as ``shap.TreeExplainer(model)`` (``feature_perturbation="tree_path_dependent"``),
computed differently. For a leaf with value ``v`` whose path uses the features ``P``, feature
``i`` in ``P`` receives

    v * (o_i - z_i) * integral_0^1 prod_{j in P, j != i} (z_j (1 - u) + o_j u) du

where ``z_j`` is the product of the cover ratios of the path's splits on ``j`` and ``o_j`` is 1
when the row satisfies all of them (the Shapley weights ``k!(d-k-1)!/d!`` are Beta integrals).
The integrand is a polynomial of degree < d, integrated exactly by Gauss-Legendre quadrature
with ceil(d/2) nodes; products along a path are carried top-down and leaf sums bottom-up, so a
row costs O(nodes x quadrature nodes) per tree instead of shap's O(leaves x depth^2). A feature
split on again deeper in the path replaces its earlier factor (as shap's unwinding does): the
deeper edge adds its own term and subtracts the one its ancestor edge counted for that subtree.

Rows are walked through each tree in batches (up to 128): the traversal and its branches are
shared by the batch and the arithmetic runs over the rows in the innermost loop, which the
compiler vectorizes; batches run in parallel numba threads (the GIL is released). Compiled once
and cached on disk.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

SUPPORTED = (
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
)


def supports(est: Any, X: Any) -> bool:
    """True for a fitted sklearn forest/tree on finite data (NaN routing is left to shap)."""
    import numpy as np

    if type(est).__name__ not in SUPPORTED or not type(est).__module__.startswith("sklearn."):
        return False
    if importlib.util.find_spec("numba") is None:  # comes with shap; without it shap's path is used
        return False
    trees = _trees(est)
    if not trees or any(t.n_outputs != 1 for t in trees):
        return False
    return bool(np.isfinite(X).all())


def _trees(est: Any) -> list[Any]:
    if hasattr(est, "estimators_"):
        return [e.tree_ for e in est.estimators_]
    return [est.tree_] if hasattr(est, "tree_") else []


_threads_pid: int | None = None  # the process that started the kernel's threads


def _flatten(est: Any) -> dict[str, Any]:
    """All trees in one set of arrays (global node ids), values as shap scales them."""
    import numpy as np

    trees = _trees(est)
    classifier = hasattr(est, "classes_")
    scaling = 1.0 / len(trees)
    keys = ("left", "right", "feature", "threshold", "cover", "value")
    parts: dict[str, list[Any]] = {k: [] for k in keys}
    roots, offset, base = [], 0, 0.0
    for t in trees:
        n = t.node_count
        values = t.value.reshape(n, -1).astype("float64")
        if classifier:
            values = values / values.sum(axis=1, keepdims=True)
        values = values * scaling
        cover = t.weighted_n_node_samples.astype("float64").copy()
        cover[cover == 0.0] = 1e-6  # shap's guard against empty nodes
        left = t.children_left.astype("int64")
        right = t.children_right.astype("int64")
        leaf = left < 0
        base = base + (values[leaf] * (cover[leaf] / cover[0])[:, None]).sum(axis=0)
        parts["left"].append(np.where(leaf, -1, left + offset))
        parts["right"].append(np.where(leaf, -1, right + offset))
        parts["feature"].append(t.feature.astype("int64"))
        parts["threshold"].append(t.threshold.astype("float64"))
        parts["cover"].append(cover)
        parts["value"].append(values)
        roots.append(offset)
        offset += n
    flat = {k: np.ascontiguousarray(np.concatenate(v)) for k, v in parts.items()}
    flat["dropped_first"] = classifier and flat["value"].shape[1] > 1
    if flat["dropped_first"]:
        flat["value"] = np.ascontiguousarray(flat["value"][:, 1:])
    flat["roots"] = np.asarray(roots, dtype="int64")
    flat["base"] = np.atleast_1d(base)
    flat["max_depth"] = max(int(_depth(t)) for t in trees)
    return flat


def _depth(tree: Any) -> int:
    return getattr(tree, "max_depth", 64)


def _batch(n: int, threads: int) -> int:
    """Rows walked together: big enough to amortize the walk, split evenly over the threads."""
    per_thread = -(-n // threads)
    return int(max(1, min(128, per_thread)))


def shap_values(est: Any, X: Any, n_jobs: int = 2) -> tuple[Any, Any]:
    """``(values, expected_value)`` shaped like ``shap.TreeExplainer(est).shap_values(X)``."""
    import numpy as np

    flat = _flatten(est)
    import numba

    from mlnb.analysis import _treeshap_kernel as kernel

    _depth, edge_feature, prev_depth, z_eff, unique = kernel.structure(
        flat["left"], flat["right"], flat["feature"], flat["cover"]
    )
    # a leaf's polynomial has degree < its distinct path features: ceil(d/2) Gauss points are exact
    degree = max(1, int(unique.max()))
    nodes, weights = np.polynomial.legendre.leggauss((degree + 1) // 2)
    u = (nodes + 1.0) / 2.0
    w = weights / 2.0
    prep = (edge_feature, prev_depth, *kernel.factors(z_eff, u, w))
    # shap compares float32-rounded inputs with the float64 thresholds, as scikit-learn does
    data = np.ascontiguousarray(np.asarray(X, dtype="float32").astype("float64"))
    global _threads_pid
    threads = max(1, min(n_jobs, numba.config.NUMBA_NUM_THREADS))
    if _threads_pid not in (None, os.getpid()):
        threads = 1  # forked after this process started kernel threads: stay on one thread
    args = (
        data,
        flat["roots"],
        flat["left"],
        flat["right"],
        flat["feature"],
        flat["threshold"],
        flat["value"],
        prep,
        flat["max_depth"] + 2,
        _batch(len(data), threads),
    )
    if threads == 1:
        # never touch the threading layer here: in such a child even asking for it aborts
        phi = kernel.tree_shap_serial(*args)
    else:
        _threads_pid = os.getpid()
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            phi = kernel.tree_shap(*args)
        finally:
            numba.set_num_threads(previous)
    if flat["dropped_first"]:
        # class probabilities sum to a constant in every leaf: the first class's values are
        # minus the sum of the others', no need to walk the trees for it
        phi = np.concatenate([-phi.sum(axis=2, keepdims=True), phi], axis=2)
    if phi.shape[2] == 1:
        return phi[:, :, 0], flat["base"]
    return phi, flat["base"]
