"""The registry panel's Python side: what it shows and that its buttons go through the API."""

from __future__ import annotations

import pytest

import mlnb
from mlnb.widgets.registry import registry_panel

XSS = "<img src=x onerror=alert(1)>"


def _version(name: str, run_name: str, **metrics: float) -> int:
    with mlnb.start_run(run_name=run_name):
        mlnb.log_metrics(metrics)
        mlnb.log_text("flavors: {}\n", "model/MLmodel")
        run_id = mlnb.active_run().info.run_id
    return mlnb.register_model(f"runs:/{run_id}/model", name).version


@pytest.fixture
def churn(store):
    mlnb.set_experiment("registry-panel")
    v1 = _version("churn", "first", f1=0.80)
    v2 = _version("churn", "second", f1=0.70)
    v3 = _version("churn", "third", f1=0.85)
    mlnb.set_registered_model_alias("churn", "champion", v1)
    return v1, v2, v3


def test_panel_shows_versions_with_run_metrics_stage_and_aliases(churn):
    panel = registry_panel("churn")
    assert panel.name == "churn"
    rows = {r["version"]: r for r in panel.view.versions}
    assert sorted(rows) == [1, 2, 3]
    assert rows[1]["aliases"] == ["champion"] and rows[1]["run_name"] == "first"
    assert rows[3]["metrics"] == {"f1": 0.85}
    assert rows[2]["stage"] == "None" and rows[2]["source"].startswith("runs:/")
    (period,) = panel.view.history
    assert period["alias"] == "champion" and period["version"] == 1 and period["removed_time"] is None


def test_set_alias_moves_it_through_promote_and_records_history(churn):
    panel = registry_panel("churn", gate={"metrics.f1": "not worse than current"})
    panel.set_alias(3, "champion")
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 3
    assert "@champion -> churn v3 (was v1)" in panel.message_text
    assert "pass" in panel.message_text  # the gate's table of checks
    history = mlnb.get_alias_history("churn", "champion")
    assert history["version"].tolist() == [1, 3]
    assert [p["version"] for p in panel.view.history] == [1, 3]


def test_gate_refusal_is_shown_inline_and_the_alias_stays(churn):
    panel = registry_panel("churn")
    panel.gate.value = "metrics.f1 not worse than current"
    result = panel.set_alias(2, "champion")
    assert isinstance(result, mlnb.ValidationFailed)
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 1
    text = panel.message_text
    assert text.startswith("refused:") and "FAIL" in text and "metrics.f1" in text
    assert "mlnb-refused" in panel.message.value


def test_stage_transition_and_archive_buttons(churn):
    panel = registry_panel("churn")
    panel.version.value = 3
    panel.stage.value = "Production"
    panel.transition_button.click()
    assert mlnb.get_model_version("churn", 3).current_stage == "Production"
    assert "now in stage Production" in panel.message_text
    panel.archive(1)
    assert mlnb.get_model_version("churn", 1).current_stage == "Archived"
    assert {r["version"]: r["stage"] for r in panel.view.versions}[1] == "Archived"


def test_invalid_stage_is_an_inline_error(churn):
    panel = registry_panel("churn")
    panel.transition(2, "Shipped")
    assert "InvalidParameter" in panel.message_text
    assert mlnb.get_model_version("churn", 2).current_stage == "None"


def test_descriptions_are_editable(churn):
    panel = registry_panel("churn")
    panel.model_description.value = "predicts churn"
    panel.save_model_description.click()
    assert mlnb.get_registered_model("churn").description == "predicts churn"
    panel.describe_version(2, "weaker baseline")
    assert mlnb.get_model_version("churn", 2).description == "weaker baseline"


def test_set_alias_button_uses_the_chosen_version_and_alias(churn):
    panel = registry_panel("churn")
    panel.view.selected_version = 2  # a click on the row in the browser
    assert panel.version.value == 2
    panel.alias.value = "challenger"
    panel.set_alias_button.click()
    assert mlnb.get_model_version_by_alias("churn", "challenger").version == 2


def test_changes_made_in_code_show_after_refresh(churn):
    panel = registry_panel("churn")
    mlnb.set_registered_model_alias("churn", "champion", 2)
    panel._poll()  # what the panel does after each cell
    assert {r["version"]: r["aliases"] for r in panel.view.versions}[2] == ["champion"]


def test_no_models_yet(store):
    panel = registry_panel()
    assert panel.name is None and panel.view.versions == []
    assert "No registered models yet" in panel._repr_mimebundle_()["text/html"]


def test_static_fallback_escapes_user_text(churn):
    mlnb.update_model_version("churn", 1, XSS)
    mlnb.update_registered_model("churn", XSS)
    panel = registry_panel("churn")
    panel.set_alias(3, "champion")
    html = panel._repr_mimebundle_()["text/html"]
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<table" in html and "alias history" in html and "data:image/png;base64," in html


def _cells(html: str) -> list[list[str]]:
    """The body rows of every table in ``html`` as lists of unescaped cell texts."""
    import re
    from html import unescape

    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html)
    return [[unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows if "<td" in row]


def _header(html: str) -> list[str]:
    import re

    return re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html.split("</thead>")[0])


def test_static_fallback_numbers_times_and_ids_follow_the_format_rules(store):
    from mlnb.display import format as fmt

    mlnb.set_experiment("registry-static")
    v1 = _version("rf", "first", f1=0.845188, accuracy=0.912345678)
    v2 = _version("rf", "second", f1=12345.678)  # no accuracy: a blank cell, not NaN
    mlnb.set_registered_model_alias("rf", "champion", v1)
    panel = registry_panel("rf")
    html = panel._repr_mimebundle_()["text/html"]
    assert "rf · 2 versions" in html
    rows = {r[0]: r for r in _cells(html) if r[0].startswith("v")}
    stored = {r["version"]: r for r in panel.view.versions}
    # metric columns: those most versions have first, then by name
    header = _header(html)
    assert header == ["version", "stage", "aliases", "source run", "f1", "accuracy", "description", "created"]
    assert rows[f"v{v1}"][4:6] == [fmt.number(0.845188), fmt.number(0.912345678)] == ["0.8452", "0.9123"]
    assert rows[f"v{v2}"][4:6] == ["12346", ""]
    assert rows[f"v{v1}"][7] == fmt.timestamp(stored[v1]["created"])
    run_id = stored[v1]["run_id"]
    assert rows[f"v{v1}"][3] == f"first {run_id[-8:]}" and run_id not in html
    cells = [c for row in _cells(html) for i, c in enumerate(row) if not (row[0].startswith("v") and i == 1)]
    assert not {"NaN", "nan", "None"} & set(cells)  # (the stage column's "None" is a stage name)
    history = [r for r in _cells(html) if r[0] == "@champion"]
    assert history == [
        [
            "@champion",
            f"v{v1}",
            fmt.timestamp(panel.view.history[0]["set_time"]),
            history[0][3],
            "",
            "current",
        ]
    ]


def test_one_version_reads_singular(store):
    mlnb.set_experiment("registry-one")
    _version("solo", "only", f1=0.5)
    panel = registry_panel("solo")
    assert repr(panel).endswith("1 version>")
    assert "solo · 1 version<" in panel._repr_mimebundle_()["text/html"]


def test_buttons_fit_their_labels_and_take_colours_from_the_theme(churn):
    panel = registry_panel("churn")
    buttons = [
        panel.refresh_button,
        panel.save_model_description,
        panel.set_alias_button,
        panel.delete_alias_button,
        panel.transition_button,
        panel.archive_button,
        panel.save_version_description,
    ]
    for button in buttons:
        assert button.layout.width == "auto", button.description  # sized to the text, never cut
        assert "mlnb-rp-button" in button._dom_classes
        assert button.button_style in ("", "primary")  # "warning" is white text on orange
    assert "mlnb-rp-caution" in panel.archive_button._dom_classes
    panel.transition(2, "Shipped")
    assert "mlnb-error" in panel.message.value and "style=" not in panel.message.value
