"""Opening the compare panel on 10,000 runs × (20 params + 20 metrics).

Prints the Python-side time to the first render payload (target <= 300 ms), the time to the
full payload the front end asks for next, their sizes on the wire (binary buffers + JSON), and
the ratio against a naive payload of one JSON dict per row (what a per-cell widget would send).

With ``--browser`` it also measures end to end in a real JupyterLab in headless Chromium
(``compare_e2e.py``): from the cell's execution request to a rendered table with metric columns
and a drawn parallel-coordinates plot, for a first call (cold kernel: imports included) and a
second call in the same kernel (target <= 1 s).  Build the lab extension first (``jlpm build``).

    .venv/bin/python benchmarks/bench_compare.py [--runs 10000] [--store DIR] [--browser]

``--store`` keeps the generated store between invocations (building it takes ~25 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_PARAMS = N_METRICS = 20


def build(store_dir: Path, n_runs: int) -> None:
    os.environ["MLNB_STORE"] = str(store_dir)
    import mlnb
    from mlnb.entities import Metric
    from mlnb.tracking.state import get_store

    exp = mlnb.set_experiment("bench-compare")
    store = get_store()
    rng = random.Random(0)
    t0 = time.perf_counter()
    for i in range(n_runs):
        info = store.create_run(exp.experiment_id, run_name=f"run-{i}")
        params = {
            f"p{j}": str(rng.choice([0.01, 0.1, 1, 10]) if j % 2 else round(rng.random(), 4))
            for j in range(N_PARAMS)
        }
        params["p0"] = rng.choice(["lr", "rf", "gb", "svm"])
        metrics = [Metric(f"m{j}", rng.random(), 1, 0) for j in range(N_METRICS)]
        store.log_batch(info.run_id, params=params, metrics=metrics)
        store.update_run(info.run_id, status="FINISHED")
    store.flush()
    print(f"built {n_runs} runs in {time.perf_counter() - t0:.1f} s")


def wire(state: dict) -> tuple[int, int]:
    """(JSON bytes, binary buffer bytes) of a widget state as ipywidgets sends it."""
    from ipywidgets.widgets.widget import _remove_buffers

    stripped, _paths, buffers = _remove_buffers(state)
    return len(json.dumps(stripped, separators=(",", ":"))), sum(len(b) for b in buffers)


def measure(store_dir: Path) -> dict:
    os.environ["MLNB_STORE"] = str(store_dir)
    t_import = time.perf_counter()
    import mlnb
    from mlnb.widgets import compare as cmp

    mlnb.set_experiment("bench-compare")
    imported = time.perf_counter() - t_import
    out: dict = {"import_s": imported}

    def first() -> tuple[float, object]:
        t0, c0 = time.perf_counter(), time.process_time()
        panel = cmp.compare()
        state = panel.view.get_state()
        cpu.append(time.process_time() - c0)
        return time.perf_counter() - t0, (panel, state)

    cpu: list[float] = []
    cold, (panel, state) = first()
    out["first_cold_s"] = cold
    out["first_json"], out["first_bin"] = wire(state)
    out["first_rows"] = panel.view.data["n"]
    warm = []
    for _ in range(5):
        dt, (panel, state) = first()
        warm.append(dt)
    out["first_warm_s"] = statistics.median(warm)
    out["first_cpu_s"] = statistics.median(cpu[1:])
    full, full_cpu = [], []
    for _ in range(3):
        panel = cmp.compare()
        t0, c0 = time.perf_counter(), time.process_time()
        panel._on_msg(panel.view, {"type": "load_all"}, [])
        state = panel.view.get_state()
        full.append(time.perf_counter() - t0)
        full_cpu.append(time.process_time() - c0)
    out["full_s"] = statistics.median(full)
    out["full_cpu_s"] = statistics.median(full_cpu)
    out["full_json"], out["full_bin"] = wire(state)
    out["full_rows"] = panel.view.data["n"]
    t0 = time.perf_counter()
    wire(state)
    out["serialize_s"] = time.perf_counter() - t0
    # the naive alternative: one dict per run, every cell a JSON value
    frame = panel.to_frame()
    t0 = time.perf_counter()
    naive = json.dumps(
        frame.reset_index().astype(object).where(frame.reset_index().notna(), None).to_dict("records")
    )
    out["naive_s"] = time.perf_counter() - t0
    out["naive_bytes"] = len(naive)
    t0 = time.perf_counter()
    html = panel._repr_mimebundle_()["text/html"]
    out["static_s"] = time.perf_counter() - t0
    out["static_bytes"] = len(html)
    return out


def browser(store_dir: Path) -> dict:
    """End-to-end figures from ``compare_e2e.py`` run by pytest with the browser fixtures."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="mlnb-bench-e2e-") as tmp:
        out = Path(tmp) / "e2e.json"
        env = dict(os.environ, MLNB_BENCH_STORE=str(store_dir), MLNB_BENCH_OUT=str(out))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-p",
                "tests.browser.conftest",
                "-q",
                "--rootdir",
                str(root),
                str(Path(__file__).with_name("compare_e2e.py")),
            ],
            cwd=root,
            env=env,
            check=True,
        )
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument(
        "--browser", action="store_true", help="also measure end to end in JupyterLab + Chromium"
    )
    parser.add_argument("--_measure", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._measure is not None:  # child process: cold imports are really cold
        print(json.dumps(measure(args._measure)))
        return
    tmp = None
    store_dir = args.store
    if store_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="mlnb-bench-compare-")
        store_dir = Path(tmp.name) / ".mlnb"
    if not (store_dir / "mlnb.db").exists():
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import bench_compare as b; b.build(__import__('pathlib').Path({str(store_dir)!r}), {args.runs})",
            ],
            check=True,
        )
    proc = subprocess.run(
        [sys.executable, __file__, "--_measure", str(store_dir)], check=True, capture_output=True, text=True
    )
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    mb = 1024 * 1024
    print(f"compare panel on {r['full_rows']} runs x ({N_PARAMS} params + {N_METRICS} metrics)")
    print(f"  import mlnb.widgets.compare (ipywidgets, anywidget) : {r['import_s'] * 1000:7.0f} ms")
    print(
        f"  first render payload ({r['first_rows']} most recent runs): cold {r['first_cold_s'] * 1000:.0f} ms"
        f" (first call in the process), warm {r['first_warm_s'] * 1000:.0f} ms"
        f" (CPU {r['first_cpu_s'] * 1000:.0f} ms)  [target <= 300 ms]"
    )
    print(
        f"    size {(r['first_json'] + r['first_bin']) / mb:.2f} MB"
        f" (JSON {r['first_json'] / mb:.2f} MB + binary {r['first_bin'] / mb:.2f} MB)"
    )
    print(
        f"  full payload (load_all, all {r['full_rows']} runs): {r['full_s'] * 1000:.0f} ms"
        f" (CPU {r['full_cpu_s'] * 1000:.0f} ms)"
    )
    print(
        f"    size {(r['full_json'] + r['full_bin']) / mb:.2f} MB"
        f" (JSON {r['full_json'] / mb:.2f} MB + binary {r['full_bin'] / mb:.2f} MB),"
        f" serialization {r['serialize_s'] * 1000:.0f} ms"
    )
    print(
        f"  naive per-row JSON dicts: {r['naive_bytes'] / mb:.2f} MB in {r['naive_s'] * 1000:.0f} ms"
        f" -> compact payload is {r['naive_bytes'] / (r['full_json'] + r['full_bin']):.1f}x smaller"
    )
    print(
        f"  static fallback (HTML + PNG plots): {r['static_s'] * 1000:.0f} ms, {r['static_bytes'] / 1024:.0f} KB"
    )
    if args.browser:
        load = os.getloadavg()[0]
        e2e = browser(store_dir)
        print("  end to end in JupyterLab + Chromium, from the cell's execution request [target <= 1 s]:")
        cases = (
            ("cold", "first call (cold kernel)"),
            ("warm", "second call (warm)"),
            ("view_only", "warm, view without fallback"),
        )
        for name, label in cases:
            m = e2e[name]
            print(
                f"    {label:26}: table with metrics + parallel plot of the first {m['first_rows']} runs"
                f" {m['first_ms']:.0f} ms; all {m['all_rows']} runs drawn {m['all_ms']:.0f} ms"
                f" (last full render {m['render_ms']:.0f} ms, of which the parallel plot"
                f" {m['plot_ms']:.0f} ms for {m['lines']} lines)"
            )
            print(
                f"      the view's first render began at {m['view_ms']:.0f} ms (kernel: import, compare(),"
                f" static fallback; transport; widget start-up) and took {m['first_render_ms']:.0f} ms"
            )
        print(f"    (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")
    print(
        f"  (machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times scale with it)"
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
