"""``mlnb serve`` under abusive clients: /ping latency from another process, and peak memory.

Each scenario runs its clients in separate processes for a few seconds while one more process
GETs /ping every 10 ms on a keep-alive connection; the server's memory is the VmRSS of the
server process plus its decoding processes (shared pages counted in each, so an over-estimate),
sampled every 50 ms.  Scenarios (issue #15's report, then ordinary load):

- idle; valid: 4 clients sending 2-row requests back to back;
- duplicate-csv: 4 clients sending a CSV header of 40,000 copies of one name;
- huge-header: 4 clients each sending a header of up to 8 MB;
- max-body: 3 clients sending valid bodies at the size cap;
- over-body: 3 clients sending 45 MB bodies;
- slow-loris: 8 clients trickling request headers a byte every 0.2 s;
- slow-body: 12 clients trickling bodies (more than --max-concurrency);
- mixed: one client of each kind.

    .venv/bin/python benchmarks/bench_serve_abuse.py [--seconds 12] [-- extra mlnb serve options]

``--decode-cost`` instead measures, in a fresh process per body format, the peak memory that
decoding and predicting one body at the size cap costs per body byte (the figure behind
``mlnb.serve.limits.WORST_BYTES_PER_BODY_BYTE``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIOS: dict[str, list[str]] = {
    "idle": [],
    "valid": ["valid"] * 4,
    "duplicate-csv": ["duplicate-csv"] * 4,
    "huge-header": ["huge-header"] * 4,
    "max-body": ["max-body"] * 3,
    "over-body": ["over-body"] * 3,
    "slow-loris": ["slow-loris"] * 8,
    "slow-body": ["slow-body"] * 12,
    "mixed": ["valid", "duplicate-csv", "huge-header", "max-body", "slow-loris", "slow-body"],
}


def _limits_of(options: list[str]) -> Any:
    """The limits ``mlnb serve`` applies with these options (parsed by its own parser)."""
    from mlnb.serve.command import add_serve_parser, limits_from_args

    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers(), lambda args: None)
    a = parser.parse_args(["serve", "runs:/x/model", *options])
    return limits_from_args(a)


def _body(fmt: str, size: int) -> tuple[bytes, str]:
    import json

    from tests.serve.abuse import ROW, body_of_size

    values = list(ROW.values())
    n = size // (len(json.dumps(values)) + 2)
    if fmt == "records":
        return body_of_size(size), "application/json"
    if fmt == "split":
        return json.dumps(
            {"dataframe_split": {"columns": list(ROW), "data": [values] * n}}
        ).encode(), "application/json"
    if fmt == "inputs":
        return json.dumps({"inputs": {c: [v] * n for c, v in ROW.items()}}).encode(), "application/json"
    line = ",".join(map(str, values)) + "\n"
    return (",".join(ROW) + "\n" + line * (size // len(line))).encode(), "text/csv"


def _decode_cost(store: str, model_uri: str, fmt: str, size: int, out: Any) -> None:
    """Peak RSS growth per body byte of one body decoded and predicted (run in a fresh process)."""
    import resource

    import mlnb
    from mlnb.serve.app import load_for_serving
    from mlnb.serve.workers import PredictJob

    mlnb.set_store(store)
    model, signature = load_for_serving(model_uri)
    job = PredictJob(model, signature, 2048)
    job(*_body(fmt, 1000))  # warm up: first-call allocations are not the body's
    body, content_type = _body(fmt, size)
    with open("/proc/self/status") as f:
        start = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    status, _ = job(body, content_type)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.put((fmt, status, len(body), (peak - start) / len(body)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--decode-cost", action="store_true", help="measure memory per body byte instead")
    parser.add_argument("options", nargs="*", help="extra options for mlnb serve (after --)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-abuse-"))
    store_dir = tmp / ".mlnb"
    os.environ["MLNB_STORE"] = str(store_dir)
    import mlnb
    from tests.serve import abuse
    from tests.serve.conftest import churn_pipeline

    X, model = churn_pipeline()
    with mlnb.start_run():
        info = mlnb.log_model(model, "model", input_example=X)
    options = list(args.options)
    limits = _limits_of(options)
    if args.decode_cost:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        for fmt in ("records", "split", "inputs", "csv"):
            proc = ctx.Process(
                target=_decode_cost, args=(str(store_dir), info.model_uri, fmt, limits.max_body_bytes, out)
            )
            proc.start()
            fmt, status, size, per_byte = out.get(timeout=600)
            proc.join()
            print(
                f"{fmt:8} {size / 2**20:5.1f} MiB body -> {status}: peak memory {per_byte:5.1f} bytes per body byte"
            )
        return
    proc, port = abuse.start_server(store_dir, info.model_uri, options)
    mib = 1024 * 1024
    try:
        for _ in range(4):  # both decoding processes have predicted once
            abuse.post(port, abuse.records_body(50))
        idle = abuse.rss_bytes(proc.pid)
        bound = limits.memory_bound_bytes(idle)
        print(f"mlnb serve {' '.join(options) or '(defaults)'}: {limits}")
        print(
            f"idle RSS (server + decoding processes): {idle / mib:.0f} MiB; stated bound {bound / mib:.0f} MiB"
        )
        print(
            f"{'scenario':15} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'pings':>6} {'peak MiB':>9}  statuses"
        )
        for name, clients in SCENARIOS.items():
            if args.only and name not in args.only:
                continue
            r = abuse.measure(port, proc.pid, clients, args.seconds, body_size=limits.max_body_bytes)
            statuses = "; ".join(
                f"{kind}: " + ", ".join(f"{s}x{n}" for s, n in sorted(counts.items()))
                for kind, counts in r["statuses"].items()
            )
            print(
                f"{name:15} {r['ping_p50'] * 1e3:7.1f} {r['ping_p99'] * 1e3:7.1f} {r['ping_max'] * 1e3:7.1f} "
                f"{r['pings']:6d} {r['peak_rss'] / mib:9.0f}  {statuses or '-'}"
                + (f" (ping failures: {r['ping_failures']})" if r["ping_failures"] else ""),
                flush=True,
            )
    finally:
        abuse.stop_server(proc)


if __name__ == "__main__":
    main()
