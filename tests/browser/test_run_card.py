"""The run card and the %%track toggle in a real JupyterLab (Chromium), light and dark."""

from __future__ import annotations

import re

import pytest

SETUP = "%load_ext mlnb\nfrom sklearn.datasets import load_iris\nfrom sklearn.ensemble import RandomForestClassifier\nX, y = load_iris(return_X_y=True)"
TRACKED = (
    "%%track -n forest\n"
    "n_trees = 20\n"
    "model = RandomForestClassifier(n_estimators=n_trees, max_depth=3, random_state=0).fit(X, y)\n"
    "accuracy = model.score(X, y)"
)


def _pressed(lab) -> str | None:
    return lab.page.locator(".jp-NotebookPanel-toolbar .mlnb-track-button").get_attribute("aria-pressed")


def _inner_pressed(lab) -> str | None:
    """aria-pressed of the focusable button inside JupyterLab's <jp-button> (what assistive tech reads)."""
    return lab.page.evaluate(
        "() => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
        "?.shadowRoot?.querySelector('button')?.getAttribute('aria-pressed') ?? null"
    )


def _title(lab) -> str:
    return lab.page.locator(".jp-NotebookPanel-toolbar .mlnb-track-button").get_attribute("title") or ""


@pytest.fixture
def card(lab):
    path = lab.write_notebook("card.ipynb", [SETUP, TRACKED])
    lab.open_notebook(path)
    lab.run_all(timeout=180)
    card = lab.page.locator(".jp-Cell").nth(1).locator(".mlnb-RunCard .mlnb-card")
    card.wait_for(timeout=60_000)
    return card


def test_card_lists_the_users_params_first_and_folds_the_defaults(lab, card):
    own = card.locator(".mlnb-card-params:not(.mlnb-card-default-params) th").all_inner_texts()
    assert set(own) == {"n_estimators", "max_depth", "random_state", "n_trees"}
    defaults = card.locator("details.mlnb-card-defaults")
    assert defaults.get_attribute("open") is None  # folded until asked for
    summary = defaults.locator("summary").inner_text()
    assert re.fullmatch(r"\d+ default params", summary), summary
    folded = defaults.locator(".mlnb-card-default-params th").all_text_contents()  # hidden while folded
    assert "criterion" in folded and int(summary.split()[0]) == len(folded)
    assert not set(own) & set(folded)
    defaults.locator("summary").click()
    defaults.locator(".mlnb-card-default-params").wait_for()
    assert defaults.get_attribute("open") is not None


def test_card_is_redrawn_with_the_runs_duration_once_models_are_saved(lab, card):
    duration = card.locator(".mlnb-card-duration")
    # the card first says "running · saving models"; the final card replaces it in place
    lab.page.wait_for_function(
        """() => {
            const d = document.querySelectorAll('.jp-Cell')[1]?.querySelector('.mlnb-card-duration');
            return d && /^\\d+(\\.\\d)? (ms|s)$|^\\d+ min \\d+ s$/.test(d.textContent);
        }""",
        timeout=60_000,
    )
    assert card.locator(".mlnb-status-finished").count() == 1
    assert "running" not in duration.inner_text()
    assert lab.page.locator(".jp-Cell").nth(1).locator(".mlnb-RunCard").count() == 1  # redrawn, not added
    compare = card.locator("button.mlnb-card-compare")
    assert "jp-Button" in (compare.get_attribute("class") or "")

    # "Compare earlier runs" inserts code that reads as a user would write it, and it runs
    compare.click()
    lab.page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length === 3")
    code = lab.cell_sources()[2]
    assert re.fullmatch(
        r"import mlnb\n\nmlnb\.compare\(experiment=\"Default\", filter=\"tags\.mlnb\.cell = '[0-9a-f]{16}'\"\)",
        code,
    ), code
    outputs = lab.cell_outputs(2)
    assert all(o["output_type"] != "error" for o in outputs), outputs


def test_toggle_pressed_state_is_the_active_cells_state(lab):
    lab.open_notebook(lab.write_notebook("toggle.ipynb", [SETUP, TRACKED]))
    lab.select_cell(1)
    lab.page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
        "?.getAttribute('aria-pressed') === 'true'"
    )
    assert "is tracked" in _title(lab)
    lab.select_cell(0)
    lab.page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
        "?.getAttribute('aria-pressed') === 'false'"
    )
    assert "not tracked" in _title(lab)
    button = lab.page.locator(".jp-NotebookPanel-toolbar .mlnb-track-button")
    for expected in (True, False, True):
        button.click()
        lab.page.wait_for_function(
            "(want) => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
            "?.getAttribute('aria-pressed') === want",
            arg="true" if expected else "false",
        )
        source = lab.cell_sources()[0]
        assert source.startswith("%%track\n") is expected
        assert _pressed(lab) == ("true" if expected else "false")
        # the <jp-button> renders its inner button a frame after its own attribute changes
        lab.page.wait_for_function(
            "(want) => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
            "?.shadowRoot?.querySelector('button')?.getAttribute('aria-pressed') === want",
            arg="true" if expected else "false",
        )
        assert _inner_pressed(lab) == ("true" if expected else "false")
    # editing the first line (not through the button) updates the state too
    lab.page.evaluate(
        "() => { const c = window.jupyterapp.shell.currentWidget.content.activeCell;"
        " c.model.sharedModel.setSource(c.model.sharedModel.getSource().replace(/^%%track\\n/, '')); }"
    )
    lab.page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel-toolbar .mlnb-track-button')"
        "?.getAttribute('aria-pressed') === 'false'"
    )
    assert lab.cell_sources()[0] == SETUP


def test_card_is_accessible_in_light_and_dark(lab, card):
    lab.page.wait_for_function(
        "() => document.querySelectorAll('.jp-Cell')[1]?.querySelector('.mlnb-status-finished')",
        timeout=60_000,
    )
    card.locator("details.mlnb-card-defaults summary").click()
    for theme in ("light", "dark"):
        lab.set_theme(theme)
        assert lab.axe(".mlnb-card") == [], theme
        lab.screenshot(f"run-card-{theme}", card)
        lab.screenshot(f"run-card-page-{theme}")
    assert lab.page_errors == []


def test_static_card_reads_in_a_dark_lab(lab):
    """The text/html fallback (what an export keeps) in JupyterLab's dark theme: axe-clean."""
    import nbformat

    import mlnb
    from mlnb.display.cards import DEFAULTS_TAG, card_html, card_payload
    from mlnb.tracking import state

    state.set_store(str(lab.dir / ".mlnb"))
    try:
        for accuracy in (0.9, 0.85):
            with mlnb.start_run(run_name="static") as run:
                # the tags %%track gives a run; mlnb.* tags are mlnb's own, written through the store
                mlnb.get_store().log_batch(run.info.run_id, tags={"mlnb.cell": "c", DEFAULTS_TAG: '["tol"]'})
                mlnb.log_params({"C": "0.5", "tol": "0.0001"})
                mlnb.log_metric("accuracy", accuracy)
                mlnb.log_metric("log_loss", 1 - accuracy)
        html = card_html(card_payload(run.info.run_id, cell_key="c"))
    finally:
        state.set_store(None)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("# exported card")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "card"})]
    nb.cells.append(cell)
    nbformat.write(nb, lab.dir / "static.ipynb")
    lab.goto(f"{lab.rel}/static.ipynb")
    static = lab.page.locator(".jp-OutputArea-output .mlnb-run-card")
    static.wait_for(timeout=60_000)
    for theme in ("dark", "light"):
        lab.set_theme(theme)
        assert lab.axe(".mlnb-run-card") == [], theme
        lab.screenshot(f"static-card-{theme}", static)
