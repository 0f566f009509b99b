"""Run card bundle: payload fields, escaping, NaN, the change since the last run."""

from __future__ import annotations

import io
import json
import math
import re

import mlnb
from mlnb.display import format as fmt
from mlnb.display.cards import DEFAULTS_TAG, MIME_TYPE, RunCard, card_payload, run_card_bundle, thumbnail_b64


def _cell_run(tags: dict[str, str], **kwargs: str) -> mlnb.ActiveRun:
    """A run with the tags ``%%track`` gives it (``mlnb.*`` ones are mlnb's: set through the store)."""
    run = mlnb.start_run(**kwargs)
    mlnb.get_store().log_batch(run.info.run_id, tags=tags, buffered=False)
    return run


def test_payload_follows_the_contract(store):
    with _cell_run({"mlnb.cell": "k1"}, run_name="<script>alert(1)</script>") as run:
        mlnb.log_param("C", "<b>0.5</b>")
        mlnb.log_metric("acc", 0.9)
        mlnb.log_metric("loss", math.nan)
        mlnb.log_metric("ratio", math.inf)
    payload = card_payload(run.info.run_id, cell_key="k1")
    assert payload["version"] == 1 and payload["status"] == "FINISHED"
    assert payload["duration_ms"] >= 0 and payload["end_time"] is not None
    assert {"key": "C", "value": "<b>0.5</b>", "default": False} in payload["params"]
    loss = next(m for m in payload["metrics"] if m["key"] == "loss")
    assert loss["value"] is None and loss["previous"] is None and loss["delta"] is None
    assert next(m for m in payload["metrics"] if m["key"] == "ratio")["value"] is None
    assert payload["compare"]["experiment_id"] == run.info.experiment_id
    assert set(payload) >= {"run_id", "experiment_name", "models", "figures", "error", "source", "store"}
    json.dumps(payload, allow_nan=False)  # valid JSON, NaN as null


def test_html_escapes_user_strings_and_has_no_script(store):
    with mlnb.start_run(run_name="<script>alert(1)</script>") as run:
        mlnb.log_param("C", "<b>x</b>")
    bundle = run_card_bundle(run.info.run_id)
    html = bundle["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
    assert "C=<b>x</b>" in bundle["text/plain"]


def test_change_against_the_previous_run_of_the_same_cell(store):
    for value in (0.8, 0.9):
        with _cell_run({"mlnb.cell": "same"}) as run:
            mlnb.log_metric("acc", value)
            mlnb.log_metric("log_loss", 1 - value)
    with _cell_run({"mlnb.cell": "other"}):
        mlnb.log_metric("acc", 0.1)
    bundle = run_card_bundle(run.info.run_id, type("R", (), {"cell_key": "same"})())
    acc = next(m for m in bundle[MIME_TYPE]["metrics"] if m["key"] == "acc")
    assert acc["previous"] == 0.8 and round(acc["delta"], 6) == 0.1
    loss = next(m for m in bundle[MIME_TYPE]["metrics"] if m["key"] == "log_loss")
    assert acc["better"] is True and loss["better"] is True  # acc up and log_loss down both improve
    html = bundle["text/html"]
    assert "▲ +0.1</span>" in html and "▼ -0.1</span>" in html
    assert "--jp-success-color1" in html and "--jp-error-color1" not in html
    assert "acc=0.9 (+0.1 vs previous)" in bundle["text/plain"]


def test_figure_thumbnail_is_at_most_320_pixels_wide(store):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 3), dpi=100)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    import base64

    thumb = mpimg.imread(io.BytesIO(base64.b64decode(thumbnail_b64(buf.getvalue()))), format="png")
    assert thumb.shape[1] <= 320


def test_run_card_object_renders_any_run(store):
    with mlnb.start_run() as run:
        pass
    assert MIME_TYPE in RunCard(run.info.run_id)._repr_mimebundle_()


def _run_with_defaults(store):
    with _cell_run({DEFAULTS_TAG: json.dumps(["max_iter", "tol", "warm_start"])}) as run:
        mlnb.log_params({"C": "0.5", "max_iter": "100", "tol": "0.0001", "warm_start": "False", "n": "5"})
    return run


def test_user_params_come_first_and_defaults_are_flagged(store):
    run = _run_with_defaults(store)
    params = card_payload(run.info.run_id)["params"]
    assert [(p["key"], p["default"]) for p in params] == [
        ("C", False),
        ("n", False),
        ("max_iter", True),
        ("tol", True),
        ("warm_start", True),
    ]


def test_html_and_text_fold_the_defaults_behind_one_disclosure(store):
    run = _run_with_defaults(store)
    bundle = run_card_bundle(run.info.run_id)
    html, text = bundle["text/html"], bundle["text/plain"]
    assert html.count("<details>") == 1 and "3 default params</summary>" in html
    folded = html[html.index("<details>") :]
    shown = html[: html.index("<details>")]
    assert "C=" in shown and "n=" in shown and "max_iter=" not in shown
    assert "max_iter=" in folded and "C=" not in folded
    assert "params: C=0.5, n=5, + 3 default params" in text


def test_runs_without_the_defaults_tag_show_every_param_as_the_users(store):
    with mlnb.start_run() as run:
        mlnb.log_params({"a": "1", "b": "2"})
    bundle = run_card_bundle(run.info.run_id)
    assert not any(p["default"] for p in bundle[MIME_TYPE]["params"])
    assert "<details>" not in bundle["text/html"]


def test_duration_is_the_runs_end_minus_its_start(store):
    with mlnb.start_run() as run:
        pass
    info = mlnb.get_run(run.info.run_id).info
    store.update_run(info.run_id, end_time=info.start_time + 4_400)
    payload = card_payload(run.info.run_id, status="FINISHED", end_time=info.start_time + 2_100)
    assert payload["duration_ms"] == 4_400 and payload["end_time"] == info.start_time + 4_400
    bundle = run_card_bundle(run.info.run_id)
    assert f"· {fmt.duration(4_400)} ·" in bundle["text/html"] and "4.4 s" in bundle["text/plain"]


def test_a_run_still_saving_models_says_running(store):
    run = mlnb.start_run(run_name="saving")
    try:
        payload = card_payload(run.info.run_id, status="FINISHED")
        assert payload["status"] == "RUNNING" and payload["duration_ms"] is None
        assert payload["cell_status"] == "FINISHED"
        bundle = run_card_bundle(run.info.run_id, type("R", (), {"status": "FINISHED"})())
        assert "running · saving models" in bundle["text/html"]
        assert "running · saving models" in bundle["text/plain"]
    finally:
        mlnb.end_run()


def test_compare_filter_reads_as_a_user_would_write_it(store):
    mlnb.set_experiment("churn")
    with _cell_run({"mlnb.cell": "3f9a1c2b7d4e5f60"}) as run:
        pass
    compare = card_payload(run.info.run_id, cell_key="3f9a1c2b7d4e5f60")["compare"]
    assert compare["filter"] == "tags.mlnb.cell = '3f9a1c2b7d4e5f60'"
    assert compare["experiment"] == "churn"


def test_static_card_colours_are_theme_variables_with_fallbacks(store):
    with _cell_run({"mlnb.cell": "c"}):
        mlnb.log_metric("acc", 0.5)
    with _cell_run({"mlnb.cell": "c"}) as run:
        mlnb.log_metric("acc", 0.4)
    html = run_card_bundle(run.info.run_id, type("R", (), {"cell_key": "c"})())["text/html"]
    colours = re.findall(r"(?:^|[;\"])\s*(color|background|border)\s*:\s*([^;\"]+)", html)
    assert colours
    for prop, value in colours:
        # a theme variable with a fallback, or the plain colour that precedes a theme-aware mix
        plain = re.fullmatch(r"#[0-9a-f]{6}", value.strip()) or value.endswith("currentColor")
        assert "var(--jp-" in value or plain, (prop, value)
    assert not re.search(r"(#fff\b|#ffffff|\bwhite\b|\bblack\b|#000\b)", html, re.I)
