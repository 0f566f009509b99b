"""mlnb.data datasets (MLflow's digests, sources, schema, profile) and log_input with any context."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import mlnb
from mlnb.entities import DatasetInput, InputTag, RunInputs
from mlnb.errors import InvalidParameter


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    return {
        "numbers_and_text": pd.DataFrame({"a": [1, 2, 3], "s": ["x", "y", "z"]}),
        "pandas3_str_with_missing": pd.DataFrame({"s": ["x", None], "f": [1.0, np.nan]}),
        "object_mixed": pd.DataFrame({"o": pd.Series(["x", 1], dtype=object), "n": [1, 2]}),
        "object_text": pd.DataFrame({"o": pd.Series(["x", "y"], dtype=object)}),
        "categorical": pd.DataFrame({"c": pd.Categorical(["a", "b"]), "z": [3, 4]}),
        "datetime_bool": pd.DataFrame(
            {"d": pd.to_datetime(["2024-01-01", "2024-01-02"]), "b": [True, False]}
        ),
        "empty": pd.DataFrame(
            {"a": pd.Series([], dtype="int64"), "d": pd.Series([], dtype="datetime64[ns]")}
        ),
        "over_10000_rows": pd.DataFrame(
            {"x": rng.normal(size=12_000), "s": [f"r{i}" for i in range(12_000)], "i": np.arange(12_000)}
        ),
        "unsorted_columns": pd.DataFrame({"z": [1], "b": ["q"], "a": [2.0]}),
        "integer_column_names": pd.DataFrame({0: [1], 1: ["x"]}),
        "nullable_dtypes": pd.DataFrame(
            {"I": pd.array([1, None], dtype="Int64"), "s": pd.array(["a", "b"], dtype="string")}
        ),
        "custom_index": pd.DataFrame({"a": [1, 2]}, index=[5, 7]),
        "text_with_missing": pd.DataFrame(
            {
                "str": pd.Series(["a", None], dtype="str"),
                "string": pd.Series(["a", "b"], dtype="string"),
                "cat": pd.Categorical(["a", None]),
                "obj": pd.Series(["a", np.str_("b")], dtype=object),
            }
        ),
    }


def _arrays() -> dict[str, tuple[object, object]]:
    return {
        "matrix": (np.zeros((3, 2)), None),
        "with_targets": (np.arange(6).reshape(3, 2), np.array([1, 2, 3])),
        "dicts": ({"b": np.ones(3), "a": np.arange(4)}, {"t": np.array(["x", "y"])}),
        "objects": (np.array([1, "a", None], dtype=object), None),
        "large": (np.random.default_rng(1).normal(size=(20_000, 3)), None),
    }


@pytest.fixture(autouse=True)
def _quiet() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.mlflow
@pytest.mark.parametrize("case", list(_frames()))
def test_pandas_dataset_matches_mlflow(case: str) -> None:
    import mlflow.data

    df = _frames()[case]
    ours = mlnb.data.from_pandas(df, source="data/train.csv", name="train")
    theirs = mlflow.data.from_pandas(df, source="data/train.csv", name="train")
    assert ours.digest == theirs.digest
    assert ours.to_dict() == theirs.to_dict()


@pytest.mark.mlflow
@pytest.mark.parametrize("case", list(_arrays()))
def test_numpy_dataset_matches_mlflow(case: str) -> None:
    import mlflow.data

    features, targets = _arrays()[case]
    ours = mlnb.data.from_numpy(features, source="s3://bucket/x.npy", targets=targets)
    theirs = mlflow.data.from_numpy(features, source="s3://bucket/x.npy", targets=targets)
    assert ours.digest == theirs.digest
    assert ours.to_dict() == theirs.to_dict()
    assert ours.profile == theirs.profile


@pytest.mark.mlflow
@pytest.mark.parametrize(
    "source",
    [
        "/tmp/data.csv",
        "data.csv",
        "file:///tmp/x.csv",
        "s3://bucket/k.csv",
        "https://x.org/d.csv",
        "gs://b/x",
    ],
)
def test_sources_resolve_as_in_mlflow(source: str) -> None:
    import mlflow.data

    df = pd.DataFrame({"a": [1]})
    theirs = mlflow.data.from_pandas(df, source=source).to_dict()
    ours = mlnb.data.from_pandas(df, source=source).to_dict()
    assert (ours["source_type"], ours["source"]) == (theirs["source_type"], theirs["source"])


def test_a_run_or_model_uri_is_not_a_data_source() -> None:
    with pytest.raises(InvalidParameter, match="names a run or model"):
        mlnb.data.from_pandas(pd.DataFrame({"a": [1]}), source="runs:/abc/data")


def test_dataset_without_source_names_the_code() -> None:
    ds = mlnb.data.from_pandas(pd.DataFrame({"a": [1]}))
    assert ds.name == "dataset"
    assert ds.source.source_type == "code"
    assert set(json.loads(ds.to_dict()["source"])["tags"]) == {
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
    }


def test_targets_and_predictions_must_be_columns() -> None:
    df = pd.DataFrame({"a": [1], "y": [0]})
    assert mlnb.data.from_pandas(df, targets="y").targets == "y"
    with pytest.raises(InvalidParameter, match="no targets column 'label'"):
        mlnb.data.from_pandas(df, targets="label")
    with pytest.raises(InvalidParameter, match="no predictions column 'p'"):
        mlnb.data.from_pandas(df, predictions="p")
    with pytest.raises(InvalidParameter, match="DataFrame"):
        mlnb.data.from_pandas(np.zeros(3))
    with pytest.raises(InvalidParameter, match="numpy array"):
        mlnb.data.from_numpy([1, 2, 3])


def test_log_input_records_dataset_with_any_context_and_tags(store: object) -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "s": ["x", "y", "z"]})
    ds = mlnb.data.from_pandas(df, source="data/train.csv", name="train", targets="a")
    with mlnb.start_run() as run:
        mlnb.log_input(ds, context="training-fold-3", tags={"split": "k3"})
        mlnb.log_input(ds)  # no context, as MLflow allows
    inputs = mlnb.get_run(run.info.run_id).inputs
    assert isinstance(inputs, RunInputs)
    by_context = {d.context: d for d in inputs.dataset_inputs}
    assert set(by_context) == {"training-fold-3", None}
    recorded = by_context["training-fold-3"]
    assert isinstance(recorded, DatasetInput)
    assert recorded.dataset.to_dictionary() == {
        "name": "train",
        "digest": ds.digest,
        "source_type": "local",
        "source": '{"uri": "data/train.csv"}',
        "schema": ds.to_dict()["schema"],
        "profile": '{"num_rows": 3, "num_elements": 6}',
    }
    assert set(recorded.tags) == {InputTag("split", "k3"), InputTag("mlflow.data.context", "training-fold-3")}
    assert list(recorded.shape) == [3, 2] and [c["name"] for c in recorded.columns] == ["a", "s"]
    assert by_context[None].tags == ()


def test_log_input_refuses_what_mlflow_refuses(store: object) -> None:
    ds = mlnb.data.from_numpy(np.zeros((2, 2)))
    with mlnb.start_run():
        with pytest.raises(InvalidParameter, match="must be specified"):
            mlnb.log_input(None, context="training")
        with pytest.raises(InvalidParameter, match="at most 500"):
            mlnb.log_input(ds, context="x" * 501)
        with pytest.raises(InvalidParameter, match="model as a run input"):
            mlnb.log_input(ds, model=object())
        with pytest.raises(InvalidParameter, match="from_pandas/from_numpy"):
            mlnb.log_input(ds, name="other")


def test_raw_frame_keeps_its_fingerprint_and_train_context(store: object) -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})
    with mlnb.start_run() as run:
        info = mlnb.log_input(df)
    (recorded,) = mlnb.get_run(run.info.run_id).inputs
    assert recorded.role == "train" and len(recorded.digest) == 64
    assert recorded.digest == info.digest and recorded.name == f"dataset_{info.digest[:8]}"
    assert json.loads(recorded.dataset.profile) == {"num_rows": 3, "num_elements": 3}


@pytest.mark.mlflow
def test_recorded_inputs_match_what_mlflow_records(store: object, tmp_path: Path) -> None:
    import mlflow
    import mlflow.data

    df = pd.DataFrame({"a": [1.5, 2.5], "s": ["x", "y"]})
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        with mlflow.start_run() as run:
            mlflow.log_input(
                mlflow.data.from_pandas(df, source="d.csv", name="t"), context="eval", tags={"k": "v"}
            )
        theirs = mlflow.get_run(run.info.run_id).inputs.to_dictionary()
    finally:
        mlflow.set_tracking_uri(None)
    with mlnb.start_run() as ours_run:
        mlnb.log_input(mlnb.data.from_pandas(df, source="d.csv", name="t"), context="eval", tags={"k": "v"})
    ours = mlnb.get_run(ours_run.info.run_id).inputs.to_dictionary()
    assert ours == theirs


def test_store_written_before_typed_sources_is_upgraded(tmp_path: Path) -> None:
    from mlnb.store import schema as t
    from mlnb.store.location import parse_store_uri
    from mlnb.store.sql import SqlStore

    root = tmp_path / ".mlnb"
    root.mkdir()
    engine = sa.create_engine(f"sqlite:///{root / 'mlnb.db'}")
    old_inputs = [
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in t.inputs.columns
        if c.name not in ("source_type", "dataset_schema", "profile", "tags")
    ]
    with engine.begin() as conn:  # a version-2 store with one input recorded the old way
        t.schema_version.create(conn)
        conn.execute(t.schema_version.insert().values(id=1, version=2))
        legacy = sa.MetaData()
        for table in t.V1_TABLES + t.V2_TABLES:
            if table.name != "inputs":
                table.to_metadata(legacy)
        sa.Table("inputs", legacy, *old_inputs)
        legacy.create_all(conn)
        conn.execute(
            sa.text(
                "INSERT INTO inputs (run_id, digest, role, name, source, shape, schema, created_time) "
                "VALUES (:r, 'd1', 'train', 'X_train', 'data/x.csv', '[2, 1]', '[]', 1)"
            ),
            {"r": "a" * 32},
        )
    engine.dispose()
    store = SqlStore(parse_store_uri(root, source="test"))
    try:
        with store.reading() as conn:
            assert t.current_version(conn) == t.LATEST
            assert {"source_type", "dataset_schema", "profile", "tags"} <= {
                c["name"] for c in sa.inspect(conn).get_columns("inputs")
            }
            (recorded,) = store._inputs(conn, "a" * 32)
    finally:
        store.close()
    assert recorded.context == "train"
    assert (recorded.dataset.source_type, recorded.dataset.source) == ("local", '{"uri": "data/x.csv"}')


def test_log_inputs_records_parallel_lists(store: object) -> None:
    train = mlnb.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="train")
    test = mlnb.data.from_numpy(np.zeros((2, 2)), name="test")
    with mlnb.start_run() as run:
        mlnb.log_inputs([train, test], contexts=["training", "test"], tags_list=[None, {"k": "v"}])
        with pytest.raises(InvalidParameter, match="same length"):
            mlnb.log_inputs([train], contexts=[])
    recorded = {d.name: d for d in mlnb.get_run(run.info.run_id).inputs}
    assert recorded["train"].context == "training" and recorded["test"].context == "test"
    assert InputTag("k", "v") in recorded["test"].tags


@pytest.mark.mlflow
def test_an_mlflow_dataset_is_recorded_unchanged(store: object) -> None:
    import mlflow.data

    theirs = mlflow.data.from_pandas(pd.DataFrame({"a": [1.0, 2.0]}), source="s3://b/k.csv", name="ext")
    with mlnb.start_run() as run:
        mlnb.log_input(theirs, context="training")
    (recorded,) = mlnb.get_run(run.info.run_id).inputs
    assert recorded.dataset.to_dictionary() == theirs._to_mlflow_entity().to_dictionary()
    assert mlnb.data.get_source(recorded).uri == "s3://b/k.csv"
