"""Reserved ``mlnb.*`` run tags: no public setter writes or deletes them; mlnb's own writers do."""

from __future__ import annotations

import json
from typing import Any

import pytest

import mlnb
from mlnb.errors import InvalidParameter

RECORD = json.dumps({"flavor": "sklearn", "serialization": "skops", "trusted_types": ["builtins.exec"]})


@pytest.fixture(scope="module")
def tiny_model() -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(40, 3))
    return LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))


KEYS = ["mlnb.model.model", "mlnb.cell", "mlnb.failure", "mlnb.params.defaults", "mlnb.x"]


def _setters(run_id: str, key: str) -> list[tuple[str, Any]]:
    client = mlnb.MlflowClient()
    return [
        ("set_tag", lambda: mlnb.set_tag(key, RECORD, run_id=run_id)),
        ("set_tags", lambda: mlnb.set_tags({"ok": "1", key: RECORD}, run_id=run_id)),
        ("delete_tag", lambda: mlnb.delete_tag(key, run_id=run_id)),
        ("client.set_tag", lambda: client.set_tag(run_id, key, RECORD)),
        ("client.delete_tag", lambda: client.delete_tag(run_id, key)),
        ("client.log_batch", lambda: client.log_batch(run_id, tags=[mlnb.RunTag(key, RECORD)])),
        ("client.log_batch dict", lambda: client.log_batch(run_id, tags={key: RECORD})),
        ("start_run resume", lambda: mlnb.start_run(run_id=run_id, tags={key: RECORD})),
    ]


@pytest.mark.parametrize("key", KEYS)
def test_reserved_tags_are_not_writable_through_the_public_api(store: Any, tiny_model: Any, key: str) -> None:
    with mlnb.start_run() as run:
        mlnb.log_model(tiny_model, "model")
    rid = run.info.run_id
    before = mlnb.get_run(rid).data.tags
    for name, call in _setters(rid, key):
        with pytest.raises(InvalidParameter, match=rf"'{key}'.*reserved, written by mlnb itself") as err:
            call()
        assert "\n" not in str(err.value), name
    assert mlnb.get_run(rid).data.tags == before  # not even the other tag of the batch
    assert mlnb.active_run() is None


@pytest.mark.parametrize("key", KEYS)
def test_new_runs_cannot_start_with_reserved_tags(store: Any, key: str) -> None:
    client = mlnb.MlflowClient()
    with pytest.raises(InvalidParameter, match="reserved"):
        mlnb.start_run(tags={key: "x"})
    assert mlnb.active_run() is None
    with pytest.raises(InvalidParameter, match="reserved"):
        client.create_run("0", tags={key: "x"})
    assert mlnb.search_runs(output_format="list") == []


def test_track_magic_refuses_reserved_tags() -> None:
    from IPython.core.error import UsageError

    from mlnb.magics import parse_options

    with pytest.raises(UsageError, match="reserved"):
        parse_options("-t mlnb.model.model=x")
    assert parse_options("-t team=risk").tags == {"team": "risk"}


def test_mlflow_tags_stay_writable_as_in_mlflow(store: Any) -> None:
    """MLflow lets users set mlflow.* tags (a run's name, note, source); mlnb keeps that."""
    with mlnb.start_run(tags={"mlflow.source.name": "train.py"}) as run:
        mlnb.set_tag("mlflow.runName", "renamed")
        mlnb.set_tag("mlflow.note.content", "note")
        mlnb.set_tags({"team": "risk", "mlnb_like": "not reserved", "MLNB.upper": "not reserved"})
        mlnb.delete_tag("team")
    tags = mlnb.get_run(run.info.run_id).data.tags
    assert run.info.run_id and mlnb.get_run(run.info.run_id).info.run_name == "renamed"
    assert tags["mlflow.note.content"] == "note" and "team" not in tags
    assert tags["mlflow.source.name"] == "train.py"


def test_mlnb_still_writes_its_own_tags(store: Any, tiny_model: Any) -> None:
    """The internal writers (log_model's record, the store's own) go through the store."""
    with mlnb.start_run() as run:
        mlnb.log_model(tiny_model, "model")
    tags = mlnb.get_run(run.info.run_id).data.tags
    assert json.loads(tags["mlnb.model.model"])["serialization"] == "skops"
    mlnb.get_store().log_batch(run.info.run_id, tags={"mlnb.cell": "k1"})
    assert mlnb.get_run(run.info.run_id).data.tags["mlnb.cell"] == "k1"
