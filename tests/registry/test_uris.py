"""Model URIs: every accepted form resolves, everything else (schemes, paths, traversal) is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlnb
from mlnb.errors import InvalidParameter, InvalidUri, ModelNotFound
from mlnb.registry.uris import (
    ModelReference,
    check_alias,
    check_model_name,
    parse_models_uri,
    resolve_model_uri,
)

RID = "0123456789abcdef0123456789abcdef"


def test_runs_uri_resolves_to_run_and_path() -> None:
    assert resolve_model_uri(f"runs:/{RID}/model") == (RID, "model")
    assert resolve_model_uri(f"runs:/{RID}/pipes/pipe_lr/") == (RID, "pipes/pipe_lr")
    assert resolve_model_uri(f"runs:/{RID.upper()}/model") == (RID, "model")


@pytest.mark.parametrize(
    ("uri", "ref"),
    [
        ("models:/churn/1", ModelReference("churn", version=1)),
        ("models:/churn/12", ModelReference("churn", version=12)),
        ("models:/churn/Production", ModelReference("churn", stage="Production")),
        ("models:/churn/staging", ModelReference("churn", stage="Staging")),
        ("models:/churn/ARCHIVED", ModelReference("churn", stage="Archived")),
        ("models:/churn/None", ModelReference("churn", stage="None")),
        ("models:/churn/latest", ModelReference("churn", latest=True)),
        ("models:/churn@champion", ModelReference("churn", alias="champion")),
        ("models:/my model.v2-x/3", ModelReference("my model.v2-x", version=3)),
        ("models:/churn@blue-green_2", ModelReference("churn", alias="blue-green_2")),
    ],
)
def test_models_uri_forms_parse(uri: str, ref: ModelReference) -> None:
    assert parse_models_uri(uri) == ref


# Payloads from MLflow's path-traversal and scheme-confusion advisories, plus variants.
TRAVERSAL_CORPUS = [
    f"runs:/{RID}/../model",
    f"runs:/{RID}/../../../../etc/passwd",
    f"runs:/{RID}/model/../../other",
    f"runs:/{RID}/%2e%2e/%2e%2e/etc/passwd",
    f"runs:/{RID}/%252e%252e/%252e%252e/etc/passwd",
    f"runs:/{RID}/..%2f..%2fetc%2fpasswd",
    f"runs:/{RID}/%2E%2E%5C%2E%2E%5Cwindows",
    f"runs:/{RID}/..\\..\\windows\\win.ini",
    f"runs:/{RID}/\\..\\model",
    f"runs:/{RID}/model\\..\\..\\x",
    f"runs:/{RID}/;../../etc/passwd",
    f"runs:/{RID}/model;/../x",
    f"runs:/{RID}/#/../../etc/passwd",
    f"runs:/{RID}/model#../x",
    f"runs:/{RID}/model?x=../../etc/passwd",
    f"runs:/{RID}/?/../../x",
    f"runs:/{RID}//etc/passwd",
    f"runs:/{RID}/./model",
    f"runs:/{RID}/model/./MLmodel",
    f"runs:/{RID}/C:\\Windows\\System32",
    f"runs:/{RID}/C:/Windows",
    f"runs:/{RID}/~/.ssh/id_rsa",
    f"runs:/{RID}/model\x00.txt",
    f"runs:/{RID}/model\n",
    f"runs:/{RID}/\u202emodel",
    f"runs:/../{RID}/model",
    "runs:/../../etc/passwd",
    f"runs://{RID}/model",
    f"runs:///{RID}/model",
    "runs:/not-a-run-id/model",
    f"runs:/{RID}0/model",
    f"runs:/{RID}",
    f"runs:/{RID}/",
    "models:/../../etc/passwd",
    "models:/churn/../../x",
    "models:/churn/1/../../x",
    "models:/%2e%2e/1",
    "models:/churn/%31",
    "models:/churn/1#frag",
    "models:/churn/1?x=y",
    "models://profile/churn/1",
    "models:/churn",
    "models:/churn/",
    "models:/churn/0",
    "models:/churn/-1",
    "models:/churn/01",
    "models:/churn/1.0",
    "models:/churn/v1",
    "models:/churn/production2",
    "models:/churn@",
    "models:/churn@latest",
    "models:/churn@v3",
    "models:/churn@a/b",
    "models:/@champion",
    "models:/.hidden/1",
    "models:/ churn/1",
    "models:/churn /1",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///etc/passwd",
    "http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/#/../../../../etc/passwd",
    "https://example.com/model.pkl",
    "s3://bucket/model",
    "mlflow-artifacts:/0/abc/artifacts/model",
    "dbfs:/databricks/model",
    "hdfs://namenode/model",
    "/etc/passwd",
    "/tmp/model",
    "../model",
    "./model",
    "model",
    "~/model",
    "C:\\Users\\me\\model",
    "c:/users/me/model",
    "\\\\server\\share\\model",
    "",
    " runs:/" + RID + "/model",
    "runs:/" + RID + "/model ",
    "RUNS:/" + RID + "/model",
    "runs:/" + RID + "/" + "a/" * 600 + "m",
]


@pytest.mark.parametrize("uri", TRAVERSAL_CORPUS)
def test_refused_uris_raise_invalid_uri_with_accepted_forms(uri: str) -> None:
    with pytest.raises(InvalidUri) as info:
        resolve_model_uri(uri)
    message = str(info.value)
    assert "runs:/<run_id>/<artifact_path>" in message and "models:/<name>@<alias>" in message
    assert isinstance(info.value, InvalidParameter) and info.value.http_status == 400


@pytest.mark.parametrize("value", [None, 3, b"runs:/x", ["runs:/"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidUri, match="not a string"):
        resolve_model_uri(value)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_any_resolved_runs_uri_names_a_contained_path(tail: str) -> None:
    try:
        run_id, path = resolve_model_uri(f"runs:/{RID}/{tail}")
    except InvalidUri:
        return
    assert run_id == RID
    parts = path.split("/")
    assert all(p not in ("", ".", "..") for p in parts)
    assert not any(ch in path for ch in "\\%#?;:")


def test_names_and_aliases_are_validated() -> None:
    assert check_model_name("Churn_model-2.1") == "Churn_model-2.1"
    with pytest.raises(InvalidUri, match="registered model name"):
        check_model_name("a/b")
    with pytest.raises(InvalidUri, match="reserved"):
        check_alias("latest")
    with pytest.raises(InvalidUri, match="alias"):
        check_alias("has space")


def test_models_uris_resolve_through_the_registry(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    run_id = uri.split("/")[1]
    mlnb.register_model(uri, "churn")
    second = log_candidate(f1=0.8)
    mlnb.register_model(second, "churn")
    mlnb.transition_model_version_stage("churn", 1, "Production")
    mlnb.set_registered_model_alias("churn", "champion", 1)
    second_id = second.split("/")[1]
    assert resolve_model_uri("models:/churn/1") == (run_id, "model")
    assert resolve_model_uri("models:/churn/2") == (second_id, "model")
    assert resolve_model_uri("models:/churn/latest") == (second_id, "model")
    assert resolve_model_uri("models:/churn/production") == (run_id, "model")
    assert resolve_model_uri("models:/churn@champion") == (run_id, "model")
    for missing in ("models:/churn/3", "models:/churn/Staging", "models:/churn@nope", "models:/other/1"):
        with pytest.raises(ModelNotFound):
            resolve_model_uri(missing)


def test_load_model_accepts_every_models_uri_form(log_candidate, tiny_model) -> None:
    import numpy as np

    mlnb.register_model(log_candidate(f1=0.7), "churn")
    mlnb.transition_model_version_stage("churn", 1, "Staging")
    mlnb.set_registered_model_alias("churn", "champion", 1)
    X = np.random.default_rng(1).normal(size=(10, 3))
    for uri in ("models:/churn/1", "models:/churn/staging", "models:/churn/latest", "models:/churn@champion"):
        np.testing.assert_array_equal(mlnb.load_model(uri).predict(X), tiny_model.predict(X))
    with pytest.raises(InvalidUri):
        mlnb.load_model("models:/churn/../../1")
