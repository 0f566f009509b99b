"""MlflowClient's registry methods, each body run on mlnb and (``-m mlflow``) on MLflow itself.

Cases ported from MLflow's tests/store/model_registry/test_sqlalchemy_store.py and
tests/tracking/_model_registry/test_client.py: create/get/rename/update/delete, versions with
tags and descriptions, stages with archive_existing_versions, aliases, paging.
"""

from __future__ import annotations

import pytest

import mlnb
from tests.tracking import client_backends
from tests.tracking.client_backends import Api, all_pages, check_signature

pytestmark = pytest.mark.filterwarnings("ignore:.*registry stages will be removed:FutureWarning")

api = client_backends.api
_mlflow_db = client_backends._mlflow_db


REGISTRY_METHODS = [
    "create_registered_model", "get_registered_model", "rename_registered_model",
    "update_registered_model", "delete_registered_model", "search_registered_models",
    "create_model_version", "copy_model_version", "get_model_version", "update_model_version",
    "delete_model_version", "search_model_versions", "get_latest_versions",
    "transition_model_version_stage", "get_model_version_stages", "get_model_version_download_uri",
    "set_registered_model_alias", "delete_registered_model_alias", "get_model_version_by_alias",
    "set_registered_model_tag", "delete_registered_model_tag", "set_model_version_tag",
    "delete_model_version_tag",
]  # fmt: skip


def _model_source(api: Api) -> tuple[str, str]:
    """``(source, run_id)`` of a (minimal) model directory logged in a new run."""
    run_id = api.client.create_run("0").info.run_id
    api.client.log_text(run_id, "flavors: {}\n", "model/MLmodel")
    return f"runs:/{run_id}/model", run_id


def _versions(api: Api, name: str, count: int) -> str:
    source, run_id = _model_source(api)
    api.client.create_registered_model(name)
    for _ in range(count):
        api.client.create_model_version(name, source, run_id)
    return run_id


@pytest.mark.mlflow
@pytest.mark.parametrize("method", REGISTRY_METHODS)
def test_method_signature_matches_mlflow(method: str) -> None:
    check_signature(method)


def test_create_and_get_registered_model(api: Api) -> None:
    model = api.client.create_registered_model("churn", tags={"team": "risk"}, description="d")
    assert type(model).__name__ == "RegisteredModel"
    assert (model.name, model.description, model.tags) == ("churn", "d", {"team": "risk"})
    assert list(model.latest_versions) == [] and model.aliases == {}
    got = api.client.get_registered_model("churn")
    assert (got.name, got.creation_timestamp) == ("churn", model.creation_timestamp)
    assert api.fails(api.client.create_registered_model, "churn") == "RESOURCE_ALREADY_EXISTS"
    assert api.fails(api.client.get_registered_model, "nope") == "RESOURCE_DOES_NOT_EXIST"


def test_create_model_version(api: Api) -> None:
    source, run_id = _model_source(api)
    api.client.create_registered_model("churn")
    mv = api.client.create_model_version("churn", source, run_id, tags={"t": "1"}, description="first")
    assert type(mv).__name__ == "ModelVersion"
    assert (mv.name, int(mv.version), mv.source, mv.run_id) == ("churn", 1, source, run_id)
    assert (mv.tags, mv.description, mv.current_stage, mv.status) == ({"t": "1"}, "first", "None", "READY")
    second = api.client.create_model_version("churn", source, run_id)
    assert int(second.version) == 2
    got = api.client.get_model_version("churn", "2")
    assert (got.name, int(got.version), got.source) == ("churn", 2, source)
    assert api.client.get_model_version_download_uri("churn", 1) == source


def test_create_model_version_needs_the_registered_model(api: Api) -> None:
    source, run_id = _model_source(api)
    assert (
        api.fails(api.client.create_model_version, "not-created", source, run_id) == "RESOURCE_DOES_NOT_EXIST"
    )


def test_create_model_version_from_the_artifact_location(store: object) -> None:
    client = mlnb.MlflowClient()
    run = client.create_run("0")
    client.log_text(run.info.run_id, "flavors: {}\n", "model/MLmodel")
    client.create_registered_model("churn")
    mv = client.create_model_version("churn", f"{run.info.artifact_uri}/model", run.info.run_id)
    assert mv.source == f"runs:/{run.info.run_id}/model"
    with pytest.raises(mlnb.InvalidParameter, match="not a model logged in this store"):
        client.create_model_version("churn", "/somewhere/else/model")
    with pytest.raises(mlnb.InvalidParameter, match="not in run"):
        client.create_model_version("churn", mv.source, "0" * 32)


def test_missing_versions(api: Api) -> None:
    _versions(api, "churn", 1)
    for name, version in [("churn", "9"), ("nope", "1")]:
        assert api.fails(api.client.get_model_version, name, version) == "RESOURCE_DOES_NOT_EXIST"


def test_rename_registered_model(api: Api) -> None:
    _versions(api, "old", 2)
    api.client.set_registered_model_tag("old", "k", "v")
    api.client.set_registered_model_alias("old", "champion", 2)
    api.client.set_model_version_tag("old", 1, "vt", "x")
    returned = api.client.rename_registered_model("old", "new")
    renamed = api.client.get_registered_model("new")
    if api.name == "mlnb":  # MLflow annotates a RegisteredModel but returns None
        assert returned == renamed
    assert renamed.name == "new" and renamed.tags == {"k": "v"} and renamed.aliases == {"champion": 2}
    assert api.client.get_model_version("new", 1).tags == {"vt": "x"}
    assert int(api.client.get_model_version_by_alias("new", "champion").version) == 2
    assert api.fails(api.client.get_registered_model, "old") == "RESOURCE_DOES_NOT_EXIST"
    assert api.fails(api.client.rename_registered_model, "old", "other") == "RESOURCE_DOES_NOT_EXIST"
    source, run_id = _model_source(api)
    assert int(api.client.create_model_version("new", source, run_id).version) == 3


def test_rename_to_a_taken_name(api: Api) -> None:
    api.client.create_registered_model("a")
    api.client.create_registered_model("b")
    assert api.fails(api.client.rename_registered_model, "a", "b") == "RESOURCE_ALREADY_EXISTS"


def test_descriptions(api: Api) -> None:
    _versions(api, "churn", 1)
    assert api.client.update_registered_model("churn", "about").description == "about"
    assert api.client.update_model_version("churn", 1, "v1 notes").description == "v1 notes"
    assert api.client.get_registered_model("churn").description == "about"
    assert api.client.get_model_version("churn", "1").description == "v1 notes"


def test_stages_and_latest_versions(api: Api) -> None:
    _versions(api, "churn", 3)
    mv = api.client.transition_model_version_stage("churn", 1, "production")
    assert mv.current_stage == "Production"
    api.client.transition_model_version_stage("churn", 2, "Staging")
    latest = api.client.get_latest_versions("churn")
    assert sorted((int(v.version), v.current_stage) for v in latest) == [
        (1, "Production"),
        (2, "Staging"),
        (3, "None"),
    ]
    assert [int(v.version) for v in api.client.get_latest_versions("churn", ["Production"])] == [1]
    api.client.transition_model_version_stage("churn", 3, "Production", archive_existing_versions=True)
    stages = {int(v): api.client.get_model_version("churn", v).current_stage for v in ("1", "2", "3")}
    assert stages == {1: "Archived", 2: "Staging", 3: "Production"}
    assert (
        api.fails(api.client.transition_model_version_stage, "churn", 1, "bogus") == "INVALID_PARAMETER_VALUE"
    )
    assert api.client.get_model_version_stages("churn", 1) == ["None", "Staging", "Production", "Archived"]


def test_aliases(api: Api) -> None:
    _versions(api, "churn", 2)
    api.client.set_registered_model_alias("churn", "champion", "1")
    api.client.set_registered_model_alias("churn", "champion", 2)
    api.client.set_registered_model_alias("churn", "challenger", 1)
    assert int(api.client.get_model_version_by_alias("churn", "champion").version) == 2
    assert api.client.get_registered_model("churn").aliases == {"champion": 2, "challenger": 1}
    assert list(api.client.get_model_version("churn", 2).aliases) == ["champion"]
    api.client.delete_registered_model_alias("churn", "challenger")
    assert api.client.get_registered_model("churn").aliases == {"champion": 2}
    assert (
        api.fails(api.client.get_model_version_by_alias, "churn", "challenger")
        == "INVALID_PARAMETER_VALUE"  # as MLflow answers it
    )


def test_tags(api: Api) -> None:
    _versions(api, "churn", 2)
    api.client.set_registered_model_tag("churn", "team", "risk")
    api.client.set_model_version_tag("churn", "1", "validated", True)
    api.client.transition_model_version_stage("churn", 2, "Staging")
    api.client.set_model_version_tag("churn", key="by_stage", value="x", stage="Staging")
    assert api.client.get_registered_model("churn").tags == {"team": "risk"}
    assert api.client.get_model_version("churn", 1).tags == {"validated": "True"}
    assert api.client.get_model_version("churn", 2).tags == {"by_stage": "x"}
    api.client.delete_registered_model_tag("churn", "team")
    api.client.delete_model_version_tag("churn", "1", "validated")
    api.client.delete_model_version_tag("churn", key="by_stage", stage="Staging")
    assert api.client.get_registered_model("churn").tags == {}
    assert api.client.get_model_version("churn", 1).tags == {}
    assert api.client.get_model_version("churn", 2).tags == {}


def test_delete_version_and_model(api: Api) -> None:
    _versions(api, "churn", 2)
    api.client.delete_model_version("churn", 1)
    assert api.fails(api.client.get_model_version, "churn", 1) == "RESOURCE_DOES_NOT_EXIST"
    assert api.fails(api.client.delete_model_version, "churn", 1) == "RESOURCE_DOES_NOT_EXIST"
    api.client.delete_registered_model("churn")
    assert api.fails(api.client.get_registered_model, "churn") == "RESOURCE_DOES_NOT_EXIST"
    assert api.fails(api.client.delete_registered_model, "churn") == "RESOURCE_DOES_NOT_EXIST"


def test_search_registered_models_pages(api: Api) -> None:
    for i in range(7):
        api.client.create_registered_model(f"model-{i}", tags={"even": str(i % 2 == 0)})
    whole = api.client.search_registered_models()
    assert whole.token is None and [m.name for m in whole] == [f"model-{i}" for i in range(7)]
    found, pages = all_pages(api.client.search_registered_models, 3)
    assert [m.name for m in found] == [m.name for m in whole] and pages == 3
    evens = api.client.search_registered_models("tags.even = 'True'")
    assert [m.name for m in evens] == ["model-0", "model-2", "model-4", "model-6"]
    by_name = api.client.search_registered_models("name LIKE 'model-%'", order_by=["name DESC"])
    assert [m.name for m in by_name] == [f"model-{i}" for i in range(6, -1, -1)]


def test_search_model_versions_pages(api: Api) -> None:
    run_id = _versions(api, "a", 3)
    _versions(api, "b", 2)
    found = api.client.search_model_versions("name = 'a'")
    assert sorted(int(v.version) for v in found) == [1, 2, 3]
    assert {v.run_id for v in found} == {run_id}
    found, pages = all_pages(api.client.search_model_versions, 2)
    assert pages == 3
    assert sorted((v.name, int(v.version)) for v in found) == [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b", 1),
        ("b", 2),
    ]


def test_search_refuses_a_bad_token(api: Api) -> None:
    assert api.fails(api.client.search_registered_models, page_token="garbage!") == "INVALID_PARAMETER_VALUE"


def test_copy_model_version(store: object) -> None:
    client = mlnb.MlflowClient()
    source, run_id = _model_source(Api("mlnb", mlnb, client, mlnb.MlnbError, None))
    client.create_registered_model("src")
    client.create_model_version("src", source, run_id)
    copied = client.copy_model_version("models:/src/1", "dst")
    assert (copied.name, copied.version, copied.run_id) == ("dst", 1, run_id)
