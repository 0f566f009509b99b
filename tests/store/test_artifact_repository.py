"""The ArtifactRepository contract, run against every implementation that exists.

The tests use only :class:`mlnb.store.repository.ArtifactRepository`.  What a contract test
cannot do through the interface (change stored bytes behind its back, see every stored object,
make the rows' commit fail) each implementation's :class:`Backend` provides.  A new repository
(an object store) adds its name to ``IMPLEMENTATIONS`` and a branch to the ``backend`` fixture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlnb.errors import ArtifactNotFound, IntegrityError, InvalidParameter, RunDeleted, UnsafePath
from mlnb.store.repository import ArtifactRepository

IMPLEMENTATIONS = ["local"]


@dataclass
class Backend:
    repository: ArtifactRepository
    run_id: str
    new_run: Callable[[], str]
    delete_run: Callable[[str], None]
    tamper: Callable[[str, str, bytes], None]  # (run, path, bytes): replace what is stored
    remove: Callable[[str, str], None]  # (run, path): remove the stored file, keep its row
    stored: Callable[[str], dict[str, bytes]]  # (run): every stored file, recorded or not
    failing_commit: Callable[[], AbstractContextManager[None]]  # the rows' commit raises inside
    # (run, name, outside dir): a link in the run's storage to a place outside it (None: no links)
    link_outside: Callable[[str, str, Path], None] | None = None


class CommitFailed(Exception):
    pass


@contextmanager
def _local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    from mlnb.store.location import resolve
    from mlnb.store.sql import DEFAULT_EXPERIMENT_ID, SqlStore

    store = SqlStore(resolve(tmp_path / ".mlnb"))

    def new_run() -> str:
        return store.create_run(DEFAULT_EXPERIMENT_ID).run_id

    def file(run_id: str, path: str) -> Path:
        return store.run_dir(run_id).joinpath(*path.split("/"))

    def stored(run_id: str) -> dict[str, bytes]:
        root = store.run_dir(run_id)
        if not root.is_dir():
            return {}
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    @contextmanager
    def failing_commit() -> Iterator[None]:
        def refuse(*_args: object) -> None:
            raise CommitFailed("the rows' commit failed")

        with monkeypatch.context() as patch:
            patch.setattr(store, "record_artifacts", refuse)
            yield

    def link_outside(run_id: str, name: str, outside: Path) -> None:
        store.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        file(run_id, name).symlink_to(outside, target_is_directory=True)

    try:
        yield Backend(
            repository=store.artifacts,
            run_id=new_run(),
            new_run=new_run,
            delete_run=lambda run_id: store.set_run_lifecycle(run_id, "deleted"),
            tamper=lambda run_id, path, data: file(run_id, path).write_bytes(data),
            remove=lambda run_id, path: file(run_id, path).unlink(),
            stored=stored,
            failing_commit=failing_commit,
            link_outside=link_outside,
        )
    finally:
        store.close()


@pytest.fixture(params=IMPLEMENTATIONS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    if request.param == "local":
        with _local(tmp_path, monkeypatch) as backend:
            yield backend
    else:  # pragma: no cover - a listed implementation without its backend
        raise AssertionError(f"no backend for the {request.param!r} repository")


@pytest.fixture
def repository(backend: Backend) -> ArtifactRepository:
    return backend.repository


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _recorded(
    repository: ArtifactRepository, run_id: str, path: str = ""
) -> dict[str, tuple[str | None, int | None]]:
    """``{file path: (sha256, size)}`` of every recorded file below ``path``, through list_artifacts."""
    out: dict[str, tuple[str | None, int | None]] = {}
    for info in repository.list_artifacts(run_id, path):
        if info.is_dir:
            out.update(_recorded(repository, run_id, info.path))
        else:
            out[info.path] = (info.sha256, info.file_size)
    return out


def test_every_implementation_is_an_artifact_repository(repository: ArtifactRepository) -> None:
    assert isinstance(repository, ArtifactRepository)


def test_a_file_round_trips_through_every_read(
    repository: ArtifactRepository, backend: Backend, tmp_path: Path
) -> None:
    run = backend.run_id
    data = b"hello \x00 bytes\n" * 1000
    repository.write_files(run, [("notes/a.bin", data)])

    assert repository.read_verified(run, "notes/a.bin") == data
    assert repository.verified_path(run, "notes/a.bin").read_bytes() == data
    with repository.open_verified(run, "notes/a.bin") as fh:
        assert fh.read() == data
    copy = repository.download(run, "notes/a.bin", tmp_path / "out")
    assert copy == tmp_path / "out" / "a.bin"
    assert copy.read_bytes() == data


def test_a_local_file_is_copied_in(repository: ArtifactRepository, backend: Backend, tmp_path: Path) -> None:
    local = tmp_path / "model.bin"
    local.write_bytes(b"\x01\x02" * 70_000)
    repository.write_files(backend.run_id, [("m/model.bin", local)])
    assert repository.read_verified(backend.run_id, "m/model.bin") == local.read_bytes()


def test_a_directory_round_trips(repository: ArtifactRepository, backend: Backend, tmp_path: Path) -> None:
    run = backend.run_id
    tree = {"d/a.txt": b"a", "d/sub/b.txt": b"bb", "d/sub/deeper/c.txt": b"ccc", "other.txt": b"o"}
    repository.write_files(run, list(tree.items()))

    top = repository.list_artifacts(run)
    assert [(i.path, i.is_dir) for i in top] == [("d", True), ("other.txt", False)]
    assert [i.path for i in repository.list_artifacts(run, "d")] == ["d/a.txt", "d/sub"]

    out = repository.download(run, "d", tmp_path / "dl")
    assert out == tmp_path / "dl" / "d"
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == {k[len("d/") :]: v for k, v in tree.items() if k.startswith("d/")}

    everything = repository.download(run, "")
    got = {p.relative_to(everything).as_posix(): p.read_bytes() for p in everything.rglob("*") if p.is_file()}
    assert got == tree


def test_the_recorded_hash_is_the_sha256_of_the_bytes(
    repository: ArtifactRepository, backend: Backend
) -> None:
    run = backend.run_id
    files = {"x.bin": b"", "y/z.json": b'{"a": 1}', "big.bin": bytes(range(256)) * 5000}
    repository.write_files(run, list(files.items()))
    assert _recorded(repository, run) == {p: (_sha(d), len(d)) for p, d in files.items()}


def test_a_rewrite_records_the_new_hash(repository: ArtifactRepository, backend: Backend) -> None:
    run = backend.run_id
    repository.write_files(run, [("a.txt", b"one")])
    repository.write_files(run, [("a.txt", b"two")])
    assert _recorded(repository, run) == {"a.txt": (_sha(b"two"), 3)}
    assert repository.read_verified(run, "a.txt") == b"two"


def test_linked_files_are_recorded_with_the_same_hashes(
    repository: ArtifactRepository, backend: Backend
) -> None:
    run = backend.run_id
    repository.write_files(run, [("lr/MLmodel", b"flavors: {}\n"), ("lr/model.skops", b"\x00" * 99)])
    assert repository.link_files(run, "lr", "model") == ["model/MLmodel", "model/model.skops"]
    recorded = _recorded(repository, run)
    assert recorded["model/MLmodel"] == recorded["lr/MLmodel"] == (_sha(b"flavors: {}\n"), 12)
    assert repository.read_verified(run, "model/model.skops") == b"\x00" * 99
    with pytest.raises(ArtifactNotFound):
        repository.link_files(run, "nothing", "there")


@pytest.mark.parametrize("read", ["read_verified", "verified_path", "open_verified", "download"])
def test_a_tampered_file_is_refused_on_read(
    repository: ArtifactRepository, backend: Backend, tmp_path: Path, read: str
) -> None:
    run = backend.run_id
    repository.write_files(run, [("d/model.bin", b"the logged bytes")])
    backend.tamper(run, "d/model.bin", b"the changed bytes")  # same size, other content
    with pytest.raises(IntegrityError, match="modified after it was logged"):
        if read == "download":
            repository.download(run, "d", tmp_path / "dl")
        else:
            getattr(repository, read)(run, "d/model.bin")
    backend.tamper(run, "d/model.bin", b"longer and changed bytes")
    with pytest.raises(IntegrityError):
        repository.read_verified(run, "d/model.bin")


def test_a_missing_file_is_refused_and_an_unknown_one_not_found(
    repository: ArtifactRepository, backend: Backend
) -> None:
    run = backend.run_id
    repository.write_files(run, [("a.txt", b"a")])
    backend.remove(run, "a.txt")
    with pytest.raises(IntegrityError, match="missing"):
        repository.read_verified(run, "a.txt")
    with pytest.raises(IntegrityError, match="missing"):
        repository.verified_path(run, "a.txt")
    with pytest.raises(ArtifactNotFound):
        repository.read_verified(run, "never-written.txt")
    with pytest.raises(ArtifactNotFound):
        repository.verified_path(run, "never-written.txt")
    with pytest.raises(ArtifactNotFound):
        repository.download(run, "never-written")


@pytest.mark.parametrize(
    "path", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "~/x", "a\\b", "a//b"]
)
def test_a_path_escaping_the_run_is_refused(
    repository: ArtifactRepository, backend: Backend, path: str
) -> None:
    run = backend.run_id
    with pytest.raises(UnsafePath):
        repository.write_files(run, [(path, b"x")])
    with pytest.raises(UnsafePath):
        repository.read_verified(run, path)
    with pytest.raises(UnsafePath):
        repository.verified_path(run, path)
    with pytest.raises(UnsafePath):
        repository.download(run, path)
    assert backend.stored(run) == {}
    assert repository.list_artifacts(run) == []


def test_a_link_out_of_the_run_is_not_followed(
    repository: ArtifactRepository, backend: Backend, tmp_path: Path
) -> None:
    if backend.link_outside is None:
        pytest.skip("this storage has no links")
    run = backend.run_id
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not the run's")
    backend.link_outside(run, "out", outside)
    with pytest.raises(UnsafePath, match="outside"):
        repository.write_files(run, [("out/a.txt", b"x")])
    with pytest.raises(UnsafePath, match="outside"):
        repository.write_files(run, [("out/deeper/a.txt", b"x")])
    assert [p.name for p in outside.iterdir()] == ["secret.txt"]
    assert repository.list_artifacts(run) == []


def test_reserved_names_are_refused(repository: ArtifactRepository, backend: Backend) -> None:
    with pytest.raises(InvalidParameter, match="reserved"):
        repository.write_files(backend.run_id, [(".mlnb-tmp-x/a.txt", b"x")])
    assert backend.stored(backend.run_id) == {}


def test_a_failed_write_leaves_no_file_and_no_row(
    repository: ArtifactRepository, backend: Backend, tmp_path: Path
) -> None:
    run = backend.run_id
    repository.write_files(run, [("kept.txt", b"before")])
    before = backend.stored(run)

    # a source that cannot be read, after a good one
    with pytest.raises(InvalidParameter):
        repository.write_files(run, [("new/a.txt", b"a"), ("new/b.txt", tmp_path / "no-such-file")])
    # a path refused after a good one
    with pytest.raises(UnsafePath):
        repository.write_files(run, [("new/a.txt", b"a"), ("../b.txt", b"b")])
    # every file in place, then the rows' commit fails: an overwritten path gets its file back
    with backend.failing_commit(), pytest.raises(CommitFailed):
        repository.write_files(run, [("new/a.txt", b"a"), ("kept.txt", b"after")])

    assert backend.stored(run) == before
    assert _recorded(repository, run) == {"kept.txt": (_sha(b"before"), 6)}
    assert repository.read_verified(run, "kept.txt") == b"before"
    with pytest.raises(ArtifactNotFound):
        repository.read_verified(run, "new/a.txt")


def test_a_failed_link_leaves_no_file_and_no_row(repository: ArtifactRepository, backend: Backend) -> None:
    run = backend.run_id
    repository.write_files(run, [("lr/a.txt", b"a"), ("lr/b.txt", b"b")])
    before = backend.stored(run)
    with backend.failing_commit(), pytest.raises(CommitFailed):
        repository.link_files(run, "lr", "model")
    assert backend.stored(run) == before
    assert set(_recorded(repository, run)) == {"lr/a.txt", "lr/b.txt"}


def test_a_deleted_run_is_not_written(repository: ArtifactRepository, backend: Backend) -> None:
    run = backend.new_run()
    backend.delete_run(run)
    with pytest.raises(RunDeleted):
        repository.write_files(run, [("a.txt", b"a")])
    assert backend.stored(run) == {}
