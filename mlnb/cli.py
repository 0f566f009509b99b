"""The ``mlnb`` command: inspect, verify and clean a store from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from mlnb.display import format as fmt
from mlnb.errors import ExperimentNotFound, MlnbError


def _store(args: argparse.Namespace) -> Any:
    from mlnb.tracking import state

    if args.store:
        state.set_store(args.store)
    return state.get_store()


def _runs_ls(args: argparse.Namespace) -> int:
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
    if args.format == "csv":  # machine-readable: exact values, every column
        frame.to_csv(sys.stdout, index=False)
        return 0
    if args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", double_precision=15) + "\n")
        return 0
    if frame.empty:
        print(f"no runs match in {store.location.uri}")
        return 0
    print(runs_table(frame, args.metrics))
    print(fmt.count(len(frame), "run"))
    return 0


def runs_table(frame: Any, metrics: int) -> str:
    """``mlnb runs ls``: one row per run, numbers and times as every mlnb surface shows them."""
    metric_cols = [c for c in frame.columns if c.startswith("metrics.")][:metrics]
    headers = [
        "run_id",
        "name",
        "status",
        "start",
        "duration",
        *(c.removeprefix("metrics.") for c in metric_cols),
    ]
    rows = []
    for _, run in frame.iterrows():
        start, end = _ms(run.get("start_time")), _ms(run.get("end_time"))
        rows.append(
            [
                str(run["run_id"]),
                _text(run.get("tags.mlflow.runName")),
                _text(run.get("status")),
                fmt.timestamp(start),
                "running"
                if end is None and run.get("status") == "RUNNING"
                else fmt.duration(None if start is None or end is None else end - start),
                *(fmt.number(_float(run.get(c))) for c in metric_cols),
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    numeric = set(range(5, len(headers)))  # metric columns align right, like numbers do
    lines = []
    for row in [headers, *rows]:
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)


def _float(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _ms(value: Any) -> int | None:
    """A start/end time of the runs frame (a pandas Timestamp, or missing) in epoch milliseconds."""
    if value is None or value != value or str(value) == "NaT":
        return None
    if hasattr(value, "value"):  # pandas Timestamp: nanoseconds
        return int(value.value // 1_000_000)
    return int(value)


def _runs_show(args: argparse.Namespace) -> int:
    import json

    store = _store(args)
    run = store.get_run(args.run_id)
    if args.json:  # machine-readable: exact values only
        print(json.dumps(run.to_dict(), default=str, indent=2))
        return 0
    info = run.info
    took = "running" if info.end_time is None else fmt.duration(info.end_time - info.start_time)
    print(f"run {info.run_id}  {info.run_name!r}  {info.status}  experiment {info.experiment_id}")
    print(f"started {fmt.timestamp(info.start_time)} · {took}")
    for title, values, show in (
        ("params", run.data.params, str),
        ("metrics", run.data.metrics, fmt.number),
        ("tags", run.data.tags, str),
    ):
        print(f"{title}:")
        for key in sorted(values):
            print(f"  {key} = {show(values[key])}")
    arts = store.artifact_rows(info.run_id)
    print(f"artifacts ({fmt.count(len(arts), 'file')}):")
    for path, (sha, size) in arts.items():
        print(f"  {path}  {fmt.size(size)}  sha256 {sha[:12]}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    store = _store(args)
    report = store.verify()
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    if any(p.startswith("quarantined file") for p in report.problems):
        print(
            "quarantined files were set aside by crash recovery: nothing trusts them and verify "
            "fails until they are deleted from the store's .mlnb-quarantine directory"
        )
    verdict = "OK" if report.ok else fmt.count(len(report.problems), "problem")
    checked = f"{fmt.count(report.runs, 'run')}, {fmt.count(report.artifacts, 'artifact')} checked"
    print(f"{store.location.uri}: {checked}: {verdict}")
    return 0 if report.ok else 1


def _gc(args: argparse.Namespace) -> int:
    store = _store(args)
    report = store.gc(older_than_s=args.older_than, dry_run=args.dry_run, grace_s=args.grace)
    verb = "would purge" if args.dry_run else "purged"
    purged = fmt.count(len(report.purged_runs), "deleted run")
    print(f"{verb} {purged} and {fmt.count(len(report.removed_files), 'orphan file')}")
    freed = "would free" if args.dry_run else "freed"
    left = fmt.size(report.remaining_bytes)
    print(f"{freed} {fmt.size(report.freed_bytes)}; artifacts hold {left} (shared files counted once)")
    if report.kept_for_registry:
        kept = fmt.count(report.kept_for_registry, "deleted run")
        print(f"kept {kept} whose models are registered versions")
    if report.kept_recent or report.kept_running:
        recent = fmt.count(report.kept_recent, "unrecorded file")
        running = fmt.count(report.kept_running, "file")
        print(
            f"kept {recent} younger than the grace period ({report.grace_s:g} s; --grace or "
            f"MLNB_GC_GRACE) and {running} of runs still RUNNING"
        )
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
    ls.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table (for people, rounded) or csv/json (every column, exact values)",
    )
    ls.set_defaults(func=_runs_ls)
    show = runs.add_parser("show", help="params, metrics, tags and artifacts of one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print the run as JSON instead (exact values)")
    show.set_defaults(func=_runs_show)

    verify = sub.add_parser("verify", help="check the database and every artifact's sha256")
    verify.set_defaults(func=_verify)
    gc = sub.add_parser("gc", help="purge deleted runs and orphan files")
    gc.add_argument("--older-than", type=float, default=0.0, help="only runs deleted this many seconds ago")
    gc.add_argument(
        "--grace",
        type=float,
        default=None,
        metavar="SECONDS",
        help="leave unrecorded files younger than this alone (default: MLNB_GC_GRACE or 600)",
    )
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
