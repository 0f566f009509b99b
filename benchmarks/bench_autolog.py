"""Overhead of ``mlnb.sklearn.autolog()`` vs ``mlflow.sklearn.autolog()`` on bench_track's cell, one process.

The cell (from ``bench_track.py``) fits a LogisticRegression Pipeline and a RandomForest (100
trees) Pipeline on the 954-row travel_churn table and scores both.  In one IPython
InteractiveShell, each round times the bare cell, the cell under mlnb's autolog and the cell
under MLflow's autolog (``--repeat`` runs each, interleaved, after a warm-up); the overhead of a
front end is the median of its paired differences with the bare cell.  mlnb writes training metrics, datasets
and models in a background thread that the next cell waits for: that time is reported on its
own ("after the cell"), outside the cell's wall time, as in ``bench_track.py``.

    .venv/bin/python benchmarks/bench_autolog.py [--repeat 5] [--rounds 3] [--no-models]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_track import BODY, SETUP


def _run(shell, code: str) -> float:
    t0 = time.perf_counter()
    result = shell.run_cell(code)
    elapsed = time.perf_counter() - t0
    if not result.success:
        raise RuntimeError(f"cell failed: {result.error_in_exec or result.error_before_exec}")
    return elapsed


def _round(shell, repeat: int, options: str) -> dict[str, list[float]]:
    """Bare, mlnb-autolog and MLflow-autolog runs of the cell, interleaved so drift hits all alike.

    Per repeat: ``bare``, ``mlnb`` (cell wall time), ``after`` (mlnb's background work, waited
    for outside the cell), ``hooks`` (autolog's own time, timed inside its hooks), ``mlflow``.
    The first repeat is a warm-up and is dropped.
    """
    from IPython.utils.capture import capture_output

    from mlnb.capture import autolog_cell
    from mlnb.capture.session import wait

    out: dict[str, list[float]] = {k: [] for k in ("bare", "mlnb", "after", "hooks", "mlflow")}
    with capture_output():
        for i in range(repeat + 1):
            bare = _run(shell, BODY)
            shell.run_cell(f"mlnb.sklearn.autolog({options})")
            ours = _run(shell, BODY)
            t0 = time.perf_counter()
            wait()
            after = time.perf_counter() - t0
            hooks = sum(sum(h.timings.values()) for h in autolog_cell._hooks.values())
            shell.run_cell("mlnb.sklearn.autolog(disable=True)")
            wait()
            shell.run_cell(f"mlflow.sklearn.autolog({options})")
            theirs = _run(shell, BODY)
            shell.run_cell("mlflow.sklearn.autolog(disable=True)")
            if i:
                for key, value in zip(out, (bare, ours, after, hooks, theirs), strict=True):
                    out[key].append(value)
    return out


def _ms(values: list[float]) -> str:
    return f"{min(values) * 1000:.1f}..{max(values) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-models",
        action="store_true",
        help="both front ends with log_models=False (MLflow's model logging excluded)",
    )
    args = parser.parse_args()
    options = "silent=True, log_models=False" if args.no_models else "silent=True"
    tmp = tempfile.mkdtemp(prefix="bench-autolog-")
    os.environ["MLNB_STORE"] = os.path.join(tmp, ".mlnb")
    os.chdir(tmp)  # MLflow puts its artifacts (mlruns/) in the working directory

    import matplotlib

    matplotlib.use("Agg")
    import warnings

    warnings.filterwarnings("ignore")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell(SETUP)
    shell.run_cell("import mlnb, mlflow, mlflow.sklearn")
    shell.run_cell(f"mlflow.set_tracking_uri({'sqlite:///' + os.path.join(tmp, 'mlflow.db')!r})")
    shell.run_cell("mlflow.set_experiment('bench')")

    rows = []
    hook_rows: list[float] = []
    for r in range(args.rounds):
        t = _round(shell, args.repeat, options)
        b = statistics.median(t["bare"])
        hooks = statistics.median(t["hooks"])
        # paired differences; never below the hooks' own time (wall-time noise on a busy machine)
        ours = max(statistics.median(m - x for m, x in zip(t["mlnb"], t["bare"], strict=True)), hooks)
        theirs = statistics.median(m - x for m, x in zip(t["mlflow"], t["bare"], strict=True))
        after = statistics.median(t["after"])
        rows.append((b, ours, after, theirs))
        hook_rows.append(hooks)
        print(
            f"round {r + 1}: bare {b * 1000:7.1f} ms | mlnb autolog overhead {ours * 1000:6.1f} ms "
            f"(hooks {hooks * 1000:.1f} ms) (+{after * 1000:.1f} ms after the cell) "
            f"| mlflow autolog overhead {theirs * 1000:7.1f} ms "
            f"| ratio {theirs / max(ours, 1e-4):6.1f}x (incl. after-cell work {theirs / (ours + after):5.1f}x)"
        )
    ours_all = [o for _, o, _, _ in rows]
    after_all = [a for _, _, a, _ in rows]
    theirs_all = [t for _, _, _, t in rows]
    print(f"bare cell median                     {_ms([b for b, _, _, _ in rows])}  ({args.rounds} rounds)")
    print(f"mlnb autolog overhead (cell wall)    {_ms(ours_all)}")
    print(
        f"  of which autolog's own hooks       {_ms(hook_rows)}  (before + instrumenting + runs at fit + after the cell)"
    )
    print(f"mlnb background work (next cell waits) {_ms(after_all)}")
    print(f"mlflow autolog overhead              {_ms(theirs_all)}")
    ratios = [t / max(o, 1e-4) for _, o, _, t in rows]
    print(f"mlflow / mlnb overhead               {min(ratios):.1f}..{max(ratios):.1f}x  (target >= 50x)")
    total = [t / (o + a) for _, o, a, t in rows]
    print(f"mlflow / (mlnb overhead + background) {min(total):.1f}..{max(total):.1f}x")


if __name__ == "__main__":
    main()
