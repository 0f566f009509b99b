"""Stages: case-insensitive transitions, archive_existing_versions, latest version per stage."""

from __future__ import annotations

import pytest

import mlnb
from mlnb.errors import InvalidParameter, ModelNotFound


@pytest.fixture
def four_versions(log_candidate) -> None:
    uri = log_candidate(f1=0.7)
    for _ in range(4):
        mlnb.register_model(uri, "churn")


def _stages() -> dict[int, str]:
    return {v.version: v.current_stage for v in mlnb.search_model_versions("name = 'churn'")}


def test_transition_canonicalizes_the_stage(four_versions) -> None:
    assert mlnb.transition_model_version_stage("churn", 1, "production").current_stage == "Production"
    assert mlnb.transition_model_version_stage("churn", "2", "STAGING").current_stage == "Staging"
    assert mlnb.transition_model_version_stage("churn", 2, "none").current_stage == "None"
    with pytest.raises(InvalidParameter, match="not one of None, Staging, Production, Archived"):
        mlnb.transition_model_version_stage("churn", 1, "prod")
    with pytest.raises(ModelNotFound):
        mlnb.transition_model_version_stage("churn", 7, "Production")


def test_archive_existing_versions_archives_only_that_stage(four_versions) -> None:
    mlnb.transition_model_version_stage("churn", 1, "Production")
    mlnb.transition_model_version_stage("churn", 2, "Production")  # without archiving: both
    mlnb.transition_model_version_stage("churn", 3, "Staging")
    assert _stages() == {1: "Production", 2: "Production", 3: "Staging", 4: "None"}
    mlnb.transition_model_version_stage("churn", 4, "Production", archive_existing_versions=True)
    assert _stages() == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production"}
    with pytest.raises(InvalidParameter, match="only applies"):
        mlnb.transition_model_version_stage("churn", 1, "Archived", archive_existing_versions=True)


def test_get_latest_versions_per_stage(four_versions) -> None:
    mlnb.transition_model_version_stage("churn", 1, "Production")
    mlnb.transition_model_version_stage("churn", 2, "Production")
    mlnb.transition_model_version_stage("churn", 3, "Staging")
    assert [v.version for v in mlnb.get_latest_versions("churn", ["production"])] == [2]
    assert [(v.version, v.current_stage) for v in mlnb.get_latest_versions("churn")] == [
        (2, "Production"),
        (3, "Staging"),
        (4, "None"),
    ]
    assert mlnb.get_latest_versions("churn", ["Archived"]) == []
    assert mlnb.get_model_version("churn", 2).model_uri == "models:/churn/2"
    assert mlnb.get_registered_model("churn").latest_versions == mlnb.get_latest_versions("churn")
