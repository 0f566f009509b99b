"""MlflowClient's tracking methods, each body run on mlnb and (``-m mlflow``) on MLflow itself.

Cases ported from MLflow's tests/tracking/test_client.py and
tests/store/tracking/test_sqlalchemy_store.py (search paging, max_results, deterministic order).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import mlnb
from tests.tracking import client_backends
from tests.tracking.client_backends import Api, all_pages, check_signature

# the fixtures, shared with tests/registry/test_client.py
api = client_backends.api
_mlflow_db = client_backends._mlflow_db

# Where mlnb answers with another error code than MLflow on purpose (or MLflow's is odd).
DIFFERENT_CODES = {
    "rename to a taken name": {"mlnb": "RESOURCE_ALREADY_EXISTS", "mlflow": "BAD_REQUEST"},
}

TRACKING_METHODS = [
    "create_experiment", "get_experiment", "get_experiment_by_name", "search_experiments",
    "rename_experiment", "delete_experiment", "restore_experiment", "set_experiment_tag",
    "delete_experiment_tag", "create_run", "get_run", "get_parent_run", "search_runs",
    "set_terminated", "update_run", "delete_run", "restore_run", "log_param", "log_metric",
    "log_batch", "set_tag", "delete_tag", "get_metric_history", "list_artifacts",
    "download_artifacts", "log_artifact", "log_artifacts", "log_text", "log_dict", "log_figure",
    "log_image", "log_table",
]  # fmt: skip


def _exp(api: Api, name: str = "exp") -> str:
    return api.client.create_experiment(name)


# --- signatures and exports -----------------------------------------------------------------------
@pytest.mark.mlflow
@pytest.mark.parametrize("method", TRACKING_METHODS)
def test_method_signature_matches_mlflow(method: str) -> None:
    check_signature(method)


def test_client_is_exported_under_mlflow_names() -> None:
    import mlnb.client
    import mlnb.tracking

    assert mlnb.MlflowClient is mlnb.tracking.MlflowClient is mlnb.client.MlflowClient
    assert "MlflowClient" in dir(mlnb.tracking)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        mlnb.tracking.Nope  # noqa: B018


def test_import_mlnb_tracking_stays_light() -> None:
    code = "import sys, mlnb.tracking; print(sorted(m for m in ('sqlalchemy', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- experiments ----------------------------------------------------------------------------------
def test_create_and_get_experiment(api: Api) -> None:
    exp_id = api.client.create_experiment("churn", tags={"team": "risk"})
    assert isinstance(exp_id, str)
    exp = api.client.get_experiment(exp_id)
    assert (exp.experiment_id, exp.name, exp.lifecycle_stage) == (exp_id, "churn", "active")
    assert exp.tags == {"team": "risk"}
    assert isinstance(exp.creation_time, int) and isinstance(exp.last_update_time, int)
    assert api.client.get_experiment_by_name("churn").experiment_id == exp_id
    assert api.client.get_experiment_by_name("nope") is None


def test_experiment_errors(api: Api) -> None:
    _exp(api, "dup")
    assert api.fails(api.client.create_experiment, "dup") == "RESOURCE_ALREADY_EXISTS"
    assert api.fails(api.client.get_experiment, "987654") == "RESOURCE_DOES_NOT_EXIST"


def test_rename_experiment(api: Api) -> None:
    exp_id = _exp(api, "old")
    api.client.rename_experiment(exp_id, "new")
    assert api.client.get_experiment(exp_id).name == "new"
    assert api.client.get_experiment_by_name("old") is None
    assert (
        api.fails(api.client.rename_experiment, exp_id, "Default")
        == DIFFERENT_CODES["rename to a taken name"][api.name]
    )


def test_delete_and_restore_experiment(api: Api) -> None:
    exp_id = _exp(api)
    api.client.delete_experiment(exp_id)
    assert api.client.get_experiment(exp_id).lifecycle_stage == "deleted"
    active = [e.experiment_id for e in api.client.search_experiments()]
    deleted = [e.experiment_id for e in api.client.search_experiments(view_type=2)]
    assert exp_id not in active and deleted == [exp_id]
    api.client.restore_experiment(exp_id)
    assert api.client.get_experiment(exp_id).lifecycle_stage == "active"


def test_experiment_tags(api: Api) -> None:
    exp_id = _exp(api)
    api.client.set_experiment_tag(exp_id, "a", 1)
    api.client.set_experiment_tag(exp_id, "b", "x")
    api.client.delete_experiment_tag(exp_id, "a")
    assert api.client.get_experiment(exp_id).tags == {"b": "x"}
    assert api.fails(api.client.delete_experiment_tag, exp_id, "a") == "RESOURCE_DOES_NOT_EXIST"


def test_search_experiments_pages(api: Api) -> None:
    for i in range(5):
        _exp(api, f"e{i}")
    everything = api.client.search_experiments()
    assert isinstance(everything, list) and everything.token is None
    found, pages = all_pages(api.client.search_experiments, 2)
    assert pages == 3
    assert [e.experiment_id for e in found] == [e.experiment_id for e in everything] and len(everything) == 6
    named = api.client.search_experiments(filter_string="name LIKE 'e%'", max_results=10)
    assert sorted(e.name for e in named) == [f"e{i}" for i in range(5)]


# --- runs -----------------------------------------------------------------------------------------
def test_create_run_returns_a_running_run(api: Api) -> None:
    exp_id = _exp(api)
    run = api.client.create_run(exp_id, start_time=1234, tags={"team": "risk"}, run_name="first")
    assert isinstance(run, api.entities.Run)
    info = run.info
    assert (info.experiment_id, info.status, info.start_time, info.end_time) == (
        exp_id,
        "RUNNING",
        1234,
        None,
    )
    assert info.run_name == "first" and info.lifecycle_stage == "active" and len(info.run_id) == 32
    assert run.data.tags["team"] == "risk" and run.data.tags["mlflow.runName"] == "first"
    assert run.data.params == {} and run.data.metrics == {}
    assert api.client.get_run(info.run_id).info.run_id == info.run_id


def test_create_run_takes_its_name_from_the_run_name_tag(api: Api) -> None:
    run = api.client.create_run(_exp(api), tags={"mlflow.runName": "tagged"})
    assert run.info.run_name == "tagged"


def test_get_missing_run(api: Api) -> None:
    assert api.fails(api.client.get_run, "f" * 32) == "RESOURCE_DOES_NOT_EXIST"


def test_create_run_in_missing_experiment(api: Api) -> None:
    assert api.fails(api.client.create_run, "987654") == "RESOURCE_DOES_NOT_EXIST"


def test_params_are_immutable(api: Api) -> None:
    run_id = api.client.create_run(_exp(api)).info.run_id
    assert api.client.log_param(run_id, "C", 0.5) == 0.5
    api.client.log_param(run_id, "C", 0.5)  # the same value again is fine
    assert api.fails(api.client.log_param, run_id, "C", 1.0) == "INVALID_PARAMETER_VALUE"
    assert api.client.get_run(run_id).data.params == {"C": "0.5"}


def test_metric_history(api: Api) -> None:
    run_id = api.client.create_run(_exp(api)).info.run_id
    for step, value in enumerate([0.5, 0.25, float("nan")]):
        api.client.log_metric(run_id, "loss", value, timestamp=1000 + step, step=step)
    api.client.log_metric(run_id, "acc", 0.9)
    history = api.client.get_metric_history(run_id, "loss")
    assert [type(m).__name__ for m in history] == ["Metric"] * 3
    assert [(m.key, m.step, m.timestamp) for m in history] == [("loss", i, 1000 + i) for i in range(3)]
    assert history[0].value == 0.5 and history[2].value != history[2].value
    acc = api.client.get_metric_history(run_id, "acc")[0]
    assert acc.step == 0 and abs(acc.timestamp - time.time() * 1000) < 60_000
    assert api.fails(api.client.log_metric, run_id, "bad", "abc") == "INVALID_PARAMETER_VALUE"


def test_log_batch(api: Api) -> None:
    e = api.entities
    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.log_batch(
        run_id,
        metrics=[e.Metric("m", 1.5, 1000, 0), e.Metric("m", 2.5, 1001, 1)],
        params=[e.Param("p", "1"), e.Param("q", "x")],
        tags=[e.RunTag("t", "v")],
    )
    data = api.client.get_run(run_id).data
    assert data.metrics == {"m": 2.5}
    assert data.params == {"p": "1", "q": "x"}
    assert data.tags["t"] == "v"
    assert [m.value for m in api.client.get_metric_history(run_id, "m")] == [1.5, 2.5]
    api.client.log_batch(run_id)  # nothing to log is fine


def test_log_batch_refuses_a_conflicting_param_and_writes_nothing(api: Api) -> None:
    e = api.entities
    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.log_param(run_id, "p", "1")
    assert (
        api.fails(
            api.client.log_batch, run_id, metrics=[e.Metric("m", 1.0, 1, 0)], params=[e.Param("p", "2")]
        )
        == "INVALID_PARAMETER_VALUE"
    )
    assert api.client.get_run(run_id).data.metrics == {}


def test_set_and_delete_tag(api: Api) -> None:
    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.set_tag(run_id, "team", "a")
    api.client.set_tag(run_id, "team", "b")
    api.client.set_tag(run_id, "gone", 1)
    api.client.delete_tag(run_id, "gone")
    tags = api.client.get_run(run_id).data.tags
    assert tags["team"] == "b" and "gone" not in tags
    assert (
        api.fails(api.client.delete_tag, run_id, "gone")
        == "RESOURCE_DOES_NOT_EXIST"
    )


@pytest.mark.parametrize("status", ["FINISHED", "FAILED", "KILLED"])
def test_set_terminated(api: Api, status: str) -> None:
    run_id = api.client.create_run(_exp(api), start_time=10).info.run_id
    api.client.set_terminated(run_id, status, end_time=99)
    info = api.client.get_run(run_id).info
    assert (info.status, info.end_time) == (status, 99)


def test_set_terminated_defaults_to_finished_now(api: Api) -> None:
    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.set_terminated(run_id)
    info = api.client.get_run(run_id).info
    assert info.status == "FINISHED" and abs(info.end_time - time.time() * 1000) < 60_000


def test_update_run(api: Api) -> None:
    run_id = api.client.create_run(_exp(api), run_name="a").info.run_id
    api.client.update_run(run_id, name="b")
    run = api.client.get_run(run_id)
    assert run.info.run_name == "b" and run.data.tags["mlflow.runName"] == "b"
    assert run.info.status == "RUNNING"
    api.client.update_run(run_id, status="FAILED")
    assert api.client.get_run(run_id).info.status == "FAILED"


def test_delete_and_restore_run(api: Api) -> None:
    exp_id = _exp(api)
    run_id = api.client.create_run(exp_id).info.run_id
    api.client.delete_run(run_id)
    assert api.client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert api.client.search_runs([exp_id]) == []
    assert [r.info.run_id for r in api.client.search_runs([exp_id], run_view_type=2)] == [run_id]
    assert (
        api.fails(api.client.log_param, run_id, "p", 1) == "INVALID_PARAMETER_VALUE"
    )
    api.client.restore_run(run_id)
    assert [r.info.run_id for r in api.client.search_runs([exp_id])] == [run_id]


def test_get_parent_run(api: Api) -> None:
    exp_id = _exp(api)
    parent = api.client.create_run(exp_id).info.run_id
    child = api.client.create_run(exp_id, tags={"mlflow.parentRunId": parent}).info.run_id
    assert api.client.get_parent_run(child).info.run_id == parent
    assert api.client.get_parent_run(parent) is None


# --- search_runs ----------------------------------------------------------------------------------
def _all_pages(api: Api, exp_id: str, size: int, **kwargs: object) -> tuple[list[str], int]:
    runs, pages = all_pages(api.client.search_runs, size, [exp_id], **kwargs)
    return [r.info.run_id for r in runs], pages


def test_search_runs_returns_runs_newest_first(api: Api) -> None:
    exp_id = _exp(api)
    ids = [api.client.create_run(exp_id, start_time=t).info.run_id for t in range(1, 11)]
    found = api.client.search_runs([exp_id])
    assert isinstance(found[0], api.entities.Run)
    assert [r.info.run_id for r in found] == ids[::-1]
    for n in [1, 2, 4, 8, 10, 20]:
        assert [r.info.run_id for r in api.client.search_runs([exp_id], max_results=n)] == ids[::-1][:n]


def test_search_runs_pages_ties_by_run_id(api: Api) -> None:
    exp_id = _exp(api)
    ids = sorted(api.client.create_run(exp_id, start_time=10).info.run_id for _ in range(10))
    first = api.client.search_runs([exp_id], run_view_type=3, max_results=4)
    assert [r.info.run_id for r in first] == ids[:4] and first.token is not None
    second = api.client.search_runs([exp_id], run_view_type=3, max_results=4, page_token=first.token)
    assert [r.info.run_id for r in second] == ids[4:8] and second.token is not None
    third = api.client.search_runs([exp_id], run_view_type=3, max_results=4, page_token=second.token)
    assert [r.info.run_id for r in third] == ids[8:] and third.token is None


def test_search_runs_last_page_exact(api: Api) -> None:
    exp_id = _exp(api)
    for _ in range(8):
        api.client.create_run(exp_id, start_time=10)
    seen, pages = _all_pages(api, exp_id, 4)
    assert len(set(seen)) == 8
    assert pages == (2 if api.name == "mlnb" else pages)  # MLflow may end with an empty page


@pytest.mark.parametrize(
    "order_by",
    [
        None,
        ["metrics.acc DESC"],
        ["metrics.acc ASC", "params.p DESC"],
        ["params.p"],
        ["tags.t DESC"],
        ["attributes.run_name"],
        ["attributes.end_time DESC"],
    ],
)
def test_search_runs_pages_follow_the_order(api: Api, order_by: list[str] | None) -> None:
    exp_id = _exp(api)
    for i in range(23):
        run_id = api.client.create_run(exp_id, start_time=1 + i % 4, run_name=f"r{i % 5}").info.run_id
        if i % 3:
            api.client.log_metric(run_id, "acc", [0.5, float("nan"), 0.25, 0.5][i % 4])
        if i % 4:
            api.client.log_param(run_id, "p", str(i % 3))
        if i % 2:
            api.client.set_tag(run_id, "t", "x" if i % 5 else "y")
        if i % 6 == 0:
            api.client.set_terminated(run_id, end_time=i % 2)
    whole = [r.info.run_id for r in api.client.search_runs([exp_id], order_by=order_by)]
    paged, _ = _all_pages(api, exp_id, 5, order_by=order_by)
    assert len(whole) == 23
    assert paged == whole


def test_search_runs_with_filter_pages(api: Api) -> None:
    exp_id = _exp(api)
    for i in range(12):
        api.client.log_metric(api.client.create_run(exp_id, start_time=i).info.run_id, "m", i)
    whole = [r.info.run_id for r in api.client.search_runs([exp_id], "metrics.m >= 3")]
    paged, pages = _all_pages(api, exp_id, 3, filter_string="metrics.m >= 3")
    assert len(whole) == 9 and paged == whole and pages >= 3


def test_search_runs_data(api: Api) -> None:
    exp_id = _exp(api)
    run_id = api.client.create_run(exp_id, run_name="r").info.run_id
    api.client.log_param(run_id, "p", "1")
    api.client.log_metric(run_id, "m", 2.0, step=3)
    api.client.set_tag(run_id, "t", "v")
    (run,) = api.client.search_runs([exp_id], "params.p = '1'")
    assert run.data.params == {"p": "1"} and run.data.metrics == {"m": 2.0}
    assert run.data.tags["t"] == "v" and run.info.run_name == "r"
    assert run.info == api.client.get_run(run_id).info


@pytest.mark.parametrize("max_results", [0, -1, 50_001])
def test_search_runs_max_results_is_checked(api: Api, max_results: int) -> None:
    assert (
        api.fails(api.client.search_runs, [_exp(api)], max_results=max_results) == "INVALID_PARAMETER_VALUE"
    )


def test_search_runs_refuses_a_bad_token(api: Api) -> None:
    assert api.fails(api.client.search_runs, [_exp(api)], page_token="garbage!") == "INVALID_PARAMETER_VALUE"


def test_page_token_of_another_query_is_refused(store: object) -> None:
    client = mlnb.MlflowClient()
    exp_id = client.create_experiment("e")
    for _ in range(3):
        client.create_run(exp_id)
    token = client.search_runs([exp_id], max_results=1).token
    with pytest.raises(mlnb.InvalidParameter, match="other arguments"):
        client.search_runs([exp_id], "attributes.status = 'RUNNING'", max_results=1, page_token=token)


def test_paging_is_stable_while_runs_are_created_and_deleted(store: object) -> None:
    """Keyset paging: runs created (newer, so sorting first) or deleted between pages never make
    a page repeat or skip a run (OFFSET paging would repeat the last ones)."""
    client = mlnb.MlflowClient()
    exp_id = client.create_experiment("e")
    ids = [client.create_run(exp_id, start_time=100 + i).info.run_id for i in range(30)]
    page = client.search_runs([exp_id], max_results=7)
    seen = [r.info.run_id for r in page]
    while page.token:
        for i in range(3):
            client.create_run(exp_id, start_time=1000 + len(seen) + i)
        page = client.search_runs([exp_id], max_results=7, page_token=page.token)
        seen += [r.info.run_id for r in page]
    assert seen == ids[::-1]
    client.delete_run(ids[10])
    page = client.search_runs([exp_id], max_results=19)
    page = client.search_runs([exp_id], max_results=19, page_token=page.token)
    assert ids[10] not in [r.info.run_id for r in page]


def test_search_runs_over_several_experiments_and_a_single_id(api: Api) -> None:
    a, b = _exp(api, "a"), _exp(api, "b")
    ra = api.client.create_run(a, start_time=1).info.run_id
    rb = api.client.create_run(b, start_time=2).info.run_id
    assert [r.info.run_id for r in api.client.search_runs([a, b])] == [rb, ra]
    assert [r.info.run_id for r in api.client.search_runs(a)] == [ra]


def test_paging_through_many_runs(store: object) -> None:
    client = mlnb.MlflowClient()
    exp_id = client.create_experiment("many")
    for i in range(2_500):
        client.create_run(exp_id, start_time=i // 3)
    seen, pages = _all_pages(Api("mlnb", mlnb, client, mlnb.MlnbError, None), exp_id, 1000)
    assert pages == 3 and len(seen) == len(set(seen)) == 2_500


# --- artifacts ------------------------------------------------------------------------------------
def test_artifacts(api: Api, tmp_path: Path) -> None:
    run_id = api.client.create_run(_exp(api)).info.run_id
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("aaa")
    (src / "sub" / "b.txt").write_text("bb")
    api.client.log_artifact(run_id, str(src / "a.txt"))
    api.client.log_artifact(run_id, str(src / "a.txt"), artifact_path="single")
    api.client.log_artifacts(run_id, str(src), artifact_path="tree")
    api.client.log_text(run_id, "hello", "notes/hello.txt")
    api.client.log_dict(run_id, {"k": [1, 2]}, "notes/conf.json")
    top = api.client.list_artifacts(run_id)
    assert [(f.path, f.is_dir, f.file_size) for f in top] == [
        ("a.txt", False, 3),
        ("notes", True, None),
        ("single", True, None),
        ("tree", True, None),
    ]
    assert type(top[0]).__name__ == "FileInfo" or api.name == "mlnb"
    assert [f.path for f in api.client.list_artifacts(run_id, "tree")] == ["tree/a.txt", "tree/sub"]
    assert [f.path for f in api.client.list_artifacts(run_id, "tree/sub")] == ["tree/sub/b.txt"]
    local = Path(api.client.download_artifacts(run_id, "notes", str(tmp_path / "dl")))
    assert (local / "hello.txt").read_text() == "hello"
    assert '"k"' in (local / "conf.json").read_text()
    one = Path(api.client.download_artifacts(run_id, "tree/sub/b.txt"))
    assert one.read_text() == "bb"


def test_log_figure(api: Api) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.log_figure(run_id, fig, "plots/line.png")
    plt.close(fig)
    (info,) = api.client.list_artifacts(run_id, "plots")
    assert info.path == "plots/line.png" and info.file_size > 100


def test_log_table_and_image(api: Api) -> None:
    pytest.importorskip("PIL")
    import numpy as np

    run_id = api.client.create_run(_exp(api)).info.run_id
    api.client.log_table(run_id, {"a": [1, 2], "b": ["x", "y"]}, "tables/t.json")
    api.client.log_image(run_id, np.zeros((4, 4, 3), dtype=np.uint8), "images/z.png")
    assert [f.path for f in api.client.list_artifacts(run_id, "tables")] == ["tables/t.json"]
    assert [f.path for f in api.client.list_artifacts(run_id, "images")] == ["images/z.png"]


# --- a client on another store --------------------------------------------------------------------
def test_client_with_tracking_uri_uses_its_own_store(store: object, tmp_path: Path) -> None:
    other = mlnb.MlflowClient(tracking_uri=str(tmp_path / "elsewhere"))
    exp_id = other.create_experiment("there")
    run_id = other.create_run(exp_id).info.run_id
    other.log_param(run_id, "p", 1)
    other.log_text(run_id, "x", "x.txt")
    assert mlnb.get_experiment_by_name("there") is None  # the session's store is untouched
    assert mlnb.MlflowClient().get_experiment_by_name("there") is None
    assert other.get_run(run_id).data.params == {"p": "1"}
    assert [f.path for f in other.list_artifacts(run_id)] == ["x.txt"]
    assert (tmp_path / "elsewhere" / "artifacts" / run_id / "x.txt").read_text() == "x"
    assert mlnb.MlflowClient(tracking_uri=str(tmp_path / "elsewhere")).get_run(run_id).info.run_id == run_id


def test_default_client_follows_the_active_store(store: object) -> None:
    client = mlnb.MlflowClient()
    exp_id = client.create_experiment("here")
    assert mlnb.get_experiment(exp_id).name == "here"
    with mlnb.start_run(experiment_id=exp_id) as run:
        mlnb.log_metric("m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_log_batch_refuses_plain_values(store: object) -> None:
    client = mlnb.MlflowClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(mlnb.InvalidParameter, match="Metric"):
        client.log_batch(run_id, metrics=[("m", 1.0)])
    with pytest.raises(mlnb.InvalidParameter, match="twice"):
        client.log_batch(run_id, params=[mlnb.Param("p", "1"), mlnb.Param("p", "2")])


# --- the entities compared field by field -----------------------------------------------------------
@pytest.mark.mlflow
def test_entities_have_mlflows_fields_and_types(tmp_path: Path, store: object, _mlflow_db: Path) -> None:
    import shutil

    import mlflow

    db = tmp_path / "m.db"
    shutil.copy(_mlflow_db, db)
    clients = {"mlnb": mlnb.MlflowClient(), "mlflow": mlflow.MlflowClient(f"sqlite:///{db}")}
    shapes = {}
    for name, client in clients.items():
        exp_id = client.create_experiment("e", tags={"a": "b"})
        run_id = client.create_run(exp_id, run_name="r").info.run_id
        client.log_metric(run_id, "m", 1.0, step=2, timestamp=5)
        client.log_param(run_id, "p", "v")
        client.log_text(run_id, "x", "f.txt")
        client.set_terminated(run_id)
        run = client.get_run(run_id)
        shapes[name] = {
            "experiment": _shape(client.get_experiment(exp_id), ["experiment_id", "name", "artifact_location",
                                 "lifecycle_stage", "tags", "creation_time", "last_update_time"]),
            "info": _shape(run.info, ["run_id", "run_name", "experiment_id", "user_id", "status",
                           "start_time", "end_time", "artifact_uri", "lifecycle_stage"]),
            "data": _shape(run.data, ["params", "metrics", "tags"]),
            "metric": _shape(client.get_metric_history(run_id, "m")[0], ["key", "value", "timestamp", "step"]),
            "file": _shape(client.list_artifacts(run_id)[0], ["path", "is_dir", "file_size"]),
            "page": (type(client.search_runs([exp_id])).__mro__[1].__name__, hasattr(client.search_runs([exp_id]), "token")),
        }  # fmt: skip
    assert shapes["mlnb"] == shapes["mlflow"]


def _shape(entity: object, fields: list[str]) -> dict[str, str]:
    return {f: type(getattr(entity, f)).__name__ for f in fields}


def test_client_on_the_session_store_sees_its_buffered_writes(store_dir: Path, store: object) -> None:
    client = mlnb.MlflowClient(tracking_uri=str(store_dir))
    with mlnb.start_run() as run:
        mlnb.log_metric("m", 1.0)  # buffered: written within 0.2 s, read at once by the same store
        assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
