"""The registry contract: every backend's ``store.registry`` behaves the same.

The tests use only :class:`mlnb.store.registry_base.RegistryStore`; the ``backend`` fixture
lists every backend that exists, so a new one (PostgreSQL, a REST client) runs them unchanged.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.queues
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlnb.errors import AliasNotFound, AlreadyExists, InvalidState, ModelNotFound, NotFound
from mlnb.store.registry_base import RegistryStore

BACKENDS = ["sqlite"]
RUN = "ab" * 16


@dataclass
class Backend:
    """One backend under test: its registry, and a way to open more handles on the same data
    (another connection, as a second process would have)."""

    registry: RegistryStore
    open_handle: Callable[[], RegistryStore]
    closers: list[Callable[[], None]] = field(default_factory=list)


def _sqlite(tmp_path: Path) -> Backend:
    from mlnb.store.location import parse_store_uri
    from mlnb.store.sql import SqlStore

    root = tmp_path / ".mlnb"
    closers: list[Callable[[], None]] = []

    def open_handle() -> RegistryStore:
        store = SqlStore(parse_store_uri(root, source="test"))
        closers.append(store.close)
        return store.registry

    return Backend(open_handle(), open_handle, closers)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = {"sqlite": _sqlite}[request.param](tmp_path)
    yield made
    for close in made.closers:
        close()


@pytest.fixture
def registry(backend: Backend) -> RegistryStore:
    return backend.registry


def _versions(registry: RegistryStore, name: str, count: int) -> list[int]:
    return [registry.create_model_version(name, RUN, f"model{i}", "ana")["version"] for i in range(count)]


def test_backend_is_a_registry_store(registry: RegistryStore) -> None:
    assert isinstance(registry, RegistryStore)


def _write_in_threads(backend: Backend, count: int) -> list[list[int]]:
    writers = [backend.open_handle(), backend.open_handle()]
    got: list[list[int]] = [[] for _ in writers]
    errors: list[BaseException] = []
    start = threading.Barrier(len(writers))

    def write(i: int) -> None:
        try:
            start.wait()
            got[i] = _versions(writers[i], "churn", count)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    return got


def _write_in_processes(backend: Backend, count: int) -> list[list[int]]:
    context = multiprocessing.get_context("fork")
    results: multiprocessing.queues.Queue[tuple[int, list[int] | str]] = context.Queue()
    start = context.Barrier(2)

    def write(i: int) -> None:  # in the child: its own handle, as another process has
        try:
            registry = backend.open_handle()
            start.wait()
            results.put((i, _versions(registry, "churn", count)))
        except BaseException as exc:
            results.put((i, repr(exc)))

    processes = [context.Process(target=write, args=(i,)) for i in range(2)]
    for p in processes:
        p.start()
    got: list[list[int]] = [[], []]
    for _ in processes:
        i, result = results.get(timeout=120)
        assert not isinstance(result, str), result
        got[i] = result
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    return got


@pytest.mark.parametrize("writers", ["threads", "processes"])
def test_versions_are_gapless_under_two_concurrent_writers(backend: Backend, writers: str) -> None:
    per_writer = 25
    write = _write_in_threads if writers == "threads" else _write_in_processes
    got = write(backend, per_writer)
    total = per_writer * len(got)
    assert sorted(got[0] + got[1]) == list(range(1, total + 1))  # no gap, no duplicate
    assert all(g == sorted(g) for g in got)  # each writer sees its numbers increase
    listed = [v["version"] for v in backend.registry.list_model_versions("churn")]
    assert listed == list(range(total, 0, -1))  # newest first
    assert backend.registry.get_registered_model("churn")["last_version"] == total


def test_a_deleted_version_number_is_never_reused(registry: RegistryStore) -> None:
    assert _versions(registry, "churn", 3) == [1, 2, 3]
    registry.delete_model_version("churn", 3, "ana")
    with pytest.raises(ModelNotFound):
        registry.get_model_version("churn", 3)
    assert _versions(registry, "churn", 1) == [4]


def test_a_new_version_has_what_it_was_created_with(registry: RegistryStore) -> None:
    row = registry.create_model_version("churn", RUN, "model", "ana", "first", {"team": "risk"}, "d" * 64)
    assert registry.get_model_version("churn", 1) == row
    assert (row["run_id"], row["artifact_path"], row["current_stage"]) == (RUN, "model", "None")
    assert (row["description"], row["user_id"], row["tags"], row["model_digest"]) == (
        "first", "ana", {"team": "risk"}, "d" * 64,
    )  # fmt: skip
    assert registry.locate_version("churn") == (1, RUN, "model", "d" * 64)


def test_registered_models_crud(registry: RegistryStore) -> None:
    created = registry.create_registered_model("churn", "ana", "predicts churn", {"team": "risk"})
    assert (created["name"], created["description"], created["tags"]) == (
        "churn",
        "predicts churn",
        {"team": "risk"},
    )
    assert (created["last_version"], created["latest_versions"], created["aliases"]) == (0, [], {})
    with pytest.raises(AlreadyExists):
        registry.create_registered_model("churn", "ben")
    registry.create_registered_model("abc", "ben")
    assert [m["name"] for m in registry.list_registered_models()] == ["abc", "churn"]
    registry.update_registered_model("churn", "new text")
    assert registry.get_registered_model("churn")["description"] == "new text"
    registry.delete_registered_model("churn", "ana")
    with pytest.raises(ModelNotFound):
        registry.get_registered_model("churn")
    assert [m["name"] for m in registry.list_registered_models()] == ["abc"]


def test_model_and_version_tags(registry: RegistryStore) -> None:
    _versions(registry, "churn", 1)
    registry.set_model_tag("churn", "team", "risk")
    registry.set_model_tag("churn", "team", "growth")  # replaces
    registry.set_version_tag("churn", 1, "validated", "yes")
    assert registry.get_registered_model("churn")["tags"] == {"team": "growth"}
    assert registry.get_model_version("churn", 1)["tags"] == {"validated": "yes"}
    registry.delete_model_tag("churn", "team")
    registry.delete_version_tag("churn", 1, "validated")
    with pytest.raises(NotFound):
        registry.delete_model_tag("churn", "team")
    with pytest.raises(NotFound):
        registry.delete_version_tag("churn", 1, "validated")
    with pytest.raises(ModelNotFound):
        registry.set_version_tag("churn", 9, "k", "v")


def test_alias_set_move_and_delete_keep_their_history(registry: RegistryStore) -> None:
    _versions(registry, "churn", 3)
    assert registry.set_alias("churn", "champion", 1, "ana") is None
    assert registry.set_alias("churn", "champion", 2, "ben") == 1
    assert registry.set_alias("churn", "champion", 2, "ben") == 2  # already there: no new period
    assert registry.alias_version("churn", "champion") == 2
    assert registry.get_model_version("churn", 2)["aliases"] == ["champion"]
    assert registry.get_registered_model("churn")["aliases"] == {"champion": 2}
    with pytest.raises(InvalidState):  # checked against another holder: refused, nothing moves
        registry.set_alias("churn", "champion", 3, "ana", expected=1)
    assert registry.set_alias("churn", "champion", 3, "ana", expected=2) == 2
    assert registry.delete_alias("churn", "champion", "ben") == 3
    with pytest.raises(AliasNotFound):
        registry.alias_version("churn", "champion")
    with pytest.raises(ModelNotFound):
        registry.delete_alias("churn", "champion", "ben")
    history = registry.alias_history("churn", "champion")
    assert [(h["version"], h["set_by"], h["removed_by"], h["removed_reason"]) for h in history] == [
        (1, "ana", "ben", "moved"),
        (2, "ben", "ana", "moved"),
        (3, "ana", "ben", "deleted"),
    ]
    for before, after in itertools.pairwise(history):
        assert before["removed_time"] is not None and before["removed_time"] <= after["set_time"]


def test_deleting_a_version_or_model_closes_its_alias_periods(registry: RegistryStore) -> None:
    _versions(registry, "churn", 2)
    registry.set_alias("churn", "a", 1, "ana")
    registry.set_alias("churn", "b", 2, "ana")
    registry.delete_model_version("churn", 1, "ben")
    assert registry.get_registered_model("churn")["aliases"] == {"b": 2}
    registry.delete_registered_model("churn", "ben")
    history = registry.alias_history("churn")
    assert [(h["alias"], h["removed_reason"]) for h in history] == [
        ("a", "version deleted"),
        ("b", "model deleted"),
    ]
    assert all(h["removed_time"] is not None for h in history)


def test_stage_transitions(registry: RegistryStore) -> None:
    _versions(registry, "churn", 3)
    assert registry.transition_stage("churn", 1, "Production", False) == []
    assert registry.transition_stage("churn", 2, "Staging", False) == []
    assert registry.transition_stage("churn", 3, "Production", True) == [1]  # 1 is archived
    stages = {v["version"]: v["current_stage"] for v in registry.list_model_versions("churn")}
    assert stages == {1: "Archived", 2: "Staging", 3: "Production"}
    assert registry.locate_version("churn", stage="Production").version == 3
    assert [v["version"] for v in registry.list_model_versions("churn", ["Staging", "Archived"])] == [2, 1]
    latest = registry.get_registered_model("churn")["latest_versions"]
    assert [(v["version"], v["current_stage"]) for v in latest] == [
        (1, "Archived"),
        (2, "Staging"),
        (3, "Production"),
    ]
    assert registry.transition_stage("churn", 2, "Production", False) == []  # without archiving: two
    assert registry.locate_version("churn", stage="Production").version == 3  # the newest there
    with pytest.raises(ModelNotFound):
        registry.locate_version("churn", stage="None")


def test_rename_keeps_versions_tags_and_aliases(registry: RegistryStore) -> None:
    _versions(registry, "churn", 3)
    registry.delete_model_version("churn", 2, "ana")
    registry.set_model_tag("churn", "team", "risk")
    registry.set_version_tag("churn", 3, "validated", "yes")
    registry.set_alias("churn", "champion", 1, "ana")
    registry.set_alias("churn", "champion", 3, "ana")
    registry.rename_registered_model("churn", "attrition")
    with pytest.raises(ModelNotFound):
        registry.get_registered_model("churn")
    model = registry.get_registered_model("attrition")
    assert (model["last_version"], model["tags"], model["aliases"]) == (3, {"team": "risk"}, {"champion": 3})
    assert [v["version"] for v in registry.list_model_versions("attrition")] == [3, 1]
    assert registry.get_model_version("attrition", 3)["tags"] == {"validated": "yes"}
    assert [h["version"] for h in registry.alias_history("attrition", "champion")] == [1, 3]
    assert _versions(registry, "attrition", 1) == [4]  # numbering continues
    registry.create_registered_model("other", "ana")
    with pytest.raises(AlreadyExists):
        registry.rename_registered_model("attrition", "other")
    with pytest.raises(ModelNotFound):
        registry.rename_registered_model("churn", "new")


def test_missing_models_and_versions_are_reported(registry: RegistryStore) -> None:
    with pytest.raises(ModelNotFound):
        registry.list_model_versions("nope")
    with pytest.raises(ModelNotFound):
        registry.locate_version("nope", version=1)
    with pytest.raises(ModelNotFound):
        registry.alias_history("nope")
    _versions(registry, "churn", 1)
    with pytest.raises(ModelNotFound):
        registry.locate_version("churn", version=2)
    with pytest.raises(AliasNotFound):
        registry.locate_version("churn", alias="champion")
    with pytest.raises(ModelNotFound):
        registry.update_model_version("churn", 2, description="x")
    assert registry.update_model_version("churn", 1, description="x")["description"] == "x"
