"""Tables of the store and its numbered migrations.

The tables are SQLAlchemy Core objects so that the same statements compile for SQLite (the
local store) and PostgreSQL (the team store).  ``MIGRATIONS[i]`` brings a database from schema
version ``i`` to ``i + 1``; :func:`migrate` applies the missing ones inside one write
transaction, so any number of processes may open a fresh store at once.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

metadata = sa.MetaData()

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY is the rowid

schema_version = sa.Table(
    "mlnb_schema",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("experiment_id", _ID, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("lifecycle_stage", sa.String(16), nullable=False, default="active"),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
    sa.Column("last_update_time", sa.BigInteger, nullable=False),
)

experiment_tags = sa.Table(
    "experiment_tags",
    metadata,
    sa.Column("experiment_id", _ID, sa.ForeignKey("experiments.experiment_id"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("experiment_id", _ID, sa.ForeignKey("experiments.experiment_id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_time", sa.BigInteger, nullable=False),
    sa.Column("end_time", sa.BigInteger),
    sa.Column("lifecycle_stage", sa.String(16), nullable=False),
    sa.Column("deleted_time", sa.BigInteger),
    sa.Column("parent_run_id", sa.String(32)),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("owner_host", sa.Text, nullable=False),
    sa.Column("owner_pid", sa.Integer, nullable=False),
    sa.Column("owner_started", sa.BigInteger),  # process start ticks, guards against pid reuse
    sa.Column("heartbeat", sa.BigInteger, nullable=False),
    sa.Column("source_notebook", sa.Text),
    sa.Column("source_cell_id", sa.Text),
    sa.Column("source_code_hash", sa.String(64)),
    sa.Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_parent", "parent_run_id"),
    sqlite_with_rowid=False,  # looked up by run_id everywhere: one b-tree instead of two
)


def _kv_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Index(f"ix_{name}_key_value", "key", "value"),
        sqlite_with_rowid=False,  # rows clustered by (run_id, key): a run's values are one range
    )


params = _kv_table("params")
tags = _kv_table("tags")

# A metric value is stored as REAL plus a marker for what REAL cannot carry in every dialect:
# special = 1 is NaN (value NULL), special = 2 is negative zero (value 0).
metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("value", sa.Float(53)),
    sa.Column("special", sa.SmallInteger, nullable=False, default=0),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Float(53)),
    sa.Column("special", sa.SmallInteger, nullable=False, default=0),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Index("ix_latest_metrics_key_value", "key", "value"),
    sqlite_with_rowid=False,
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_time", sa.BigInteger, nullable=False),
)

inputs = sa.Table(
    "inputs",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    # MLflow's "mlflow.data.context" input tag ("training", "eval", ...; "" when none was given)
    sa.Column("role", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("source", sa.Text),  # JSON, its form given by source_type (MLflow's Dataset.source)
    sa.Column("shape", sa.Text, nullable=False),  # JSON list
    sa.Column("schema", sa.Text, nullable=False),  # JSON list of {"name", "type"} (pandas/numpy dtypes)
    sa.Column("created_time", sa.BigInteger, nullable=False),
    # migration 3: the rest of MLflow's Dataset and DatasetInput
    sa.Column("source_type", sa.Text),  # "local", "code", "http", "s3", ...
    sa.Column("dataset_schema", sa.Text),  # MLflow's Dataset.schema JSON ({"mlflow_colspec": ...})
    sa.Column("profile", sa.Text),  # MLflow's Dataset.profile JSON ({"num_rows": ..., ...})
    sa.Column("tags", sa.Text),  # JSON object of the input tags besides the context
)

V1_TABLES = [
    experiments,
    experiment_tags,
    runs,
    params,
    tags,
    metrics,
    latest_metrics,
    artifacts,
    inputs,
]


def _create(tables: list[sa.Table]) -> Callable[[sa.Connection], None]:
    """A migration that creates ``tables`` (those already there are left alone)."""

    def migration(conn: sa.Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return migration


# --- migration 2: the model registry -------------------------------------------------------------
registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("description", sa.Text),
    sa.Column("last_version", sa.Integer, nullable=False, default=0),  # numbers are never reused
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
    sa.Column("last_updated_time", sa.BigInteger, nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("name", sa.Text, sa.ForeignKey("registered_models.name"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("artifact_path", sa.Text, nullable=False),
    sa.Column("current_stage", sa.String(16), nullable=False, default="None"),
    sa.Column("description", sa.Text),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
    sa.Column("last_updated_time", sa.BigInteger, nullable=False),
    # sha256 over the (path, sha256) list of the model directory's files when registered:
    # a version keeps naming exactly those bytes even if the run's files are rewritten later.
    sa.Column("model_digest", sa.String(64)),
    sa.Index("ix_model_versions_run", "run_id"),
)

registered_model_tags = sa.Table(
    "registered_model_tags",
    metadata,
    sa.Column("name", sa.Text, sa.ForeignKey("registered_models.name"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

model_version_tags = sa.Table(
    "model_version_tags",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(["name", "version"], ["model_versions.name", "model_versions.version"]),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("name", sa.Text, sa.ForeignKey("registered_models.name"), primary_key=True),
    sa.Column("alias", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("set_time", sa.BigInteger, nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
)

# One row per period during which an alias pointed at a version: [set_time, removed_time).
alias_history = sa.Table(
    "alias_history",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("set_time", sa.BigInteger, nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
    sa.Column("removed_time", sa.BigInteger),
    sa.Column("removed_by", sa.Text),
    sa.Column("removed_reason", sa.String(32)),  # moved | deleted | version deleted | model deleted
    sa.Index("ix_alias_history_name_alias", "name", "alias", "set_time"),
)

V2_TABLES = [
    registered_models,
    model_versions,
    registered_model_tags,
    model_version_tags,
    aliases,
    alias_history,
]


# --- migration 3: dataset inputs as MLflow records them ------------------------------------------
_INPUT_COLUMNS_V3 = ("source_type", "dataset_schema", "profile", "tags")


def _inputs_v3(conn: sa.Connection) -> None:
    """Add the MLflow dataset columns; type the free-text sources recorded before."""
    import json

    have = {c["name"] for c in sa.inspect(conn).get_columns("inputs")}
    for name in _INPUT_COLUMNS_V3:
        if name not in have:
            conn.execute(sa.text(f"ALTER TABLE inputs ADD COLUMN {name} TEXT"))  # fixed names, no input
    if conn.dialect.name == "postgresql":  # any context string, not only mlnb's five roles
        conn.execute(sa.text("ALTER TABLE inputs ALTER COLUMN role TYPE TEXT"))
    i = inputs
    legacy = conn.execute(
        sa.select(i.c.run_id, i.c.digest, i.c.role, i.c.source).where(i.c.source_type.is_(None))
    ).all()
    for run_id, digest, role, source in legacy:
        kind, fields = ("local", {"uri": source}) if source else ("code", {"tags": {}})
        conn.execute(
            i.update()
            .where(i.c.run_id == run_id, i.c.digest == digest, i.c.role == role)
            .values(source_type=kind, source=json.dumps(fields))
        )


# --- migration 4: ids of spilled write batches already replayed (see store/spill.py) -------------
replayed_spills = sa.Table(
    "replayed_spills",
    metadata,
    sa.Column("spill_id", sa.String(32), primary_key=True),
    sa.Column("replayed_time", sa.BigInteger, nullable=False),
)


MIGRATIONS: list[Callable[[sa.Connection], None]] = [
    _create(V1_TABLES),
    _create(V2_TABLES),
    _inputs_v3,
    _create([replayed_spills]),
]
LATEST = len(MIGRATIONS)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    row = conn.execute(sa.select(schema_version.c.version)).first()
    return int(row[0]) if row else 0


def migrate(conn: sa.Connection) -> int:
    """Apply the missing migrations; the caller holds a write transaction.  Returns the version."""
    from mlnb.errors import StoreError

    version = current_version(conn)
    if version > LATEST:
        raise StoreError(
            f"the store has schema version {version}, newer than this mlnb understands "
            f"({LATEST}); upgrade mlnb with 'pip install -U mlnb'"
        )
    if version == LATEST:
        return version
    if version == 0:
        tables = set(sa.inspect(conn).get_table_names())
        if "alembic_version" in tables or "runs" in tables:
            raise StoreError(
                "this database already holds another program's tables (an MLflow tracking "
                "database?); mlnb keeps its own schema: give a new database file or a directory"
            )
        schema_version.create(conn, checkfirst=True)
        conn.execute(schema_version.insert().values(id=1, version=0))
    for step in range(version, LATEST):
        MIGRATIONS[step](conn)
        conn.execute(schema_version.update().values(version=step + 1))
    return LATEST
