"""A store of many runs built fast: rows inserted through the store's own schema in one
transaction (the tests and benchmarks of search at scale need 10^4..10^6 runs)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from mlnb.store import schema as t
from mlnb.store.base import Store
from mlnb.store.values import encode_metric


def bulk_runs(
    store: Store,
    experiment_id: str,
    n: int,
    *,
    n_params: int = 10,
    n_metrics: int = 10,
    seed: int = 0,
    special: frozenset[int] = frozenset(),
) -> list[str]:
    """Add ``n`` finished runs with params ``p0..`` (values ``v0..v9``) and latest metrics
    ``m0..`` (uniform in [0, 1); ``m9`` one of five values) to ``experiment_id``; returns their ids.

    The runs numbered in ``special`` have ``m0`` NaN, ``m1`` inf, ``m2`` -0.0, no ``p0``/``m3``
    and a tag ``t`` (runs with other keys), to exercise every value the details carry.
    """
    rng = random.Random(seed)
    exp = int(experiment_id)
    ids = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(n)]
    t0 = 1_700_000_000_000
    runs: list[dict[str, Any]] = []
    params: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for i, rid in enumerate(ids):
        odd = i in special
        runs.append(
            dict(
                run_id=rid,
                experiment_id=exp,
                name=f"run-{i}",
                status="FINISHED",
                start_time=t0 + i // 3,
                end_time=t0 + i // 3 + 1,
                lifecycle_stage="active",
                deleted_time=None,
                parent_run_id=None,
                user_id="u",
                owner_host="h",
                owner_pid=1,
                owner_started=None,
                heartbeat=t0,
                source_notebook=None,
                source_cell_id=None,
                source_code_hash=None,
            )
        )
        if odd:
            tags.append(dict(run_id=rid, key="t", value=f"x{i}"))
        for k in range(n_params):
            if odd and k == 0:
                continue
            params.append(dict(run_id=rid, key=f"p{k}", value=f"v{rng.randrange(10)}"))
        for k in range(n_metrics):
            if odd and k == 3:
                continue
            v = rng.random() if k != 9 else rng.randrange(5) / 4  # m9: few values, many ties
            if odd and k < 3:
                v = (float("nan"), float("inf"), -0.0)[k]
            value, code = encode_metric(v)
            metrics.append(dict(run_id=rid, key=f"m{k}", value=value, special=code, step=0, timestamp=t0))
    with store.atomic() as conn:  # type: ignore[attr-defined]
        conn.execute(t.runs.insert(), runs)
        if params:
            conn.execute(t.params.insert(), params)
        if metrics:
            conn.execute(t.latest_metrics.insert(), metrics)
        if tags:
            conn.execute(t.tags.insert(), tags)
    return ids
