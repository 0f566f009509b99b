"""Run MLflow's examples and the churn course's code on MLflow and on mlnb (only the import
changed) and print how many steps each side ran.

    .venv/bin/python scripts/compat_report.py                 # every script, both sides
    .venv/bin/python scripts/compat_report.py --side mlnb     # mlnb only (no mlflow needed)
    .venv/bin/python scripts/compat_report.py --failures      # also list each failed step

The scripts live in tests/compat/scripts/; tests/compat/test_examples.py runs the same harness.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.compat.examples import (  # noqa: E402 (needs the repository root on the path)
    EXAMPLES,
    SIDES,
    format_table,
    make_mlflow_template,
    run_examples,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=SIDES, action="append", help="side to run (default: both)")
    parser.add_argument("--script", choices=EXAMPLES, action="append", help="script to run (default: all)")
    parser.add_argument("--parallel", type=int, default=None, help="scripts run at once (default: CPU count)")
    parser.add_argument("--failures", action="store_true", help="list every failed step")
    args = parser.parse_args(argv)
    sides = args.side or list(SIDES)
    scripts = args.script or list(EXAMPLES)

    with tempfile.TemporaryDirectory(prefix="mlnb-compat-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        template = make_mlflow_template(root / "template") if "mlflow" in sides else None
        results = run_examples(
            [(s, side) for s in scripts for side in sides], root, parallel=args.parallel, template=template
        )
        elapsed = time.perf_counter() - started

    print(format_table(results))
    print(f"\n{len(results)} script runs in {elapsed:.0f} s")
    for _, run in sorted(results.items()):
        if not run.finished or (args.failures and run.failed):
            print()
            print(run.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
