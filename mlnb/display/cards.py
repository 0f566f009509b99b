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

from mlnb.display import format as fmt
from mlnb.display.html import Html, better, esc, img, table, tone

MIME_TYPE = "application/vnd.mlnb.run+json"
THUMBNAIL_WIDTH = 320
DEFAULTS_TAG = "mlnb.params.defaults"  # written by mlnb.capture.runlog: keys left at their default


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


def compare_filter(cell_key: str | None, run_id: str) -> str:
    """The filter a user would write for "the runs of this cell": ``tags.mlnb.cell = '…'``.

    Cell keys and run ids are hex strings, so quoting them is safe.  No time bound: the panel
    it opens is live and shows the cell's later runs as they finish.
    """
    if not cell_key:
        return f"attributes.run_id = '{run_id}'"
    return f"tags.mlnb.cell = '{cell_key}'"


def default_keys(tags: dict[str, str]) -> frozenset[str]:
    """The params the run's cell left at their default (none known: every param is the user's)."""
    import json

    try:
        keys = json.loads(tags.get(DEFAULTS_TAG) or "[]")
    except ValueError:
        return frozenset()
    return frozenset(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else frozenset()


def ordered_params(params: dict[str, str], defaults: frozenset[str]) -> list[dict[str, Any]]:
    """The user's params first, then the defaults, each group by name; a ``default`` flag on each."""
    rows = [{"key": k, "value": params[k], "default": k in defaults} for k in sorted(params)]
    return sorted(rows, key=lambda row: row["default"])


def _previous_metrics(store: Any, experiment_id: str, cell_key: str | None, run: Any) -> dict[str, float]:
    if not cell_key:
        return {}
    found = store.search_runs(
        [experiment_id],
        filter_string=f"{compare_filter(cell_key, run.info.run_id)}"
        f" AND attributes.start_time <= {int(run.info.start_time)}"
        f" AND attributes.run_id != '{run.info.run_id}'",
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

    The duration is the run's own, ``end_time - start_time``, as the sidebar shows it.  A run
    still RUNNING (its models are being saved after the cell) has no duration yet; ``status``
    (the cell's outcome) then goes to ``cell_status`` and the card is redrawn when the run ends.
    ``end_time`` is accepted for older callers and ignored.
    """
    from mlnb.tracking.state import get_store

    del end_time
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
        metrics.append(
            {"key": key, "value": value, "previous": before, "delta": delta, "better": better(key, delta)}
        )
    end = None if info.status == "RUNNING" else info.end_time
    running = end is None
    duration = None if end is None else int(end - info.start_time)
    return {
        "version": 1,
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "experiment_name": experiment_name,
        "status": info.status,
        "cell_status": status if running and status is not None else None,
        "start_time": info.start_time,
        "end_time": end,
        "duration_ms": duration,
        "params": ordered_params(data.params, default_keys(data.tags)),
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
            "filter": compare_filter(cell_key, info.run_id),
            "experiment_id": info.experiment_id,
            "experiment": experiment_name,
        },
    }


def duration_text(p: dict[str, Any]) -> str:
    """``4.4 s``; ``running`` (or ``running · saving models``) until the run has ended."""
    if p.get("duration_ms") is None:
        return "running · saving models" if p.get("cell_status") else "running"
    return fmt.duration(p["duration_ms"])


_STATUS_TONE = {"FINISHED": "success", "FAILED": "error", "KILLED": "warn", "RUNNING": "brand"}
_CARD = (
    "border:1px solid var(--jp-border-color1, #bdbdbd);border-radius:4px;padding:6px 10px;"
    "max-width:760px;background:var(--jp-layout-color0, transparent);"
    "color:var(--jp-content-font-color1, inherit);"
    "font-family:var(--jp-ui-font-family, system-ui, -apple-system, sans-serif);"
    "font-size:var(--jp-ui-font-size1, 13px)"
)
_MUTED = "color:var(--jp-content-font-color2, inherit)"
_CHIP = (
    "display:inline-block;margin:1px 4px 1px 0;padding:0 4px;border-radius:3px;"
    "border:1px solid var(--jp-border-color2, rgba(127, 127, 127, 0.35))"
)
_CODE = "font-family:var(--jp-code-font-family, ui-monospace, monospace)"
_TABLE = "border-collapse:collapse;font-size:12px;margin:2px 0"
_TABLE_CELL = "padding:1px 8px 1px 0;text-align:left;vertical-align:top"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    return table(headers, rows, style=_TABLE, cell_style=_TABLE_CELL)


def _chips(params: list[dict[str, Any]]) -> str:
    return (
        "<div>"
        + "".join(
            f'<span style="{_CHIP}"><span style="{_MUTED}">{esc(x["key"])}=</span>'
            f'<span style="{_CODE}">{esc(x["value"])}</span></span>'
            for x in params
        )
        + "</div>"
    )


def _badge(status: str) -> str:
    colour = tone(_STATUS_TONE.get(status, "neutral"))
    style = f"{colour};border:1px solid currentColor;border-radius:3px;padding:0 4px;font-size:11px;font-weight:600"
    return f'<span style="{style}">{esc(status)}</span>'


def _delta_html(m: dict[str, Any]) -> str:
    if m["delta"] is None:
        return "" if m["previous"] is not None else f'<span style="{_MUTED}">new</span>'
    kind = {True: "success", False: "error", None: "neutral"}[m["better"]]
    title = f"previous: {fmt.number(m['previous'])}"
    text = "= same" if m["delta"] == 0 else f"{'▲' if m['delta'] > 0 else '▼'} {fmt.delta(m['delta'])}"
    return f'<span style="{tone(kind)}" title="{esc(title)}">{esc(text)}</span>'


def card_html(p: dict[str, Any]) -> str:
    """A compact, self-contained HTML card (escaped; inline styles; no scripts)."""
    parts = [
        f'<div class="mlnb-run-card" style="{_CARD}">',
        f"<div>{_badge(p['status'])} <b>{esc(p['run_name'])}</b> "
        f'<code style="font-size:11px;{_MUTED}" title="{esc(p["run_id"])}">{esc(fmt.short_id(p["run_id"]))}</code>'
        f' <span style="{_MUTED}">· {esc(duration_text(p))}'
        f" · experiment {esc(p['experiment_name'] or p['experiment_id'])}</span></div>",
    ]
    if p["error"]:
        parts.append(
            f'<div style="{tone("error")};{_CODE};white-space:pre-wrap">'
            f"{esc(p['error']['type'])}: {esc(p['error']['message'])}</div>"
        )
    if p["metrics"]:
        has_change = any(m["previous"] is not None for m in p["metrics"])
        rows = []
        for m in p["metrics"]:
            row = [m["key"], fmt.number(m["value"])]
            if has_change:
                row.append(Html(_delta_html(m)))
            rows.append(row)
        headers = ("metric", "value", "vs previous") if has_change else ("metric", "value")
        parts.append(_table(headers, rows))
    own = [x for x in p["params"] if not x.get("default")]
    defaults = [x for x in p["params"] if x.get("default")]
    if own:
        parts.append(_chips(own))
    if defaults:
        parts.append(
            f'<details><summary style="cursor:pointer;{_MUTED}">{esc(default_summary(len(defaults)))}'
            f"</summary>{_chips(defaults)}</details>"
        )
    if p["models"]:
        parts.append(_table(("model", "uri"), [(m["name"], m["uri"]) for m in p["models"]]))
    for fig in p["figures"]:
        parts.append(img(fig["png"], fig["path"], title=fig["path"], style="max-width:320px;margin:2px"))
    parts.append("</div>")
    return "".join(parts)


def default_summary(n: int) -> str:
    """The disclosure's label: ``1 default param``, ``38 default params``."""
    return fmt.count(n, "default param")


def _change_text(delta: float) -> str:
    return "same as previous" if delta == 0 else f"{fmt.delta(delta)} vs previous"


def card_text(p: dict[str, Any]) -> str:
    lines = [
        f"Run {p['run_name']} ({p['run_id']}) {p['status']} · {duration_text(p)}"
        f" · experiment {p['experiment_name'] or p['experiment_id']}"
    ]
    if p["error"]:
        lines.append(f"  error: {p['error']['type']}: {p['error']['message']}")
    if p["metrics"]:
        shown = [
            f"{m['key']}={fmt.number(m['value'])}"
            + ("" if m["delta"] is None else f" ({_change_text(m['delta'])})")
            for m in p["metrics"]
        ]
        lines.append("  metrics: " + ", ".join(shown))
    own = [f"{x['key']}={x['value']}" for x in p["params"] if not x.get("default")]
    folded = sum(1 for x in p["params"] if x.get("default"))
    if own or folded:
        more = f"{', ' if own else ''}+ {default_summary(folded)}" if folded else ""
        lines.append("  params: " + ", ".join(own) + more)
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
