"""``%%track`` in a real ipykernel (nbclient): display, inline figures, await, cell ids."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import mlnb
from mlnb.display.cards import MIME_TYPE

pytestmark = pytest.mark.slow

CELLS = [
    "%load_ext mlnb",
    "import matplotlib.pyplot as plt\n"
    "from sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\n"
    "from sklearn.model_selection import train_test_split\n"
    "X, y = load_iris(return_X_y=True, as_frame=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "%%track -n shown\n"
    "fig, ax = plt.subplots()\n"
    "ax.plot([1, 2, 3])\n"
    "plt.show()\n"
    "model = LogisticRegression(max_iter=300).fit(X_train, y_train)\n"
    "acc = accuracy_score(y_test, model.predict(X_test))\n"
    "acc",
    "%%track -n flushed\nplt.plot([3, 1, 2])",
    "%%track -n awaited\nimport asyncio\nawait asyncio.sleep(0)\nprint('after await')",
    "%%track -n broken\n!echo from-shell\n1 / 0",
]


def _outputs(cell) -> tuple[list[dict], list[str]]:
    bundles = [o["data"] for o in cell.outputs if o["output_type"] in ("display_data", "execute_result")]
    streams = [o["text"] for o in cell.outputs if o["output_type"] == "stream"]
    return bundles, streams


def _run(name: str):
    found = mlnb.search_runs(filter_string=f"attributes.run_name = '{name}'")
    assert len(found) == 1, name
    return mlnb.get_run(found["run_id"][0])


def test_tracked_cells_in_a_real_kernel(store_dir: Path, tmp_path: Path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    bundles, _ = _outputs(nb.cells[2])
    cards = [b for b in bundles if MIME_TYPE in b]
    assert len(cards) == 1
    card = cards[0][MIME_TYPE]
    assert card["status"] == "FINISHED" and card["run_name"] == "shown"
    assert len(card["figures"]) == 1 and card["figures"][0]["png"]
    assert {m["name"] for m in card["models"]} == {"model"}
    assert any("image/png" in b for b in bundles)  # the figure itself still shows inline
    assert any("text/plain" in b and MIME_TYPE not in b for b in bundles)  # the last expression
    assert "mlnb-run-card" in cards[0]["text/html"]

    shown = _run("shown")
    assert shown.info.status == "FINISHED"
    assert "figures/figure_1.png" in {a.path for a in mlnb.list_artifacts(shown.info.run_id, "figures")}
    assert {"model", "cell.py"} <= {a.path for a in mlnb.list_artifacts(shown.info.run_id)}
    assert "acc" in shown.data.metrics

    flushed = _run("flushed")
    assert [a.path for a in mlnb.list_artifacts(flushed.info.run_id, "figures")] == ["figures/figure_1.png"]

    awaited = _run("awaited")
    assert awaited.info.status == "FINISHED"
    assert mlnb.load_text(awaited.info.run_id, "stdout.txt") == "after await\n"

    broken = _run("broken")
    assert broken.info.status == "FAILED"
    assert "from-shell" in mlnb.load_text(broken.info.run_id, "stdout.txt")
    _, streams = _outputs(nb.cells[5])
    assert any("from-shell" in s for s in streams)


def test_cell_id_from_the_front_end_is_recorded(store_dir: Path):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive("%load_ext mlnb", timeout=60)
        content = {
            "code": "%%track -n with_id\nq = 1",
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = kc.session.msg("execute_request", content, metadata={"cellId": "cell-from-lab"})
        kc.shell_channel.send(msg)
        reply = kc.get_shell_msg(timeout=60)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    run = _run("with_id")
    assert run.data.tags["mlnb.cell_id"] == "cell-from-lab"


def test_interrupting_the_kernel_marks_the_run_killed(store_dir: Path):
    import time

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive("%load_ext mlnb", timeout=60)
        kc.execute("%%track -n interrupted\nimport time\nstarted = True\ntime.sleep(60)")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the cell is running
            msg = kc.get_iopub_msg(timeout=30)
            if msg["msg_type"] == "execute_input":
                break
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=60)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        kc.execute_interactive("1", timeout=60)  # the next cell waits for the run to be ended
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert _run("interrupted").info.status == "KILLED"
