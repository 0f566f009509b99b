"""The fluent API behaves as MLflow's: each body runs against mlnb and against the real mlflow."""

# ruff: noqa: F811  (the fixtures api and both are imported, then named as arguments)

from __future__ import annotations

import json
import time
from importlib import import_module
from types import ModuleType

import pytest

from tests.tracking.both_apis import api, both, raises_like_mlflow  # noqa: F401


def _entities(module: ModuleType) -> ModuleType:
    return import_module(f"{module.__name__}.entities")


def _download(module: ModuleType, run_id: str, path: str) -> str:
    if module.__name__ == "mlnb":
        return module.download_artifacts(run_id=run_id, artifact_path=path)
    return import_module("mlflow.artifacts").download_artifacts(run_id=run_id, artifact_path=path)


def _listing(module: ModuleType, run_id: str, path: str) -> list[str]:
    if module.__name__ == "mlnb":
        return sorted(f.path for f in module.list_artifacts(run_id=run_id, path=path))
    return sorted(f.path for f in module.MlflowClient().list_artifacts(run_id, path))


# --- runs -------------------------------------------------------------------------------------
def test_active_run_is_a_run_and_a_context_manager(api: ModuleType) -> None:
    with api.start_run(run_name="r1") as run:
        assert isinstance(run, _entities(api).Run)
        assert isinstance(run, api.ActiveRun)
        assert api.active_run().info.run_id == run.info.run_id
        assert run.info.run_name == "r1" and run.info.status == "RUNNING"
        assert run.data.tags["mlflow.runName"] == "r1"
    assert api.active_run() is None
    assert api.get_run(run.info.run_id).info.status == "FINISHED"


def test_exception_in_block_marks_run_failed(api: ModuleType) -> None:
    with pytest.raises(ZeroDivisionError), api.start_run() as run:
        1 / 0  # noqa: B018
    assert api.get_run(run.info.run_id).info.status == "FAILED"


def test_second_start_run_names_the_active_run(api: ModuleType) -> None:
    outer = api.start_run()
    with pytest.raises(raises_like_mlflow(api)) as info:
        api.start_run()
    assert f"Run with UUID {outer.info.run_id} is already active" in str(info.value)
    assert "nested=True" in str(info.value)
    api.end_run()


def test_nested_run_records_its_parent(api: ModuleType) -> None:
    with api.start_run() as parent, api.start_run(nested=True) as child:
        assert api.active_run().info.run_id == child.info.run_id
    got = api.get_run(child.info.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert api.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert api.get_parent_run(parent.info.run_id) is None


def test_parent_run_id_must_be_the_active_run(api: ModuleType) -> None:
    other = api.start_run()
    api.end_run()
    with api.start_run():
        with pytest.raises(raises_like_mlflow(api), match=r"does not match|not the active run"):
            api.start_run(nested=True, parent_run_id=other.info.run_id)
        with pytest.raises(raises_like_mlflow(api), match="already active"):
            api.start_run(parent_run_id=other.info.run_id)
    with api.start_run(parent_run_id=other.info.run_id) as child:
        pass
    assert api.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == other.info.run_id


def test_description_is_the_note_tag(api: ModuleType) -> None:
    with api.start_run(description="first try", tags={"team": 7}) as run:
        pass
    tags = api.get_run(run.info.run_id).data.tags
    assert tags["mlflow.note.content"] == "first try" and tags["team"] == "7"
    with pytest.raises(raises_like_mlflow(api), match=r"mlflow\.note\.content"):
        api.start_run(description="x", tags={"mlflow.note.content": "y"})


def test_resuming_a_run_reopens_it(api: ModuleType) -> None:
    with api.start_run(run_name="first") as run:
        api.log_param("a", 1)
    with api.start_run(run_id=run.info.run_id, run_name="second", description="resumed") as again:
        assert api.get_run(run.info.run_id).info.status == "RUNNING"
        api.log_param("b", 2)
    assert again.info.run_id == run.info.run_id
    got = api.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"a": "1", "b": "2"}
    assert got.info.run_name == "second" and got.data.tags["mlflow.runName"] == "second"
    assert got.data.tags["mlflow.note.content"] == "resumed"


def test_resuming_a_deleted_run_is_refused(api: ModuleType) -> None:
    with api.start_run() as run:
        pass
    api.delete_run(run.info.run_id)
    assert api.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(raises_like_mlflow(api), match="deleted"):
        api.start_run(run_id=run.info.run_id)


def test_end_run_and_last_active_run(api: ModuleType) -> None:
    assert api.end_run() is None
    assert api.last_active_run() is None
    run = api.start_run()
    assert api.last_active_run().info.run_id == run.info.run_id
    api.end_run(status="KILLED")
    last = api.last_active_run()
    assert last.info.run_id == run.info.run_id and last.info.status == "KILLED"
    assert isinstance(last, _entities(api).Run)


def test_unknown_ids_raise(api: ModuleType) -> None:
    with pytest.raises(raises_like_mlflow(api)) as info:
        api.get_run("a" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(raises_like_mlflow(api)) as info:
        api.get_experiment("999")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert api.get_experiment_by_name("nope") is None


# --- params and tags --------------------------------------------------------------------------
def test_log_param_stores_str_of_value_and_returns_it(api: ModuleType) -> None:
    with api.start_run() as run:
        assert api.log_param("none", None) is None
        assert api.log_param("n", 5) == 5
        assert api.log_params({"lst": [1, 2], "f": 0.5, "b": True, "nothing": None}) is None
    assert api.get_run(run.info.run_id).data.params == {
        "none": "None",
        "n": "5",
        "lst": "[1, 2]",
        "f": "0.5",
        "b": "True",
        "nothing": "None",
    }


def test_changing_a_param_is_refused(api: ModuleType) -> None:
    with api.start_run():
        api.log_param("p", 1)
        api.log_param("p", 1)  # the same value again is fine
        with pytest.raises(raises_like_mlflow(api)) as info:
            api.log_param("p", 2)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_run_name_tag_renames_the_run(api: ModuleType) -> None:
    with api.start_run(run_name="before") as run:
        api.set_tag("mlflow.runName", "after")
    got = api.get_run(run.info.run_id)
    assert got.info.run_name == "after" and got.data.tags["mlflow.runName"] == "after"
    for filter_string in ("attributes.run_name = 'after'", "tags.mlflow.runName = 'after'"):
        found = api.search_runs(filter_string=filter_string)
        assert list(found["run_id"]) == [run.info.run_id]
        assert list(found["tags.mlflow.runName"]) == ["after"]
    assert api.search_runs(filter_string="attributes.run_name = 'before'").empty


def test_set_tags_and_delete_tag(api: ModuleType) -> None:
    with api.start_run() as run:
        api.set_tags({"a": 1, "b": "x"})
        api.delete_tag("b")
    tags = api.get_run(run.info.run_id).data.tags
    assert tags["a"] == "1" and "b" not in tags


# --- experiments ------------------------------------------------------------------------------
def test_set_experiment_returns_and_activates_it(api: ModuleType) -> None:
    exp = api.set_experiment("churn")
    assert isinstance(exp, _entities(api).Experiment)
    assert exp.name == "churn" and exp.lifecycle_stage == "active"
    assert api.set_experiment("churn").experiment_id == exp.experiment_id
    assert api.set_experiment(experiment_id=exp.experiment_id).name == "churn"
    with api.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id


def test_experiment_tags(api: ModuleType) -> None:
    exp = api.set_experiment("tagged")
    api.set_experiment_tag("team", "ml")
    api.set_experiment_tags({"stage": 2, "owner": "ana"})
    assert api.get_experiment(exp.experiment_id).tags == {"team": "ml", "stage": "2", "owner": "ana"}
    api.delete_experiment_tag("owner")
    assert "owner" not in api.get_experiment(exp.experiment_id).tags


def test_delete_and_restore_experiment(api: ModuleType) -> None:
    exp_id = api.create_experiment("gone")
    api.delete_experiment(exp_id)
    assert api.get_experiment(exp_id).lifecycle_stage == "deleted"
    entities = _entities(api)
    assert "gone" not in [e.name for e in api.search_experiments()]
    assert [e.name for e in api.search_experiments(view_type=entities.ViewType.DELETED_ONLY)] == ["gone"]
    with pytest.raises(raises_like_mlflow(api), match="deleted"):
        api.set_experiment("gone")
    api.restore_experiment(exp_id)
    assert api.get_experiment(exp_id).lifecycle_stage == "active"
    assert api.set_experiment("gone").experiment_id == exp_id


def test_runs_cannot_start_in_a_deleted_experiment(api: ModuleType) -> None:
    exp = api.set_experiment("short-lived")
    with api.start_run():
        pass
    api.delete_experiment(exp.experiment_id)
    with pytest.raises(raises_like_mlflow(api)):
        api.start_run(experiment_id=exp.experiment_id)
    api.delete_experiment("0")
    with pytest.raises(raises_like_mlflow(api)):
        api.start_run()
    assert api.active_run() is None


def test_run_name_comes_from_the_tag_when_not_given(api: ModuleType) -> None:
    with api.start_run(tags={"mlflow.runName": "from-tag"}) as run:
        pass
    assert api.get_run(run.info.run_id).info.run_name == "from-tag"


def _three_experiments(module: ModuleType) -> int:
    module.create_experiment("alpha", tags={"team": "x", "k": "v"})
    time.sleep(0.005)
    beta = module.create_experiment("Beta", tags={"team": "y"})
    time.sleep(0.005)
    module.create_experiment("gamma_1")
    return module.get_experiment(beta).creation_time


FILTERS = [
    "name = 'alpha'",
    "name != 'alpha'",
    "name LIKE 'a%'",
    "name ILIKE 'b%'",
    "name LIKE 'B%'",
    "name LIKE 'gamma_1'",
    'name = "alpha"',
    "attribute.name = 'Beta'",
    "tags.team = 'x'",
    "tag.team = 'y'",
    "tags.team != 'x'",
    "tags.team LIKE '%'",
    "tags.team ILIKE 'X'",
    "tags.`team` = 'x'",
    "tags.\"team\" = 'x'",
    "tags.team IS NULL",
    "tags.team IS NOT NULL",
    "creation_time > {beta}",
    "creation_time >= {beta}",
    "creation_time = {beta}",
    "last_update_time < {beta}",
    "name = 'alpha' AND tags.k = 'v'",
    "name = 'alpha' and tags.k = 'v'",
    "experiment_id = '1'",
    "experiment_id IN ('1', '2')",
    "experiment_id NOT IN ('1', '2')",
    "",
    "attributes.name = 'Beta'",
    "attributes.creation_time > 0",
    "name like 'a%'",
    "name ilike 'A%'",
    "tags.team like 'x'",
    "tags.team is not null",
    # refused by both
    "name = 'alpha' OR name = 'Beta'",
    "name IN ('alpha', 'Beta')",
    "`tags`.team = 'x'",
    "name = alpha",
    "creation_time > 'abc'",
    "foo = 'x'",
    "params.a = '1'",
    "name > 'a'",
    "tags.team > 'a'",
    "name",
    "name IS NULL",
    "creation_time LIKE '1%'",
    "Name = 'alpha'",
]


@pytest.mark.mlflow
@pytest.mark.parametrize("filter_string", FILTERS)
def test_search_experiments_filter_matches_mlflow(both, filter_string: str) -> None:
    def body(module: ModuleType) -> list[str] | str:
        beta = _three_experiments(module)
        try:
            found = module.search_experiments(filter_string=filter_string.format(beta=beta))
        except Exception:
            return "refused"
        return [e.name for e in found]

    ours, theirs = both(body)
    assert ours == theirs


ORDERS = [
    None,
    ["name"],
    ["name DESC"],
    ["name asc"],
    ["creation_time"],
    ["experiment_id DESC"],
    ["last_update_time ASC"],
    ["attribute.name DESC"],
    ["name DESC", "creation_time"],
    ["tags.team"],
    ["foo"],
    ["attributes.name"],
    ["attributes.name DESC"],
]


@pytest.mark.mlflow
@pytest.mark.parametrize("order_by", ORDERS)
def test_search_experiments_order_matches_mlflow(both, order_by: list[str] | None) -> None:
    def body(module: ModuleType) -> list[str] | str:
        _three_experiments(module)
        try:
            return [e.name for e in module.search_experiments(order_by=order_by)]
        except Exception:
            return "refused"

    ours, theirs = both(body)
    assert ours == theirs


def test_search_experiments_is_newest_first_and_limited(api: ModuleType) -> None:
    _three_experiments(api)
    assert [e.name for e in api.search_experiments()] == ["gamma_1", "Beta", "alpha", "Default"]
    assert [e.name for e in api.search_experiments(max_results=2)] == ["gamma_1", "Beta"]


# --- run contents -----------------------------------------------------------------------------
def test_to_dictionary_has_mlflows_shape(both) -> None:
    def body(module: ModuleType) -> dict:
        with module.start_run(run_name="dict") as run:
            module.log_param("p", 1)
            module.log_metric("m", 0.5)
            module.set_tag("t", "v")
        return module.get_run(run.info.run_id).to_dictionary()

    ours, theirs = both(body)

    def shape(d: object) -> object:
        return {k: shape(v) for k, v in d.items()} if isinstance(d, dict) else type(d).__name__

    theirs["data"]["tags"] = {k: v for k, v in theirs["data"]["tags"].items() if k in ours["data"]["tags"]}
    assert shape(ours) == shape(theirs)
    for part in ("params", "metrics"):
        assert ours["data"][part] == theirs["data"][part]
    assert ours["data"]["tags"]["t"] == "v" and ours["info"]["run_name"] == "dict"


def test_system_tags_match_mlflows_keys(both) -> None:
    def body(module: ModuleType) -> tuple[set[str], dict[str, str]]:
        with module.start_run(description="d"), module.start_run(nested=True) as child:
            pass
        tags = module.get_run(child.info.run_id).data.tags
        return set(tags), {k: tags[k] for k in ("mlflow.source.type", "mlflow.source.name")}

    (our_keys, ours), (their_keys, theirs) = both(body)
    assert our_keys == their_keys
    assert ours == theirs


# --- tables and images ------------------------------------------------------------------------
def test_log_table_writes_mlflows_json_and_appends(both) -> None:
    pd = pytest.importorskip("pandas")

    def body(module: ModuleType) -> tuple[dict, dict, str]:
        with module.start_run() as run:
            module.log_table({"q": ["a?", "b?"], "score": [0.1, 0.9]}, artifact_file="eval/t.json")
            module.log_table(pd.DataFrame({"q": ["c?"], "score": [0.5]}), "eval/t.json")
            module.log_table({"single": "row", "n": 1}, "one.json")
        with open(_download(module, run.info.run_id, "eval/t.json")) as fh:
            table = json.load(fh)
        with open(_download(module, run.info.run_id, "one.json")) as fh:
            single = json.load(fh)
        return table, single, module.get_run(run.info.run_id).data.tags["mlflow.loggedArtifacts"]

    ours, theirs = both(body)
    assert ours == theirs
    assert ours[0] == {"columns": ["q", "score"], "data": [["a?", 0.1], ["b?", 0.9], ["c?", 0.5]]}


def test_log_table_refuses_other_formats(api: ModuleType) -> None:
    with api.start_run(), pytest.raises(Exception, match=r"json|parquet"):
        api.log_table({"a": [1]}, "table.csv")


def test_log_image_writes_png(api: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    pixels = np.zeros((6, 4, 3), dtype=np.uint8)
    pixels[0, 0] = (255, 0, 0)
    with api.start_run() as run:
        api.log_image(pixels, "plots/img.png")
        api.log_image(Image.fromarray(pixels), artifact_file="pil.png")
        api.log_image(np.ones((5, 5)), key="series/a", step=3)
    for name in ("plots/img.png", "pil.png"):
        path = _download(api, run.info.run_id, name)
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == (4, 6)
            assert np.array_equal(np.asarray(img.convert("RGB")), pixels)
    series = _listing(api, run.info.run_id, "images")
    assert len(series) == 2 and series[0].startswith("images/series~a+step+3+timestamp+")
    assert series[0].endswith("+compressed.webp") and series[1].endswith(".png")
    assert api.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "True"


def test_log_image_refuses_bad_input(api: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    with api.start_run():
        for bad in (np.full((2, 2), 300), np.zeros((2, 2, 2)), np.zeros(3), "not an image"):
            with pytest.raises((TypeError, ValueError, raises_like_mlflow(api))):
                api.log_image(bad, "x.png")
        with pytest.raises((TypeError, raises_like_mlflow(api))):
            api.log_image(np.zeros((2, 2)))


_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
api = __import__(sys.argv[1])
api.set_tracking_uri("sqlite:///" + sys.argv[2])
with api.start_run(run_name="parent", description="d"):
    with api.start_run(nested=True) as child:
        pass
print(json.dumps(api.get_run(child.info.run_id).data.tags))
"""


@pytest.mark.mlflow
def test_a_scripts_system_tags_are_mlflows(tmp_path) -> None:
    """The same script in a git repository gets the same mlflow.* tags from mlnb and MLflow."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("mlflow")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    for key in os.environ:
        if key.startswith(("MLNB_", "MLFLOW_")):
            env.pop(key, None)
    (repo / "train.py").write_text(_SCRIPT)
    for cmd in (
        ["git", "init", "-q", "-b", "feature"],
        ["git", "remote", "add", "origin", "https://user:secret@example.com/org/repo.git"],
        ["git", "add", "train.py"],
        ["git", "commit", "-q", "-m", "first"],
    ):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    tags = {}
    for name in ("mlnb", "mlflow"):
        done = subprocess.run(
            [sys.executable, "train.py", name, str(tmp_path / f"{name}.db")],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        tags[name] = json.loads(done.stdout.strip().splitlines()[-1])
    ours, theirs = tags["mlnb"], tags["mlflow"]
    assert set(ours) == set(theirs)
    same = (
        "mlflow.source.name",
        "mlflow.source.type",
        "mlflow.source.git.commit",
        "mlflow.source.git.branch",
        "mlflow.source.git.repoURL",
        "mlflow.user",
    )
    assert {k: ours[k] for k in same} == {k: theirs[k] for k in same}
    assert ours["mlflow.source.git.commit"] == commit
    assert ours["mlflow.source.git.repoURL"] == "https://example.com/org/repo.git"


def test_load_table_reads_tables_across_runs(both) -> None:
    pytest.importorskip("pandas")

    def body(module: ModuleType) -> tuple[list, list, bool, dict, str]:
        ids = []
        for i in range(2):
            with module.start_run() as run:
                module.log_table({"a": [i, i + 10], "b": ["x", "y"]}, "t.json")
                time.sleep(0.002)
            ids.append(run.info.run_id)
        with module.start_run():  # a run without the table
            pass
        frame = module.load_table("t.json", extra_columns=["run_id"])
        one = module.load_table("t.json", run_ids=[ids[1]]).to_dict("list")
        try:
            module.load_table("missing.json")
            missing = "loaded"
        except Exception:
            missing = "refused"
        same_runs = sorted(set(frame["run_id"])) == sorted(ids)
        return list(frame.columns), list(frame["a"]), same_runs, one, missing

    ours, theirs = both(body)
    assert ours == theirs
    assert ours[2] and ours[4] == "refused"
