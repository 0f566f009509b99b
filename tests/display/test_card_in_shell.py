"""The run card of a real ``%%track`` cell: which params it folds, and its redraw once the run ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.utils.capture import capture_output

import mlnb
from mlnb.capture.session import wait
from mlnb.display.cards import MIME_TYPE
from tests.capture.shell import SETUP, make_shell


@pytest.fixture
def shell(store_dir: Path) -> Iterator[Any]:
    yield from make_shell(store_dir)


def test_params_the_cell_set_come_first_and_defaults_fold(shell):
    shell.run_cell(SETUP)
    with capture_output() as captured:
        shell.run_cell(
            "%%track -n lr\n"
            "n_folds = 3\n"
            "model = LogisticRegression(C=0.5, max_iter=500, fit_intercept=True)\n"
            "model.fit(X_train, y_train)\n"
        )
        wait()
    payload = next(o.data[MIME_TYPE] for o in captured.outputs if MIME_TYPE in o.data)
    flags = {p["key"]: p["default"] for p in payload["params"]}
    # non-default, passed by keyword although equal to the default, a literal assignment
    assert flags["C"] is False and flags["max_iter"] is False
    assert flags["fit_intercept"] is False and flags["n_folds"] is False
    assert flags["tol"] is True and flags["warm_start"] is True
    keys = [p["key"] for p in payload["params"]]
    assert set(keys[:4]) == {"C", "max_iter", "fit_intercept", "n_folds"}


def test_card_shown_while_models_save_is_redrawn_with_the_runs_duration(shell):
    shell.run_cell(SETUP)
    with capture_output() as captured:
        shell.run_cell("%%track -n rf\nmodel = LogisticRegression(max_iter=300).fit(X_train, y_train)\n")
        wait()
    cards = [o for o in captured.outputs if MIME_TYPE in o.data]
    first, last = cards[0].data[MIME_TYPE], cards[-1].data[MIME_TYPE]
    assert first["status"] == "RUNNING" and first["duration_ms"] is None  # models still being written
    assert "running" in cards[0].data["text/plain"]
    assert len(cards) == 2 and cards[-1].update  # the same output, redrawn
    info = mlnb.get_run(last["run_id"]).info
    assert last["status"] == "FINISHED" and last["duration_ms"] == info.end_time - info.start_time
