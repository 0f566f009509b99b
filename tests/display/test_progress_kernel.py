"""In a real ipykernel: a widget bar for requests from a notebook front end (they carry a cell
id, as JupyterLab, Notebook 7 and VS Code send), nothing for nbclient (nbconvert, nbval)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

WIDGET = "application/vnd.jupyter.widget-view+json"
CODE = (
    "import time\n"
    "from mlnb.display.progress import progress\n"
    "with progress(3, 'steps', delay=0) as bar:\n"
    "    for _ in range(3):\n"
    "        time.sleep(0.12)\n"
    "        bar.update()\n"
    "print('done')\n"
)


@pytest.fixture
def kernel(store_dir: Path) -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "MLNB_PROGRESS_DELAY": "0"}
    env.pop("MLNB_PROGRESS", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc: Any, code: str, cell_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Execute ``code`` as a front end would (with ``cellId`` metadata) or as nbclient does."""
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
    kc.shell_channel.send(msg)
    outputs = []
    while True:
        reply = kc.get_iopub_msg(timeout=120)
        if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind = reply["msg_type"]
        if kind == "status" and reply["content"]["execution_state"] == "idle":
            return outputs
        if kind in ("display_data", "update_display_data", "stream", "error", "execute_result", "comm_msg"):
            outputs.append((kind, reply["content"]))


def test_a_front_end_gets_a_widget_bar_and_nbclient_gets_nothing(kernel):
    from_front_end = [(k, c) for k, c in run(kernel, CODE, cell_id="6f1c2a") if k != "comm_msg"]
    kinds = [kind for kind, _ in from_front_end]
    assert kinds[0] == "display_data" and WIDGET in from_front_end[0][1]["data"]
    bar_id = from_front_end[0][1]["transient"]["display_id"]
    removed = [c for k, c in from_front_end if k == "update_display_data"]
    assert removed and removed[-1]["data"] == {"text/plain": ""}
    assert removed[-1]["transient"]["display_id"] == bar_id
    assert from_front_end[-1] == ("stream", {"name": "stdout", "text": "done\n"})

    from_nbclient = run(kernel, CODE)
    assert from_nbclient == [("stream", {"name": "stdout", "text": "done\n"})]


SEARCH = (
    "%%track -n grid\n"
    "from joblib import parallel_backend\n"
    "from sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.model_selection import GridSearchCV\n"
    "X, y = load_iris(return_X_y=True)\n"
    "grid = GridSearchCV(LogisticRegression(max_iter=300), {'C': [0.1, 1, 10]}, cv=3, n_jobs=2)\n"
    "with parallel_backend('threading'):\n"
    "    grid.fit(X, y)\n"
)


def test_a_search_drawn_from_joblib_threads_lands_in_its_own_cell(kernel):
    """joblib reports finished fits on its callback thread: the bar still goes to the cell."""
    run(kernel, "%load_ext mlnb", cell_id="a1")
    outputs = run(kernel, SEARCH, cell_id="b2")
    bars = [c for k, c in outputs if k == "display_data" and WIDGET in c["data"]]
    assert bars  # the search's bar (and its child runs' bar) were shown in this cell
    shown = {c["transient"]["display_id"] for c in bars}
    removed = {c["transient"]["display_id"] for k, c in outputs if k == "update_display_data"}
    assert shown <= removed  # and every one was removed again
    assert not [c for k, c in outputs if k == "error"]
    fits = [text for text in _labels(outputs) if text.startswith("fitting GridSearchCV: ")]
    assert fits and all(" of 9 fits" in text for text in fits)  # 3 candidates x 3 folds


FOREST = (
    "%%track -n forest\n"
    "from sklearn.datasets import load_iris\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "X, y = load_iris(return_X_y=True)\n"
    "forest = RandomForestClassifier(n_estimators=300, random_state=0).fit(X, y)\n"
)


def _labels(outputs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [
        c["data"]["state"]["value"]
        for k, c in outputs
        if k == "comm_msg" and isinstance(c["data"].get("state", {}).get("value"), str)
    ]


def test_the_next_cell_shows_the_model_writes_it_waits_for(kernel):
    run(kernel, "%load_ext mlnb", cell_id="a1")
    run(kernel, FOREST, cell_id="b2")  # the models are written in the background from here
    outputs = run(kernel, "print('next')", cell_id="c3")
    writes = [text for text in _labels(outputs) if text.startswith("writing models: ")]
    assert writes and all(" of 1 model" in text for text in writes)  # the forest; `model` shares its files
    bars = [c for k, c in outputs if k == "display_data" and WIDGET in c["data"]]
    assert len(bars) == 1
    # the bar is removed (the run card of the cell before is redrawn here too, once its run has
    # ended: that update names the card's display id, not the bar's)
    bar_id = bars[0]["transient"]["display_id"]
    removed = [c for k, c in outputs if k == "update_display_data" and c["transient"]["display_id"] == bar_id]
    assert removed and removed[-1]["data"] == {"text/plain": ""}
    cards = [c for k, c in outputs if k == "update_display_data" and c["transient"]["display_id"] != bar_id]
    assert all("application/vnd.mlnb.run+json" in c["data"] for c in cards)
    assert outputs[-1] == ("stream", {"name": "stdout", "text": "next\n"})
