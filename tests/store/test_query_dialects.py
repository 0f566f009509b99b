"""Search statements compile for PostgreSQL too (the team store); SQLite runs them elsewhere."""

from __future__ import annotations

import pytest

from mlnb.store import query, search_details

FILTERS = [
    None,
    "metrics.m > 0.5 AND params.p != 'x'",
    "params.p LIKE 'a%' OR tags.t ILIKE '%B' OR attributes.run_id IN ('0a', '0b')",
    "metrics.m != 1 AND tags.t IS NULL AND attributes.run_id NOT IN ('a', 'b')",
    "datasets.name IN ('a', 'b') AND dataset.context = 'train' AND datasets.digest LIKE 'ab%'",
    "attributes.artifact_uri LIKE '%/0a%' AND attributes.`Run name` ILIKE 'x%'",
]


@pytest.mark.parametrize("filter_string", FILTERS)
@pytest.mark.parametrize("with_run_ids", [False, True])
def test_main_query_compiles_for_postgresql(filter_string: str | None, with_run_ids: bool) -> None:
    stmt = query._main_query(
        "postgresql", (1, 2), filter_string, ("metrics.m DESC", "params.p"), 10, ("active",), with_run_ids
    )
    assert stmt.sql.startswith("SELECT runs.run_id")
    assert "json_each" not in stmt.sql and ("ANY" in stmt.sql) == with_run_ids
    assert 'COLLATE "C"' in stmt.sql  # params ordered by code point, as in SQLite and Python


@pytest.mark.parametrize("kind", ["params", "tags", "metrics"])
def test_row_reads_compile_for_postgresql(kind: str) -> None:
    stmt = search_details._rows_query("postgresql", kind)
    assert "json_each" not in stmt.sql
    assert "ANY" in stmt.sql  # by run id: never a scan of the searched experiments


def test_experiment_names_compile_for_postgresql() -> None:
    assert "ANY" in query._names_query("postgresql").sql
