"""The ``shell`` fixture: IPython's InteractiveShell with ``%load_ext mlnb``, a fresh store and namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.capture.shell import make_shell


@pytest.fixture
def shell(store_dir: Path) -> Iterator[Any]:
    yield from make_shell(store_dir)
