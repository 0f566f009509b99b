"""Recovery on open, integrity verification and garbage collection of a store."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import RunStatus
from mlnb.store import schema as t
from mlnb.store.artifacts import TMP_PREFIX, sha256_file

if TYPE_CHECKING:
    from mlnb.store.sql import SqlStore


def _process_gone(pid: int, started: int | None) -> bool:
    from mlnb.store._common import process_start_ticks

    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        if stat[stat.rfind(b")") + 2 :].split()[0] == b"Z":  # a zombie has finished
            return True
    except OSError:
        pass
    return started is not None and process_start_ticks(pid) not in (None, started)


def reap_dead_runs(store: SqlStore) -> list[str]:
    """Mark RUNNING runs whose owner process is gone as FAILED; roll back their unrecorded files."""
    from mlnb.store._common import now_ms

    r = t.runs.c
    with store.reading() as conn:
        running = conn.execute(
            sa.select(r.run_id, r.owner_host, r.owner_pid, r.owner_started, r.heartbeat).where(
                r.status == RunStatus.RUNNING
            )
        ).all()
    stale_ms = config.stale_heartbeat_s() * 1000
    now = now_ms()
    dead = []
    for run_id, host, pid, started, heartbeat in running:
        if host == store.host:
            if _process_gone(pid, started):
                dead.append((run_id, f"process {pid} on {host} ended without closing the run"))
        elif now - heartbeat > stale_ms:
            dead.append((run_id, f"no heartbeat from {host} since {heartbeat} ms"))
    reaped = []
    for run_id, reason in dead:
        with store.atomic() as conn:
            last = conn.execute(
                sa.select(sa.func.max(t.metrics.c.timestamp)).where(t.metrics.c.run_id == run_id)
            ).scalar()
            hb = conn.execute(sa.select(r.heartbeat).where(r.run_id == run_id)).scalar() or now
            done = conn.execute(
                t.runs.update()
                .where(r.run_id == run_id, r.status == RunStatus.RUNNING)
                .values(status=RunStatus.FAILED, end_time=max(hb, last or 0))
            ).rowcount
            if done:
                store._upsert_tags(conn, run_id, {"mlnb.failure": reason})
                _recover_files(store, conn, run_id)
                reaped.append(run_id)
    return reaped


def _files_under(run_dir: Path) -> list[tuple[str, Path]]:
    out = []
    for dirpath, _dirs, files in os.walk(run_dir):
        for name in files:
            full = Path(dirpath) / name
            out.append((full.relative_to(run_dir).as_posix(), full))
    return out


def _recover_files(store: SqlStore, conn: sa.Connection, run_id: str) -> None:
    """Finish what a dead writer left between its file rename and its row commit.

    A temp file was never complete: it is deleted.  A file in place was fully written and
    fsynced before its rename, so only its row is missing or stale: the row is rolled forward
    to the file's content.  Either way every file again matches its row.
    """
    from mlnb.store.paths import check_relpath

    run_dir = store.run_dir(run_id)
    if not run_dir.is_dir():
        return
    a = t.artifacts.c
    recorded = {
        p: (h, n) for p, h, n in conn.execute(sa.select(a.path, a.sha256, a.size).where(a.run_id == run_id))
    }
    for rel, full in _files_under(run_dir):
        name = rel.rsplit("/", 1)[-1]
        try:
            check_relpath(rel)
        except Exception:
            name = TMP_PREFIX  # not a path mlnb writes: treat as debris
        if name.startswith(TMP_PREFIX) or full.is_symlink():
            full.unlink(missing_ok=True)
            continue
        sha, size = sha256_file(full)
        if recorded.get(rel) != (sha, size):
            store.record_artifact(conn, run_id, rel, sha, size)


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: int = 0
    artifacts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: SqlStore) -> VerifyReport:
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


def artifact_bytes(store: SqlStore) -> int:
    """Bytes under the store's artifact directory, shared (hard-linked) files counted once."""
    root = store.artifact_root
    if not root.is_dir():
        return 0
    return disk_bytes([full for _rel, full in _files_under(root)])


@dataclass
class GcReport:
    purged_runs: list[str] = field(default_factory=list)
    kept_for_registry: int = 0
    removed_files: list[str] = field(default_factory=list)
    # bytes the removals free (a file shared by several paths only once its last path goes)
    freed_bytes: int = 0
    # bytes under the artifact directory afterwards (as it would be, for a dry run)
    remaining_bytes: int = 0


def gc(store: SqlStore, older_than_s: float = 0.0, dry_run: bool = False) -> GcReport:
    """Purge deleted runs (rows and files) and files that no artifact row records.

    Paths that share one file (a model and its alias, hard links) are removed together with their
    run; the bytes are freed with the last link, and the report counts every file once.
    """
    from mlnb.store._common import now_ms

    report = GcReport()
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
    removing: list[Path] = []
    for rid in doomed if dry_run else ():
        if store.run_dir(rid).is_dir():
            removing += [full for _rel, full in _files_under(store.run_dir(rid))]
    if not dry_run and doomed:
        with store.atomic() as conn:
            for table in (t.metrics, t.latest_metrics, t.params, t.tags, t.artifacts, t.inputs):
                conn.execute(table.delete().where(table.c.run_id.in_(doomed)))
            conn.execute(t.runs.update().where(r.parent_run_id.in_(doomed)).values(parent_run_id=None))
            conn.execute(t.runs.delete().where(r.run_id.in_(doomed)))
        for rid in doomed:
            shutil.rmtree(store.run_dir(rid), ignore_errors=True)
    with store.reading() as conn:
        statuses = dict(conn.execute(sa.select(r.run_id, r.status)).all())
        recorded: dict[str, set[str]] = {}
        for rid, path in conn.execute(sa.select(t.artifacts.c.run_id, t.artifacts.c.path)):
            recorded.setdefault(rid, set()).add(path)
    root = store.artifact_root
    if root.is_dir():
        old = time.time() - 3600
        for entry in root.iterdir():
            if entry.name not in statuses:
                if entry.name not in doomed:
                    report.removed_files.append(entry.name + "/")
                    removing += [full for _rel, full in _files_under(entry)]
                    if not dry_run:
                        shutil.rmtree(entry, ignore_errors=True)
                continue
            for rel, full in _files_under(entry):
                if rel in recorded.get(entry.name, set()):
                    continue
                is_tmp = rel.rsplit("/", 1)[-1].startswith(TMP_PREFIX)
                if statuses[entry.name] == RunStatus.RUNNING and not (is_tmp and full.stat().st_mtime < old):
                    continue
                report.removed_files.append(f"{entry.name}/{rel}")
                removing.append(full)
                if not dry_run:
                    full.unlink(missing_ok=True)
    if dry_run:
        report.freed_bytes = _freed_bytes(removing)
        report.remaining_bytes = before - report.freed_bytes
    else:
        report.remaining_bytes = artifact_bytes(store)
        report.freed_bytes = max(before - report.remaining_bytes, 0)
    return report
