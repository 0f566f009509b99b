"""A tracked cell whose files cannot be stored says so and its run ends FAILED with the reason.

(The logging steps after the cell appended their warnings to a list that had already been copied
into the result: a disk that refused the cell's files went unmentioned and the run ended
FINISHED without them.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.capture.shell import last_run, make_shell
from tests.faults.injection import INJECTOR, Fault


@pytest.fixture
def shell(store_dir: Path) -> Iterator[Any]:
    yield from make_shell(store_dir)


@pytest.fixture
def full_disk(store_dir: Path) -> Iterator[None]:
    """Every file mlnb creates in the store fails with ENOSPC (the database itself still works)."""
    from mlnb.tracking.state import get_store

    get_store()  # opened before the fault: the cell is what is tested
    INJECTOR.install()
    INJECTOR.start(store_dir, Fault("create", 1, "disk-full", persistent=True))
    try:
        yield
    finally:
        INJECTOR.disarm()
        INJECTOR.uninstall()


@pytest.mark.timeout(60)
def test_files_refused_by_the_disk_fail_the_run_with_the_reason(
    shell: Any, full_disk: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlnb

    result = shell.run_cell("%%track --no-models -n refused\nanswer = 6 * 7\n")
    assert result.error_in_exec is None and shell.user_ns["answer"] == 42  # the cell itself is unchanged
    INJECTOR.disarm()
    run = last_run()
    err = capsys.readouterr().err
    assert "mlnb: artifacts" in err and "No space left on device" in err, err
    assert run.info.status == "FAILED"
    assert "No space left on device" in run.data.tags["mlnb.failure"]
    assert "cell.py" not in {a.path for a in mlnb.list_artifacts(run.info.run_id)}
