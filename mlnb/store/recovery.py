"""Recovery on open: runs whose owner is gone are marked FAILED and their files reconciled.

A dead writer may have left files between their rename and their row commit.  Such a file is
recorded only if its content matches the ``(path, sha256, size)`` its writer journaled before
the rename (:mod:`mlnb.store.journal`).  Anything else on disk that matches neither its row nor a
journal entry (a file changed or swapped while the writer was down) is moved to the store's
quarantine, never deleted and never recorded: ``mlnb verify`` reports it until someone looks.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.entities import RunStatus
from mlnb.store import journal
from mlnb.store import schema as t
from mlnb.store.artifacts import sha256_file
from mlnb.store.journal import QUARANTINE_NAME, TMP_PREFIX

if TYPE_CHECKING:
    from mlnb.store.backend import SqlBackend


def process_gone(pid: int, started: int | None) -> bool:
    """Whether process ``pid`` (started at ``started`` clock ticks, if known) has ended."""
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


def reap_dead_runs(store: SqlBackend) -> list[str]:
    """Mark RUNNING runs whose owner process is gone as FAILED; reconcile their files."""
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
            if process_gone(pid, started):
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
                store.upsert_tags(conn, run_id, {"mlnb.failure": reason})
                recover_files(store, conn, run_id)
                reaped.append(run_id)
    return reaped


def files_under(run_dir: Path) -> list[tuple[str, Path]]:
    """``(relative POSIX path, path)`` of every file below ``run_dir``."""
    out = []
    for dirpath, _dirs, files in os.walk(run_dir):
        for name in files:
            full = Path(dirpath) / name
            out.append((full.relative_to(run_dir).as_posix(), full))
    return out


def quarantine_dir(store: SqlBackend) -> Path:
    return store.artifact_root / QUARANTINE_NAME


def _quarantine(store: SqlBackend, run_id: str, rel: str, full: Path) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    base = quarantine_dir(store) / run_id / stamp
    dest = base.joinpath(*rel.split("/"))
    n = 1
    while dest.exists() or dest.is_symlink():
        dest = base.joinpath(*rel.split("/")).with_name(f"{full.name}.{n}")
        n += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(full, dest)  # same file system: a rename, the bytes stay as they are


def recover_files(store: SqlBackend, conn: sa.Connection, run_id: str) -> None:
    """Reconcile a dead writer's run directory with its rows.

    A temp file was never complete and a symlink is never written by mlnb: both are removed.  A
    file matching its row stays.  A file whose content its writer marked or journaled before
    renaming it into place gets its row (the writer died before committing it).  Any other file
    is moved to the quarantine.  Marks and journals are removed last.
    """
    from mlnb.store.paths import check_relpath

    run_dir = store.run_dir(run_id)
    if not run_dir.is_dir():
        return
    a = t.artifacts.c
    recorded = {
        p: (h, n) for p, h, n in conn.execute(sa.select(a.path, a.sha256, a.size).where(a.run_id == run_id))
    }
    intents = journal.journaled(run_dir)
    marks: dict[Path, dict[tuple[int, int], set[tuple[str, int]]]] = {}
    debris = []  # removed last: a mark must still be there when the file it names is judged
    for rel, full in files_under(run_dir):
        name = rel.rsplit("/", 1)[-1]
        try:
            check_relpath(rel)
            valid = True
        except Exception:
            valid = False
        if full.is_symlink() or name.startswith(TMP_PREFIX):
            debris.append(full)  # temp files, marks and journals; never an artifact
            continue
        found = sha256_file(full)
        if valid and recorded.get(rel) == found:
            continue
        if valid and (found in intents.get(rel, ()) or found in _marks_of(full, marks)):
            store.record_artifact(conn, run_id, rel, *found)
        else:
            _quarantine(store, run_id, rel, full)
    for path in debris:
        journal.discard(path)


def _marks_of(
    full: Path, cache: dict[Path, dict[tuple[int, int], set[tuple[str, int]]]]
) -> set[tuple[str, int]]:
    """The ``(sha256, size)`` marked for the file ``full`` (a mark is a second name of it)."""
    if full.parent not in cache:
        cache[full.parent] = journal.marked(full.parent)
    try:
        st = os.lstat(full)
    except OSError:
        return set()
    return cache[full.parent].get((st.st_dev, st.st_ino), set())


def quarantined(store: SqlBackend) -> list[Path]:
    """Every file in the store's quarantine."""
    root = quarantine_dir(store)
    return sorted(full for _rel, full in files_under(root)) if root.is_dir() else []
