"""Artifact files: atomic writes (temp -> fsync -> journal -> rename -> row), verified reads.

A write holds the store's artifact lock shared from its first temp file until its rows are
committed, and journals each file's sha256 before renaming it into place
(:mod:`mlnb.store.journal`): ``mlnb gc`` cannot take a file for an orphan while its row is on
its way, and recovery after a crash accepts only the bytes that were journaled.

A second path for files the run already holds (a model's ``model`` alias) is a hard link
(:func:`link_files`): both paths have their own row with the same sha256 and name the same bytes
on disk.  Every write replaces a path by renaming a new file over it, so rewriting one path never
changes the other; removing one path (``mlnb gc``) frees the bytes only with the last link.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mlnb.errors import ArtifactNotFound, IntegrityError, InvalidParameter, os_errors
from mlnb.store import journal
from mlnb.store.journal import TMP_PREFIX
from mlnb.store.paths import check_relpath, contained

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore

__all__ = [
    "TMP_PREFIX",
    "download",
    "link_files",
    "read_verified",
    "sha256_file",
    "verified_path",
    "write_files",
]

_CHUNK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _destination(store: SqlStore, run_id: str, rel: str) -> Path:
    if any(part.startswith(TMP_PREFIX) for part in rel.split("/")):
        raise InvalidParameter(f"artifact path {rel!r} uses the reserved prefix {TMP_PREFIX!r}")
    run_dir = store.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    dest = contained(run_dir, rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest = contained(run_dir, rel)  # a directory created above may not be a symlink out
    if dest.is_dir():
        raise InvalidParameter(
            f"artifact path {rel!r} of run {run_id} is a directory; choose a file name below it"
        )
    return dest


def _stage(dest: Path, source: bytes | IO[bytes]) -> tuple[Path, str, int]:
    """Write ``source`` to a fsynced temp file beside ``dest``: ``(temp path, sha256, size)``."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, (bytes, bytearray, memoryview)):
                chunks = [bytes(source)]
            else:
                chunks = iter(lambda: source.read(_CHUNK), b"")
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise
    return Path(tmp), digest.hexdigest(), size


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _commit(store: SqlStore, run_id: str, rows: list[tuple[str, str, int]], dests: list[Path]) -> None:
    # The renames are durable before any row says the files exist; one fsync per directory.
    for directory in dict.fromkeys(dest.parent for dest in dests):
        _fsync_dir(directory)
    with store.atomic() as conn:
        store.record_artifacts(conn, run_id, rows)


def write_files(store: SqlStore, run_id: str, items: list[tuple[str, bytes | Path]]) -> None:
    """Write ``(relative path, bytes or local file)`` pairs, then record all rows at once.

    All or nothing: when a write, a rename or the rows' commit fails, the files this call put in
    place are taken back (a path it overwrote gets its previous file again), so the store never
    holds a file without its row.  A file system error is an :class:`MlnbError` naming the path.
    """
    store.check_writable(run_id)
    checked = [(check_relpath(rel), src) for rel, src in items]
    with (
        os_errors(f"write artifacts of run {run_id}", store.run_dir(run_id)),
        journal.writing(store.artifact_root),
    ):
        staged: list[tuple[Path, Path]] = []
        rows = []
        placed = _Placed()
        try:
            for rel, src in checked:
                dest = _destination(store, run_id, rel)
                if isinstance(src, Path):
                    if not src.is_file():
                        raise InvalidParameter(f"local file {str(src)!r} does not exist or is not a file")
                    with open(src, "rb") as fh:
                        tmp, sha, size = _stage(dest, fh)
                else:
                    tmp, sha, size = _stage(dest, src)
                staged.append((tmp, dest))
                rows.append((rel, sha, size))
            # The hashes are durable before any file is in place: recovery accepts only these.
            placed.intents = journal.record_intents(
                store.run_dir(run_id),
                [(tmp, dest.parent, *row) for (tmp, dest), row in zip(staged, rows, strict=True)],
            )
            dests = [dest for _tmp, dest in staged]
            while staged:
                tmp, dest = staged[0]
                placed.before_replacing(dest)
                os.replace(tmp, dest)
                staged.pop(0)
            _commit(store, run_id, rows, dests)
        except BaseException:
            placed.take_back()
            raise
        finally:
            for tmp, _dest in staged:
                _unlink_quietly(tmp)
        placed.done()


class _Placed:
    """The files one write put in place, to take back if its rows are not committed."""

    def __init__(self) -> None:
        self.paths: list[tuple[Path, Path | None]] = []  # (destination, its previous file kept)
        self.intents: list[Path] = []

    def before_replacing(self, dest: Path) -> None:
        previous = None
        if dest.is_file():
            previous = dest.parent / f"{TMP_PREFIX}old-{secrets.token_hex(8)}"
            os.link(dest, previous)
        self.paths.append((dest, previous))

    def take_back(self) -> None:
        for dest, previous in reversed(self.paths):
            try:
                if previous is None:
                    os.unlink(dest)
                else:
                    os.replace(previous, dest)
            except OSError:
                pass  # a leftover file without a row: gc removes it after its grace period
        self.paths.clear()
        for intent in self.intents:
            journal.discard(intent)

    def done(self) -> None:
        for _dest, previous in self.paths:
            if previous is not None:
                _unlink_quietly(previous)
        for intent in self.intents:
            journal.discard(intent)


def _link(source: Path, dest: Path) -> bool:
    """Make ``dest`` a hard link to ``source`` (atomically, replacing ``dest``); False where the
    file system has no hard links (the caller copies instead)."""
    tmp = dest.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}"
    try:
        os.link(source, tmp)  # ``source`` is a resolved path inside the run (verified_path)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOENT, errno.ENOTDIR):
            raise
        return False  # EXDEV, EPERM, ENOTSUP, EMLINK, ...: no link here
    try:
        if dest.exists() and os.path.samefile(dest, tmp):
            os.unlink(tmp)  # already this file (rename() would keep both names)
        else:
            os.replace(tmp, dest)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return True


def _copy(rel: str, run_id: str, src: Path, dest: Path, expected: tuple[str, int]) -> None:
    with open(src, "rb") as fh:
        tmp, sha, size = _stage(dest, fh)
    try:
        if (sha, size) != expected:
            raise IntegrityError(f"artifact {rel!r} of run {run_id} changed while it was copied")
        os.replace(tmp, dest)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def link_files(store: SqlStore, run_id: str, source: str, target: str) -> list[str]:
    """Record every file of the run's directory ``source`` also below ``target``, sharing its bytes.

    Each file is checked against its recorded sha256 first and then hard-linked (copied where the
    file system cannot link), so the new rows name exactly the verified bytes.  Returns the new
    paths.  Like :func:`write_files`, the files are durable before the rows are committed.
    """
    store.check_writable(run_id)
    source, target = check_relpath(source), check_relpath(target)
    rows = store.artifact_rows(run_id, source)
    if not rows:
        raise ArtifactNotFound(f"run {run_id} has no artifact at {source!r} to share with {target!r}")
    with (
        os_errors(f"write artifacts of run {run_id}", store.run_dir(run_id)),
        journal.writing(store.artifact_root),
    ):
        plan = []
        for rel, (sha, size) in rows.items():
            dest_rel = check_relpath(target + rel[len(source) :])
            src = verified_path(store, run_id, rel)
            plan.append((rel, src, _destination(store, run_id, dest_rel), (dest_rel, sha, size)))
        new_rows = [row for *_x, row in plan]
        placed = _Placed()
        try:
            placed.intents = journal.record_intents(
                store.run_dir(run_id), [(src, dest.parent, *row) for _rel, src, dest, row in plan]
            )
            for rel, src, dest, (_p, sha, size) in plan:
                placed.before_replacing(dest)
                if not _link(src, dest):
                    _copy(rel, run_id, src, dest, (sha, size))
            _commit(store, run_id, new_rows, [dest for _r, _s, dest, _row in plan])
        except BaseException:
            placed.take_back()
            raise
        placed.done()
    return [p for p, _sha, _size in new_rows]


def verified_path(store: SqlStore, run_id: str, rel: str) -> Path:
    """The path of one artifact file after checking it against its recorded sha256."""
    rel = check_relpath(rel)
    rows = store.artifact_rows(run_id, rel)
    if rel not in rows:
        raise ArtifactNotFound(
            f"run {run_id} has no artifact file {rel!r}; list them with mlnb.list_artifacts"
        )
    sha, size = rows[rel]
    path = contained(store.run_dir(run_id), rel)
    if not path.is_file():
        raise IntegrityError(f"artifact {rel!r} of run {run_id} is recorded but its file is missing")
    actual, actual_size = sha256_file(path)
    if actual != sha or actual_size != size:
        raise IntegrityError(
            f"artifact {rel!r} of run {run_id} was modified after it was logged (sha256 "
            f"{actual[:12]}… != recorded {sha[:12]}…); refusing to use it"
        )
    return path


def download(store: SqlStore, run_id: str, rel: str, dst: Path | None) -> Path:
    """Copy an artifact file or directory out of the store, verifying every file's hash."""
    rel = check_relpath(rel, allow_empty=True)
    rows = store.artifact_rows(run_id, rel)
    if not rows:
        raise ArtifactNotFound(f"run {run_id} has no artifact at {rel or '(root)'!r}")
    dst = Path(tempfile.mkdtemp(prefix="mlnb-")) if dst is None else Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    for path in rows:
        source = verified_path(store, run_id, path)
        target = dst.joinpath(*path[len(base) :].split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return dst.joinpath(*rel[len(base) :].split("/")) if rel else dst


def read_verified(store: SqlStore, run_id: str, rel: str) -> bytes:
    """The bytes of one artifact file, hashed as read: what is returned is what was logged."""
    rel = check_relpath(rel)
    rows = store.artifact_rows(run_id, rel)
    if rel not in rows:
        kind = "a directory, not a file" if rows else "not an artifact"
        raise ArtifactNotFound(
            f"{rel!r} of run {run_id} is {kind}; list them with mlnb.artifacts.list_artifacts"
        )
    sha, size = rows[rel]
    path = contained(store.run_dir(run_id), rel)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IntegrityError(
            f"artifact {rel!r} of run {run_id} is recorded but its file is missing"
        ) from None
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
        raise IntegrityError(
            f"artifact {rel!r} of run {run_id} was modified after it was logged (its sha256 no longer "
            "matches the recorded one); refusing to use it"
        )
    return data
