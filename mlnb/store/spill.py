"""The spill journal: buffered writes the database refused, kept on disk until they are replayed.

When a flush fails for a reason other than a busy database (disk full, I/O error, read-only
file), its batch is written here instead of being held in memory: one JSON line per buffered
write, in a new file per batch under ``<store>/spill/``.  A batch file is written under a
temporary name, fsynced, renamed into place and its directory fsynced, so a ``*.jsonl`` file that
exists is complete.  The next flush of the same process, or the next open of the store by any
process, replays it in one transaction that also records the batch id in ``replayed_spills``: a
batch whose id is recorded is skipped, so a crash between the commit and the removal of the file
never applies it twice.  Params are inserted unless present, tags upserted, run ends re-applied.

File format (version 1), one JSON object per line::

    {"mlnb_spill": 1, "batch": "<32 hex>", "pid": 123, "created": <ms>, "reason": "..."}
    {"run": {<runs row>}}        {"tag": {"run_id", "key", "value"}}
    {"param": {...}}             {"point": [run_id, key, value, special, step, timestamp]}
    {"end": {"b_run_id", "b_status", "b_end_time"}}
    {"rows": <number of records above>}
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb.errors import StoreError
from mlnb.store import schema as t
from mlnb.store.buffer import WriteBuffer

if TYPE_CHECKING:
    from mlnb.store.buffer import Inserts

SPILL_DIRNAME = "spill"
FORMAT = 1
_KINDS = ("run", "tag", "param", "point", "end")


@dataclass(frozen=True)
class SpillBatch:
    """One spilled batch as read back from its file."""

    batch_id: str
    path: Path
    rows: WriteBuffer
    reason: str


def spill_dir(root: Path) -> Path:
    """Where a store whose database lives in ``root`` keeps spilled batches."""
    return root / SPILL_DIRNAME


def pending(root: Path) -> list[Path]:
    """Spilled batch files waiting for replay, oldest first (names start with the time)."""
    folder = spill_dir(root)
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".jsonl" and not p.name.startswith("."))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"cannot list the spill journal {folder}: {exc.strerror or exc}") from None


def _lines(batch_id: str, rows: WriteBuffer, reason: str) -> bytes:
    header = {
        "mlnb_spill": FORMAT,
        "batch": batch_id,
        "pid": os.getpid(),
        "created": time.time_ns() // 1_000_000,
        "reason": reason[:500],
    }
    out = [json.dumps(header)]
    out.extend(json.dumps({"run": r}) for r in rows.runs)
    out.extend(json.dumps({"tag": r}) for r in rows.tags)
    out.extend(json.dumps({"param": r}) for r in rows.params)
    out.extend(json.dumps({"point": list(p)}) for p in rows.points)
    out.extend(json.dumps({"end": r}) for r in rows.ends)
    out.append(json.dumps({"rows": len(rows)}))
    return ("\n".join(out) + "\n").encode("utf-8", "surrogatepass")


def write(root: Path, rows: WriteBuffer, reason: str) -> Path:
    """Write ``rows`` as a new batch file, durably; raises ``OSError`` if the disk refuses it.

    Nothing is left behind on failure: the temporary file is removed.
    """
    folder = spill_dir(root)
    folder.mkdir(exist_ok=True)
    batch_id = uuid.uuid4().hex
    name = f"{time.time_ns():020d}-{os.getpid()}-{batch_id}.jsonl"
    tmp, final = folder / f".{name}.tmp", folder / name
    data = _lines(batch_id, rows, reason)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        _sync_dir(folder)
    except OSError:  # not durable: take it back, or the rows kept in memory would be replayed twice
        final.unlink(missing_ok=True)
        raise
    return final


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> SpillBatch:
    """Read one batch file; raises ``StoreError`` if it is not a complete spill file."""
    try:
        text = path.read_bytes().decode("utf-8", "surrogatepass")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the spilled batch {path}: {exc}") from None
    lines = text.splitlines()
    try:
        header = json.loads(lines[0])
        records = [json.loads(line) for line in lines[1:]]
        if header.get("mlnb_spill") != FORMAT or not records or records[-1].get("rows") != len(records) - 1:
            raise ValueError("truncated or of another format")
        rows = WriteBuffer()
        for record in records[:-1]:
            ((kind, value),) = record.items()
            if kind not in _KINDS:
                raise ValueError(f"unknown record {kind!r}")
            if kind == "point":
                rows.points.append(tuple(value))
            else:
                getattr(rows, kind + "s").append(dict(value))
        return SpillBatch(str(header["batch"]), path, rows, str(header.get("reason", "")))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise StoreError(
            f"the spilled batch {path} is damaged ({exc}); move it aside to open the store without it"
        ) from None


def replay(store: Inserts, conn: sa.Connection, path: Path) -> int:
    """Apply one batch file inside the caller's write transaction, once.

    Returns the number of rows written (0 if the batch was replayed before or its file is gone).
    """
    try:
        batch = read(path)
    except StoreError:
        if not path.exists():  # replayed and removed by another process meanwhile
            return 0
        raise
    done = t.replayed_spills.c.spill_id
    if conn.execute(sa.select(done).where(done == batch.batch_id)).first() is not None:
        return 0
    batch.rows.apply(store, conn)
    conn.execute(
        t.replayed_spills.insert().values(spill_id=batch.batch_id, replayed_time=time.time_ns() // 1_000_000)
    )
    return len(batch.rows)


def remove(paths: list[Path]) -> None:
    """Remove replayed batch files (best effort: a file left behind is skipped by its id)."""
    folders = set()
    for path in paths:
        try:
            path.unlink()
            folders.add(path.parent)
        except FileNotFoundError:
            pass
        except OSError:
            continue
    for folder in folders:
        try:
            _sync_dir(folder)
        except OSError:
            pass


def describe(rows: WriteBuffer) -> str:
    """``"3 runs, 120 metric points, 4 params, 2 tags, 1 run end"`` (the non-empty kinds)."""
    parts = [
        (len(rows.runs), "run"),
        (len(rows.points), "metric point"),
        (len(rows.params), "param"),
        (len(rows.tags), "tag"),
        (len(rows.ends), "run end"),
    ]
    return ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for n, name in parts if n) or "nothing"
