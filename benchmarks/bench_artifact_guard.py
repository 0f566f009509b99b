"""Cost of gc's guards on the artifact write path: the writers' lock and the write journal.

Each artifact write holds the store's artifact lock shared (two ``flock`` calls on two small
files, :func:`mlnb.store.journal.writing`) and marks each file's sha256 before its rename (a
hard link made and later removed, :func:`mlnb.store.journal.mark`; no extra fsync).  Where a file
system has no hard links, a journal file is written, fsynced and removed instead
(:func:`mlnb.store.journal.journal`).  This times each alone, and a whole ``mlnb.log_text`` of a
small file for comparison (median of ``--repeat`` calls, microseconds).

    .venv/bin/python benchmarks/bench_artifact_guard.py [--repeat 2000] [--store DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _median_us(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--store", help="store directory (default: a new temporary one)")
    args = parser.parse_args()

    import mlnb
    from mlnb.store import journal

    store_dir = args.store or tempfile.mkdtemp(prefix="mlnb-bench-")
    mlnb.set_store(store_dir)
    store = mlnb.get_store()
    root = store.artifact_root
    run = mlnb.start_run()
    run_dir = store.run_dir(run.info.run_id)
    run_dir.mkdir(parents=True, exist_ok=True)

    def lock() -> None:
        with journal.writing(root):
            pass

    staged = run_dir / "staged.bin"
    staged.write_bytes(b"x" * 100)

    def mark() -> None:
        journal.discard(journal.mark(staged, "0" * 64, 100, run_dir))

    def journal_entry() -> None:
        journal.discard(journal.journal(run_dir, [("notes/a.txt", "0" * 64, 10)]))

    counter = iter(range(10**9))

    def log_text() -> None:
        mlnb.log_text("x" * 100, f"bench/{next(counter)}.txt")

    lock_us = _median_us(lock, args.repeat)
    mark_us = _median_us(mark, args.repeat)
    journal_us = _median_us(journal_entry, max(args.repeat // 10, 50))
    write_us = _median_us(log_text, max(args.repeat // 10, 50))
    mlnb.end_run()
    print(f"store: {Path(store_dir).resolve()}")
    print(f"lock (shared, taken and released): {lock_us:8.1f} us per artifact write")
    print(f"mark (hard link made and removed): {mark_us:8.1f} us per artifact file")
    print(f"whole log_text of 100 bytes:       {write_us:8.1f} us (lock and mark included)")
    print(f"guards' share of a write:          {100 * (lock_us + mark_us) / write_us:8.1f} %")
    print(f"(no hard links: journal file written + fsynced + removed instead: {journal_us:.1f} us)")


if __name__ == "__main__":
    main()
