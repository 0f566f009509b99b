"""``MlflowClient`` for tracking and the registry, as a notebook user calls it, on both sides."""

from __future__ import annotations

import importlib

from tests.compat.conftest import client_of
from tests.compat.normalize import normalize


def _entities(mlf):
    return importlib.import_module(f"{mlf.__name__}.entities")


def test_client_experiments(mlf, agree):
    client = client_of(mlf)
    exp_id = client.create_experiment("client-exp", tags={"k": "v"})
    assert isinstance(exp_id, str)
    assert client.get_experiment_by_name("client-exp").experiment_id == exp_id
    client.rename_experiment(exp_id, "renamed")
    client.set_experiment_tag(exp_id, "k2", "v2")
    exp = client.get_experiment(exp_id)
    client.delete_experiment(exp_id)
    deleted = client.get_experiment(exp_id).lifecycle_stage
    client.restore_experiment(exp_id)
    assert (exp.name, exp.tags, deleted) == ("renamed", {"k": "v", "k2": "v2"}, "deleted")
    listed = client.search_experiments()
    agree("experiment", (exp.name, exp.tags, deleted))
    agree("search_experiments", ([e.name for e in listed], type(listed).__name__))


def test_client_runs_and_log_batch(mlf, agree):
    client = client_of(mlf)
    ent = _entities(mlf)
    exp_id = client.create_experiment("batch")
    run = client.create_run(exp_id, run_name="batched", tags={"team": "churn"})
    assert run.info.status == "RUNNING"
    client.log_batch(
        run.info.run_id,
        metrics=[ent.Metric("m", 1.0, 0, 0), ent.Metric("m", 2.0, 0, 1)],
        params=[ent.Param("p", "x")],
        tags=[ent.RunTag("t", "y")],
    )
    client.log_param(run.info.run_id, "q", 3)
    client.log_metric(run.info.run_id, "n", 4.0, step=2)
    client.set_tag(run.info.run_id, "u", "w")
    client.set_terminated(run.info.run_id, status="KILLED")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "KILLED"
    assert got.data.params == {"p": "x", "q": "3"}
    assert got.data.metrics == {"m": 2.0, "n": 4.0}
    agree("run", (got.info.run_name, got.info.status, got.data.params, got.data.metrics))
    agree("user tags", {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")})
    agree("history", [(m.value, m.step) for m in client.get_metric_history(run.info.run_id, "m")])


def test_client_search_runs_pages(mlf, agree):
    client = client_of(mlf)
    exp_id = client.create_experiment("pages")
    for i in range(5):
        run = client.create_run(exp_id)
        client.log_metric(run.info.run_id, "i", i)
    first = client.search_runs([exp_id], order_by=["metrics.i ASC"], max_results=2)
    second = client.search_runs([exp_id], order_by=["metrics.i ASC"], max_results=2, page_token=first.token)
    third = client.search_runs([exp_id], order_by=["metrics.i ASC"], max_results=2, page_token=second.token)
    pages = [[r.data.metrics["i"] for r in page] for page in (first, second, third)]
    assert pages == [[0, 1], [2, 3], [4]]
    assert first.token and third.token is None
    agree("pages", pages)
    agree("last token", third.token)


def test_client_download_artifacts(mlf, agree, tmp_path):
    with mlf.start_run() as run:
        mlf.log_text("abc", "out/a.txt")
    local = client_of(mlf).download_artifacts(run.info.run_id, "out", str(tmp_path / "dl"))
    files = sorted(p.name for p in (tmp_path / "dl" / "out").iterdir())
    assert files == ["a.txt"]
    agree("downloaded", (local == str(tmp_path / "dl" / "out"), files))


def test_registry_registered_models(mlf, agree):
    client = client_of(mlf)
    created = client.create_registered_model("reg", tags={"k": "v"}, description="first")
    client.update_registered_model("reg", description="second")
    client.set_registered_model_tag("reg", "k2", "v2")
    client.rename_registered_model("reg", "reg2")
    got = client.get_registered_model("reg2")
    assert (got.name, got.description, got.tags) == ("reg2", "second", {"k": "v", "k2": "v2"})
    found = [m.name for m in mlf.search_registered_models(filter_string="name LIKE 'reg%'")]
    agree(
        "created", (created.name, created.description, created.tags, created.aliases, created.latest_versions)
    )
    agree("updated", (got.name, got.description, got.tags, got.aliases))
    agree("search", found)
    client.delete_registered_model("reg2")
    agree("after delete", [m.name for m in client.search_registered_models()])


def test_registry_versions_stages_and_aliases(mlf, agree):
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
    sklearn_flavor = importlib.import_module(f"{mlf.__name__}.sklearn")
    with mlf.start_run():
        # explicit requirements: MLflow would otherwise spend seconds inferring them
        info = sklearn_flavor.log_model(
            model, name="model", registered_model_name="lin", pip_requirements=["scikit-learn"]
        )
    client = client_of(mlf)
    v2 = mlf.register_model(info.model_uri, "lin")
    assert str(v2.version) == "2"
    client.transition_model_version_stage("lin", "1", "Production")
    client.transition_model_version_stage("lin", "2", "Production", archive_existing_versions=True)
    client.set_registered_model_alias("lin", "champion", "2")
    client.set_model_version_tag("lin", "2", "validated", "yes")
    by_alias = client.get_model_version_by_alias("lin", "champion")
    latest = client.get_latest_versions("lin", stages=["Production"])
    v1 = client.get_model_version("lin", "1")
    assert (by_alias.version, v1.current_stage) in (("2", "Archived"), (2, "Archived"))
    uri = client.get_model_version_download_uri("lin", "2")
    agree(
        "version fields",
        normalize((by_alias.name, by_alias.version, by_alias.current_stage, by_alias.aliases, by_alias.tags)),
    )
    agree("latest", [(v.version, v.current_stage) for v in latest])
    agree("archived", v1.current_stage)
    agree(
        "versions",
        sorted(
            (str(v.version), v.current_stage) for v in mlf.search_model_versions(filter_string="name = 'lin'")
        ),
    )
    agree("download uri is a string", type(uri).__name__)
