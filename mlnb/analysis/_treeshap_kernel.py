"""The numba kernels of :mod:`mlnb.analysis._treeshap` (imported only when a forest is explained).

``structure`` and ``factors`` compute everything that does not depend on the row, once per forest: for each
node ``c`` (the edge parent -> c), the depth, the split feature of the parent, the depth of the
previous edge on the same feature (-1 if none), and per quadrature node ``q`` the factors
``z(1-u_q) + o u_q`` for o = 0 and 1 (with ``z`` the combined cover ratio of the feature's
edges so far), their reciprocals and the weighted Shapley terms ``(o - z) / factor``.
``tree_shap`` then walks every tree for every row, in parallel over rows.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def structure(left, right, feature, cover):
    """Per node (the edge parent -> node): depth, split feature, depth of the previous edge on
    the same feature (-1), combined cover ratio of the feature's edges, distinct features so far."""
    n = left.shape[0]
    parent = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    edge_feature = np.full(n, -1, dtype=np.int64)
    prev_depth = np.full(n, -1, dtype=np.int64)
    z_eff = np.ones(n)
    unique = np.zeros(n, dtype=np.int64)
    for node in range(n):  # scikit-learn numbers nodes in preorder: parents come first
        if left[node] < 0:
            continue
        for child in (left[node], right[node]):
            f = feature[node]
            parent[child] = node
            depth[child] = depth[node] + 1
            edge_feature[child] = f
            z = cover[child] / cover[node]
            unique[child] = unique[node] + 1
            anc = node
            while parent[anc] >= 0:
                if edge_feature[anc] == f:
                    prev_depth[child] = depth[anc]
                    z *= z_eff[anc]
                    unique[child] -= 1
                    break
                anc = parent[anc]
            z_eff[child] = z
    return depth, edge_feature, prev_depth, z_eff, unique


@numba.njit(cache=True)
def factors(z_eff, u, w):
    """Per node and quadrature point: z(1-u)+o*u for o = 0, 1, their inverses, Shapley terms."""
    n = z_eff.shape[0]
    m = u.shape[0]
    factor0 = np.ones((n, m))
    factor1 = np.ones((n, m))
    inv0 = np.ones((n, m))
    inv1 = np.ones((n, m))
    term1 = np.zeros((n, m))
    term0 = np.empty(m)
    for q in range(m):
        term0[q] = -w[q] / (1.0 - u[q])
    for node in range(n):
        z = z_eff[node]
        for q in range(m):
            a0 = z * (1.0 - u[q])
            a1 = a0 + u[q]
            factor0[node, q] = a0
            factor1[node, q] = a1
            inv0[node, q] = 1.0 / a0
            inv1[node, q] = 1.0 / a1
            term1[node, q] = w[q] * (1.0 - z) / a1
    return factor0, factor1, inv0, inv1, term1, term0


@numba.njit(cache=True, nogil=True)
def _tree(xt, root, left, right, feature, threshold, value, prep, phi, P, S, edge_o, path, state, g):
    """One tree for a batch of rows at once (``xt`` is features x rows): the walk and its
    branches are shared by the batch, the arithmetic runs over the rows (vectorizable)."""
    edge_feature, prev_depth, factor0, factor1, inv0, inv1, term1, term0 = prep
    m = term0.shape[0]
    k_out = value.shape[1]
    nb = xt.shape[1]
    d = 0
    path[0] = root
    state[0] = 0
    for q in range(m):
        for b in range(nb):
            P[0, q, b] = 1.0
        for k in range(k_out):
            for b in range(nb):
                S[0, k, q, b] = 0.0
    while True:
        node = path[d]
        if left[node] < 0 or state[d] == 2:
            if left[node] < 0:
                for k in range(k_out):
                    v = value[node, k]
                    for q in range(m):
                        for b in range(nb):
                            S[d, k, q, b] = v * P[d, q, b]
            if d == 0:
                return
            p = prev_depth[node]
            for q in range(m):
                t0 = term0[q]
                dt = term1[node, q] - t0
                for b in range(nb):
                    g[q, b] = t0 + edge_o[d, b] * dt
            if p >= 0:
                pn = path[p]
                for q in range(m):
                    t0 = term0[q]
                    dt = term1[pn, q] - t0
                    for b in range(nb):
                        g[q, b] -= t0 + edge_o[p, b] * dt
            f = edge_feature[node]
            for k in range(k_out):
                for q in range(m):
                    for b in range(nb):
                        phi[b, f, k] += g[q, b] * S[d, k, q, b]
                        S[d - 1, k, q, b] += S[d, k, q, b]
            d -= 1
            state[d] += 1
            continue
        went_left = state[d] == 0
        child = left[node] if went_left else right[node]
        f = feature[node]
        thr = threshold[node]
        p = prev_depth[child]
        for b in range(nb):
            o = 1.0 if (xt[f, b] <= thr) == went_left else 0.0
            if p >= 0:
                o *= edge_o[p, b]
            edge_o[d + 1, b] = o
        if p >= 0:
            pn = path[p]
            for q in range(m):
                i0 = inv0[pn, q]
                di = inv1[pn, q] - i0
                f0 = factor0[child, q]
                df = factor1[child, q] - f0
                for b in range(nb):
                    P[d + 1, q, b] = P[d, q, b] * (i0 + edge_o[p, b] * di) * (f0 + edge_o[d + 1, b] * df)
        else:
            for q in range(m):
                f0 = factor0[child, q]
                df = factor1[child, q] - f0
                for b in range(nb):
                    P[d + 1, q, b] = P[d, q, b] * (f0 + edge_o[d + 1, b] * df)
        d += 1
        path[d] = child
        state[d] = 0
        for k in range(k_out):
            for q in range(m):
                for b in range(nb):
                    S[d, k, q, b] = 0.0


@numba.njit(cache=True, nogil=True)
def _batches(X, roots, left, right, feature, threshold, value, prep, max_depth, batch, first, last, out):
    """Batches ``first`` .. ``last - 1`` of ``batch`` rows each, every tree, into ``out``."""
    n, n_features = X.shape
    m = prep[7].shape[0]
    k_out = value.shape[1]
    for c in range(first, last):
        lo = c * batch
        hi = min(n, lo + batch)
        nb = hi - lo
        xt = np.ascontiguousarray(X[lo:hi].T)
        P = np.empty((max_depth, m, nb))
        S = np.empty((max_depth, k_out, m, nb))
        edge_o = np.zeros((max_depth, nb))
        path = np.empty(max_depth, dtype=np.int64)
        state = np.empty(max_depth, dtype=np.int64)
        g = np.empty((m, nb))
        phi = np.zeros((nb, n_features, k_out))
        for t in range(roots.shape[0]):
            _tree(
                xt, roots[t], left, right, feature, threshold, value, prep, phi, P, S, edge_o, path, state, g
            )
        out[lo:hi] = phi


@numba.njit(cache=True, nogil=True, parallel=True)
def tree_shap(X, roots, left, right, feature, threshold, value, prep, max_depth, batch):
    """SHAP values of every row, batches spread over numba's threads."""
    out = np.zeros((X.shape[0], X.shape[1], value.shape[1]))
    n_batches = (X.shape[0] + batch - 1) // batch
    for c in numba.prange(n_batches):
        _batches(X, roots, left, right, feature, threshold, value, prep, max_depth, batch, c, c + 1, out)
    return out


@numba.njit(cache=True, nogil=True)
def tree_shap_serial(X, roots, left, right, feature, threshold, value, prep, max_depth, batch):
    """The same on the calling thread: for n_jobs=1, and in a process forked after this one
    started OpenMP threads (GNU OpenMP cannot run in such a child)."""
    out = np.zeros((X.shape[0], X.shape[1], value.shape[1]))
    n_batches = (X.shape[0] + batch - 1) // batch
    _batches(X, roots, left, right, feature, threshold, value, prep, max_depth, batch, 0, n_batches, out)
    return out
