"""Static fallback of the registry panel: versions and alias history as escaped HTML tables,
and the alias timeline as a PNG.

Every number, time and count reads as in the live panel (:mod:`mlnb.display.format`); a missing
value is a blank cell, run ids are short, metrics get one column each.
"""

from __future__ import annotations

import time
from typing import Any

from mlnb.display import format as _format
from mlnb.display.html import Cell, esc, img, table
from mlnb.widgets._base import figure_png

#: metric columns shown (as in the live panel); the rest are left out of the static table
MAX_METRICS = 6


def _metric_keys(versions: list[dict[str, Any]]) -> list[str]:
    """The metrics most versions have (ties by name), as the live panel picks them."""
    counts: dict[str, int] = {}
    for r in versions:
        for k in r["metrics"]:
            counts[k] = counts.get(k, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))[:MAX_METRICS]


_CELL = "border:1px solid var(--jp-border-color2,#ddd);padding:2px 6px;text-align:left;vertical-align:top"
_NUM = "text-align:right;font-variant-numeric:tabular-nums"


def _table(
    header: list[str], rows: list[list[str]], *, wide: set[str], numeric: set[str], caption: str = ""
) -> str:
    """An escaped HTML table: every column on one line except the ``wide`` (free text) ones,
    which wrap within a readable measure; ``numeric`` columns align right."""

    def style(col: str) -> str:
        fit = "min-width:12em;max-width:32em" if col in wide else "white-space:nowrap"
        return f"{_CELL};{fit}" + (f";{_NUM}" if col in numeric else "")

    return table(
        [Cell(h, style=style(h)) for h in header],
        [[Cell(v, style=style(h)) for h, v in zip(header, row, strict=True)] for row in rows],
        classes="mlnb-static",
        style="border-collapse:collapse;font-size:12px;margin:4px 0",
        caption=caption,
    )


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
                current = h["removed_time"] is None
                ax.broken_barh(
                    [(start, max(end - start, 0.004))],
                    (lane - 0.35, 0.7),
                    facecolors=f"C{h['version'] % 10}",
                    alpha=0.8 if current else 0.45,
                )
                ax.text(start, lane, f" v{h['version']}", va="center", fontsize=8)
        ax.set_yticks(range(len(aliases)), [f"@{a}" for a in aliases])
        ax.set_xticks([0, 1], [_format.timestamp(t0), "now"], fontsize=7)
        ax.set_xlim(0, 1.02)
        ax.set_title("alias history", fontsize=9)

    return figure_png(draw, size=(6.0, 0.9 + 0.5 * len(aliases)))


def _version_rows(versions: list[dict[str, Any]], keys: list[str]) -> list[list[str]]:
    return [
        [
            f"v{r['version']}",
            r["stage"],
            " ".join(f"@{a}" for a in r["aliases"]),
            f"{r['run_name']} {_format.short_id(r['run_id'])}",
            *(_format.number(r["metrics"].get(k)) for k in keys),
            r["description"] or "",
            _format.timestamp(r["created"]),
        ]
        for r in versions
    ]


def _history_rows(history: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            f"@{h['alias']}",
            f"v{h['version']}",
            _format.timestamp(h["set_time"]),
            h["set_by"] or "",
            _format.timestamp(h["removed_time"]),
            h["reason"] or ("current" if h["removed_time"] is None else ""),
        ]
        for h in history
    ]


def render_html(panel: Any) -> str:
    """Model, versions table, alias history table and timeline (all user text escaped)."""
    view = panel.view
    model = view.model or {}
    if not model:
        return '<div class="mlnb-registry-static"><p>No registered models yet.</p></div>'
    versions = list(view.versions)
    parts = ['<div class="mlnb-registry-static" style="max-width:100%;overflow-x:auto">']
    parts.append(
        f"<h4>registered model {esc(model.get('name'))} · {esc(_format.count(len(versions), 'version'))}</h4>"
    )
    if model.get("description"):
        parts.append(f"<p>{esc(model['description'])}</p>")
    keys = _metric_keys(versions)
    header = ["version", "stage", "aliases", "source run", *keys, "description", "created"]
    parts.append(_table(header, _version_rows(versions, keys), wide={"description"}, numeric=set(keys)))
    if view.history:
        parts.append(
            _table(
                ["alias", "version", "set", "by", "until", "why"],
                _history_rows(list(view.history)),
                wide={"why"},
                numeric=set(),
                caption="alias history",
            )
        )
        png = _timeline(list(view.history), int(time.time() * 1000))
        if png:
            parts.append(img(png, "alias history timeline"))
    if panel.message.value:
        parts.append(panel.message.value)  # already escaped when it was composed
    parts.append("</div>")
    return "".join(parts)
