"""The run card shown after a tracked cell: a MIME bundle every front end can render.

``application/vnd.mlnb.run+json`` carries the data (JupyterLab's renderer draws it);
``text/html`` is a self-contained, escaped fallback for nbconvert, GitHub and classic viewers;
``text/plain`` serves terminals.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from mlnb.display.html import delta_colour, esc, fmt_delta, fmt_duration, fmt_number, table

MIME_TYPE = "application/vnd.mlnb.run+json"
THUMBNAIL_WIDTH = 320
_SHOWN_PARAMS = 12


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: both become null."""
    return None if value is None or not math.isfinite(value) else float(value)


def thumbnail_b64(png: bytes, max_width: int = THUMBNAIL_WIDTH) -> str:
    """A PNG reduced to at most ``max_width`` pixels wide, base64-encoded."""
    try:
        import matplotlib.image as mpimg

        img = mpimg.imread(io.BytesIO(png), format="png")
        width = img.shape[1]
        if width > max_width:
            step = -(-width // max_width)
            img = img[::step, ::step]
            out = io.BytesIO()
            mpimg.imsave(out, img, format="png")
            png = out.getvalue()
    except Exception:
        pass
    return base64.b64encode(png).decode("ascii")


def compare_filter(cell_key: str | None, run_id: str, start_time: int | None = None) -> str:
    """The filter selecting the runs of the same cell up to this one (this run included).

    Keys and ids are hex strings, so quoting them is safe.
    """
    if not cell_key:
        return f"attributes.run_id = '{run_id}'"
    text = f"tags.mlnb.cell = '{cell_key}'"
    if start_time is not None:
        text += f" AND attributes.start_time <= {int(start_time)}"
    return text


def _previous_metrics(store: Any, experiment_id: str, cell_key: str | None, run: Any) -> dict[str, float]:
    if not cell_key:
        return {}
    found = store.search_runs(
        [experiment_id],
        filter_string=compare_filter(cell_key, run.info.run_id, run.info.start_time)
        + f" AND attributes.run_id != '{run.info.run_id}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not found.run_ids:
        return {}
    return store.get_run(found.run_ids[0]).data.metrics


def card_payload(
    run_id: str,
    *,
    cell_key: str | None = None,
    models: Iterable[dict[str, str]] = (),
    figures: Iterable[tuple[str, bytes]] = (),
    error: dict[str, str] | None = None,
    status: str | None = None,
    end_time: int | None = None,
) -> dict[str, Any]:
    """The ``application/vnd.mlnb.run+json`` payload of a run.

    ``status``/``end_time`` give the cell's outcome while the run itself is still RUNNING
    (its models are being saved).
    """
    from mlnb.tracking.state import get_store

    store = get_store()
    run = store.get_run(run_id)
    info, data = run.info, run.data
    try:
        experiment_name = store.get_experiment(info.experiment_id).name
    except Exception:
        experiment_name = None
    previous = _previous_metrics(store, info.experiment_id, cell_key, run)
    metrics = []
    for key in sorted(data.metrics):
        value = _finite_or_none(data.metrics[key])
        before = _finite_or_none(previous.get(key))
        delta = None if value is None or before is None else value - before
        metrics.append({"key": key, "value": value, "previous": before, "delta": delta})
    run_status, run_end = info.status, info.end_time
    if run_status == "RUNNING" and status is not None:
        run_status, run_end = status, end_time
    duration = None if run_end is None else int(run_end - info.start_time)
    return {
        "version": 1,
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "experiment_name": experiment_name,
        "status": run_status,
        "start_time": info.start_time,
        "end_time": run_end,
        "duration_ms": duration,
        "params": [{"key": k, "value": data.params[k]} for k in sorted(data.params)],
        "metrics": metrics,
        "models": [
            {"name": m["name"], "uri": m["uri"], "flavor": m.get("flavor", "sklearn")} for m in models
        ],
        "figures": [{"path": path, "png": thumbnail_b64(png)} for path, png in figures],
        "error": error,
        "source": {
            "notebook": data.tags.get("mlflow.source.name")
            if data.tags.get("mlflow.source.type") == "NOTEBOOK"
            else None,
            "cell_id": data.tags.get("mlnb.cell_id"),
            "code_hash": data.tags.get("mlnb.code_hash"),
        },
        "store": str(store.location.uri),
        "compare": {
            "filter": compare_filter(cell_key, info.run_id, info.start_time),
            "experiment_id": info.experiment_id,
        },
    }


def _chips(params: list[dict[str, str]]) -> str:
    chip = "display:inline-block;margin:1px 4px 1px 0;padding:0 4px;border-radius:3px;background:#f3f4f6"
    return (
        "<div>"
        + "".join(
            f'<span style="{chip}"><span style="color:#6b7280">{esc(x["key"])}=</span>{esc(x["value"])}</span>'
            for x in params
        )
        + "</div>"
    )


_STATUS_COLOUR = {"FINISHED": "#15803d", "FAILED": "#b91c1c", "KILLED": "#b45309", "RUNNING": "#1d4ed8"}


def card_html(p: dict[str, Any]) -> str:
    """A compact, self-contained HTML card (escaped; inline styles; no scripts)."""
    colour = _STATUS_COLOUR.get(p["status"], "#374151")
    parts = [
        '<div class="mlnb-run-card" style="border:1px solid #d1d5db;border-radius:6px;'
        'padding:6px 10px;font-family:system-ui,sans-serif;font-size:13px;max-width:760px">',
        f'<div><b>{esc(p["run_name"])}</b> <code style="font-size:11px">{esc(p["run_id"])}</code> '
        f'<span style="color:{colour};font-weight:600">{esc(p["status"])}</span> '
        f"· {esc(fmt_duration(p['duration_ms']))} · experiment {esc(p['experiment_name'] or p['experiment_id'])}</div>",
    ]
    if p["error"]:
        parts.append(
            f'<div style="color:#b91c1c">{esc(p["error"]["type"])}: {esc(p["error"]["message"])}</div>'
        )
    if p["metrics"]:
        has_change = any(m["delta"] is not None for m in p["metrics"])
        rows = []
        for m in p["metrics"]:
            row = [m["key"], fmt_number(m["value"])]
            if has_change:
                delta = fmt_delta(m["delta"])
                row.append(f'<span style="color:{delta_colour(m["key"], m["delta"])}">{esc(delta)}</span>')
            rows.append(row)
        headers = ("metric", "value", "change") if has_change else ("metric", "value")
        parts.append(table(headers, rows, raw_columns=frozenset({2})))
    if p["params"]:
        parts.append(_chips(p["params"][:_SHOWN_PARAMS]))
        if len(p["params"]) > _SHOWN_PARAMS:
            rest = p["params"][_SHOWN_PARAMS:]
            parts.append(f"<details><summary>{len(rest)} more params</summary>{_chips(rest)}</details>")
    if p["models"]:
        parts.append(table(("model", "uri"), [(m["name"], m["uri"]) for m in p["models"]]))
    for fig in p["figures"]:
        parts.append(
            f'<img alt="{esc(fig["path"])}" title="{esc(fig["path"])}" style="max-width:320px;margin:2px" '
            f'src="data:image/png;base64,{esc(fig["png"])}"/>'
        )
    parts.append("</div>")
    return "".join(parts)


def card_text(p: dict[str, Any]) -> str:
    lines = [
        f"Run {p['run_name']} ({p['run_id']}) {p['status']} in {fmt_duration(p['duration_ms'])}"
        f" · experiment {p['experiment_name'] or p['experiment_id']}"
    ]
    if p["error"]:
        lines.append(f"  error: {p['error']['type']}: {p['error']['message']}")
    if p["metrics"]:
        shown = [
            f"{m['key']}={fmt_number(m['value'])}"
            + (f" ({fmt_delta(m['delta'])})" if m["delta"] is not None else "")
            for m in p["metrics"]
        ]
        lines.append("  metrics: " + ", ".join(shown))
    if p["params"]:
        shown = [f"{x['key']}={x['value']}" for x in p["params"][:_SHOWN_PARAMS]]
        more = len(p["params"]) - _SHOWN_PARAMS
        lines.append("  params: " + ", ".join(shown) + (f", … {more} more" if more > 0 else ""))
    for m in p["models"]:
        lines.append(f"  model {m['name']}: {m['uri']}")
    if p["figures"]:
        lines.append("  figures: " + ", ".join(f["path"] for f in p["figures"]))
    return "\n".join(lines)


def bundle(payload: dict[str, Any]) -> dict[str, Any]:
    return {MIME_TYPE: payload, "text/html": card_html(payload), "text/plain": card_text(payload)}


def run_card_bundle(run_id: str, result: Any = None) -> dict[str, Any]:
    """The full MIME bundle for ``run_id``; ``result`` adds models, figures, error and cell key."""
    payload = card_payload(
        run_id,
        cell_key=getattr(result, "cell_key", None),
        models=getattr(result, "models", ()) or (),
        figures=getattr(result, "figures", ()) or (),
        error=getattr(result, "error", None),
        status=getattr(result, "status", None),
        end_time=getattr(result, "end_time", None),
    )
    return bundle(payload)


class RunCard:
    """A run card for any run; displays itself in notebooks (``mlnb`` uses it after a cell)."""

    def __init__(self, run_id: str, result: Any = None) -> None:
        self.run_id = run_id
        self._result = result

    def _repr_mimebundle_(
        self, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
    ) -> dict[str, Any]:
        return run_card_bundle(self.run_id, self._result)
