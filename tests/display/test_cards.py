"""Run card bundle: payload fields, escaping, NaN, the change since the last run."""

from __future__ import annotations

import io
import json
import math

import mlnb
from mlnb.display.cards import MIME_TYPE, RunCard, card_payload, run_card_bundle, thumbnail_b64


def test_payload_follows_the_contract(store):
    with mlnb.start_run(run_name="<script>alert(1)</script>", tags={"mlnb.cell": "k1"}) as run:
        mlnb.log_param("C", "<b>0.5</b>")
        mlnb.log_metric("acc", 0.9)
        mlnb.log_metric("loss", math.nan)
        mlnb.log_metric("ratio", math.inf)
    payload = card_payload(run.info.run_id, cell_key="k1")
    assert payload["version"] == 1 and payload["status"] == "FINISHED"
    assert payload["duration_ms"] >= 0 and payload["end_time"] is not None
    assert {"key": "C", "value": "<b>0.5</b>"} in payload["params"]
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
        with mlnb.start_run(tags={"mlnb.cell": "same"}) as run:
            mlnb.log_metric("acc", value)
            mlnb.log_metric("log_loss", 1 - value)
    with mlnb.start_run(tags={"mlnb.cell": "other"}):
        mlnb.log_metric("acc", 0.1)
    bundle = run_card_bundle(run.info.run_id, type("R", (), {"cell_key": "same"})())
    acc = next(m for m in bundle[MIME_TYPE]["metrics"] if m["key"] == "acc")
    assert acc["previous"] == 0.8 and round(acc["delta"], 6) == 0.1
    html = bundle["text/html"]
    assert "+0.1" in html and "#15803d" in html  # acc up and log_loss down are both improvements
    assert "#b91c1c" not in html


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
