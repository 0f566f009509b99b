"""Registry tables: migration 2 upgrades a store made before the registry, and writes are atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mlnb.errors import InvalidState, ModelNotFound
from mlnb.store import schema as t
from mlnb.store.location import parse_store_uri
from mlnb.store.registry_sql import SqlRegistryStore
from mlnb.store.sql import SqlStore


def test_store_with_schema_1_is_upgraded_in_place(tmp_path: Path) -> None:
    root = tmp_path / ".mlnb"
    root.mkdir()
    engine = sa.create_engine(f"sqlite:///{root / 'mlnb.db'}")
    with engine.begin() as conn:  # a store as the first release wrote it
        t.schema_version.create(conn)
        conn.execute(t.schema_version.insert().values(id=1, version=1))
        t.MIGRATIONS[0](conn)
        conn.execute(
            t.experiments.insert().values(
                experiment_id=0, name="Default", lifecycle_stage="active", creation_time=1, last_update_time=1
            )
        )
    engine.dispose()
    store = SqlStore(parse_store_uri(root, source="test"))
    try:
        with store.reading() as conn:
            assert t.current_version(conn) == t.LATEST == 4
            tables = set(sa.inspect(conn).get_table_names())
        assert {tb.name for tb in t.V2_TABLES} <= tables
        assert isinstance(store.registry, SqlRegistryStore)
        assert store.registry.list_registered_models() == []
        with pytest.raises(ModelNotFound):
            store.registry.get_registered_model("churn")
    finally:
        store.close()


def test_a_failed_write_leaves_no_trace(store) -> None:
    registry = SqlRegistryStore(store)
    registry.create_model_version("churn", "a" * 32, "model", "me")
    registry.set_alias("churn", "champion", 1, "me")
    with pytest.raises(InvalidState, match="moved to version 1"):
        registry.set_alias("churn", "champion", 1, "me", expected=None)
    history = registry.alias_history("churn")
    assert [(h["version"], h["removed_time"]) for h in history] == [(1, None)]
    with pytest.raises(ModelNotFound):  # the version does not exist: the model row is untouched
        registry.update_model_version("churn", 5, description="x")
    assert registry.get_registered_model("churn")["last_version"] == 1
