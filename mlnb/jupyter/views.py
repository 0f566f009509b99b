"""What the REST routes answer: store reads turned into JSON-ready dicts (no Tornado here).

Each function takes a read-only store and plain arguments, so it can run in a worker thread and
be tested without a server.  Non-finite metric values become ``null`` in JSON (``NaN`` is not
JSON) with a ``special`` marker kept next to them where the client may want to show it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.jupyter import params, runlist
from mlnb.store.base import Store
from mlnb.store.search_text import interpret

MODEL_TAG_PREFIX = "mlnb.model."
MAX_PAGE_SIZE = 1000
MAX_LIST_PAGE_SIZE = 10_000  # the list view is lean: ten thousand rows are one page
DEFAULT_PAGE_SIZE = 100
_NO_SOURCE = {"notebook": None, "cell_id": None, "code_hash": None}


def number(value: Any) -> float | None:
    """A metric value for JSON: finite floats as they are, NaN and infinities as ``None``."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def experiment_json(exp: Any) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "lifecycle_stage": exp.lifecycle_stage,
        "creation_time": exp.creation_time,
        "last_update_time": exp.last_update_time,
        "tags": dict(exp.tags),
    }


def list_experiments(store: Store) -> list[dict[str, Any]]:
    return [experiment_json(e) for e in store.list_experiments()]


def _page_args(
    page_size: str | None, page_token: str | None, largest: int = MAX_PAGE_SIZE
) -> tuple[int, int]:
    size = params.whole_number(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, largest)
    offset = params.whole_number(page_token, "page_token", 0, 0, params.MAX_PAGE_TOKEN)
    return size, offset


def models_of(run_id: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    """The models logged in a run, from its ``mlnb.model.<path>`` tags."""
    out = []
    for key in sorted(tags):
        if not key.startswith(MODEL_TAG_PREFIX):
            continue
        path = key[len(MODEL_TAG_PREFIX) :]
        try:
            meta = json.loads(tags[key])
        except ValueError:
            meta = {}
        flavor = meta.get("flavor") if isinstance(meta, dict) else None
        out.append({"name": path, "uri": f"runs:/{run_id}/{path}", "flavor": flavor})
    return out


def search_runs(
    store: Store,
    *,
    experiment_ids: list[str],
    filter_string: str | None,
    order_by: list[str] | None,
    page_size: str | None,
    page_token: str | None,
    notebook_paths: list[str] | None,
    search: str | None = None,
    view: str | None = None,
) -> dict[str, Any]:
    """One page of runs, newest first unless ``order_by`` says otherwise.

    ``notebook_paths`` (the forms of one notebook's path) keeps only the runs it produced.
    ``search`` is the sidebar's search box: a filter, or plain text matched against run names
    and tag values (see :func:`mlnb.store.search_text.interpret`); ``searched`` in the answer
    says which (``"filter"``, ``"text"`` or ``null``).  ``view="list"`` answers only what the
    run list shows, in pages of up to 10,000 runs.
    """
    lean = params.one_of(view, "view", ("full", "list")) == "list"
    size, offset = _page_args(page_size, page_token, MAX_LIST_PAGE_SIZE if lean else MAX_PAGE_SIZE)
    text = None
    searched = "filter" if (filter_string or "").strip() else None
    if search and search.strip():
        if searched:
            raise InvalidParameter("pass either filter or search, not both")
        filter_string, text = interpret(search)
        searched = "text" if text else "filter"
    run_ids = None
    if notebook_paths:
        run_ids = store.runs_of_notebook(notebook_paths)
        if not run_ids:
            return {"runs": [], "next_page_token": None, "searched": searched}
    if not experiment_ids:
        experiment_ids = [e.experiment_id for e in store.list_experiments()]
    result = store.search_runs(
        experiment_ids,
        (filter_string or "").strip() or None,
        order_by or None,
        max_results=offset + size + 1,
        run_ids=run_ids,
        text=text,
        details=not lean,
    )
    more = len(result.rows) > offset + size
    token = str(offset + size) if more else None
    if lean:
        rows = runlist.list_rows(store, result.rows[offset : offset + size])
        return {"list": rows, "next_page_token": token, "searched": searched}
    page = result.runs[offset : offset + size]
    sources = store.run_sources([r["run_id"] for r in page])
    runs = []
    for i, row in enumerate(page, start=offset):
        run_id = row["run_id"]
        source = dict(sources.get(run_id) or _NO_SOURCE)
        run_params = {k: col[i] for k, col in result.params.items() if col[i] is not None}
        metrics = {k: number(col[i]) for k, col in result.metrics.items() if col[i] is not None}
        tags = {k: col[i] for k, col in result.tags.items() if col[i] is not None}
        runs.append(
            {
                "run_id": run_id,
                "run_name": row["name"],
                "experiment_id": str(row["experiment_id"]),
                "status": row["status"],
                "start_time": row["start_time"],
                "end_time": row["end_time"],
                "user_id": row["user_id"],
                "parent_run_id": row["parent_run_id"],
                "lifecycle_stage": row["lifecycle_stage"],
                "params": run_params,
                "metrics": metrics,
                "tags": tags,
                "models": models_of(run_id, tags),
                "orphaned": bool(source.pop("orphaned", False)),
                "source": source,
            }
        )
    return {"runs": runs, "next_page_token": token, "searched": searched}


def get_run(store: Store, run_id: str) -> dict[str, Any]:
    """One run with params, latest metrics, tags, models, dataset inputs and every artifact file."""
    run = store.get_run(run_id)
    info = run.info
    tags = dict(run.data.tags)
    artifacts = [
        {"path": path, "sha256": sha, "size": size}
        for path, (sha, size) in store.artifact_rows(run_id).items()
    ]
    source = dict(store.run_sources([run_id]).get(run_id) or _NO_SOURCE)
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "parent_run_id": info.parent_run_id,
        "lifecycle_stage": info.lifecycle_stage,
        "params": dict(run.data.params),
        "metrics": {k: number(v) for k, v in run.data.metrics.items()},
        "tags": tags,
        "models": models_of(info.run_id, tags),
        "inputs": [
            {"name": d.name, "digest": d.digest, "role": d.role, "shape": list(d.shape)} for d in run.inputs
        ],
        "artifacts": artifacts,
        "orphaned": bool(source.pop("orphaned", False)),
        "source": source,
    }


def metric_history(store: Store, run_id: str, key: str) -> list[dict[str, Any]]:
    key = params.metric_key(key)
    return [
        {"step": m.step, "value": number(m.value), "timestamp": m.timestamp}
        for m in store.get_metric_history(run_id, key)
    ]


def registered_models(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """Registered models with every version (newest first) and their aliases."""
    if name is None:
        models = store.registry.list_registered_models()
    else:
        models = [store.registry.get_registered_model(name)]
    versions: dict[str, list[dict[str, Any]]] = {}
    for row in store.registry.list_model_versions(name):
        version: dict[str, Any] = dict(row)
        version["source"] = f"runs:/{version['run_id']}/{version['artifact_path']}"
        version["model_uri"] = f"models:/{version['name']}/{version['version']}"
        versions.setdefault(version["name"], []).append(version)
    return [
        {
            "name": m["name"],
            "description": m.get("description"),
            "creation_timestamp": m.get("creation_timestamp"),
            "last_updated_timestamp": m.get("last_updated_timestamp"),
            "tags": dict(m.get("tags") or {}),
            "aliases": dict(m.get("aliases") or {}),
            "versions": versions.get(m["name"], []),
        }
        for m in models
    ]
