"""Fixtures of the fault-injection suite: the clean run's call counts, and every faulty run's record.

The injection machinery is :mod:`tests.faults.injection` (wrappers of ``os``/``io``/``sqlite3``
at the boundary with the OS and the driver); the cell and the definition of "acknowledged" are
in :mod:`tests.faults.harness`.  The cells run in worker processes (two at a time, the CI
machine's cores), each case in a fresh store; the stores are then opened and verified here, in
another process than the one that wrote them (``harness check``), as a restarted kernel would
find them; each of the two pipelines (cells, then checks) runs on its own core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.faults import checks
from tests.faults.injection import ERRORS, KINDS

ROOT = Path(__file__).resolve().parents[2]

# Calls of each kind the clean cell makes are at most this many (measured: commit 13,
# execute 33, fsync 22, create 16, write 16, replace 24, link 8); the margin leaves room for the
# store to grow a few calls.  test_bounds_cover_every_call fails when a bound is too small.
BOUNDS = {"commit": 16, "execute": 38, "fsync": 26, "create": 20, "write": 20, "replace": 28, "link": 36}
MODES = ("transient", "persistent")
WORKERS = 2
WORKER_TIMEOUT_S = 600


def error_for(n: int, persistent: bool) -> str:
    """The error of the Nth call: the three rotate with N, shifted between the two modes, so
    every call of every kind fails with two of them and every error hits every call position."""
    return ERRORS[(n - 1 + (1 if persistent else 0)) % len(ERRORS)]


def all_cases() -> list[tuple[str, str, int]]:
    return [(kind, mode, n) for kind in KINDS for mode in MODES for n in range(1, BOUNDS[kind] + 1)]


def case_id(kind: str, mode: str, n: int) -> str:
    return f"{kind}-{n}-{mode}"


def _pipeline(work: Path, batch: list[dict[str, Any]], env: dict[str, str]) -> list[dict[str, Any]]:
    """Run the cells of ``batch`` in one worker process, then check its stores in another."""
    work.mkdir(parents=True)
    (work / "cases.json").write_text(json.dumps(batch))
    for args in (
        ["cases.json", "out.json"],
        ["check", "out.json", "snaps.json"],
    ):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.faults.harness",
                *[str(work / a) if a.endswith(".json") else a for a in args],
            ],
            cwd=work,
            env=env,
            capture_output=True,
            timeout=WORKER_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"fault worker {work.name} {args[0]} ended with {proc.returncode}: {proc.stderr.decode()[-3000:]}"
            )
    records = json.loads((work / "out.json").read_text())
    snaps = json.loads((work / "snaps.json").read_text())
    for rec, snap in zip(records, snaps, strict=True):
        rec["snap"] = snap
    return records


def _run_workers(batches: list[list[dict[str, Any]]], base: Path) -> list[dict[str, Any]]:
    # (a PYTHONPATH given first: the suite can judge another tree's mlnb, e.g. the main branch's)
    path = [p for p in (os.environ.get("PYTHONPATH", ""), str(ROOT)) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    for var in ("MLNB_STORE", "MLNB_TRACKING_URI", "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")  # one core each
    with ThreadPoolExecutor(len(batches)) as pool:
        results = list(
            pool.map(lambda i: _pipeline(base / f"worker{i}", batches[i], env), range(len(batches)))
        )
    return [rec for batch in results for rec in batch]


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The cell without faults: how many calls of each kind it makes, and what a complete run holds."""
    base = tmp_path_factory.mktemp("faults-clean")
    (record,) = _run_workers([[]], base)
    assert not record.get("harness_error"), record.get("harness_error")
    assert not record["raw"] and not record["mlnb_warnings"], record
    snap = record["snap"]
    assert not checks.store_problems(snap), snap
    return {"record": record, "counts": record["counts"], "reference": checks.reference(record, snap)}


@pytest.fixture(scope="session")
def fault_runs(clean_run: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One record per (kind, mode, N) for every N up to the clean run's count of that kind."""
    counts = clean_run["counts"]
    faults = [
        {
            "kind": kind,
            "n": n,
            "error": error_for(n, mode == "persistent"),
            "persistent": mode == "persistent",
        }
        for kind, mode, n in all_cases()
        if n <= counts.get(kind, 0)
    ]
    # deal the cases round-robin: both workers get every kind, so their times are close
    batches = [faults[i::WORKERS] for i in range(WORKERS)]
    records = _run_workers(batches, tmp_path_factory.mktemp("faults"))
    out = {}
    for rec in records:
        f = rec["fault"]
        out[case_id(f["kind"], "persistent" if f["persistent"] else "transient", f["n"])] = rec
    return out
