"""Property tests: odd keys, values and paths given to every ``log_*`` function.

Whatever a user passes, a public function either does its job or raises an ``MlnbError`` whose
message is one line; a raw ``OSError``, ``UnicodeEncodeError``, ``RecursionError``,
``sqlite3.Error``, ... never reaches the user.  Each function runs through the fluent API and
through ``MlflowClient`` on a real store.  Inputs that once broke something are kept in
``tests/corpus/log/cases.json`` and replayed by :func:`test_corpus_case`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlnb
from mlnb.errors import MlnbError

CORPUS = Path(__file__).parents[1] / "corpus" / "log" / "cases.json"
SETTINGS = settings(
    max_examples=60,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def _deep(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


ODD_TEXT = [
    "\ud800",
    "a\udfffb",
    "x\x00y",
    "..",
    "../escape",
    "/abs/path",
    "a/../b",
    "",
    " ",
    "a" * 300,
    "é" * 200,
    "a/" * 2500 + "f",
    "C:\\win",
    "\n",
    "a" * 250,
]
odd_text = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.text(max_size=30),
    st.text(st.characters(categories=["Cs", "Cc", "Lu"]), min_size=1, max_size=5),
    st.builds(lambda a, b: a + b, st.sampled_from(ODD_TEXT), st.text(max_size=5)),
)
odd_key = st.one_of(odd_text, st.integers(), st.none(), st.floats(allow_nan=True), st.binary(max_size=5))
odd_value = st.one_of(
    odd_text,
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=10),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.sampled_from([_deep(5000), object(), 10**400, "v" * 200_001, {1, 2}]),
)
odd_path = st.one_of(odd_text, st.none(), st.integers(), st.sampled_from([Path("a"), b"bytes"]))


def _only_mlnb_errors(call: Callable[[], Any]) -> None:
    try:
        call()
    except MlnbError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"{type(exc).__name__} message is not one line: {message!r}"
    # anything else propagates and fails the test, with hypothesis' smallest example


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths and URIs such as ``file://`` (the working directory) stay in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(store: Any) -> Any:
    with mlnb.start_run() as active:
        yield active


# --- keys and values of params, metrics and tags ----------------------------------------------
def _fluent_calls(run_id: str) -> dict[str, Callable[[Any, Any], Any]]:
    client = mlnb.MlflowClient()
    return {
        "log_param": lambda k, v: mlnb.log_param(k, v),
        "log_params": lambda k, v: mlnb.log_params({k: v}),
        "log_metric": lambda k, v: mlnb.log_metric(k, v),
        "log_metric_step": lambda k, v: mlnb.log_metric("m", 1.0, step=v),
        "log_metrics": lambda k, v: mlnb.log_metrics({k: v}),
        "set_tag": lambda k, v: mlnb.set_tag(k, v),
        "set_tags": lambda k, v: mlnb.set_tags({k: v}),
        "delete_tag": lambda k, v: mlnb.delete_tag(k),
        "get_metric_history": lambda k, v: mlnb.get_metric_history(run_id, k),
        "get_run": lambda k, v: mlnb.get_run(k),
        "client.log_param": lambda k, v: client.log_param(run_id, k, v),
        "client.log_metric": lambda k, v: client.log_metric(run_id, k, v, step=0),
        "client.set_tag": lambda k, v: client.set_tag(run_id, k, v),
        "client.log_batch": lambda k, v: client.log_batch(
            run_id, metrics=[mlnb.Metric(k, v, 0, 0)], params=[mlnb.Param(k, v)], tags=[mlnb.RunTag(k, v)]
        ),
        "client.log_batch_lists": lambda k, v: client.log_batch(run_id, metrics=v, params=k),
        "client.get_run": lambda k, v: client.get_run(k),
    }


KEY_VALUE_FUNCTIONS = [
    "log_param", "log_params", "log_metric", "log_metric_step", "log_metrics", "set_tag",
    "set_tags", "delete_tag", "get_metric_history", "get_run", "client.log_param",
    "client.log_metric", "client.set_tag", "client.log_batch", "client.log_batch_lists",
    "client.get_run",
]  # fmt: skip


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", KEY_VALUE_FUNCTIONS)
def test_keys_and_values_raise_only_mlnb_errors(run, name):
    call = _fluent_calls(run.info.run_id)[name]

    @SETTINGS
    @given(key=odd_key, value=odd_value)
    def check(key: Any, value: Any) -> None:
        _only_mlnb_errors(lambda: call(key, value))

    check()


@pytest.mark.timeout(60)
def test_accepted_params_round_trip(run):
    @SETTINGS
    @given(key=odd_key, value=odd_value)
    def check(key: Any, value: Any) -> None:
        try:
            mlnb.log_param(key, value)
        except MlnbError:
            return
        assert mlnb.get_run(run.info.run_id).data.params[key] == str(value)

    check()


# --- artifact paths and contents ---------------------------------------------------------------
def _inside(tmp: Path, path: Any) -> Any:
    """A local path under ``tmp``: never walk or read the real file system's directories."""
    return f"{tmp}/cwd/{path}" if isinstance(path, str) else path


def _artifact_calls(tmp: Path) -> dict[str, Callable[[Any, Any], Any]]:
    (tmp / "cwd").mkdir(exist_ok=True)
    local = tmp / "local.txt"
    local.write_text("x")
    folder = tmp / "folder"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "sub" / "f.txt").write_text("y")
    client = mlnb.MlflowClient()
    run_id = mlnb.active_run().info.run_id
    return {
        "log_text": lambda p, v: mlnb.log_text(v if isinstance(v, str) else "t", p),
        "log_text_value": lambda p, v: mlnb.log_text(v, "value.txt"),
        "log_dict": lambda p, v: mlnb.log_dict({"v": v}, p if isinstance(p, str) else "d.json"),
        "log_dict_value": lambda p, v: mlnb.log_dict(v, p),
        "log_dict_yaml": lambda p, v: mlnb.log_dict(v, "d.yaml"),
        "log_artifact": lambda p, v: mlnb.log_artifact(local, p),
        "log_artifact_local": lambda p, v: mlnb.log_artifact(_inside(tmp, p)),
        "log_artifacts": lambda p, v: mlnb.log_artifacts(folder, p),
        "log_artifacts_local": lambda p, v: mlnb.log_artifacts(_inside(tmp, p)),
        "log_figure": lambda p, v: mlnb.log_figure(v, p if isinstance(p, str) else "f.png"),
        "log_image": lambda p, v: mlnb.log_image(v, p if isinstance(p, str) else "i.png"),
        "log_table": lambda p, v: mlnb.log_table({"c": [v]}, p),
        "client.log_text": lambda p, v: client.log_text(run_id, "t", p),
        "client.log_dict": lambda p, v: client.log_dict(run_id, v, "d.json"),
        "client.log_artifact": lambda p, v: client.log_artifact(run_id, local, p),
        "list_artifacts": lambda p, v: mlnb.list_artifacts(path=p),
        "load_text": lambda p, v: mlnb.load_text(run_id, p),
    }


ARTIFACT_FUNCTIONS = [
    "log_text", "log_text_value", "log_dict", "log_dict_value", "log_dict_yaml", "log_artifact",
    "log_artifact_local", "log_artifacts", "log_artifacts_local", "log_figure", "log_image",
    "log_table", "client.log_text", "client.log_dict", "client.log_artifact", "list_artifacts",
    "load_text",
]  # fmt: skip


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ARTIFACT_FUNCTIONS)
def test_artifact_paths_and_values_raise_only_mlnb_errors(run, tmp_path, name):
    call = _artifact_calls(tmp_path)[name]

    @SETTINGS
    @given(path=odd_path, value=odd_value)
    def check(path: Any, value: Any) -> None:
        _only_mlnb_errors(lambda: call(path, value))

    check()


# --- datasets, experiments, runs ---------------------------------------------------------------
@pytest.mark.timeout(60)
def test_log_input_raises_only_mlnb_errors(run):
    @SETTINGS
    @given(data=odd_value, context=odd_value, name=odd_key)
    def check(data: Any, context: Any, name: Any) -> None:
        _only_mlnb_errors(lambda: mlnb.log_input(data, context=context))
        _only_mlnb_errors(lambda: mlnb.log_input([[1, 2]], context="c", tags={"k": data}, name=name))

    check()


@pytest.mark.timeout(60)
def test_experiment_names_raise_only_mlnb_errors(store):
    client = mlnb.MlflowClient()

    @SETTINGS
    @given(name=odd_key)
    def check(name: Any) -> None:
        _only_mlnb_errors(lambda: mlnb.set_experiment(name))
        _only_mlnb_errors(lambda: mlnb.create_experiment(name))
        _only_mlnb_errors(lambda: client.create_experiment(name))
        _only_mlnb_errors(lambda: mlnb.get_experiment_by_name(name))
        _only_mlnb_errors(lambda: mlnb.set_experiment(experiment_id=name))

    check()
    mlnb.set_experiment("Default")


@pytest.mark.timeout(60)
def test_start_run_names_and_tags_raise_only_mlnb_errors(store):
    def start(**kwargs: Any) -> None:
        with mlnb.start_run(**kwargs):
            pass

    @SETTINGS
    @given(name=odd_value, key=odd_key, value=odd_value)
    def check(name: Any, key: Any, value: Any) -> None:
        _only_mlnb_errors(lambda: start(run_name=name))
        _only_mlnb_errors(lambda: start(tags={key: value}))
        _only_mlnb_errors(lambda: start(tags=value))
        assert mlnb.active_run() is None

    check()


# --- model URIs and artifact URIs through the facades -------------------------------------------
odd_uri = st.one_of(
    odd_path,
    st.builds(
        lambda scheme, rest: scheme + rest, st.sampled_from(["runs:/", "models:/", "file://"]), odd_text
    ),
)
FACADES: dict[str, Callable[[Any], Any]] = {
    "load_model": lambda uri: mlnb.load_model(uri),
    "pyfunc.load_model": lambda uri: mlnb.pyfunc.load_model(uri),
    "sklearn.load_model": lambda uri: mlnb.sklearn.load_model(uri),
    "artifacts.load_text": lambda uri: mlnb.artifacts.load_text(uri),
    "artifacts.load_dict": lambda uri: mlnb.artifacts.load_dict(uri),
    "artifacts.list_artifacts": lambda uri: mlnb.artifacts.list_artifacts(artifact_uri=uri),
    "data.from_numpy": lambda uri: mlnb.data.from_numpy(uri),
    "data.from_numpy_source": lambda uri: mlnb.data.from_numpy([[1.0, 2.0]], source=uri),
    "register_model": lambda uri: mlnb.register_model(uri, "m"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(FACADES))
def test_facades_raise_only_mlnb_errors(store, name):
    call = FACADES[name]

    @SETTINGS
    @given(uri=odd_uri)
    def check(uri: Any) -> None:
        _only_mlnb_errors(lambda: call(uri))

    check()


@pytest.mark.timeout(60)
def test_tracking_uris_raise_only_mlnb_errors(store):
    @SETTINGS
    @given(uri=odd_uri)
    def check(uri: Any) -> None:
        if isinstance(uri, str | Path) and not str(uri).startswith(("/", "file:", "runs:", "models:")):
            return  # a relative path would create a store in the working directory
        _only_mlnb_errors(lambda: mlnb.set_tracking_uri(uri))

    check()


# --- the corpus: inputs that once escaped as raw exceptions ------------------------------------
def _decode(value: Any) -> Any:
    """JSON has no lone-surrogate-free limits but no objects: ``{"$deep": n}`` and friends."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, arg),) = value.items()
        if tag == "$deep":
            return _deep(arg)
        if tag == "$object":
            return object()
        if tag == "$pow10":
            return 10**arg
        if tag == "$repeat":
            return arg[0] * arg[1]
        if tag == "$circular":
            circular: dict[str, Any] = {}
            circular["self"] = circular
            return circular
    return value


def _start_run_with_tags(tags: Any) -> None:
    with mlnb.start_run(nested=True, tags=tags):
        pass


OTHER_CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "pyfunc.load_model": lambda uri, _: mlnb.pyfunc.load_model(uri),
    "artifacts.load_dict": lambda uri, _: mlnb.artifacts.load_dict(uri),
    "sklearn.load_model": lambda uri, _: mlnb.sklearn.load_model(uri),
    "client.tracking_uri": lambda uri, _: mlnb.MlflowClient(tracking_uri=uri).search_experiments(),
    "log_input_data": lambda d, _: mlnb.log_input(d),
    "log_input_tags": lambda v, _: mlnb.log_input([[1, 2]], context="c", tags={"k": v}),
    "log_input_context": lambda v, _: mlnb.log_input([[1, 2]], context=v),
    "start_run_tags": lambda v, _: _start_run_with_tags(v),
    "set_experiment": lambda name, _: mlnb.set_experiment(name),
}


def _corpus() -> list[dict[str, Any]]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", _corpus(), ids=lambda case: case["id"])
def test_corpus_case(run, tmp_path, case):
    calls = {**_fluent_calls(run.info.run_id), **_artifact_calls(tmp_path), **OTHER_CALLS}
    first, second = (_decode(arg) for arg in case["args"])
    with pytest.raises(MlnbError) as raised:
        calls[case["function"]](first, second)
    assert "\n" not in str(raised.value)


def test_artifact_below_a_logged_file_names_the_clash(run):
    mlnb.log_text("a file", "report")
    with pytest.raises(MlnbError, match="clashes with an existing file"):
        mlnb.log_text("below it", "report/part.txt")
