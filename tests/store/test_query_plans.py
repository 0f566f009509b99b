"""The searches the store runs use indexes where they can: EXPLAIN QUERY PLAN on the very SQL
the store executes (caught from the SQLite connection as it runs) for each filter form.

A failure prints every plan, so a change of plan is read, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlnb.store import close_shared_stores, open_store
from mlnb.store.base import Store

from .search_scale_store import bulk_runs

BIG_TABLES = ("runs", "params", "tags", "latest_metrics", "metrics")


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    store = open_store(str(Path(tmp_path_factory.mktemp("plans")) / "store"))
    exp = store.create_experiment("plans")
    bulk_runs(store, exp, 2000, n_params=3, n_metrics=5)
    bulk_runs(store, store.create_experiment("other"), 500, n_params=3, n_metrics=5, seed=1)
    with store.atomic() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("ANALYZE")  # plans as on a store that has been used for a while
    yield store, exp
    store.close()
    close_shared_stores()


def _plans(store: Store, *args: Any, **kwargs: Any) -> list[tuple[str, list[str]]]:
    """``(sql, plan lines)`` of each SELECT the store executes for ``search_runs(*args)``."""
    with store.reading() as conn:  # type: ignore[attr-defined]
        raw = conn.connection.driver_connection
        executed: list[str] = []
        raw.set_trace_callback(executed.append)  # the SQL with its bound values expanded
        try:
            result = store.search_runs(*args, **kwargs)
        finally:
            raw.set_trace_callback(None)
        assert result.rows, "the query plan of a search returning nothing proves little"
        return [
            (sql, [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql)])
            for sql in executed
            if sql.lstrip().upper().startswith("SELECT")
        ]


def _shown(plans: list[tuple[str, list[str]]]) -> str:
    return "\n\n".join(" ".join(sql.split()) + "\n    " + "\n    ".join(plan) for sql, plan in plans)


def _full_scans(plan: list[str]) -> list[str]:
    """Lines reading a whole big table (``SCAN runs``, ``SCAN params AS p`` ...); a SCAN of a
    virtual table (``json_each`` of the bound ids) or a subquery's result is not one."""
    return [
        line
        for line in plan
        if line.startswith("SCAN ") and line.split()[1] in BIG_TABLES and "VIRTUAL TABLE" not in line
    ]


CASES = {
    "param equality": (("params.p1 = 'v3'",), "ix_params_key_value (key=? AND value=?)"),
    "metric comparison": (("metrics.m3 > 0.9",), "ix_latest_metrics_key_value (key=? AND value>?)"),
    "LIKE prefix": (("params.p1 LIKE 'v3%'",), "ix_params_key_value (key=? AND value>? AND value<?)"),
    "run id IN": (("attributes.run_id IN ('{a}', '{b}')",), "SEARCH runs USING PRIMARY KEY (run_id=?)"),
    "OR of two indexed": (
        ("metrics.m3 > 0.95 OR params.p1 = 'v3'",),
        "ix_latest_metrics_key_value (key=? AND value>?)",
    ),
    "top-N by a metric": ((None, ["metrics.m2 DESC"]), "ix_latest_metrics_key_value (key=? AND value>?)"),
    "the issue's search": (
        ("metrics.m3 > 0.99 AND params.p1 != 'v3'", ["metrics.m2 DESC"]),
        "ix_latest_metrics_key_value (key=? AND value>?)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_search_uses_an_index_and_scans_no_big_table(searched: Any, case: str) -> None:
    store, exp = searched
    args, index_use = CASES[case]
    if "{a}" in str(args[0]):
        a, b = store.search_runs([exp], max_results=2, details=False).run_ids
        args = (args[0].format(a=a, b=b),)
    plans = _plans(store, [exp], *args, max_results=100)
    shown = _shown(plans)
    main_plan = plans[0][1]  # the runs matched; then the details of those runs
    assert any(index_use in line for line in main_plan), f"{case}: expected {index_use!r}\n\n{shown}"
    for _, plan in plans:
        assert not _full_scans(plan), f"{case}: a full scan in\n\n{shown}"
        assert not any("ix_runs_experiment_start" in line for line in plan), (
            f"{case}: walks every run of the experiment\n\n{shown}"
        )
    if case == "OR of two indexed":
        assert any("ix_params_key_value (key=? AND value=?)" in line for line in main_plan), shown


def test_details_probe_the_runs_by_primary_key(searched: Any) -> None:
    store, exp = searched
    plans = _plans(store, [exp], "metrics.m3 > 0.5", max_results=1500)
    shown = _shown(plans)
    details = [plan for _, plan in plans[1:]]
    assert details, shown
    for table in ("params", "tags", "latest_metrics"):
        assert any(
            f"SEARCH {table} USING PRIMARY KEY (run_id=?)" in line for plan in details for line in plan
        ), f"{table}\n\n{shown}"
    assert not any(_full_scans(plan) for plan in details), shown
