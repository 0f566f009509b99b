"""Per-column drift tests that work on raw reference data *or* on its reference profile.

A reference column is reduced to a :class:`Ref`: the exact frequency table when the column is
categorical/binary or has few distinct numeric values (so raw data and profile give the same
statistic), else the raw values (raw path) or quantiles/histogram (profile path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

P_VALUE_TESTS = ("ks", "chi2", "z")
DISTANCE_TESTS = ("wasserstein", "jensenshannon")
TESTS = P_VALUE_TESTS + DISTANCE_TESTS
DEFAULT_THRESHOLDS = {"ks": 0.05, "chi2": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1}
SMALL_SAMPLE = 1000


@dataclass
class Ref:
    """One reference column, from raw data or a profile."""

    name: str
    kind: str  # "numeric" | "categorical" | "binary"
    count: int  # non-missing rows
    missing: int
    counts: dict[Any, int] | None = None  # exact frequency table (categorical, binary, few-valued numeric)
    other_count: int = 0  # rows in categories not kept by the profile
    raw: Any = None  # float64 values (raw path, numeric)
    probs: Any = None  # profile quantiles (numeric)
    quantiles: Any = None
    edges: Any = None  # histogram edges (numeric)
    hist: Any = None
    min: float | None = None
    max: float | None = None
    std: float | None = None


def ref_from_series(name: str, series: Any, kind: str) -> Ref:
    import numpy as np

    values = series.dropna()
    ref = Ref(name, kind, int(values.size), int(series.size - values.size))
    if kind == "numeric":
        x = values.to_numpy(dtype="float64")
        x = x[np.isfinite(x)]
        ref.raw = np.sort(x)
        if x.size:
            ref.min, ref.max = float(x.min()), float(x.max())
            ref.std = float(x.std(ddof=1)) if x.size > 1 else 0.0
            ref.hist, ref.edges = np.histogram(x, bins=20)
    else:
        ref.counts = {category_key(k): int(c) for k, c in values.value_counts().items()}
    return ref


def ref_from_profile(col: dict[str, Any]) -> Ref:
    import numpy as np

    ref = Ref(col["name"], col["kind"], int(col["count"]), int(col["missing"]))
    if col["kind"] == "numeric":
        ref.min, ref.max, ref.std = col.get("min"), col.get("max"), col.get("std")
        if "quantiles" in col:
            ref.probs = np.asarray(col["quantiles"]["probs"], dtype="float64")
            ref.quantiles = np.asarray(col["quantiles"]["values"], dtype="float64")
            ref.edges = np.asarray(col["histogram"]["edges"], dtype="float64")
            ref.hist = np.asarray(col["histogram"]["counts"], dtype="float64")
        if "values" in col:
            ref.counts = {float(v): int(c) for v, c in col["values"]}
    else:
        ref.counts = {category_key(v): int(c) for v, c in col["categories"]}
        ref.other_count = int(col.get("other_count", 0))
    return ref


def category_key(value: Any) -> bool | int | float | str:
    """Category keys comparable across raw data and JSON (numpy scalars -> Python)."""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, bool | int | float | str) else str(value)


def choose_test(ref: Ref) -> str:
    """The documented rule: by column kind and reference sample size (see ``mlnb.drift``)."""
    small = ref.count <= SMALL_SAMPLE
    if ref.kind == "binary":
        return "z" if small else "jensenshannon"
    if ref.kind == "categorical":
        return "chi2" if small else "jensenshannon"
    return "ks" if small else "wasserstein"


def _counts_pair(ref: Ref, cur: Any) -> tuple[Any, Any]:
    """Aligned (reference, current) count vectors over the union of categories."""
    import numpy as np

    cur_counts = {category_key(k): int(c) for k, c in cur.value_counts().items()}
    known = ref.counts or {}
    keys = list(known)
    keys += [k for k in cur_counts if k not in known]
    r = [known.get(k, 0) for k in keys]
    c = [cur_counts.get(k, 0) for k in keys]
    if ref.other_count:
        r.append(ref.other_count)
        c.append(0)
    return np.asarray(r, dtype="float64"), np.asarray(c, dtype="float64")


def _numeric_cur(cur: Any) -> Any:
    import numpy as np

    x = cur.to_numpy(dtype="float64")
    return np.sort(x[np.isfinite(x)])


def _ref_cdf(ref: Ref, points: Any) -> Any:
    import numpy as np

    if ref.raw is not None:
        return np.searchsorted(ref.raw, points, side="right") / ref.raw.size
    if ref.counts is not None:
        values = np.asarray(sorted(ref.counts))
        cum = np.cumsum([ref.counts[v] for v in values]) / ref.count
        idx = np.searchsorted(values, points, side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
    return np.interp(points, ref.quantiles, ref.probs, left=0.0, right=1.0)


def ks(ref: Ref, cur: Any) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov: (D, asymptotic two-sided p-value), as scipy's ``asymp``."""
    import numpy as np
    from scipy.stats import kstwo

    x = _numeric_cur(cur)
    if x.size == 0 or ref.count == 0:
        return 0.0, 1.0
    points = np.unique(x)
    if ref.raw is not None:
        points = np.union1d(points, ref.raw)
    elif ref.counts is not None:
        points = np.union1d(points, np.asarray(sorted(ref.counts)))
    else:
        points = np.union1d(points, ref.quantiles)
    f_cur = np.searchsorted(x, points, side="right") / x.size
    d = float(np.max(np.abs(_ref_cdf(ref, points) - f_cur)))
    n, m = ref.count, x.size
    return d, float(kstwo.sf(d, round(n * m / (n + m))))


def chi2(ref: Ref, cur: Any) -> tuple[float, float]:
    """Chi-squared test of homogeneity on the 2 x k table of category counts."""
    import numpy as np
    from scipy.stats import chi2_contingency

    r, c = _counts_pair(ref, cur)
    keep = (r + c) > 0
    if keep.sum() < 2 or c.sum() == 0:
        return 0.0, 1.0
    stat, p, _dof, _exp = chi2_contingency(np.vstack([r[keep], c[keep]]), correction=False)
    return float(stat), float(p)


def z_test(ref: Ref, cur: Any) -> tuple[float, float]:
    """Two-proportion Z-test on the share of the reference's most frequent value."""
    from scipy.stats import norm

    r, c = _counts_pair(ref, cur)
    n1, n2 = r.sum(), c.sum()
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    p1, p2 = r[0] / n1, c[0] / n2
    pooled = (r[0] + c[0]) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var == 0:
        return 0.0, 1.0 if p1 == p2 else 0.0
    z = (p1 - p2) / math.sqrt(var)
    return float(z), float(2 * norm.sf(abs(z)))


def wasserstein(ref: Ref, cur: Any) -> tuple[float, None]:
    """Wasserstein-1 distance divided by the reference standard deviation."""
    import numpy as np
    from scipy.stats import wasserstein_distance

    x = _numeric_cur(cur)
    if x.size == 0 or ref.count == 0:
        return 0.0, None
    scale = ref.std if ref.std else 1.0
    if ref.raw is not None:
        dist = wasserstein_distance(ref.raw, x)
    elif ref.counts is not None:
        values = np.asarray(sorted(ref.counts))
        dist = wasserstein_distance(values, x, u_weights=[ref.counts[v] for v in values])
    else:
        # area between the quantile functions on the profile's probability grid
        diff = np.abs(ref.quantiles - np.quantile(x, ref.probs))
        dist = float(np.sum((diff[1:] + diff[:-1]) / 2 * np.diff(ref.probs)))
    return float(dist / scale), None


def jensenshannon(ref: Ref, cur: Any) -> tuple[float, None]:
    """Jensen-Shannon distance (base 2, in [0, 1]) between category or histogram frequencies."""
    import numpy as np
    from scipy.spatial.distance import jensenshannon as js

    if ref.kind == "numeric":
        x = _numeric_cur(cur)
        edges = np.concatenate([[-np.inf], ref.edges, [np.inf]])
        r = np.concatenate([[0.0], ref.hist, [0.0]])
        c = np.histogram(x, bins=edges)[0].astype("float64")
    else:
        r, c = _counts_pair(ref, cur)
    if r.sum() == 0 or c.sum() == 0:
        return 0.0, None
    return float(js(r / r.sum(), c / c.sum(), base=2)), None


RUNNERS = {"ks": ks, "chi2": chi2, "z": z_test, "wasserstein": wasserstein, "jensenshannon": jensenshannon}
