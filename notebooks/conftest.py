"""Tutorial notebooks under nbval: each notebook's kernel gets a fresh, empty mlnb store.

nbval starts a notebook's kernel while setting up its first cell; the kernel inherits this
process's environment, so ``MLNB_STORE`` is pointed at a new temporary directory just before
that happens (and put back afterwards).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_current: dict[str, object] = {"file": None}
_dirs: list[str] = []
_saved = os.environ.get("MLNB_STORE")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    notebook = item.parent
    if notebook is None or _current["file"] is notebook:
        return
    _current["file"] = notebook
    root = tempfile.mkdtemp(prefix="mlnb-nbval-")
    _dirs.append(root)
    os.environ["MLNB_STORE"] = os.path.join(root, ".mlnb")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _saved is None:
        os.environ.pop("MLNB_STORE", None)
    else:
        os.environ["MLNB_STORE"] = _saved
    for root in _dirs:
        shutil.rmtree(root, ignore_errors=True)
