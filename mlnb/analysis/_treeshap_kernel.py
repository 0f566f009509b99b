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
def _tree(x, root, left, right, feature, threshold, value, prep, phi, P, S, edge_o, path, state, g):
    edge_feature, prev_depth, factor0, factor1, inv0, inv1, term1, term0 = prep
    m = term0.shape[0]
    k_out = value.shape[1]
    d = 0
    path[0] = root
    state[0] = 0
    for q in range(m):
        P[0, q] = 1.0
        for k in range(k_out):
            S[0, q, k] = 0.0
    while True:
        node = path[d]
        if left[node] < 0 or state[d] == 2:
            if left[node] < 0:
                for q in range(m):
                    for k in range(k_out):
                        S[d, q, k] = value[node, k] * P[d, q]
            if d == 0:
                return
            p = prev_depth[node]
            if edge_o[d]:
                for q in range(m):
                    g[q] = term1[node, q]
            else:
                for q in range(m):
                    g[q] = term0[q]
            if p >= 0:
                pn = path[p]
                if edge_o[p]:
                    for q in range(m):
                        g[q] -= term1[pn, q]
                else:
                    for q in range(m):
                        g[q] -= term0[q]
            f = edge_feature[node]
            for k in range(k_out):
                acc = 0.0
                for q in range(m):
                    acc += g[q] * S[d, q, k]
                phi[f, k] += acc
            for q in range(m):
                for k in range(k_out):
                    S[d - 1, q, k] += S[d, q, k]
            d -= 1
            state[d] += 1
            continue
        child = left[node] if state[d] == 0 else right[node]
        goes_left = x[feature[node]] <= threshold[node]
        o = (state[d] == 0) == goes_left
        p = prev_depth[child]
        fac = factor1 if o else factor0
        if p >= 0:
            pn = path[p]
            o = o and edge_o[p]
            fac = factor1 if o else factor0
            inv = inv1 if edge_o[p] else inv0
            for q in range(m):
                P[d + 1, q] = P[d, q] * inv[pn, q] * fac[child, q]
        else:
            for q in range(m):
                P[d + 1, q] = P[d, q] * fac[child, q]
        d += 1
        edge_o[d] = o
        path[d] = child
        state[d] = 0
        for q in range(m):
            for k in range(k_out):
                S[d, q, k] = 0.0


@numba.njit(cache=True, nogil=True, parallel=True)
def tree_shap(X, roots, left, right, feature, threshold, value, prep, max_depth, chunks):
    n, n_features = X.shape
    m = prep[7].shape[0]
    k_out = value.shape[1]
    out = np.zeros((n, n_features, k_out))
    for c in numba.prange(chunks):
        lo = c * n // chunks
        hi = (c + 1) * n // chunks
        P = np.empty((max_depth, m))
        S = np.empty((max_depth, m, k_out))
        edge_o = np.zeros(max_depth, dtype=np.bool_)
        path = np.empty(max_depth, dtype=np.int64)
        state = np.empty(max_depth, dtype=np.int64)
        g = np.empty(m)
        # tree-major order: one tree's arrays stay in cache while every row of the chunk walks it
        for t in range(roots.shape[0]):
            for r in range(lo, hi):
                _tree(
                    X[r],
                    roots[t],
                    left,
                    right,
                    feature,
                    threshold,
                    value,
                    prep,
                    out[r],
                    P,
                    S,
                    edge_o,
                    path,
                    state,
                    g,
                )
    return out
