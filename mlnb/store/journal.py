"""The artifact writers' lock and the write journal of a store's artifact directory.

Two guarantees rest on this module:

* ``mlnb gc`` never removes a file that a writer is about to record.  A writer holds the store's
  lock *shared* from before its first file appears until its rows are committed
  (:func:`writing`); gc decides and deletes while holding it *exclusive* (:func:`exclusive`).
  A second lock file is a turnstile: gc closes it before waiting, so a stream of overlapping
  writers cannot starve gc, and writers never wait for each other.
* Crash recovery never launders a changed file.  Before a file is renamed into place its
  ``(path, sha256, size)`` is written and fsynced to a journal file in its run's directory
  (:func:`journal`), removed once the rows are committed.  Recovery of a dead writer's run
  accepts a file without a matching row only if its content matches a journaled entry.

Lock files, journals and the quarantine live under names starting with ``.mlnb-``, which no run
directory and no artifact path can have.
"""

from __future__ import annotations

import json
import os
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
JOURNAL_PREFIX = TMP_PREFIX + "journal-"  # mkstemp's random part never holds a '-'
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


def discard(path: Path) -> None:
    """Remove a journal whose rows are committed (a leftover is harmless: recovery removes it)."""
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
