"""An IPython InteractiveShell with ``%load_ext mlnb`` for tests (shared by tests/test_magics.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

SETUP = """
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
"""


def make_shell(store_dir: Path) -> Iterator[Any]:
    import asyncio

    from IPython.core.interactiveshell import InteractiveShell

    # Playwright's sync API (browser tests earlier in the session) leaves its loop registered as
    # this thread's running loop; IPython would then run a cell's top-level ``await`` on it
    try:
        foreign_loop = asyncio.get_running_loop()
    except RuntimeError:
        foreign_loop = None
    if foreign_loop is not None:
        asyncio.events._set_running_loop(None)
    shell = InteractiveShell.instance()
    if "track" not in shell.magics_manager.magics["cell"]:
        shell.run_line_magic("load_ext", "mlnb")
    shell.reset(new_session=False)
    yield shell
    from mlnb.capture.session import wait

    wait()
    shell.reset(new_session=False)
    import mlnb

    while mlnb.active_run() is not None:
        mlnb.end_run()
    if foreign_loop is not None:
        asyncio.events._set_running_loop(foreign_loop)


def last_run(shell: Any = None) -> Any:
    """The last tracked run, once its models are written (they are saved in the background)."""
    import mlnb
    from mlnb.capture.session import wait
    from mlnb.tracking import state

    wait()
    # (not last_active_run(): like MLflow's, it returns the enclosing run while one is active)
    assert state.last_run_id is not None, "no run has ended yet"
    return mlnb.get_run(state.last_run_id)


def artifacts(run_id: str) -> set[str]:
    from mlnb.capture.session import wait
    from mlnb.tracking.state import get_store

    wait()
    return set(get_store().artifact_rows(run_id))
