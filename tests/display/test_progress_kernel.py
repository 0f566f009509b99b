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
        if kind in ("display_data", "update_display_data", "stream", "error", "execute_result"):
            outputs.append((kind, reply["content"]))


def test_a_front_end_gets_a_widget_bar_and_nbclient_gets_nothing(kernel):
    from_front_end = run(kernel, CODE, cell_id="6f1c2a")
    kinds = [kind for kind, _ in from_front_end]
    assert kinds[0] == "display_data" and WIDGET in from_front_end[0][1]["data"]
    bar_id = from_front_end[0][1]["transient"]["display_id"]
    removed = [c for k, c in from_front_end if k == "update_display_data"]
    assert removed and removed[-1]["data"] == {"text/plain": ""}
    assert removed[-1]["transient"]["display_id"] == bar_id
    assert from_front_end[-1] == ("stream", {"name": "stdout", "text": "done\n"})

    from_nbclient = run(kernel, CODE)
    assert from_nbclient == [("stream", {"name": "stdout", "text": "done\n"})]
