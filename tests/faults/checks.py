"""What must hold after each injected fault, checked in a process other than the one that failed.

Each check returns a list of violations (empty = holds), so one test can name every broken rule.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

# a raw exception's class name in what mlnb showed the user: it should have said what was wrong
_RAW_NAMES = re.compile(
    r"\b(OSError|PermissionError|FileNotFoundError|IsADirectoryError|OperationalError|DatabaseError|"
    r"sqlite3\.\w+|sqlalchemy\.\w+|Traceback \(most recent call last\))"
)


_STORES: dict[str, Any] = {}


def open_store(store_dir: str) -> Any:
    """A fresh store object on the directory (its open reaps runs of processes that are gone)."""
    from mlnb.store.location import parse_store_uri
    from mlnb.store.sql import SqlStore

    if store_dir not in _STORES:
        _STORES[store_dir] = SqlStore(parse_store_uri(store_dir, source="test"))
    return _STORES[store_dir]


def close_all() -> None:
    while _STORES:
        _STORES.popitem()[1].close()


def snapshot(store_dir: str, run_id: str | None) -> dict[str, Any]:
    """The store as a fresh process sees it: verify's report and the run's contents."""
    from mlnb.errors import MlnbError
    from mlnb.store.maintenance import verify

    out: dict[str, Any] = {"open_error": None, "problems": [], "run": None}
    if not Path(store_dir).is_dir():
        out["open_error"] = "the store directory is missing"
        return out
    try:
        store = open_store(store_dir)
    except MlnbError as exc:
        out["open_error"] = f"{type(exc).__name__}: {exc}"
        return out
    except Exception as exc:  # a raw error on open is itself a violation
        out["open_error"] = f"raw {type(exc).__name__}: {exc}"
        return out
    report = verify(store)
    out["problems"] = list(report.problems)
    out["notes"] = list(report.notes)
    if run_id is not None:
        try:
            run = store.get_run(run_id)
        except MlnbError:
            return out
        out["run"] = {
            "status": run.info.status,
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "tags": dict(run.data.tags),
            "artifacts": sorted(store.artifact_rows(run_id)),
        }
    return out


def reference(clean: dict[str, Any], snap: dict[str, Any]) -> dict[str, Any]:
    """What a complete run of the cell holds, from the clean run: params, metric keys, files."""
    run = snap["run"]
    assert run is not None and run["status"] == "FINISHED", f"the clean run is not complete: {snap}"
    return {
        "params": run["params"],
        "metrics": run["metrics"],
        "artifacts": set(run["artifacts"]),
    }


def _failure_reason(tags: dict[str, str]) -> str | None:
    for key in ("mlnb.failure", "mlnb.error"):
        if tags.get(key):
            return tags[key]
    return None


def _same_metric(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def missing_from(run: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """What of the complete run ``ref`` the stored ``run`` lacks (or holds with another value)."""
    lost = []
    for key, value in ref["params"].items():
        if run["params"].get(key) != value:
            lost.append(f"param {key}")
    for key, value in ref["metrics"].items():
        if key not in run["metrics"] or not _same_metric(run["metrics"][key], value):
            lost.append(f"metric {key}")
    lost += [f"artifact {p}" for p in sorted(ref["artifacts"] - set(run["artifacts"]))]
    return lost


EXPLICIT_PARAMS = ("explicit_param",)
EXPLICIT_METRICS = ("explicit_metric",)
EXPLICIT_FILES = ("explicit/", "explicit_model/")


def captured(ref: dict[str, Any]) -> dict[str, Any]:
    """What ``%%track`` captured by itself (the reference without the cell's explicit calls)."""
    return {
        "params": {k: v for k, v in ref["params"].items() if k not in EXPLICIT_PARAMS},
        "metrics": {k: v for k, v in ref["metrics"].items() if k not in EXPLICIT_METRICS},
        "artifacts": {p for p in ref["artifacts"] if not p.startswith(EXPLICIT_FILES)},
    }


def expected(record: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """What the run holds when complete: all it captured, and each explicit call that did not raise."""
    acked = record.get("acked") or {}
    out = captured(ref)
    if "buffered_error" not in acked:
        out["params"].update({k: ref["params"][k] for k in EXPLICIT_PARAMS})
        out["metrics"].update({k: ref["metrics"][k] for k in EXPLICIT_METRICS})
    if "figure_error" not in acked:
        out["artifacts"] |= {p for p in ref["artifacts"] if p.startswith("explicit/")}
    if "model_error" not in acked:
        out["artifacts"] |= {p for p in ref["artifacts"] if p.startswith("explicit_model/")}
    return out


def acknowledged(record: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """The values the cell was told are logged (see tests/faults/harness.py for the definition)."""
    acked = record.get("acked") or {}
    out: dict[str, Any] = {"params": {}, "metrics": {}, "artifacts": set()}
    if not record["mlnb_warnings"] and record.get("run_id"):
        # tracking reported nothing: everything the cell captured was claimed to be logged
        out = captured(ref)
    out["params"].update(acked.get("params", {}))
    out["metrics"].update(acked.get("metrics", {}))
    if "figure" in acked:
        out["artifacts"].add(acked["figure"])
    if "model" in acked:
        out["artifacts"] |= {p for p in ref["artifacts"] if p.startswith(acked["model"] + "/")}
    return out


def lost_acknowledged(record: dict[str, Any], snap: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    acked = acknowledged(record, ref)
    if not (acked["params"] or acked["metrics"] or acked["artifacts"]):
        return []
    run = snap["run"]
    if run is None:
        return [f"run {record.get('run_id')} is missing, with acknowledged values"]
    return missing_from(run, acked)


def incomplete_but_not_failed(record: dict[str, Any], snap: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """A FINISHED run is complete; a run that is not must be FAILED with the reason."""
    run = snap["run"]
    if run is None:
        if record.get("run_id") and not snap["open_error"]:
            return [f"the cell's run {record['run_id']} is missing from the store"]
        return []
    lost = missing_from(run, expected(record, ref))
    if run["status"] == "FINISHED" and lost:
        return [f"run FINISHED without {', '.join(lost)}"]
    if run["status"] != "FINISHED" and not (run["status"] == "FAILED" and _failure_reason(run["tags"])):
        return [
            f"run is {run['status']} with tags {sorted(k for k in run['tags'] if k.startswith('mlnb.'))}, "
            "not FINISHED nor FAILED with a reason"
        ]
    return []


def silent_loss(record: dict[str, Any], snap: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """When the run is not complete and FINISHED, the cell must have shown an mlnb warning."""
    run = snap["run"]
    complete = (
        run is not None and run["status"] == "FINISHED" and not missing_from(run, expected(record, ref))
    )
    # (a raw exception in the cell told the user too: that is the violation raw_exceptions reports)
    if complete or record["mlnb_warnings"] or record.get("raw") or not record.get("run_id"):
        return []
    return ["the run is not complete but the cell showed no mlnb warning"]


def raw_exceptions(record: dict[str, Any]) -> list[str]:
    """Nothing but MlnbErrors reach the cell; the cell's own result is unchanged."""
    found = list(record.get("raw", []))
    if record.get("cell_value") != 42 and not found:  # (a raw exception stopped the cell: said above)
        found.append(f"the cell's own result changed: cell_value = {record.get('cell_value')!r}")
    return found


def raw_in_messages(record: dict[str, Any]) -> list[str]:
    """What mlnb showed names the problem (an MlnbError's message), not a raw exception."""
    return [line for line in record["mlnb_warnings"] if _RAW_NAMES.search(line)]


def store_problems(snap: dict[str, Any]) -> list[str]:
    out = []
    if snap["open_error"]:
        out.append(f"the store does not open: {snap['open_error']}")
    out += [f"verify: {p}" for p in snap["problems"]]
    return out
