"""Progress of the long steps of a tracked cell: a search's fits, its child runs, and the model
writes the next cell waits for (shown on a real terminal, a pty, with no delay)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import mlnb
from mlnb.tracking.state import get_store
from tests.capture.shell import SETUP, last_run
from tests.display.terminal import Terminal, text_mode, use_as_stderr

SEARCH = (
    "%%track -n grid\n"
    "from sklearn.model_selection import GridSearchCV\n"
    "grid = GridSearchCV(LogisticRegression(max_iter=300), {'C': [0.1, 1, 10, 100]}, cv=3)\n"
    "grid.fit(X_train, y_train)\n"
)


@pytest.fixture
def term(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    yield from text_mode(monkeypatch)




def _counts(states: list[str], total: int, unit: str) -> list[int]:
    """The counts a bar showed, checked to be of ``total`` and never going back."""
    found = []
    for state in states:
        match = re.search(rf"\] ([\d,]+) of {total:,} {unit}", state)
        assert match, state
        found.append(int(match.group(1).replace(",", "")))
    assert found and found == sorted(found) and found[-1] <= total
    return found


def _states(text: str, prefix: str) -> list[str]:
    return [p.strip() for p in text.split("\r") if p.strip().startswith(prefix)]


def _joblib_methods() -> tuple[Any, Any]:
    from sklearn.utils.parallel import Parallel

    return Parallel.__dict__.get("__call__"), Parallel.__dict__.get("print_progress")


def test_a_search_shows_its_fits_its_child_runs_and_its_model_writes(shell, term, monkeypatch):
    use_as_stderr(term, monkeypatch)
    assert shell.run_cell(SETUP).success
    before = _joblib_methods()
    result = shell.run_cell(SEARCH)
    assert result.success
    assert _joblib_methods() == before  # the hooks live only while the search fits
    text = term.read()
    assert len(_counts(_states(text, "fitting GridSearchCV"), 12, "fits")) >= 2  # 4 candidates x 3 folds
    _counts(_states(text, "search runs"), 4, "runs")

    run = last_run()  # waits for the model writes, as the next cell does
    # one model to write (the grid: best_estimator and model share its files); it may be written
    # before the wait starts, then no bar shows (test_progress_kernel checks the bar itself)
    writes = _states(term.read(), "writing models")
    if writes:
        counts = _counts(writes, 1, "model")
        # a state drawn once the model is written carries its size (the bar is redrawn at most a
        # few times a second, so whether such a state is drawn before the bar closes is timing)
        done = [w for w, n in zip(writes, counts, strict=True) if n >= 1]
        assert all(re.search(r"of 1 model, [\d.]+ (KB|MB)", w) for w in done), done

    children = mlnb.search_runs(filter_string=f"tags.mlnb.search.parent = '{run.info.run_id}'")
    assert len(children) == 4
    # the run's copy of stderr holds what the cell printed, never the progress lines
    stderr_copy = get_store().artifact_rows(run.info.run_id, "stderr.txt")
    assert not stderr_copy or "fitting" not in _artifact_text(run.info.run_id, "stderr.txt")


def _artifact_text(run_id: str, path: str) -> str:
    return get_store().artifacts.verified_path(run_id, path).read_text()


def test_a_search_on_joblib_threads_reports_from_the_callback_thread(shell, term, monkeypatch):
    use_as_stderr(term, monkeypatch)
    assert shell.run_cell(SETUP).success
    cell = SEARCH.replace("cv=3)", "cv=3, n_jobs=2)").replace(
        "grid.fit(X_train, y_train)\n",
        "from joblib import parallel_backend\nwith parallel_backend('threading'):\n    grid.fit(X_train, y_train)\n",
    )
    assert shell.run_cell(cell).success
    _counts(_states(term.read(), "fitting GridSearchCV"), 12, "fits")


def test_a_failing_search_fit_removes_its_bar_and_hooks(shell, term, monkeypatch):
    use_as_stderr(term, monkeypatch)
    assert shell.run_cell(SETUP).success
    before = _joblib_methods()
    # the second candidate's fits raise, after the first candidate's were shown
    cell = SEARCH.replace("{'C': [0.1, 1, 10, 100]}", "{'C': [1, -1]}").replace(
        "cv=3)", "cv=3, error_score='raise')"
    )
    result = shell.run_cell(cell)
    assert result.error_in_exec is not None
    assert _joblib_methods() == before
    assert re.search(r"\r {20,}\r$", term.read())  # no half-drawn line is left behind
    assert last_run().info.status == "FAILED"


def test_fits_inside_the_search_are_not_counted_as_its_own(shell, term, monkeypatch):
    """A forest inside each candidate runs its own joblib Parallel: the bar counts candidates x folds."""
    use_as_stderr(term, monkeypatch)
    assert shell.run_cell(SETUP).success
    cell = (
        "%%track -n forest_grid\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.model_selection import RandomizedSearchCV\n"
        "search = RandomizedSearchCV(RandomForestClassifier(n_estimators=4, n_jobs=2, random_state=0),\n"
        "                            {'max_depth': [2, 3, 4, 5, 6]}, n_iter=3, cv=2, random_state=0)\n"
        "search.fit(X_train, y_train)\n"
    )
    assert shell.run_cell(cell).success
    _counts(_states(term.read(), "fitting RandomizedSearchCV"), 6, "fits")
