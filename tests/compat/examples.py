"""Run MLflow example scripts as they are and with only their import changed to mlnb.

Every script in ``scripts/`` is written for MLflow (``import mlflow``).  For the mlnb side its
import lines, and nothing else, are rewritten (``rewrite_for_mlnb``).  Each run happens in a
subprocess with a fresh directory and ``MLFLOW_TRACKING_URI=sqlite:///<dir>/mlflow.db``; the
script prints ``STEP <name> OK`` or ``STEP <name> FAIL <error>`` per step and ``SCRIPT DONE``
at its end, which ``parse_output`` reads back.  Used by ``test_examples.py`` and by
``scripts/compat_report.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
REPO_ROOT = SCRIPTS_DIR.parents[2]
EXAMPLES = (
    "quickstart",
    "autolog_linear_regression",
    "autolog_pipeline",
    "autolog_grid_search_cv",
    "elasticnet_wine",
    "churn_course",
)
SIDES = ("mlflow", "mlnb")
TIMEOUT = 600

_IMPORT_AS = re.compile(r"^(\s*)import mlflow(\s+as\s+\w+)?\s*$")
_IMPORT_SUBMODULE = re.compile(r"^(\s*)import mlflow\.([\w.]+)\s*$")
_FROM_IMPORT = re.compile(r"^(\s*)from mlflow((?:\.[\w.]+)?\s+import\s)")


def rewrite_for_mlnb(source: str) -> str:
    """``source`` with its MLflow imports turned into the same imports of mlnb, nothing else.

    ``import mlflow`` becomes ``import mlnb as mlflow``; ``import mlflow.sklearn`` imports
    ``mlnb.sklearn`` and binds ``mlflow`` to mlnb, as the original binds it to mlflow;
    ``from mlflow.x import y`` becomes ``from mlnb.x import y``.  Strings and attribute names
    that merely contain "mlflow" (``tags.mlflow.runName``) are left alone.
    """
    lines = []
    for line in source.splitlines(keepends=True):
        text = line.rstrip("\n")
        if m := _IMPORT_AS.match(text):
            alias = m.group(2) or " as mlflow"
            text = f"{m.group(1)}import mlnb{alias}"
        elif m := _IMPORT_SUBMODULE.match(text):
            text = f"{m.group(1)}import mlnb.{m.group(2)}, mlnb as mlflow"
        elif m := _FROM_IMPORT.match(text):
            text = f"{m.group(1)}from mlnb{m.group(2)}" + text[m.end() :]
        lines.append(text + line[len(line.rstrip("\n")) :])
    return "".join(lines)


@dataclass
class ExampleRun:
    """What one script did on one side: its steps in order, and whether it reached its end."""

    script: str
    side: str
    steps: dict[str, str] = field(default_factory=dict)  # name -> "OK" or the failure
    finished: bool = False
    returncode: int | None = None
    seconds: float = 0.0
    stderr_tail: str = ""

    @property
    def ok(self) -> list[str]:
        return [name for name, outcome in self.steps.items() if outcome == "OK"]

    @property
    def failed(self) -> dict[str, str]:
        return {name: outcome for name, outcome in self.steps.items() if outcome != "OK"}

    def describe(self) -> str:
        """A short account for an assertion message: failures, or how the process ended."""
        lines = [f"{self.script} on {self.side}: {len(self.ok)}/{len(self.steps)} steps OK"]
        lines += [f"  {name}: {outcome}" for name, outcome in self.failed.items()]
        if not self.finished:
            lines.append(f"  script stopped before its end (exit code {self.returncode}):")
            lines += ["    " + line for line in self.stderr_tail.splitlines()]
        return "\n".join(lines)


def parse_output(script: str, side: str, stdout: str) -> ExampleRun:
    """The ``ExampleRun`` described by a script's standard output."""
    run = ExampleRun(script, side)
    for line in stdout.splitlines():
        if line.startswith("STEP "):
            name, _, outcome = line[5:].partition(" ")
            run.steps[name] = "OK" if outcome == "OK" else outcome.removeprefix("FAIL ")
        elif line == "SCRIPT DONE":
            run.finished = True
    return run


def make_mlflow_template(directory: Path) -> Path:
    """An empty MLflow SQLite database with every migration applied, made once and copied for
    each MLflow run: MLflow spends seconds creating its tables, which is not what is compared."""
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "mlflow.db"
    code = "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); mlflow.search_experiments()"
    subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{db}"],
        check=True,
        capture_output=True,
        env=_clean_env(),
        cwd=directory,
        timeout=TIMEOUT,
    )
    return db


def copy_mlflow_template(template: Path, db: Path) -> Path:
    """A fresh MLflow database at ``db``, copied from ``template``, its default experiment's
    artifacts beside it (the template's would point into the directory it was made in)."""
    shutil.copyfile(template, db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            (str(db.parent / "mlruns" / "0"),),
        )
    conn.close()
    return db


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLNB_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def _prepare(script: str, side: str, workdir: Path, template: Path | None) -> dict[str, str]:
    """Copy the scripts (rewritten for mlnb) into ``workdir``; return the run's environment."""
    workdir.mkdir(parents=True, exist_ok=True)
    for path in SCRIPTS_DIR.glob("*.py"):
        text = path.read_text()
        (workdir / path.name).write_text(rewrite_for_mlnb(text) if side == "mlnb" else text)
    db = workdir / "mlflow.db"
    if side == "mlflow" and template is not None:
        copy_mlflow_template(template, db)
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), env["PYTHONPATH"]])
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{db}"
    return env


def run_examples(
    jobs: list[tuple[str, str]],
    root: Path,
    *,
    parallel: int | None = None,
    template: Path | None = None,
) -> dict[tuple[str, str], ExampleRun]:
    """Run each ``(script, side)`` in its own directory under ``root``, ``parallel`` at a time.

    ``template`` is a migrated MLflow database to start MLflow's runs from (see
    ``make_mlflow_template``); without it MLflow creates its tables in every run.
    """
    parallel = parallel or max(2, os.cpu_count() or 2)
    pending = list(jobs)
    running: list[tuple[str, str, subprocess.Popen[bytes], float, Path]] = []
    results: dict[tuple[str, str], ExampleRun] = {}
    while pending or running:
        while pending and len(running) < parallel:
            script, side = pending.pop(0)
            workdir = root / f"{script}-{side}"
            env = _prepare(script, side, workdir, template)
            with open(workdir / "stdout.txt", "wb") as out, open(workdir / "stderr.txt", "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, f"{script}.py"], cwd=workdir, env=env, stdout=out, stderr=err
                )
            running.append((script, side, proc, time.monotonic(), workdir))
        time.sleep(0.05)
        for job in list(running):
            script, side, proc, started, workdir = job
            if proc.poll() is None and time.monotonic() - started < TIMEOUT:
                continue
            if proc.returncode is None:  # over its time: stop it and report what it printed
                proc.kill()
                proc.wait()
            running.remove(job)
            result = parse_output(script, side, (workdir / "stdout.txt").read_text())
            result.returncode = proc.returncode
            result.seconds = time.monotonic() - started
            result.stderr_tail = "\n".join((workdir / "stderr.txt").read_text().splitlines()[-15:])
            results[(script, side)] = result
    return results


def format_table(results: dict[tuple[str, str], ExampleRun]) -> str:
    """Steps run to completion per script and side, with the totals (the issue's figures)."""
    scripts = [s for s in EXAMPLES if any((s, side) in results for side in SIDES)]
    header = f"{'script':<28}{'steps':>6}{'MLflow OK':>11}{'mlnb OK':>9}"
    lines = [header, "-" * len(header)]
    totals = {"steps": 0, "mlflow": 0, "mlnb": 0}
    for script in scripts:
        runs = {side: results.get((script, side)) for side in SIDES}
        steps = max((len(r.steps) for r in runs.values() if r), default=0)
        cells = {side: (str(len(r.ok)) if r else "-") for side, r in runs.items()}
        totals["steps"] += steps
        for side in SIDES:
            totals[side] += len(runs[side].ok) if runs[side] else 0
        lines.append(f"{script:<28}{steps:>6}{cells['mlflow']:>11}{cells['mlnb']:>9}")
    lines.append("-" * len(header))
    lines.append(f"{'total':<28}{totals['steps']:>6}{totals['mlflow']:>11}{totals['mlnb']:>9}")
    return "\n".join(lines)
