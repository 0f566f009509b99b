"""Searches stay inside what SQLite handles: bounded order_by, linear LIKE, bounded filters.

The order_by checks run in a child process: on SQLite 3.40 (the oldest this suite runs on) an
unbounded order_by made the driver segfault, which must fail the test, not end pytest.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import mlnb
from mlnb.errors import FilterSyntaxError, InvalidParameter, StoreError
from mlnb.store.filters import MAX_COMPARISONS, MAX_NESTING, MAX_ORDER_BY_KEYS
from mlnb.store.like import MAX_LIKE_PATTERN
from mlnb.store.sqlite_support import MIN_SQLITE
from mlnb.tracking import state

ROOT = Path(mlnb.__file__).resolve().parent.parent


def _pythonpath() -> str:
    """This checkout first, then the caller's path (which may swap in another SQLite build)."""
    return os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


# The child builds a store of runs with many metrics, params and tags, then tries every public
# path that takes an order_by; it prints one JSON line per attempt: the rows or the error.
_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import mlnb
    from mlnb import MlflowClient

    n_keys = int(sys.argv[1])
    for i in range(5):
        with mlnb.start_run(run_name=f"r{i}"):
            mlnb.log_metrics({f"m{k}": float((i * 7 + k) % 3) for k in range(40)})
            mlnb.log_params({f"p{k}": str((i + k) % 2) for k in range(40)})
            mlnb.set_tags({f"t{k}": str((i * k) % 2) for k in range(40)})
        time.sleep(0.005)  # distinct start times: the last tie-breaker is the newest run first
    exp = mlnb.get_experiment_by_name("Default").experiment_id
    client = MlflowClient()

    def report(path, call):
        try:
            out = call()
            print(json.dumps({"path": path, "ok": out}), flush=True)
        except mlnb.MlnbError as exc:
            print(json.dumps({"path": path, "error": type(exc).__name__, "message": str(exc)}), flush=True)

    def pages(order):
        names, token = [], None
        while True:
            page = client.search_runs([exp], order_by=order, max_results=2, page_token=token)
            names += [r.info.run_name for r in page]
            token = page.token
            if not token:
                return names

    for kind, prefix in (("metrics", "m"), ("params", "p"), ("tags", "t")):
        order = [f"{kind}.{prefix}{k} {'DESC' if k % 2 else 'ASC'}" for k in range(n_keys)]
        report(f"fluent {kind}", lambda: list(mlnb.search_runs(order_by=order)["tags.mlflow.runName"]))
        report(f"client {kind}", lambda: pages(order))
        report(f"client filtered {kind}", lambda: [
            r.info.run_name for r in client.search_runs([exp], "metrics.m0 >= 0", order_by=order)
        ])
    mixed = [f"metrics.m{k}" if k % 3 == 0 else f"params.p{k}" if k % 3 == 1 else f"tags.t{k} DESC"
             for k in range(n_keys)]
    report("fluent mixed", lambda: list(mlnb.search_runs(order_by=mixed)["tags.mlflow.runName"]))
    report("experiments", lambda: len(mlnb.search_experiments(order_by=["name"] * n_keys)))
    report("registered models", lambda: len(client.search_registered_models(order_by=["name"] * n_keys)))
    report("model versions", lambda: len(client.search_model_versions(order_by=["name"] * n_keys)))
    """
)


def _child(tmp_path: Path, n_keys: int) -> dict[str, dict]:
    env = {**os.environ, "MLNB_STORE": str(tmp_path / ".mlnb"), "PYTHONPATH": _pythonpath()}
    env.pop("MLNB_TRACKING_URI", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n_keys)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, (
        f"the search process ended with {proc.returncode} (negative: killed by signal "
        f"{-proc.returncode}) on SQLite {sqlite3.sqlite_version}\n{proc.stderr[-2000:]}"
    )
    return {r["path"]: r for r in map(json.loads, proc.stdout.splitlines())}


def _expected_order(n_keys: int, kind: str) -> list[str]:
    """The run names in the order of the child's ``order`` for ``kind``, computed here."""
    runs = []
    for i in range(5):
        values = {
            "metrics": [float((i * 7 + k) % 3) for k in range(n_keys)],
            "params": [str((i + k) % 2) for k in range(n_keys)],
            "tags": [str((i * k) % 2) for k in range(n_keys)],
        }[kind]
        runs.append((f"r{i}", values))
    # ties on every key fall back to the newest run first: r4 .. r0
    ordered = sorted(runs, key=lambda r: -int(r[0][1:]))
    for k in reversed(range(n_keys)):
        ordered.sort(key=lambda r, k=k: r[1][k], reverse=bool(k % 2))
    return [name for name, _ in ordered]


@pytest.mark.timeout(120)
def test_order_by_past_the_limit_is_refused_without_crashing(tmp_path: Path) -> None:
    found = _child(tmp_path, 31)
    assert len(found) == 13
    for path, result in found.items():
        assert result.get("error") == "InvalidParameter", (path, result)
        assert f"at most {MAX_ORDER_BY_KEYS}" in result["message"], result


@pytest.mark.timeout(120)
def test_order_by_at_the_limit_sorts_every_path(tmp_path: Path) -> None:
    found = _child(tmp_path, MAX_ORDER_BY_KEYS)
    for kind in ("metrics", "params", "tags"):
        expected = _expected_order(MAX_ORDER_BY_KEYS, kind)
        assert found[f"fluent {kind}"]["ok"] == expected
        assert found[f"client {kind}"]["ok"] == expected
        assert found[f"client filtered {kind}"]["ok"] == expected
    assert len(found["fluent mixed"]["ok"]) == 5
    # experiments, models and versions order in Python: a repeated key is accepted there
    assert found["experiments"]["ok"] == 1
    assert found["registered models"]["ok"] == 0


@pytest.mark.timeout(60)
def test_order_by_of_thousands_of_keys_is_refused(store: object) -> None:
    with pytest.raises(InvalidParameter, match=f"at most {MAX_ORDER_BY_KEYS}"):
        mlnb.search_runs(order_by=[f"metrics.m{k}" for k in range(2000)])


def test_order_by_naming_a_key_twice_is_refused_as_in_mlflow(store: object) -> None:
    with pytest.raises(FilterSyntaxError, match=r"metrics\.acc twice"):
        mlnb.search_runs(order_by=["metrics.acc", "metrics.acc DESC"])
    with pytest.raises(FilterSyntaxError, match="start_time twice"):
        mlnb.search_runs(order_by=["attributes.start_time", "created DESC"])


def test_cli_refuses_a_long_order_by(tmp_path: Path) -> None:
    env = {**os.environ, "MLNB_STORE": str(tmp_path / ".mlnb"), "PYTHONPATH": _pythonpath()}
    args = [a for k in range(40) for a in ("--order-by", f"metrics.m{k}")]
    code = "import mlnb; mlnb.log_metric('m0', 1.0); mlnb.end_run()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    proc = subprocess.run(
        [sys.executable, "-m", "mlnb", "runs", "ls", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode not in (0, -11) and proc.returncode > 0, proc
    assert f"at most {MAX_ORDER_BY_KEYS}" in proc.stderr and "Traceback" not in proc.stderr


# --- LIKE ---------------------------------------------------------------------------------------
@pytest.mark.timeout(30)
def test_backtracking_like_pattern_matches_in_linear_time(store: object) -> None:
    with mlnb.start_run():
        mlnb.set_tag("t", "a" * 2000)
        mlnb.log_param("p", "a" * 2000)
    started = time.perf_counter()
    for op in ("LIKE", "ILIKE"):
        assert len(mlnb.search_runs(filter_string=f"tags.t {op} '%a%a%a%a%a%b'")) == 0
        assert len(mlnb.search_runs(filter_string=f"params.p {op} '%a%a%a%a%a%b'")) == 0
        assert len(mlnb.search_runs(filter_string=f"tags.t {op} '{'%a' * 200}%'")) == 1
        assert len(mlnb.search_runs(filter_string=f"tags.t {op} '{'%a_' * 300}%b'")) == 0
    assert mlnb.search_experiments(filter_string="name LIKE '%a%a%a%a%a%a%b'") == []
    # each search once ran for more than 30 s (the first alone, with '.*' backtracking)
    assert time.perf_counter() - started < 5


def test_like_keeps_case_rules(store: object) -> None:
    with mlnb.start_run():
        mlnb.set_tag("t", "Hello_World%")
    assert len(mlnb.search_runs(filter_string="tags.t LIKE 'hello%'")) == 0
    assert len(mlnb.search_runs(filter_string="tags.t ILIKE 'hello%'")) == 1
    assert len(mlnb.search_runs(filter_string="tags.t LIKE 'H_llo%World_'")) == 1
    assert len(mlnb.search_runs(filter_string="tags.t LIKE '%o%o%'")) == 1
    assert len(mlnb.search_runs(filter_string="tags.t LIKE 'Hello_World'")) == 0


def test_like_pattern_length_is_capped(store: object) -> None:
    with mlnb.start_run():
        mlnb.set_tag("t", "x")
    longest = "%" * MAX_LIKE_PATTERN
    assert len(mlnb.search_runs(filter_string=f"tags.t LIKE '{longest}'")) == 1
    with pytest.raises(FilterSyntaxError, match=f"limited to {MAX_LIKE_PATTERN} characters"):
        mlnb.search_runs(filter_string=f"tags.t LIKE '{longest}%'")
    with pytest.raises(FilterSyntaxError, match=f"limited to {MAX_LIKE_PATTERN} characters"):
        mlnb.search_experiments(filter_string=f"name ILIKE '{longest}x'")


# --- filter size ----------------------------------------------------------------------------------
def _nested(depth: int) -> str:
    text = "metrics.m > 0"
    for i in range(depth):
        text = f"(params.p = 'x' {'AND' if i % 2 else 'OR'} {text})"
    return text


def test_parentheses_nest_up_to_the_limit(store: object) -> None:
    with mlnb.start_run():
        mlnb.log_metric("m", 1.0)
        mlnb.log_param("p", "x")
    assert len(mlnb.search_runs(filter_string=_nested(MAX_NESTING))) == 1
    with pytest.raises(FilterSyntaxError, match=f"at most {MAX_NESTING} levels"):
        mlnb.search_runs(filter_string=_nested(MAX_NESTING + 1))
    with pytest.raises(FilterSyntaxError, match=f"at most {MAX_NESTING} levels"):
        mlnb.search_runs(filter_string="(" * 5000 + "metrics.m > 0" + ")" * 5000)


def test_comparisons_are_capped_below_sqlite_expression_depth(store: object) -> None:
    with mlnb.start_run():
        mlnb.log_param("p", "x")
    assert len(mlnb.search_runs(filter_string=" AND ".join(["params.p != 'y'"] * MAX_COMPARISONS))) == 1
    with pytest.raises(FilterSyntaxError, match=f"at most {MAX_COMPARISONS} comparisons"):
        mlnb.search_runs(filter_string=" AND ".join(["params.p != 'y'"] * 1000))


def test_huge_numbers_and_lone_surrogates_are_clean(store: object) -> None:
    with mlnb.start_run():
        mlnb.log_metric("m", 1e300)
    assert len(mlnb.search_runs(filter_string="metrics.m < " + "9" * 400)) == 1
    assert len(mlnb.search_runs(filter_string="metrics.m > -" + "9" * 5000)) == 1
    assert len(mlnb.search_runs(filter_string="attributes.start_time > -" + "9" * 30)) == 1
    assert math.isinf(float("9" * 400))
    with pytest.raises(FilterSyntaxError, match="lone surrogate"):
        mlnb.search_runs(filter_string="params.p = '\ud800'")
    with pytest.raises(FilterSyntaxError, match="lone surrogate"):
        mlnb.search_runs(order_by=["params.\udcff"])


# --- SQLite version -------------------------------------------------------------------------------
def test_store_refuses_an_sqlite_older_than_supported(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = (MIN_SQLITE[0], MIN_SQLITE[1] - 1, 0)
    with monkeypatch.context() as patched:  # (undo() would also undo the fixture's store setting)
        patched.setattr(sqlite3, "sqlite_version_info", older)
        with pytest.raises(StoreError, match=r"SQLite 3\.31\.0, older than the 3\.32\.0 mlnb needs"):
            state.get_store()
    assert state.get_store().artifact_root.parent == store_dir  # the real library, same store


def test_search_box_text_is_bounded_and_encodable(store: Any) -> None:
    with mlnb.start_run(run_name="needle"):
        pass
    experiments = [e.experiment_id for e in store.list_experiments()]
    assert len(store.search_runs(experiments, None, None, max_results=10, text="eedl").rows) == 1
    with pytest.raises(FilterSyntaxError, match=f"limited to {MAX_LIKE_PATTERN} characters"):
        store.search_runs(experiments, None, None, max_results=10, text="a" * 60_000)
    with pytest.raises(FilterSyntaxError, match="lone surrogate"):
        store.search_runs(experiments, None, None, max_results=10, text="x\ud800")
