"""Registered models and versions: registration, reads, search, descriptions, tags, deletes."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

import mlnb
from mlnb.errors import (
    AlreadyExists,
    FilterSyntaxError,
    IntegrityError,
    InvalidParameter,
    InvalidState,
    InvalidUri,
    ModelNotFound,
    NotFound,
    RunNotFound,
)


def test_register_creates_model_and_numbers_versions(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    first = mlnb.register_model(uri, "churn", tags={"data": "v1"})
    second = mlnb.register_model(uri, "churn")
    assert (first.version, second.version) == (1, 2)
    assert first.name == "churn" and first.current_stage == "None" and first.status == "READY"
    assert first.source == uri and first.run_id == uri.split("/")[1] and first.artifact_path == "model"
    assert first.tags == {"data": "v1"} and first.model_uri == "models:/churn/1"
    assert first.user_id and first.creation_timestamp > 0
    model = mlnb.get_registered_model("churn")
    assert model.latest_version == 2
    assert [v.version for v in model.latest_versions] == [2]  # newest per stage


def test_register_refuses_what_is_not_a_logged_model(store, log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    run_id = uri.split("/")[1]
    with mlnb.start_run() as run:
        mlnb.log_text("hello", "notes/readme.txt")
    with pytest.raises(ModelNotFound, match="no MLmodel"):
        mlnb.register_model(f"runs:/{run.info.run_id}/notes", "churn")
    with pytest.raises(ModelNotFound, match="is a file"):
        mlnb.register_model(f"runs:/{run_id}/model/MLmodel", "churn")
    with pytest.raises(RunNotFound):
        mlnb.register_model("runs:/" + "0" * 32 + "/model", "churn")
    with pytest.raises(InvalidUri):
        mlnb.register_model(str(store.run_dir(run_id) / "model"), "churn")
    with pytest.raises(InvalidUri, match="registered model name"):
        mlnb.register_model(uri, "../churn")
    mlnb.delete_run(run_id)
    with pytest.raises(InvalidState, match="restore"):
        mlnb.register_model(uri, "churn")
    assert mlnb.search_registered_models() == []


def test_register_from_a_models_uri_copies_the_pointer(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    mlnb.register_model(uri, "churn")
    copy = mlnb.register_model("models:/churn/1", "churn-prod")
    assert copy.version == 1 and copy.source == uri


def test_version_numbers_are_not_reused_after_delete(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    for _ in range(3):
        mlnb.register_model(uri, "churn")
    mlnb.delete_model_version("churn", 3)
    with pytest.raises(ModelNotFound, match="no version 3"):
        mlnb.get_model_version("churn", 3)
    assert mlnb.register_model(uri, "churn").version == 4
    mlnb.delete_registered_model("churn")
    with pytest.raises(ModelNotFound, match="no registered model named 'churn'"):
        mlnb.get_registered_model("churn")
    assert mlnb.search_model_versions("name = 'churn'") == []
    assert mlnb.register_model(uri, "churn").version == 1  # a new model starts again


def test_create_registered_model_twice_is_refused(store) -> None:
    model = mlnb.create_registered_model("churn", tags={"team": "risk"}, description="travel churn")
    assert model.tags == {"team": "risk"} and model.description == "travel churn"
    assert model.latest_versions == [] and model.latest_version is None
    with pytest.raises(AlreadyExists):
        mlnb.create_registered_model("churn")


def test_descriptions_and_tags(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    mlnb.register_model(uri, "churn")
    assert mlnb.update_registered_model("churn", "predicts churn").description == "predicts churn"
    assert mlnb.update_model_version("churn", "1", description="baseline").description == "baseline"
    mlnb.set_registered_model_tag("churn", "team", "risk")
    mlnb.set_registered_model_tag("churn", "team", "growth")
    mlnb.set_model_version_tag("churn", 1, "validated", True)
    assert mlnb.get_registered_model("churn").tags == {"team": "growth"}
    assert mlnb.get_model_version("churn", 1).tags == {"validated": "True"}
    mlnb.delete_registered_model_tag("churn", "team")
    mlnb.delete_model_version_tag("churn", 1, "validated")
    assert mlnb.get_registered_model("churn").tags == {}
    assert mlnb.get_model_version("churn", 1).tags == {}
    with pytest.raises(NotFound):
        mlnb.delete_model_version_tag("churn", 1, "validated")
    with pytest.raises(InvalidParameter):
        mlnb.set_model_version_tag("churn", 1, "bad\nkey", "x")
    for bad in (0, -1, "1.0", True, None):
        with pytest.raises(InvalidParameter, match="positive integer"):
            mlnb.get_model_version("churn", bad)


def test_search_filters_and_order(log_candidate) -> None:
    a = log_candidate(f1=0.7)
    b = log_candidate(f1=0.8)
    mlnb.register_model(a, "churn", tags={"team": "risk"})
    mlnb.register_model(b, "churn")
    mlnb.register_model(b, "fraud")
    run_b = b.split("/")[1]

    def versions(text: str) -> list[tuple[str, int]]:
        return [(v.name, v.version) for v in mlnb.search_model_versions(text)]

    assert versions("name = 'churn'") == [("churn", 2), ("churn", 1)]
    assert versions(f"run_id = '{run_b}'") == [("churn", 2), ("fraud", 1)]
    assert versions("name = 'churn' AND version_number >= 2") == [("churn", 2)]
    assert versions("version = '1'") == [("churn", 1), ("fraud", 1)]
    assert versions("tags.team = 'risk' OR name LIKE 'fr%'") == [("churn", 1), ("fraud", 1)]
    assert versions("tags.team IS NULL AND name IN ('churn', 'x')") == [("churn", 2)]
    assert versions("source_path = '" + a + "'") == [("churn", 1)]
    assert versions("current_stage = 'None' AND name != 'churn'") == [("fraud", 1)]
    got = mlnb.search_model_versions("name ILIKE 'CHURN'", order_by="version ASC", max_results=1)
    assert [v.version for v in got] == [1]
    assert [m.name for m in mlnb.search_registered_models("name LIKE '%r%'")] == ["churn", "fraud"]
    assert [m.name for m in mlnb.search_registered_models(order_by="name DESC")] == ["fraud", "churn"]
    with pytest.raises(FilterSyntaxError, match="column"):
        mlnb.search_model_versions("metrics.f1 > 0.5")
    with pytest.raises(FilterSyntaxError):
        mlnb.search_model_versions("name = churn")
    with pytest.raises(InvalidParameter, match="order by"):
        mlnb.search_model_versions(order_by="f1")


def _register_many(store_dir: str, uri: str, barrier: object, count: int) -> list[int]:
    os.environ["MLNB_STORE"] = store_dir
    import mlnb as m

    barrier.wait()  # type: ignore[attr-defined]
    return [m.register_model(uri, "churn").version for _ in range(count)]


@pytest.mark.slow
def test_concurrent_registration_from_8_processes_is_gapless(store_dir: Path, log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(8)
    with ctx.Pool(8) as pool:
        results = pool.starmap(_register_many, [(str(store_dir), uri, barrier, 5)] * 8)
    numbers = sorted(n for chunk in results for n in chunk)
    assert numbers == list(range(1, 41))
    assert all(chunk == sorted(chunk) for chunk in results)
    stored = sorted(v.version for v in mlnb.search_model_versions("name = 'churn'"))
    assert stored == list(range(1, 41))


def test_a_version_pins_the_files_it_was_registered_with(store, tiny_model) -> None:
    with mlnb.start_run():
        info = mlnb.log_model(tiny_model, "model")
        mlnb.register_model(info.model_uri, "churn")
        assert mlnb.resolve_model_uri("models:/churn/1") == (info.run_id, "model")
        # rewritten after registration, by a writer below the public API (which refuses it)
        store.artifacts.write_files(info.run_id, [("model/MLmodel", b"flavors: {}\n")])
    with pytest.raises(IntegrityError, match="changed after it was registered"):
        mlnb.resolve_model_uri("models:/churn/1")
    with pytest.raises(IntegrityError):
        mlnb.load_model("models:/churn/latest")
    assert mlnb.register_model(info.model_uri, "churn").version == 2  # the new files, pinned anew
    assert mlnb.resolve_model_uri("models:/churn/2") == (info.run_id, "model")


def test_a_version_whose_run_was_purged_is_reported(store, log_candidate) -> None:
    from mlnb.store import schema as t

    uri = log_candidate(f1=0.7)
    run_id = uri.split("/")[1]
    mlnb.register_model(uri, "churn")
    with store.atomic() as conn:  # the run's rows vanish (a purge, another tool, a restore...)
        for table in (t.metrics, t.latest_metrics, t.params, t.tags, t.artifacts, t.inputs, t.runs):
            conn.execute(table.delete().where(table.c.run_id == run_id))
    with pytest.raises(ModelNotFound, match=r"no\s+longer exists"):
        mlnb.resolve_model_uri("models:/churn/1")
