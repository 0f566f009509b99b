"""Replays tests/corpus/filters/cases.json: filters and order_by lists that once broke a search.

Each case is a filter or an order_by, written out or built from repeated parts (``[text, n]``
pairs; ``{i}`` in an order_by part becomes 0 .. n-1), with what it must give: ``ok`` (and how
many rows) or the name of the error (and a part of its message).  One child process runs them
all against a real store, since some of them once crashed the process: a crash fails the
tests instead of ending pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import mlnb

ROOT = Path(mlnb.__file__).resolve().parent.parent


def _pythonpath() -> str:
    """This checkout first, then the caller's path (which may swap in another SQLite build)."""
    return os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "filters" / "cases.json"
CASES: list[dict[str, Any]] = json.loads(CORPUS.read_text())

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import mlnb

    with mlnb.start_run():
        mlnb.log_metric("m", 1.0)
        mlnb.log_param("p", "x")
        mlnb.set_tags({"t": "y", "long": "a" * 2000})

    def build(case):
        if "filter_parts" in case:
            return {"filter_string": "".join(text * n for text, n in case["filter_parts"])}
        if "filter" in case:
            return {"filter_string": case["filter"]}
        if "order_by_parts" in case:
            return {"order_by": [t.format(i=i) for t, n in case["order_by_parts"] for i in range(n)]}
        return {"order_by": case["order_by"]}

    for case in json.load(open(sys.argv[1])):
        kwargs = build(case)
        started = time.perf_counter()
        try:
            out = {"rows": len(mlnb.search_runs(**kwargs))}
        except mlnb.MlnbError as exc:
            out = {"error": type(exc).__name__, "message": str(exc)}
        except BaseException as exc:
            out = {"error": "raw " + type(exc).__name__, "message": str(exc)[:500]}
        out["seconds"] = time.perf_counter() - started
        print(json.dumps(out), flush=True)
    """
)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    env["MLNB_STORE"] = str(tmp_path_factory.mktemp("corpus") / ".mlnb")
    env.pop("MLNB_TRACKING_URI", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(CORPUS)], env=env, capture_output=True, text=True, timeout=240
    )
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, (
        f"replaying the corpus ended with {proc.returncode} after case {len(results)} "
        f"({CASES[len(results)]['why'] if len(results) < len(CASES) else 'the last'})\n{proc.stderr[-2000:]}"
    )
    return results


@pytest.mark.timeout(240)
@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"case{i}" for i in range(len(CASES))])
def test_corpus_case(replayed: list[dict[str, Any]], index: int) -> None:
    case, got = CASES[index], replayed[index]
    assert got["seconds"] < 5, f"{case['why']}: took {got['seconds']:.1f} s"
    if case["expect"] == "ok":
        assert "error" not in got, f"{case['why']}: {got}"
        assert got["rows"] == case["rows"], case["why"]
    else:
        assert got.get("error") == case["expect"], f"{case['why']}: {got}"
        assert case["match"] in got["message"], f"{case['why']}: {got['message']}"
