"""Static fallback of the registry panel: versions and alias history as escaped HTML tables,
and the alias timeline as a PNG."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mlnb.widgets._base import esc, figure_png, fmt, html_table, img_tag


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _metrics(metrics: dict[str, Any]) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in list(metrics.items())[:8])


def _timeline(history: list[dict[str, Any]], now_ms: int) -> str | None:
    if not history:
        return None
    aliases = sorted({h["alias"] for h in history})

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        t0 = min(h["set_time"] for h in history)
        span = max(now_ms - t0, 1)
        for lane, alias in enumerate(aliases):
            for h in (h for h in history if h["alias"] == alias):
                start = (h["set_time"] - t0) / span
                end = ((h["removed_time"] or now_ms) - t0) / span
                ax.broken_barh([(start, max(end - start, 0.004))], (lane - 0.35, 0.7), alpha=0.7)
                ax.text(start, lane, f" v{h['version']}", va="center", fontsize=8)
        ax.set_yticks(range(len(aliases)), [f"@{a}" for a in aliases])
        ax.set_xticks([0, 1], [_when(t0), _when(now_ms)], fontsize=7)
        ax.set_xlim(0, 1.02)
        ax.set_title("alias history", fontsize=9)

    return figure_png(draw, size=(6.0, 0.9 + 0.5 * len(aliases)))


def render_html(panel: Any) -> str:
    """Model, versions table, alias history table and timeline (all user text escaped)."""
    view = panel.view
    model = view.model or {}
    if not model:
        return '<div class="mlnb-registry-static"><p>No registered models yet.</p></div>'
    parts = ['<div class="mlnb-registry-static">']
    parts.append(f"<h4>registered model {esc(model.get('name'))}</h4>")
    if model.get("description"):
        parts.append(f"<p>{esc(model['description'])}</p>")
    rows = [
        [
            r["version"],
            r["stage"],
            " ".join(f"@{a}" for a in r["aliases"]),
            f"{r['run_name']} ({r['run_id'][:8]})",
            _metrics(r["metrics"]),
            r["description"],
        ]
        for r in view.versions
    ]
    parts.append(html_table(["version", "stage", "aliases", "source run", "metrics", "description"], rows))
    if view.history:
        hist_rows = [
            [
                f"@{h['alias']}",
                h["version"],
                _when(h["set_time"]),
                h["set_by"],
                _when(h["removed_time"]),
                h["reason"] or ("current" if h["removed_time"] is None else ""),
            ]
            for h in view.history
        ]
        parts.append(
            html_table(["alias", "version", "set", "by", "until", "why"], hist_rows, caption="alias history")
        )
        import time

        png = _timeline(list(view.history), int(time.time() * 1000))
        if png:
            parts.append(img_tag(png, "alias history timeline"))
    if panel.message.value:
        parts.append(panel.message.value)  # already escaped when it was composed
    parts.append("</div>")
    return "".join(parts)
