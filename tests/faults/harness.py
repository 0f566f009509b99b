"""The worker of the fault-injection suite: one ``%%track`` cell per fault, each in a fresh store.

Run as ``python -m tests.faults.harness CASES.json OUT.json``: ``CASES.json`` is a list of faults
(or ``[]`` for one clean run that counts the calls of every kind); ``OUT.json`` receives one
record per case.  The worker then exits, and ``python -m tests.faults.harness check OUT.json
SNAPS.json`` opens each store in a new process, as a restarted kernel would find it, and records
what it holds (``mlnb verify``'s report and the run) for the tests to judge.

Acknowledged, precisely (what the checks hold the store to):

* an explicit ``mlnb.log_figure`` / ``mlnb.sklearn.log_model`` call in the cell is acknowledged
  when it returned normally (they are synchronous);
* an explicit ``mlnb.log_param`` / ``mlnb.log_metric`` call is acknowledged when it returned
  normally *and* the ``mlnb.flush()`` after it in the cell returned normally;
* what ``%%track`` captured by itself (the estimator's params and the literal ``depth``, the metric, the
  figure, the model) is acknowledged when the cell ended without any mlnb warning (the run card
  then claims all of it).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

SETUP = """
import matplotlib.pyplot as plt
import mlnb
from mlnb.errors import MlnbError
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier
from sklearn.metrics import accuracy_score
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = X.iloc[::2], X.iloc[1::2], y.iloc[::2], y.iloc[1::2]
"""

# The cell under test: params, metrics, a figure and a model, captured by %%track and logged
# explicitly; ``acked`` records which explicit calls returned normally.
CELL = """%%track -n faulty
depth = 3
clf = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_train, y_train)
test_accuracy = accuracy_score(y_test, clf.predict(X_test))
fig = plt.figure(figsize=(1, 1), dpi=30)
fig.text(0.1, 0.5, f"{test_accuracy:.2f}")
acked = {}
run_id = mlnb.active_run().info.run_id if mlnb.active_run() is not None else None
if run_id is not None:
    try:
        mlnb.log_param("explicit_param", "p1")
        mlnb.log_metric("explicit_metric", 0.25)
        mlnb.flush()
        acked["params"] = {"explicit_param": "p1"}
        acked["metrics"] = {"explicit_metric": 0.25}
    except MlnbError as exc:
        acked["buffered_error"] = str(exc)
    try:
        mlnb.log_figure(fig, "explicit/figure.png")
        acked["figure"] = "explicit/figure.png"
    except MlnbError as exc:
        acked["figure_error"] = str(exc)
    try:
        mlnb.sklearn.log_model(clf, "explicit_model")
        acked["model"] = "explicit_model"
    except MlnbError as exc:
        acked["model_error"] = str(exc)
cell_value = 6 * 7
"""

_CELL_VARS = ("depth", "clf", "test_accuracy", "fig", "acked", "run_id", "cell_value")


def _shell() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mlnb")
    result = shell.run_cell(SETUP, store_history=False)
    result.raise_error()
    return shell


def run_case(shell: Any, store_dir: Path, fault: dict[str, Any] | None) -> dict[str, Any]:
    import mlnb
    from mlnb.capture.session import wait
    from mlnb.errors import MlnbError
    from tests.faults.injection import INJECTOR, Fault

    mlnb.set_store(store_dir)  # created before the fault is armed: the cell is what is tested
    for name in _CELL_VARS:
        shell.user_ns.pop(name, None)
    armed = Fault(**fault) if fault else None
    out, err = io.StringIO(), io.StringIO()
    record: dict[str, Any] = {"store": str(store_dir), "fault": fault, "raw": []}
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        INJECTOR.start(store_dir, armed)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                result = shell.run_cell(CELL, store_history=False)
                if result.error_before_exec is not None or result.error_in_exec is not None:
                    exc = result.error_before_exec or result.error_in_exec
                    record["raw"].append(f"the cell raised {type(exc).__name__}: {exc}")
            except BaseException as exc:  # exactly what must never happen
                record["raw"].append(f"run_cell raised {type(exc).__name__}: {exc}")
            try:
                wait()  # the models are written in the background after the cell
            except BaseException as exc:
                record["raw"].append(f"waiting for the models raised {type(exc).__name__}: {exc}")
        INJECTOR.disarm()
        record["fired"] = INJECTOR.fired
        record["counts"] = dict(INJECTOR.counts)
        # the disk is back: a later flush either succeeds or says, as an MlnbError, what it lost
        try:
            mlnb.flush()
            record["flush_after"] = "ok"
        except MlnbError as exc:
            record["flush_after"] = f"{type(exc).__name__}: {exc}"
        except BaseException as exc:
            record["flush_after"] = f"raw {type(exc).__name__}: {exc}"
            record["raw"].append(f"mlnb.flush() after the fault raised {type(exc).__name__}: {exc}")
    record["seconds"] = round(time.perf_counter() - t0, 3)
    ns = shell.user_ns
    record["cell_value"] = ns.get("cell_value")
    record["run_id"] = ns.get("run_id")
    record["acked"] = ns.get("acked")
    record["stderr"] = err.getvalue()
    record["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    record["mlnb_warnings"] = [line for line in err.getvalue().splitlines() if line.startswith("mlnb:")] + [
        w for w in record["warnings"] if "mlnb" in w
    ]
    import matplotlib.pyplot as plt

    plt.close("all")
    _end_session(record)
    return record


def _end_session(record: dict[str, Any]) -> None:
    """End the case as a kernel that shuts down: close the store (which flushes); what it still
    could not write is left, as if the process ended here, and the next case starts afresh."""
    from mlnb.errors import MlnbError
    from mlnb.tracking import state

    with state.lock:
        record["left_active"] = [run.info.run_id for run in state.run_stack]
        state.run_stack.clear()
        store, state._store = state._store, None
        state._explicit_uri = None
        state.experiment_id = None
    if store is None:
        return
    try:
        store.close()
    except MlnbError as exc:
        record["close"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        record["raw"].append(f"closing the store raised {type(exc).__name__}: {exc}")
    finally:
        record["discarded_at_end"] = len(store._buffer)
        store._buffer.take()  # (the process "ends" here for this store: nothing more is written)
        store._closed = True


def main(cases_path: str, out_path: str) -> None:
    from tests.faults.injection import INJECTOR

    cases = json.loads(Path(cases_path).read_text())
    base = Path(out_path).parent
    shell = _shell()
    INJECTOR.install()
    records = []
    for i, fault in enumerate(cases or [None]):
        label = "clean" if fault is None else f"{i:03d}"
        try:
            records.append(run_case(shell, base / label / ".mlnb", fault))
        except BaseException as exc:  # a harness failure is reported per case
            records.append(
                {
                    "store": str(base / label / ".mlnb"),
                    "fault": fault,
                    "harness_error": traceback.format_exc(),
                }
            )
            if isinstance(exc, KeyboardInterrupt):
                break
    INJECTOR.uninstall()
    Path(out_path).write_text(json.dumps(records))


def check(records_path: str, out_path: str) -> None:
    """Open every store the writer left (this is another process) and record what it holds."""
    from tests.faults import checks

    records = json.loads(Path(records_path).read_text())
    snaps = [checks.snapshot(rec["store"], rec.get("run_id")) for rec in records]
    checks.close_all()
    Path(out_path).write_text(json.dumps(snaps))


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
