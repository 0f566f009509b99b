"""The Runs sidebar listing 10,000 runs of an experiment, in a real JupyterLab in headless Chromium.

    .venv/bin/python benchmarks/bench_sidebar.py [--runs 10000] [--repeat 5]

A store of ``--runs`` runs (3 params, 3 metrics and a tag each; every 20th run a parent of the
next 19) in one experiment, a ``jupyter lab`` started as the browser tests start it (this
checkout's build of the lab extension, served from a temporary root), the sidebar opened, and
its scope switched to that experiment. Timed in the page, for the first switch (cold: a fresh
server process) and the next ones (warm):

- ``request → first rows drawn`` (``data-first-ms``): a new list asks for its first 200 runs
  and draws them, then fetches the rest;
- ``request → all drawn``: the panel's own figure (``data-render-ms``): from sending the
  request to the virtual list holding every run and drawing the visible rows;
- ``change → painted``: from the scope change to the second animation frame after the list
  was drawn (what the user waits for).

Target: ≤ 300 ms for 10,000 runs. Needs ``/usr/bin/chromium`` and a built lab extension
(``cd labextension && jlpm build``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _user_settings  # noqa: E402

MEASURE = """async ([label]) => {
    const panel = document.querySelector('#mlnb-runs-panel');
    const select = panel.querySelector('.mlnb-scope');
    const option = [...select.options].find(o => o.textContent === label);
    const seq = panel.dataset.renderSeq;
    const t0 = performance.now();
    select.value = option.value;
    select.dispatchEvent(new Event('change'));
    while (panel.dataset.renderSeq === seq) {
        if (performance.now() - t0 > 60000) throw new Error('the list was not drawn within 60 s');
        await new Promise(r => setTimeout(r, 1));
    }
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return {
        painted: performance.now() - t0,
        drawn: Number(panel.dataset.renderMs),
        first: Number(panel.dataset.firstMs),
        rows: Number(panel.dataset.rows),
        inDom: panel.querySelectorAll('.mlnb-run').length,
    };
}"""


FETCH = """async ([experimentId]) => {
    const t0 = performance.now();
    const url = `/mlnb/api/runs?path=&experiment_id=${experimentId}&view=list&page_size=10000`;
    const body = await (await fetch(url, { credentials: 'same-origin' })).json();
    return { ms: performance.now() - t0, rows: body.list.rows.length };
}"""


def build(store_dir: Path, n_runs: int) -> float:
    os.environ["MLNB_STORE"] = str(store_dir)
    from mlnb.entities import Metric
    from mlnb.tracking.state import get_store

    store = get_store()
    exp = store.create_experiment("bench-sidebar")
    t0 = time.perf_counter()
    parent = None
    ids = []
    for i in range(n_runs):
        if i % 20 == 0:
            parent = None
        run_id = store.create_run(
            exp, run_name=f"run-{i}", start_time=1_700_000_000_000 + i * 1000, parent_run_id=parent
        ).run_id
        if i % 20 == 0:
            parent = run_id
        store.log_batch(
            run_id,
            metrics=[Metric(f"m{j}", (i * 7919 + j) % 1000 / 7, 0, 0) for j in range(3)],
            params={f"p{j}": str(i % (j + 5)) for j in range(3)},
            tags={"group": f"g{i % 10}"},
        )
        ids.append(run_id)
    store.flush()
    for i, run_id in enumerate(ids):
        end = 1_700_000_000_000 + i * 1000 + 200 + i % 700
        store.update_run(run_id, status="FAILED" if i % 13 == 0 else "FINISHED", end_time=end)
    store.close()
    return time.perf_counter() - t0


def start_lab(base: Path, root: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    settings = base / "settings"
    _user_settings(settings)
    (base / "workspaces").mkdir()
    token, port = secrets.token_hex(16), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLNB_")}
    env.update(
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
    )
    built = ROOT / "mlnb" / "labextension"
    if not (built / "package.json").exists():
        sys.exit(f"{built} is missing: cd labextension && jlpm build")
    (base / "jupyter" / "labextensions").mkdir(parents=True)
    (base / "jupyter" / "labextensions" / "mlnb").symlink_to(built, target_is_directory=True)
    env["JUPYTER_PATH"] = str(base / "jupyter")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True", "--LabServerApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = open(base / "lab.log", "wb")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2):
                return proc, url, token
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    sys.exit(f"jupyter lab did not start: {(base / 'lab.log').read_text()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "root"
        root.mkdir()
        print(f"building {opts.runs:,} runs: {build(root / '.mlnb', opts.runs):.1f} s")
        print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
        proc, url, token = start_lab(base, root)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{url}/lab/workspaces/bench?reset&token={token}")
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
                page.wait_for_function(
                    "() => window.jupyterapp.commands.hasCommand('mlnb:show-runs')", timeout=60_000
                )
                page.evaluate("() => window.jupyterapp.commands.execute('mlnb:show-runs')")
                page.locator("#mlnb-runs-panel .mlnb-scope option", has_text="bench-sidebar").wait_for(
                    state="attached", timeout=60_000
                )
                label = "Experiment: bench-sidebar"
                results = []
                for _ in range(opts.repeat + 1):
                    results.append(page.evaluate(MEASURE, [label]))
                    page.evaluate(MEASURE, ["This notebook"])
                exp_id = page.evaluate(
                    """(label) => [...document.querySelectorAll('#mlnb-runs-panel .mlnb-scope option')]
                        .find(o => o.textContent === label).value""",
                    label,
                )
                fetches = [page.evaluate(FETCH, [exp_id])["ms"] for _ in range(opts.repeat)]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(20)
    cold, warm = results[0], results[1:]
    assert cold["rows"] == opts.runs, cold
    print(f"{cold['rows']:,} runs listed, {cold['inDom']} rows in the DOM")
    print(
        f"cold: request → first rows drawn {cold['first']} ms, → all drawn {cold['drawn']} ms, "
        f"change → all painted {cold['painted']:.0f} ms"
    )
    for key, what in (("first", "request → first rows drawn"), ("drawn", "request → all drawn"),
                      ("painted", "change → all painted")):  # fmt: skip
        values = [r[key] for r in warm]
        print(
            f"warm (x{len(warm)}) {what}: median {statistics.median(values):.0f} ms "
            f"(min {min(values):.0f}, max {max(values):.0f})"
        )
    print(
        f"of which the request alone (server + transfer + JSON.parse, in the page): median "
        f"{statistics.median(fetches):.0f} ms (min {min(fetches):.0f}, max {max(fetches):.0f})"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}  target: ≤ 300 ms")


if __name__ == "__main__":
    main()
