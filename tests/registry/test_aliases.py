"""Aliases: set, move, delete, resolve, and the history of every period an alias held a version."""

from __future__ import annotations

import multiprocessing
import os

import pandas as pd
import pytest

import mlnb
from mlnb.errors import InvalidUri, ModelNotFound
from mlnb.registry.versions import current_user


@pytest.fixture
def three_versions(log_candidate) -> str:
    uri = log_candidate(f1=0.7)
    for _ in range(3):
        mlnb.register_model(uri, "churn")
    return uri


def test_alias_moves_and_history_records_each_period(three_versions) -> None:
    mlnb.set_registered_model_alias("churn", "champion", 1)
    mlnb.set_registered_model_alias("churn", "champion", "1")  # same version: no new period
    mlnb.set_registered_model_alias("churn", "challenger", 3)
    mlnb.set_registered_model_alias("churn", "champion", 2)
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 2
    assert mlnb.get_model_version("churn", 2).aliases == ["champion"]
    assert mlnb.get_model_version("churn", 1).aliases == []
    assert mlnb.get_registered_model("churn").aliases == {"challenger": 3, "champion": 2}

    history = mlnb.get_alias_history("churn", "champion")
    assert list(history["version"]) == [1, 2]
    assert list(history["current"]) == [False, True]
    assert list(history["removed_reason"].fillna("")) == ["moved", ""]
    assert set(history["set_by"]) == {current_user()}
    assert history.loc[0, "removed_time"] == history.loc[1, "set_time"]
    assert isinstance(history.loc[0, "set_time"], pd.Timestamp) and pd.isna(history.loc[1, "removed_time"])
    everything = mlnb.get_alias_history("churn")
    assert sorted(zip(everything["alias"], everything["version"], strict=True)) == [
        ("challenger", 3),
        ("champion", 1),
        ("champion", 2),
    ]


def test_deleting_alias_or_version_closes_its_period(three_versions) -> None:
    mlnb.set_registered_model_alias("churn", "champion", 1)
    mlnb.set_registered_model_alias("churn", "challenger", 2)
    mlnb.delete_registered_model_alias("churn", "champion")
    with pytest.raises(ModelNotFound, match="no alias 'champion'"):
        mlnb.get_model_version_by_alias("churn", "champion")
    with pytest.raises(ModelNotFound):
        mlnb.delete_registered_model_alias("churn", "champion")
    mlnb.delete_model_version("churn", 2)
    with pytest.raises(ModelNotFound):
        mlnb.get_model_version_by_alias("churn", "challenger")
    history = mlnb.get_alias_history("churn")
    reasons = dict(zip(history["alias"], history["removed_reason"], strict=True))
    assert reasons == {"champion": "deleted", "challenger": "version deleted"}
    assert not history["current"].any()


def test_history_survives_model_deletion(three_versions) -> None:
    mlnb.set_registered_model_alias("churn", "champion", 3)
    mlnb.delete_registered_model("churn")
    history = mlnb.get_alias_history("churn")
    assert list(history["removed_reason"]) == ["model deleted"]


def test_alias_errors(three_versions) -> None:
    with pytest.raises(ModelNotFound, match="no version 9"):
        mlnb.set_registered_model_alias("churn", "champion", 9)
    with pytest.raises(ModelNotFound, match="no registered model"):
        mlnb.set_registered_model_alias("nope", "champion", 1)
    for bad in ("latest", "v2", "a b", "", "x/y"):
        with pytest.raises(InvalidUri):
            mlnb.set_registered_model_alias("churn", bad, 1)
    with pytest.raises(ModelNotFound):
        mlnb.get_alias_history("nope")
    assert mlnb.get_alias_history("churn").empty


def _move_alias(store_dir: str, worker: int, barrier: object) -> None:
    os.environ["MLNB_STORE"] = store_dir
    import mlnb as m

    m.search_registered_models()
    barrier.wait()  # type: ignore[attr-defined]
    for i in range(15):
        m.set_registered_model_alias("churn", "champion", 1 + (worker * 7 + i * 3) % 3)


@pytest.mark.slow
def test_concurrent_alias_moves_leave_a_contiguous_history(store_dir, three_versions) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(8)
    with ctx.Pool(8) as pool:
        pool.starmap(_move_alias, [(str(store_dir), w, barrier) for w in range(8)])
    history = mlnb.get_alias_history("churn", "champion")
    assert len(history) > 1 and list(history["current"]) == [False] * (len(history) - 1) + [True]
    for earlier, later in zip(history.itertuples(), list(history.itertuples())[1:], strict=False):
        assert earlier.removed_time == later.set_time and earlier.removed_reason == "moved"
        assert earlier.version != later.version  # re-pointing at the holder adds no period
    assert mlnb.get_model_version_by_alias("churn", "champion").version == history["version"].iloc[-1]
