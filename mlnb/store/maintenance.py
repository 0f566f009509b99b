"""Integrity verification and garbage collection of a store (recovery on open: ``recovery``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import RunStatus
from mlnb.errors import InvalidParameter
from mlnb.store import journal
from mlnb.store import schema as t
from mlnb.store.artifacts import sha256_file
from mlnb.store.base import GcReport, VerifyReport
from mlnb.store.journal import RESERVED_PREFIX, TMP_PREFIX
from mlnb.store.recovery import files_under as _files_under
from mlnb.store.recovery import quarantine_dir, quarantined, reap_dead_runs

__all__ = ["GcReport", "VerifyReport", "artifact_bytes", "disk_bytes", "gc", "reap_dead_runs", "verify"]

if TYPE_CHECKING:
    from mlnb.store.backend import SqlBackend


def verify(store: SqlBackend) -> VerifyReport:
    """Check the database and every artifact file against its recorded size and sha256."""
    report = VerifyReport()
    with store.reading() as conn:
        if store.dialect == "sqlite":
            result = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            if result != ["ok"]:
                report.problems += [f"database: {line}" for line in result]
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                report.problems.append(f"database: row {row[1]} of {row[0]} references a missing {row[2]}")
        statuses = dict(conn.execute(sa.select(t.runs.c.run_id, t.runs.c.status)).all())
        rows = conn.execute(
            sa.select(t.artifacts.c.run_id, t.artifacts.c.path, t.artifacts.c.sha256, t.artifacts.c.size)
        ).all()
    report.runs = len(statuses)
    report.artifacts = len(rows)
    recorded: dict[str, set[str]] = {}
    # paths that share one file (hard links) are each checked, the file's bytes read once
    hashed: dict[tuple[int, int, int, int], tuple[str, int]] = {}
    for run_id, path, sha, size in rows:
        recorded.setdefault(run_id, set()).add(path)
        full = store.run_dir(run_id).joinpath(*path.split("/"))
        if not full.is_file() or full.is_symlink():
            report.problems.append(f"artifact {run_id}/{path}: file missing")
            continue
        st = full.stat()
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in hashed:
            hashed[key] = sha256_file(full)
        actual, actual_size = hashed[key]
        if actual != sha or actual_size != size:
            report.problems.append(f"artifact {run_id}/{path}: content does not match its sha256")
    root = store.artifact_root
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(RESERVED_PREFIX):  # lock files, the quarantine
                continue
            if entry.name not in statuses:
                report.problems.append(f"orphan directory {entry.name}: no such run")
                continue
            for rel, _full in _files_under(entry):
                if rel in recorded.get(entry.name, set()):
                    continue
                in_progress = statuses[entry.name] == RunStatus.RUNNING
                if in_progress or rel.rsplit("/", 1)[-1].startswith(TMP_PREFIX):
                    report.notes.append(f"unrecorded file {entry.name}/{rel} (write in progress)")
                else:
                    report.problems.append(f"orphan file {entry.name}/{rel}: no artifact row")
    held = quarantine_dir(store)
    for full in quarantined(store):
        report.problems.append(
            f"quarantined file {full.relative_to(held).as_posix()}: found after a crash matching "
            "neither its artifact row nor the sha256 journaled when it was written (changed while "
            f"its writer was down?); inspect it, then delete it from {held} (log it again if it "
            "is genuine)"
        )
    return report


def _inode(path: Path) -> tuple[tuple[int, int], int, int] | None:
    """``((device, inode), size, link count)`` of a regular file (not following a symlink)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino), st.st_size, st.st_nlink


def disk_bytes(paths: list[Path]) -> int:
    """Bytes the files at ``paths`` occupy, each file counted once however many links name it."""
    seen: dict[tuple[int, int], int] = {}
    for path in paths:
        found = _inode(path)
        if found is not None:
            seen[found[0]] = found[1]
    return sum(seen.values())


def _freed_bytes(paths: list[Path]) -> int:
    """Bytes removing ``paths`` frees: a file's bytes only when every link to it is among them."""
    removed: dict[tuple[int, int], list[int]] = {}
    for path in paths:
        found = _inode(path)
        if found is not None:
            key, size, links = found
            entry = removed.setdefault(key, [size, links, 0])
            entry[2] += 1
    return sum(size for size, links, count in removed.values() if count >= links)


def artifact_bytes(store: SqlBackend) -> int:
    """Bytes under the store's artifact directory, shared (hard-linked) files counted once."""
    root = store.artifact_root
    if not root.is_dir():
        return 0
    return disk_bytes([full for _rel, full in _files_under(root)])


def _age_s(path: Path, now: float) -> float:
    """Seconds since ``path`` last changed: written, renamed into place or hard-linked."""
    try:
        st = os.lstat(path)
    except OSError:
        return float("inf")  # gone: nothing to keep
    return now - max(st.st_mtime, st.st_ctime)


def _youngest_s(directory: Path, now: float) -> float:
    ages = [_age_s(directory, now)]
    for dirpath, dirs, files in os.walk(directory):
        ages += [_age_s(Path(dirpath) / name, now) for name in dirs + files]
    return min(ages)


# (run directory name, relative path or None for the whole directory, path)
_Orphan = tuple[str, "str | None", Path]


def _recorded(store: SqlBackend, names: set[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Statuses of every run, and the recorded paths of the runs named ``names``."""
    r, a = t.runs.c, t.artifacts.c
    recorded: dict[str, set[str]] = {}
    with store.reading() as conn:
        statuses = dict(conn.execute(sa.select(r.run_id, r.status)).all())
        wanted = sorted(names & statuses.keys())
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for rid, path in conn.execute(sa.select(a.run_id, a.path).where(a.run_id.in_(chunk))):
                recorded.setdefault(rid, set()).add(path)
    return statuses, recorded


def _orphans(store: SqlBackend, grace_s: float, report: GcReport, skip: set[str]) -> list[_Orphan]:
    """Unrecorded files and directories old enough to remove (seen without the lock)."""
    root = store.artifact_root
    if not root.is_dir():
        return []
    entries = [e for e in root.iterdir() if not e.name.startswith(RESERVED_PREFIX) and e.name not in skip]
    statuses, recorded = _recorded(store, {e.name for e in entries})
    now = time.time()
    out: list[_Orphan] = []
    for entry in entries:
        if entry.name not in statuses:
            if _youngest_s(entry, now) < grace_s:
                report.kept_recent += 1
            else:
                out.append((entry.name, None, entry))
            continue
        for rel, full in _files_under(entry):
            if rel in recorded.get(entry.name, set()):
                continue
            if statuses[entry.name] == RunStatus.RUNNING:
                report.kept_running += 1
            elif _age_s(full, now) < grace_s:
                report.kept_recent += 1
            else:
                out.append((entry.name, rel, full))
    return out


def _still_orphans(store: SqlBackend, found: list[_Orphan], grace_s: float) -> list[_Orphan]:
    """The orphans of ``found`` that still are: checked again under the writers' lock."""
    statuses, recorded = _recorded(store, {name for name, _rel, _full in found})
    now = time.time()
    out: list[_Orphan] = []
    for name, rel, full in found:
        if rel is None:
            if name not in statuses and _youngest_s(full, now) >= grace_s:
                out.append((name, rel, full))
        elif (
            statuses.get(name) != RunStatus.RUNNING
            and rel not in recorded.get(name, set())
            and _age_s(full, now) >= grace_s
        ):
            out.append((name, rel, full))
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def gc(
    store: SqlBackend, older_than_s: float = 0.0, dry_run: bool = False, grace_s: float | None = None
) -> GcReport:
    """Purge deleted runs (rows and files) and files that no artifact row records.

    An unrecorded file is removed only when it is older than ``grace_s`` seconds (default
    ``MLNB_GC_GRACE``, 600) and its run is not RUNNING, and only while gc holds the store's
    artifact lock exclusive, which every writer holds shared from its first file until its rows
    are committed: a file whose row is on its way is never taken for an orphan.  Lock files and
    the quarantine are never touched.

    Paths that share one file (a model and its alias, hard links) are removed together with their
    run; the bytes are freed with the last link, and the report counts every file once.
    """
    from mlnb.store._common import now_ms

    grace = config.gc_grace_s() if grace_s is None else grace_s
    if not grace >= 0:
        raise InvalidParameter(f"the gc grace period must be a number of seconds >= 0, not {grace!r}")
    report = GcReport(grace_s=grace)
    cutoff = now_ms() - int(older_than_s * 1000)
    r = t.runs.c
    with store.reading() as conn:
        doomed = [
            rid
            for (rid,) in conn.execute(
                sa.select(r.run_id).where(
                    r.lifecycle_stage == "deleted",
                    r.deleted_time <= cutoff,
                    # a registered model version still needs its source run's files
                    r.run_id.not_in(sa.select(t.model_versions.c.run_id)),
                )
            )
        ]
        kept = conn.execute(
            sa.select(sa.func.count()).where(
                r.lifecycle_stage == "deleted", r.run_id.in_(sa.select(t.model_versions.c.run_id))
            )
        ).scalar_one()
    report.purged_runs = doomed
    report.kept_for_registry = kept
    before = artifact_bytes(store)
    if not dry_run and doomed:
        with store.atomic() as conn:
            for table in (t.metrics, t.latest_metrics, t.params, t.tags, t.artifacts, t.inputs):
                conn.execute(table.delete().where(table.c.run_id.in_(doomed)))
            conn.execute(t.runs.update().where(r.parent_run_id.in_(doomed)).values(parent_run_id=None))
            conn.execute(t.runs.delete().where(r.run_id.in_(doomed)))
    # Found without the lock (walking a large store would stall every writer), confirmed with it.
    found = _orphans(store, grace, report, set(doomed))
    removing: list[Path] = []
    if dry_run:
        for rid in doomed:
            removing += [full for _rel, full in _files_under(store.run_dir(rid))]
        orphans = found
    else:
        store.flush()
        with journal.exclusive(store.artifact_root):
            for rid in doomed:
                shutil.rmtree(store.run_dir(rid), ignore_errors=True)
            orphans = _still_orphans(store, found, grace)
            for _name, _rel, full in orphans:
                _remove(full)
    for name, rel, full in orphans:
        report.removed_files.append(f"{name}/" if rel is None else f"{name}/{rel}")
        if dry_run:
            removing += [f for _r, f in _files_under(full)] if rel is None else [full]
    if dry_run:
        report.freed_bytes = _freed_bytes(removing)
        report.remaining_bytes = before - report.freed_bytes
    else:
        report.remaining_bytes = artifact_bytes(store)
        report.freed_bytes = max(before - report.remaining_bytes, 0)
    return report
