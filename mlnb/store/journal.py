"""The artifact writers' lock and the write journal of a store's artifact directory.

Two guarantees rest on this module:

* ``mlnb gc`` never removes a file that a writer is about to record.  A writer holds the store's
  lock *shared* from before its first file appears until its rows are committed
  (:func:`writing`); gc decides and deletes while holding it *exclusive* (:func:`exclusive`).
  A second lock file is a turnstile: gc closes it before waiting, so a stream of overlapping
  writers cannot starve gc, and writers never wait for each other.
* Crash recovery never launders a changed file.  Before a file is renamed into place, its
  content hash is made durable: the fsynced temp file gets a second name (a hard link) that
  carries its ``sha256`` and size (:func:`mark`), which costs no extra fsync since the
  directory's fsync after the rename covers both names.  Where a file system has no hard links,
  ``(path, sha256, size)`` go to a fsynced journal file in the run's directory instead
  (:func:`journal`).  Both are removed once the rows are committed.  Recovery of a dead writer's
  run accepts a file without a matching row only if its content matches what was marked or
  journaled for it (:func:`marked`, :func:`journaled`).

Lock files, journals and the quarantine live under names starting with ``.mlnb-``, which no run
directory and no artifact path can have.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mlnb.errors import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: gc's grace period is the only guard
    fcntl = None  # type: ignore[assignment]

RESERVED_PREFIX = ".mlnb-"  # entries of the artifact directory that are not runs
TMP_PREFIX = ".mlnb-tmp-"  # files being written; never an artifact path
JOURNAL_PREFIX = TMP_PREFIX + "journal-"  # mkstemp's and token_hex's names never hold a '-'
MARK_PREFIX = TMP_PREFIX + "i-"  # + <sha256>-<size>-<random>
LOCK_NAME = ".mlnb-lock"
GATE_NAME = ".mlnb-lock-gate"
QUARANTINE_NAME = ".mlnb-quarantine"


def _open_lock(path: Path) -> int:
    flags = os.O_RDONLY | os.O_CLOEXEC  # flock needs no write access: any store user can lock
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {str(path)!r}: {exc.strerror}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags | os.O_CREAT, 0o666)
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock file {str(path)!r}: {exc.strerror}; check that the store's "
            "artifact directory is writable"
        ) from None


def _release(fd: int) -> None:
    # Unlock before closing: a child forked meanwhile shares the open file and its lock.
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def writing(artifact_root: Path) -> Iterator[None]:
    """Hold the store's artifact lock shared: files created inside are not gc's to judge."""
    if fcntl is None:
        yield
        return
    gate = _open_lock(artifact_root / GATE_NAME)
    try:
        fcntl.flock(gate, fcntl.LOCK_SH)  # waits only while a gc waits for or holds the lock
        main = _open_lock(artifact_root / LOCK_NAME)
        try:
            fcntl.flock(main, fcntl.LOCK_SH)
        except BaseException:
            os.close(main)
            raise
    finally:
        _release(gate)
    try:
        yield
    finally:
        _release(main)


@contextmanager
def exclusive(artifact_root: Path) -> Iterator[None]:
    """Hold the store's artifact lock exclusive: no writer is between a file and its row."""
    if fcntl is None:
        yield
        return
    gate = _open_lock(artifact_root / GATE_NAME)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)  # new writers wait here ...
        main = _open_lock(artifact_root / LOCK_NAME)
        try:
            fcntl.flock(main, fcntl.LOCK_EX)  # ... while the ones inside finish
        except BaseException:
            os.close(main)
            raise
        try:
            yield
        finally:
            _release(main)
    finally:
        _release(gate)


def mark(staged: Path, sha: str, size: int, directory: Path) -> Path | None:
    """Give the fsynced file ``staged`` a second name in ``directory`` (where it is about to be
    renamed or linked) recording its sha256 and size.

    Returns the name (:func:`discard` it once the rows are committed), or None where the file
    system has no hard links: then :func:`journal` the file instead.
    """
    name = directory / f"{MARK_PREFIX}{sha}-{size}-{secrets.token_hex(4)}"
    try:
        os.link(staged, name)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENOSPC, errno.EDQUOT):
            raise
        return None  # EXDEV, EPERM, ENOTSUP, EMLINK, ...
    return name


def _parse_mark(name: str) -> tuple[str, int] | None:
    sha, _, rest = name[len(MARK_PREFIX) :].partition("-")
    size, _, _token = rest.partition("-")
    if len(sha) != 64 or not size.isdigit():
        return None
    return sha, int(size)


def marked(directory: Path) -> dict[tuple[int, int], set[tuple[str, int]]]:
    """``{(device, inode): {(sha256, size), ...}}`` of the marks in ``directory``."""
    out: dict[tuple[int, int], set[tuple[str, int]]] = {}
    try:
        entries = [p for p in directory.iterdir() if p.name.startswith(MARK_PREFIX)]
    except OSError:
        return out
    for path in entries:
        parsed = _parse_mark(path.name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if parsed is not None:
            out.setdefault((st.st_dev, st.st_ino), set()).add(parsed)
    return out


def record_intents(run_dir: Path, files: list[tuple[Path, Path, str, str, int]]) -> list[Path]:
    """Make the hashes of ``(staged file, its directory, path, sha256, size)`` durable before the
    files are in place: a mark each, a journal for those that cannot be marked.  Returns what to
    :func:`discard` once their rows are committed."""
    made: list[Path] = []
    unmarked = []
    try:
        for staged, directory, rel, sha, size in files:
            name = mark(staged, sha, size, directory)
            if name is None:
                unmarked.append((rel, sha, size))
            else:
                made.append(name)
        if unmarked:
            made.append(journal(run_dir, unmarked))
    except BaseException:
        for name in made:
            discard(name)
        raise
    return made


def journal(run_dir: Path, rows: Iterable[tuple[str, str, int]]) -> Path:
    """Write ``(path, sha256, size)`` rows to a new journal file in ``run_dir`` and fsync it.

    Called before the files are renamed into place; :func:`discard` it once their rows are
    committed.
    """
    fd, name = tempfile.mkstemp(prefix=JOURNAL_PREFIX, dir=run_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for path, sha, size in rows:
                out.write(json.dumps({"path": path, "sha256": sha, "size": size}) + "\n")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def discard(path: Path | None) -> None:
    """Remove a mark or journal whose rows are committed (recovery removes a leftover)."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def journals(run_dir: Path) -> list[Path]:
    """The journal files left in ``run_dir`` (by writers that have not finished or have died)."""
    try:
        return sorted(p for p in run_dir.iterdir() if p.name.startswith(JOURNAL_PREFIX) and p.is_file())
    except OSError:
        return []


def journaled(run_dir: Path) -> dict[str, set[tuple[str, int]]]:
    """``{path: {(sha256, size), ...}}`` from every journal in ``run_dir``.

    A line cut short by a crash is ignored: its files were not yet renamed into place.
    """
    out: dict[str, set[tuple[str, int]]] = {}
    for path in journals(run_dir):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                entry = json.loads(line)
                rel, sha, size = entry["path"], entry["sha256"], entry["size"]
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(rel, str) and isinstance(sha, str) and isinstance(size, int):
                out.setdefault(rel, set()).add((sha, size))
    return out
