"""The ``mlnb`` command: inspect, verify and clean a store from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from mlnb.errors import ExperimentNotFound, MlnbError


def _store(args: argparse.Namespace) -> Any:
    from mlnb.tracking import state

    if args.store:
        state.set_store(args.store)
    return state.get_store()


def _runs_ls(args: argparse.Namespace) -> int:
    import pandas as pd

    from mlnb.tracking.search import search_runs

    store = _store(args)
    names = [args.experiment] if args.experiment else None
    if args.experiment and store.get_experiment_by_name(args.experiment) is None:
        known = ", ".join(sorted(e.name for e in store.list_experiments())) or "none yet"
        raise ExperimentNotFound(
            f"no experiment named {args.experiment!r} in {store.location.uri} (experiments: {known})"
        )
    frame = search_runs(
        experiment_names=names,
        search_all_experiments=names is None,
        filter_string=args.filter or "",
        order_by=args.order_by or None,
        max_results=args.max_results,
    )
    if frame.empty:
        print(f"no runs match in {store.location.uri}")
        return 0
    cols = ["run_id", "tags.mlflow.runName", "status", "start_time"]
    cols += [c for c in frame.columns if c.startswith("metrics.")][: args.metrics]
    shown = frame[[c for c in cols if c in frame.columns]].rename(
        columns=lambda c: c.replace("tags.mlflow.runName", "name").replace("metrics.", "")
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(shown.to_string(index=False))
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    import json

    store = _store(args)
    run = store.get_run(args.run_id)
    info = run.info
    print(f"run {info.run_id}  {info.run_name!r}  {info.status}  experiment {info.experiment_id}")
    for title, values in (
        ("params", run.data.params),
        ("metrics", run.data.metrics),
        ("tags", run.data.tags),
    ):
        print(f"{title}:")
        for key in sorted(values):
            print(f"  {key} = {values[key]}")
    arts = store.artifact_rows(info.run_id)
    print("artifacts:")
    for path, (sha, size) in arts.items():
        print(f"  {path}  {size} B  sha256 {sha[:12]}")
    if args.json:
        print(json.dumps(run.to_dict(), default=str, indent=2))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from mlnb.store.maintenance import verify

    store = _store(args)
    report = verify(store)
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{store.location.uri}: {report.runs} runs, {report.artifacts} artifacts checked: {verdict}")
    return 0 if report.ok else 1


def _gc(args: argparse.Namespace) -> int:
    from mlnb.store.maintenance import gc

    store = _store(args)
    report = gc(store, older_than_s=args.older_than, dry_run=args.dry_run)
    verb = "would purge" if args.dry_run else "purged"
    print(f"{verb} {len(report.purged_runs)} deleted run(s) and {len(report.removed_files)} orphan file(s)")
    from mlnb.display.format import size

    freed = "would free" if args.dry_run else "freed"
    left = size(report.remaining_bytes)
    print(f"{freed} {size(report.freed_bytes)}; artifacts hold {left} (shared files counted once)")
    if report.kept_for_registry:
        print(f"kept {report.kept_for_registry} deleted run(s) whose models are registered versions")
    for path in report.removed_files:
        print(f"  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlnb", description="Inspect and maintain an mlnb store.")
    parser.add_argument("--store", help="store directory or URI (default: MLNB_STORE or nearest .mlnb/)")
    sub = parser.add_subparsers(dest="command", required=True)

    runs = sub.add_parser("runs", help="list and show runs").add_subparsers(
        dest="runs_command", required=True
    )
    ls = runs.add_parser("ls", help="list runs, newest first")
    ls.add_argument("--experiment", "-e", help="experiment name (default: all experiments)")
    ls.add_argument("--filter", "-f", help="filter, e.g. \"metrics.f1 > 0.8 AND params.model = 'rf'\"")
    ls.add_argument("--order-by", "-o", action="append", help="e.g. 'metrics.f1 DESC' (repeatable)")
    ls.add_argument("--max-results", "-n", type=int, default=50)
    ls.add_argument("--metrics", type=int, default=5, help="how many metric columns to show")
    ls.set_defaults(func=_runs_ls)
    show = runs.add_parser("show", help="params, metrics, tags and artifacts of one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="also print the run as JSON")
    show.set_defaults(func=_runs_show)

    verify = sub.add_parser("verify", help="check the database and every artifact's sha256")
    verify.set_defaults(func=_verify)
    gc = sub.add_parser("gc", help="purge deleted runs and orphan files")
    gc.add_argument("--older-than", type=float, default=0.0, help="only runs deleted this many seconds ago")
    gc.add_argument("--dry-run", action="store_true")
    gc.set_defaults(func=_gc)

    from mlnb.registry.commands import add_models_parser

    add_models_parser(sub, _store)
    from mlnb.serve.command import add_serve_parser

    add_serve_parser(sub, _store)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MlnbError as exc:
        print(f"mlnb: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
