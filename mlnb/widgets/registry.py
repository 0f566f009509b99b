"""``mlnb.registry_panel()``: registered models, their versions, aliases and alias history.

Every button calls the same public registry API as code would (``mlnb.promote`` with the
panel's gate for alias moves, ``mlnb.transition_model_version_stage``, ...), so a gate that
refuses a promotion in code refuses it here too; the panel shows the result or the refusal
inline.  The versions table and the alias timeline are drawn by ``static/registry.js``; the
controls are plain ipywidgets.
"""

from __future__ import annotations

import html
from typing import Any

import anywidget
import ipywidgets as w
import traitlets as tl

from mlnb.display import format as _format
from mlnb.display.html import esc
from mlnb.errors import MlnbError, ValidationFailed
from mlnb.registry import aliases as _aliases
from mlnb.registry import gates as _gates
from mlnb.registry import stages as _stages
from mlnb.registry import versions as _versions
from mlnb.registry.uris import check_model_name
from mlnb.tracking.state import get_store
from mlnb.widgets import _base, _fallback

STAGES = ("None", "Staging", "Production", "Archived")


class RegistryView(anywidget.AnyWidget):
    """Versions table and alias timeline of one registered model (state only)."""

    _esm = _base.STATIC / "registry.js"
    _css = _base.STATIC / "registry.css"

    model = tl.Dict().tag(sync=True)
    versions: tl.List[Any] = tl.List().tag(sync=True)
    history: tl.List[Any] = tl.List().tag(sync=True)
    selected_version = tl.Int(0).tag(sync=True)


def _ms(stamp: Any) -> int | None:
    try:
        import pandas as pd

        return None if pd.isna(stamp) else int(stamp.value // 1_000_000)
    except (AttributeError, TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    """A history cell as text, or None when missing (pandas gives NaN for missing strings)."""
    return None if value is None or value != value or value == "" else str(value)


def _button(label: str, *, caution: bool = False, **kwargs: Any) -> w.Button:
    """A button as wide as its label, themed by registry.css (``mlnb-rp-button``)."""
    button = w.Button(
        description=label, tooltip=label, layout=w.Layout(width="auto", flex="0 0 auto"), **kwargs
    )
    button.add_class("mlnb-rp-button")
    if caution:
        button.add_class("mlnb-rp-caution")
    return button


def _gate_lines(gate: Any) -> str:
    if gate is None:
        return ""
    if isinstance(gate, str):
        return gate
    if isinstance(gate, dict):
        return "\n".join(f"{k} {v}" for k, v in gate.items())
    return "\n".join(str(g) for g in gate)


class RegistryPanel(w.VBox):
    """Registered model browser with alias, stage and archive actions; see :func:`registry_panel`."""

    def __init__(self, name: str | None = None, *, gate: Any = None) -> None:
        self.view = RegistryView()
        self.models = w.Dropdown(description="model", options=[], layout=w.Layout(width="320px"))
        self.refresh_button = _button("refresh", icon="refresh")
        self.model_description = w.Textarea(placeholder="model description", layout=w.Layout(width="100%"))
        self.save_model_description = _button("save model description")
        self.version = w.Dropdown(description="version", options=[], layout=w.Layout(width="180px"))
        self.alias = w.Combobox(
            description="alias",
            placeholder="alias, e.g. champion",
            value="champion",
            ensure_option=False,
            layout=w.Layout(width="260px"),
        )
        # "primary" is the theme's brand colour with its inverse text (readable in every theme);
        # ipywidgets' "warning" puts white text on orange, so the cautious buttons get an
        # outline from registry.css instead
        self.set_alias_button = _button("set / move alias", button_style="primary")
        self.delete_alias_button = _button("delete alias", caution=True)
        self.stage = w.Dropdown(
            options=STAGES, value="Staging", description="stage", layout=w.Layout(width="200px")
        )
        self.archive_existing = w.Checkbox(value=False, description="archive others in stage", indent=False)
        self.transition_button = _button("transition stage")
        self.archive_button = _button("archive version", caution=True)
        self.version_description = w.Textarea(
            placeholder="version description", layout=w.Layout(width="100%")
        )
        self.save_version_description = _button("save version description")
        self.gate = w.Textarea(
            value=_gate_lines(gate),
            placeholder="promotion gate for alias moves, one condition a line, e.g.\n"
            "metrics.accuracy >= 0.8\nmetrics.f1 not worse than current",
            layout=w.Layout(width="100%", height="60px"),
        )
        self.message = w.HTML(value="")
        self.last_result: Any = None
        rows = [
            w.HBox([self.models, self.refresh_button]),
            w.HBox([self.model_description, self.save_model_description]),
            self.view,
            w.HBox([self.version, self.alias, self.set_alias_button, self.delete_alias_button]),
            self.gate,
            w.HBox([self.stage, self.archive_existing, self.transition_button, self.archive_button]),
            w.HBox([self.version_description, self.save_version_description]),
            self.message,
        ]
        super().__init__(rows)
        self.add_class("mlnb-registry-panel")
        self._fixed = name
        self.models.observe(lambda _c: self._load_model(), names="value")
        self.version.observe(self._on_version, names="value")
        self.view.observe(self._on_row_click, names="selected_version")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.set_alias_button.on_click(lambda _b: self.set_alias(self.version.value, self.alias.value))
        self.delete_alias_button.on_click(lambda _b: self.delete_alias(self.alias.value))
        self.transition_button.on_click(
            lambda _b: self.transition(self.version.value, self.stage.value, self.archive_existing.value)
        )
        self.archive_button.on_click(lambda _b: self.archive(self.version.value))
        self.save_model_description.on_click(lambda _b: self.describe_model(self.model_description.value))
        self.save_version_description.on_click(
            lambda _b: self.describe_version(self.version.value, self.version_description.value)
        )
        self.refresh()
        _base.add_run_listener(self)

    # -- reading ---------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The registered model shown."""
        return self.models.value

    def refresh(self) -> None:
        """Read the registry again (keeps the chosen model and version)."""
        names = [m.name for m in _versions.search_registered_models()]
        if self._fixed is not None and self._fixed not in names:
            names = [self._fixed, *names]
        current = self.models.value
        self.models.options = names
        want = self._fixed if self._fixed is not None and current is None else current
        if want in names:
            self.models.value = want
        elif names:
            self.models.value = names[0]
        self._load_model()

    def _load_model(self) -> None:
        name = self.models.value
        if not name:
            self.view.model, self.view.versions, self.view.history = {}, [], []
            self.version.options = []
            return
        try:
            model = _versions.get_registered_model(name)
        except MlnbError as exc:
            self._say("error", str(exc))
            self.view.model, self.view.versions, self.view.history = {"name": name}, [], []
            return
        versions = sorted(
            _versions.search_model_versions(f"name = '{name}'"), key=lambda v: v.version, reverse=True
        )
        store = get_store()
        rows = []
        for v in versions:
            try:
                run = store.get_run(v.run_id)
                run_name, metrics = run.info.run_name, dict(run.data.metrics)
            except MlnbError:
                run_name, metrics = "(run missing)", {}
            rows.append(
                {
                    "version": v.version,
                    "stage": v.current_stage,
                    "aliases": list(v.aliases),
                    "run_id": v.run_id,
                    "run_name": run_name,
                    "source": v.source,
                    "description": v.description or "",
                    "created": v.creation_timestamp,
                    "metrics": {k: (None if x != x else x) for k, x in sorted(metrics.items())},
                }
            )
        frame = _aliases.get_alias_history(name)
        history = [
            {
                "alias": r.alias,
                "version": int(r.version),
                "set_time": _ms(r.set_time),
                "set_by": _text(r.set_by),
                "removed_time": _ms(r.removed_time),
                "removed_by": _text(r.removed_by),
                "reason": _text(r.removed_reason),
            }
            for r in frame.itertuples(index=False)
        ]
        with self.view.hold_sync():
            self.view.model = {
                "name": model.name,
                "description": model.description or "",
                "aliases": dict(model.aliases),
            }
            self.view.versions = rows
            self.view.history = history
        self.model_description.value = model.description or ""
        numbers = [r["version"] for r in rows]
        keep = self.version.value
        self.version.options = numbers
        if keep in numbers:
            self.version.value = keep
        elif numbers:
            self.version.value = numbers[0]
        self.alias.options = sorted({h["alias"] for h in history} | {"champion", "challenger"})
        self._on_version()

    def _on_version(self, _change: Any = None) -> None:
        number = self.version.value
        self.view.selected_version = number or 0
        row = next((r for r in self.view.versions if r["version"] == number), None)
        self.version_description.value = row["description"] if row else ""
        if row:
            self.stage.value = row["stage"] if row["stage"] != "None" else "Staging"

    def _on_row_click(self, change: dict[str, Any]) -> None:
        if change["new"] and change["new"] in self.version.options and change["new"] != self.version.value:
            self.version.value = change["new"]

    # -- actions: each one public API call, result or refusal shown inline ----------------
    def _gate(self) -> list[str] | None:
        lines = [line.strip() for line in self.gate.value.replace(";", "\n").splitlines() if line.strip()]
        return lines or None

    def _say(self, kind: str, text: str, detail: str = "") -> None:
        # colours come from registry.css (theme variables): the kind is a class, not a style
        body = f'<div class="mlnb-registry-msg mlnb-{kind}">{esc(text)}'
        if detail:
            body += f"\n<pre>{esc(detail)}</pre>"
        self.message.value = body + "</div>"

    def _run(self, action: Any, done: Any) -> Any:
        try:
            result = action()
        except ValidationFailed as exc:
            self.last_result = exc
            text = str(exc)
            head, _, rest = text.partition("\n")
            self._say("refused", f"refused: {head}", rest)
            self._load_model()
            return exc
        except MlnbError as exc:
            self.last_result = exc
            self._say("error", f"{type(exc).__name__}: {exc}")
            return exc
        self.last_result = result
        message, detail = done(result)
        self._say("ok", message, detail)
        self._load_model()
        return result

    def set_alias(self, version: int, alias: str) -> Any:
        """Point ``alias`` at ``version`` through :func:`mlnb.promote` with the panel's gate."""
        name = self.name
        gate = self._gate()

        def done(result: Any) -> tuple[str, str]:
            moved = "" if result.current_version in (None, version) else f" (was v{result.current_version})"
            return f"@{alias} -> {name} v{version}{moved}", result.table() if result.checks else ""

        return self._run(lambda: _gates.promote(check_model_name(name), version, alias, gate=gate), done)

    def delete_alias(self, alias: str) -> Any:
        name = self.name
        return self._run(
            lambda: _aliases.delete_registered_model_alias(check_model_name(name), alias),
            lambda _r: (f"@{alias} removed from {name}", ""),
        )

    def transition(self, version: int, stage: str, archive_existing: bool = False) -> Any:
        """Move ``version`` to ``stage`` with :func:`mlnb.transition_model_version_stage`."""
        name = self.name
        return self._run(
            lambda: _stages.transition_model_version_stage(check_model_name(name), version, stage, archive_existing),
            lambda mv: (f"{name} v{version} is now in stage {mv.current_stage}", ""),
        )

    def archive(self, version: int) -> Any:
        """Move ``version`` to the Archived stage."""
        return self.transition(version, "Archived")

    def describe_model(self, text: str) -> Any:
        name = self.name
        return self._run(
            lambda: _versions.update_registered_model(check_model_name(name), text),
            lambda _m: (f"description of {name} saved", ""),
        )

    def describe_version(self, version: int, text: str) -> Any:
        name = self.name
        return self._run(
            lambda: _versions.update_model_version(check_model_name(name), version, text),
            lambda _m: (f"description of {name} v{version} saved", ""),
        )

    @property
    def message_text(self) -> str:
        """The last result or refusal shown in the panel, as plain text."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value))

    # -- hooks -----------------------------------------------------------------------------
    def _on_run_finished(self, _run_id: str) -> None:
        self._poll()

    def _signature(self) -> Any:
        names = tuple(m.name for m in _versions.search_registered_models())
        name = self.models.value
        if not name or name not in names:
            return names, None
        model = _versions.get_registered_model(name)
        versions = _versions.search_model_versions(f"name = '{name}'")
        return (
            names,
            model.description,
            [
                (v.version, v.current_stage, v.aliases, v.description, v.last_updated_timestamp)
                for v in versions
            ],
        )

    def _poll(self) -> None:
        """Registry changes made in code show up after the cell; a cheap check comes first."""
        signature = self._signature()
        if signature != getattr(self, "_seen", None):
            self.refresh()
            self._seen = self._signature()

    def _show_error(self, message: str) -> None:
        self._say("error", message)

    def close(self) -> None:
        _base.remove_run_listener(self)
        super().close()

    # -- static fallback -------------------------------------------------------------------
    _ipython_display_ = _fallback.display_method("registry")  # static version + live widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from mlnb.widgets._registry_static import render_html

        bundle = super()._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data["text/html"] = render_html(self)
        data["text/plain"] = repr(self)
        return data

    def __repr__(self) -> str:
        return f"<RegistryPanel: {self.name!r}, {_format.count(len(self.view.versions), 'version')}>"


def registry_panel(name: str | None = None, *, gate: Any = None) -> RegistryPanel:
    """Browse and act on the model registry inline.

    Parameters
    ----------
    name : str, optional
        The registered model to show first (a chooser lists every model).
    gate : dict, list of str or str, optional
        Promotion gate applied when an alias is set or moved from the panel, exactly as
        ``mlnb.promote(name, version, alias, gate=gate)`` applies it (editable in the panel).

    Returns
    -------
    RegistryPanel
        Versions with source run, metrics, stage, aliases and description; the alias
        history timeline; buttons to set/move an alias, transition a stage, archive.

    Examples
    --------
    >>> mlnb.registry_panel("churn", gate={"metrics.f1": "not worse than current"})  # doctest: +SKIP
    """
    return RegistryPanel(name, gate=gate)
