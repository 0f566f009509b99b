"""The compare panel's Python side: payload, filter errors, columns, selection, refresh, fallback."""

from __future__ import annotations

import numpy as np
import pytest

import mlnb
from mlnb.tracking import events
from mlnb.tracking.state import get_store
from mlnb.widgets import compare as compare_mod
from mlnb.widgets.compare import compare

XSS = "<img src=x onerror=alert(1)>"


def _runs(spec: list[dict]) -> list[str]:
    ids = []
    for item in spec:
        with mlnb.start_run(run_name=item.get("name")) as run:
            mlnb.log_params(item.get("params", {}))
            for key, value in item.get("metrics", {}).items():
                mlnb.log_metric(key, value)
            if item.get("tags"):
                mlnb.set_tags(item["tags"])
            ids.append(run.info.run_id)
    mlnb.flush()
    return ids


@pytest.fixture
def three(store):
    mlnb.set_experiment("cmp")
    return _runs(
        [
            {"name": "a", "params": {"C": 0.1, "model": "lr", "seed": 1}, "metrics": {"acc": 0.7}},
            {"name": "b", "params": {"C": 1.0, "model": "rf", "seed": 1}, "metrics": {"acc": 0.9}},
            {"name": "c", "params": {"C": 10, "model": "lr", "seed": 1}, "metrics": {"acc": 0.8, "f1": 0.5}},
        ]
    )


def _column(data: dict, key: str) -> dict:
    return next(c for c in data["columns"] if c["key"] == key)


def test_payload_is_columnar_arrays_for_the_given_runs(three):
    panel = compare()
    data = panel.view.data
    assert data["n"] == 3 and data["complete"] is True
    assert set(data["run_id"]) == set(three)
    order = [three.index(r) for r in data["run_id"]]
    acc = np.frombuffer(_column(data, "metrics.acc")["num"], dtype="<f8")
    assert acc.tolist() == [[0.7, 0.9, 0.8][i] for i in order]
    f1 = np.frombuffer(_column(data, "metrics.f1")["num"], dtype="<f8")
    assert np.isnan(f1).sum() == 2  # only run c logged f1
    model = _column(data, "params.model")
    codes = np.frombuffer(model["codes"], dtype="<i4")
    assert [model["dict"][c] for c in codes] == [["lr", "rf", "lr"][i] for i in order]
    c_num = np.frombuffer(_column(data, "params.C")["num"], dtype="<f8")
    assert c_num.tolist() == [[0.1, 1.0, 10.0][i] for i in order]
    assert "num" not in model  # text params are not numbers
    # no per-cell dicts anywhere: every column is flat arrays
    assert all(isinstance(c.get("num", b""), bytes) for c in data["columns"])


def test_filter_error_is_shown_inline_and_keeps_the_runs(three):
    panel = compare()
    panel.filter_box.value = "metrics.acc >>> 1"
    assert "metrics.acc" in panel.error_message
    assert panel.view.data["n"] == 3
    panel.filter_box.value = "metrics.acc > 0.75 AND params.model = 'lr'"
    assert panel.error_message == ""
    assert panel.view.data["n"] == 1 and panel.view.data["run_id"] == [three[2]]


def test_plain_text_in_the_filter_box_finds_run_names_and_tags(three):
    get_store().log_batch(three[0], tags={"team": "Vision"}, buffered=False)
    panel = compare()
    panel.filter_box.value = "B"  # run b, by name, whatever the case
    assert panel.error_message == "" and panel.view.data["run_id"] == [three[1]]
    panel.filter_box.value = "vision"  # run a, by a tag value
    assert panel.view.data["run_id"] == [three[0]]
    panel.filter_box.value = "metrics.acc >"  # a mistyped filter is an error, not a text search
    assert "metrics.acc" in panel.error_message
    panel.filter_box.value = ""
    assert panel.view.data["n"] == 3


def test_only_differences_hides_keys_equal_for_every_run(three):
    panel = compare()
    panel.choose_columns(["metrics.acc", "metrics.f1", "params.C", "params.model", "params.seed"])
    assert "params.seed" in panel.view.columns
    panel.only_differences.value = True
    assert "params.seed" not in panel.view.columns
    assert {"params.C", "params.model", "metrics.acc", "metrics.f1"} <= set(panel.view.columns)
    panel.only_differences.value = False
    assert "params.seed" in panel.view.columns


def test_default_columns_are_metrics_then_differing_params(three):
    panel = compare()
    # acc and f1 were last logged by run c (their order is by time, then name); seed is 1
    # everywhere, so it is not shown
    columns = panel.view.columns
    assert set(columns[:2]) == {"metrics.acc", "metrics.f1"} and columns[2:] == ["params.C", "params.model"]
    assert panel.view.default_columns == columns
    assert panel.view.primary_metric == columns[0]
    assert list(panel.to_frame().columns) == ["run_name", "status", *panel.view.columns, "start_time"]


def test_choosing_columns_and_reset(three):
    panel = compare()
    panel.choose_columns(["params.seed", "metrics.acc"])
    assert panel.view.custom is True
    assert panel.view.columns == ["metrics.acc", "params.seed"]  # metrics before params
    assert list(panel.to_frame().columns) == [
        "run_name",
        "status",
        "metrics.acc",
        "params.seed",
        "start_time",
    ]
    with pytest.raises(mlnb.MlnbError, match=r"no such column: params\.nope"):
        panel.choose_columns(["params.nope"])
    panel.reset_columns()
    assert panel.view.custom is False
    assert panel.view.columns == panel.view.default_columns
    assert panel.view.columns[2:] == ["params.C", "params.model"]


def test_column_choice_key_is_per_store_and_experiment(three):
    first, again = compare(), compare()
    key = first.view.storage_key
    exp = mlnb.get_experiment_by_name("cmp").experiment_id
    assert key == again.view.storage_key == f"mlnb.compare.columns:{mlnb.get_tracking_uri()}:{exp}"
    mlnb.set_experiment("other")
    assert compare().view.storage_key != key
    assert compare(experiment="cmp").view.storage_key == key
    assert compare(runs=three[:2]).view.storage_key != compare(runs=three[1:]).view.storage_key


def test_transpose_switch_turns_runs_into_columns(three):
    panel = compare()
    panel.transpose.value = True
    assert panel.view.transpose is True
    frame = panel.to_frame()
    assert set(frame.columns) == set(three)
    assert "metrics.acc" in frame.index
    html = panel._repr_mimebundle_()["text/html"]
    assert "<table" in html and all(f">{name}</th>" in html for name in "abc")
    assert 'title="metrics.acc">acc</th>' in html


def test_sort_orders_missing_last(three):
    panel = compare()
    panel.view.sort = ["metrics.acc", "desc"]
    assert panel.to_frame()["run_name"].tolist() == ["b", "c", "a"]
    panel.view.sort = ["metrics.f1", "asc"]
    assert panel.to_frame()["run_name"].tolist()[0] == "c"


def test_selection_comes_back_as_search_runs_dataframe(three):
    panel = compare()
    panel.view.selected = [three[2], three[0]]
    frame = panel.selected
    expected = mlnb.search_runs(run_ids=[three[0], three[2]])
    assert list(frame.columns) == list(expected.columns)
    assert set(frame["run_id"]) == {three[0], three[2]}
    assert sorted(frame["metrics.acc"].tolist()) == [0.7, 0.8]
    panel.view.selected = []
    assert len(panel.selected) == 0


def test_panel_refreshes_when_a_run_finishes(three):
    panel = compare()
    panel.view.selected = [three[0]]
    (new,) = _runs([{"name": "d", "params": {"C": 3}, "metrics": {"acc": 0.95}}])
    assert panel.view.data["n"] == 3
    events.publish(events.RunEnded(new, "FINISHED"))  # delivered now: this is the kernel's thread
    assert panel.view.data["n"] == 4 and new in panel.view.data["run_id"]
    assert panel.view.selected == [three[0]]  # the selection survives a refresh


def test_a_closed_panel_no_longer_refreshes_and_a_failing_one_shows_why(three, monkeypatch):
    closed, broken = compare(), compare()
    closed.close()
    monkeypatch.setattr(broken, "refresh", lambda: 1 / 0)
    (new,) = _runs([{"name": "d", "metrics": {"acc": 0.95}}])
    events.publish(events.RunEnded(new, "FINISHED"))  # a failing panel does not raise here
    assert closed.view.data["n"] == 3
    assert "refresh failed: division by zero" in broken.error.value


def test_poll_after_a_cell_picks_up_runs_ended_elsewhere(three):
    panel = compare()
    panel._poll()
    assert panel.view.data["n"] == 3
    _runs([{"name": "e", "metrics": {"acc": 0.1}}])
    panel._poll()
    assert panel.view.data["n"] == 4


def test_runs_argument_restricts_the_panel(three):
    frame = mlnb.search_runs(filter_string="params.model = 'lr'")
    panel = compare(runs=frame)
    assert set(panel.view.data["run_id"]) == {three[0], three[2]}
    panel2 = compare(runs=[three[1]])
    assert panel2.view.data["run_id"] == [three[1]]


def test_big_experiment_opens_with_a_first_page_then_loads_all(three, monkeypatch):
    monkeypatch.setattr(compare_mod, "FIRST_PAGE", 2)
    panel = compare()
    assert panel.view.data["n"] == 2 and panel.view.data["complete"] is False
    assert panel.view.loading is True
    panel._on_msg(panel.view, {"type": "load_all"}, [])
    assert panel.view.data["n"] == 3 and panel.view.data["complete"] is True


def test_metric_history_for_step_wise_metrics(store):
    mlnb.set_experiment("hist")
    with mlnb.start_run(run_name="steps") as run:
        for step in range(4):
            mlnb.log_metric("loss", 1.0 / (step + 1), step=step)
    mlnb.flush()
    panel = compare()
    panel.view.history_metric = "metrics.loss"
    panel.view.plot = "history"
    (series,) = panel.view.history["series"]
    assert series["run_id"] == run.info.run_id
    assert series["steps"] == [0, 1, 2, 3]
    assert series["values"][-1] == pytest.approx(0.25)


def test_static_fallback_has_table_and_plots(three):
    panel = compare()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert "<table" in html and 'title="metrics.acc"' in html
    assert html.count("data:image/png;base64,") >= 1  # parallel coordinates
    assert "<script" not in html


def test_user_strings_are_escaped_in_the_static_html(store):
    mlnb.set_experiment("xss")
    _runs([{"name": XSS, "params": {"p": "<b>bold</b>"}, "metrics": {"m": 1.0}, "tags": {"t": XSS}}])
    panel = compare()
    html = panel._repr_mimebundle_()["text/html"]
    assert XSS not in html and "<b>bold" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert panel.view.data["name"] == [XSS]  # the widget gets the raw text, drawn as text


def test_unknown_experiment_is_an_error(store):
    with pytest.raises(mlnb.NotFound):
        compare(experiment="no-such-experiment")


def test_run_card_link_opens_the_cells_earlier_runs(three):
    """The run card's compare link: ``mlnb.compare(experiment=<id>, filter=<its filter>)``."""
    exp = mlnb.get_experiment_by_name("cmp")
    panel = mlnb.compare(experiment=exp.experiment_id, filter=f"attributes.run_id != '{three[0]}'")
    assert set(panel.view.data["run_id"]) == {three[1], three[2]}
    by_name = mlnb.compare(experiment="cmp")
    assert by_name.view.data["n"] == 3


def test_empty_experiment_and_special_values(store):
    mlnb.set_experiment("empty")
    panel = compare()
    assert panel.view.data["n"] == 0 and panel.selected.empty
    assert "mlnb compare: 0 runs" in panel._repr_mimebundle_()["text/html"]
    (odd,) = _runs([{"name": "odd", "params": {"flag": "true"}, "metrics": {"m": float("nan"), "big": float("inf")}}])
    events.publish(events.RunEnded(odd, "FINISHED"))
    data = panel.view.data
    assert np.isnan(np.frombuffer(_column(data, "metrics.m")["num"], dtype="<f8")[0])
    assert np.frombuffer(_column(data, "metrics.big")["num"], dtype="<f8")[0] == np.inf
    assert "num" not in _column(data, "params.flag")  # booleans stay text
    assert "NaN" in panel._repr_mimebundle_()["text/html"]


def test_panel_refreshes_after_a_cell_that_ended_a_run(three):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from mlnb.widgets.compare import compare\npanel = compare()")
        panel = shell.user_ns["panel"]
        assert panel.view.data["n"] == 3
        result = shell.run_cell(
            "import mlnb\nwith mlnb.start_run(run_name='late'):\n    mlnb.log_metric('acc', 0.5)"
        )
        assert result.success
        assert panel.view.data["n"] == 4 and "late" in panel.view.data["name"]
    finally:
        shell.user_ns.pop("panel", None)


# -- a mixed store: differing and constant params, a failed run, a search CV, a missing metric ----
@pytest.fixture
def mixed(store):
    import time

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    mlnb.set_experiment("mixed")
    ids = {}
    for spec in (
        {"name": "lr", "params": {"model": "lr", "C": 0.1, "seed": 1}, "metrics": {"acc": 0.71, "loss": 0.6}},
        {"name": "rf", "params": {"model": "rf", "depth": 3, "seed": 1}, "metrics": {"acc": 0.845188}},
    ):
        (ids[spec["name"]],) = _runs([{**spec, "tags": {"team": "churn"}}])
        time.sleep(0.01)
    with pytest.raises(ValueError), mlnb.start_run(run_name="broken") as run:
        ids["broken"] = run.info.run_id
        mlnb.log_params({"model": "lr", "C": 5, "seed": 1})
        raise ValueError("diverged")
    time.sleep(0.01)
    X, y = load_iris(return_X_y=True)
    mlnb.sklearn.autolog(log_models=False)
    try:
        search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1, 10]}, cv=3).fit(X, y)
    finally:
        mlnb.sklearn.autolog(disable=True)
    time.sleep(0.01)
    (ids["late"],) = _runs([{"name": "late", "params": {"model": "lr", "seed": 1}, "metrics": {"f1": 0.5}}])
    return ids, search


def _grid(panel):
    table = panel._table
    kids = table.parent >= 0
    (parent,) = set(table.parent[kids].tolist())
    return table, parent, np.flatnonzero(kids)


def test_mixed_store_default_columns(mixed):
    panel = compare()
    columns = panel.view.columns
    kinds = [k.split(".")[0] for k in columns]
    assert kinds == sorted(kinds, key=["metrics", "params"].index)  # metrics, then params, no tags
    assert columns[0] == "metrics.f1" == panel.view.primary_metric  # the most recently logged
    metrics = [k for k in columns if k.startswith("metrics.")]
    assert set(metrics) == {k for k in panel._table.keys if k.startswith("metrics.")}
    assert metrics.index("metrics.mean_test_score") < metrics.index("metrics.acc")  # older runs last
    params = [k for k in columns if k.startswith("params.")]
    # C differs between runs and between the search's candidates; depth and model are on some
    # runs only; max_iter and solver are the same on every candidate and on no other run
    assert {"params.C", "params.depth", "params.model", "params.best_C"} <= set(params)
    assert "params.max_iter" not in params and "params.solver" not in params
    assert not any(k.startswith("tags.") for k in columns)
    assert "tags.team" in panel._table.keys
    # "only differences" has nothing more to drop from the defaults, and drops constant choices
    panel.choose_columns([*columns, "params.max_iter"])
    panel.only_differences.value = True
    assert panel.view.columns == columns


def test_mixed_store_failed_run_and_missing_metric(mixed):
    ids, _ = mixed
    panel = compare()
    data = panel.view.data
    row = data["run_id"].index(ids["broken"])
    status = data["status"]
    assert status["dict"][np.frombuffer(status["codes"], dtype="<i4")[row]] == "FAILED"
    assert data["primary_best"] == data["run_id"].index(ids["late"])  # the only run with f1
    acc = np.frombuffer(_column(data, "metrics.acc")["num"], dtype="<f8")
    assert np.isnan(acc[data["run_id"].index(ids["late"])])  # late never logged acc


def test_search_cv_children_fold_under_the_parent_with_its_best_child(mixed):
    _, search = mixed
    panel = compare()
    table, parent, kids = _grid(panel)
    assert len(kids) == 4 and table.parent[parent] == -1
    data = panel.view.data
    parent_rows = np.frombuffer(data["parent"], dtype="<i4")
    best = np.frombuffer(data["best"], dtype="<i4")
    assert parent_rows.tolist() == table.parent.tolist()
    # the children lack the primary metric (f1): they are ranked by the search's own rank
    rank = table.columns["metrics.rank_test_score"].num
    assert rank[best[parent]] == 1
    ranks = search.cv_results_["rank_test_score"]
    best_cs = {str(search.cv_results_["params"][i]["C"]) for i in range(len(ranks)) if ranks[i] == 1}
    assert table.columns["params.C"].text[best[parent]] in best_cs
    assert (best[np.arange(len(table)) != parent] == -1).all()


def test_best_child_is_lowest_for_loss_like_metrics(store):
    mlnb.set_experiment("nested")
    with mlnb.start_run(run_name="sweep") as parent:
        for name, loss, acc in (("x", 0.3, 0.6), ("y", 0.1, 0.5), ("z", 0.2, 0.9)):
            with mlnb.start_run(run_name=name, nested=True):
                mlnb.log_metrics({"val_loss": loss, "acc": acc})
    mlnb.flush()
    from mlnb.widgets import _compare_defaults as defaults

    table = compare()._table
    by_loss, used = defaults.best_children(table, ["metrics.val_loss", "metrics.acc"])
    top = table.run_ids.index(parent.info.run_id)
    assert table.names[by_loss[top]] == "y" and used[top] == "metrics.val_loss"
    by_acc, _ = defaults.best_children(table, ["metrics.acc"])
    assert table.names[by_acc[top]] == "z"
    assert defaults.lower_is_better("metrics.rmse") and not defaults.lower_is_better("metrics.f1")
    assert table.names[defaults.best_row(table, "metrics.val_loss")] == "y"
    assert table.names[defaults.best_row(table, "metrics.acc")] == "z"
    assert defaults.best_row(table, "metrics.nope") == -1


def test_static_fallback_of_the_mixed_store(mixed):
    ids, _ = mixed
    panel = compare()
    table, parent, kids = _grid(panel)
    html = panel._repr_mimebundle_()["text/html"]
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == len(table) - len(kids)  # one row per top-level run
    best = np.frombuffer(panel.view.data["best"], dtype="<i4")[parent]
    assert f"(4 child runs, best: {table.names[best]})" in body
    for kid in kids:
        assert f">{table.names[kid]}<" not in body
    for run_id in ids.values():
        assert f">{run_id[-8:]}</td>" in body and f">{run_id}<" not in body
    (late,) = [row for row in body.split("<tr>") if ">late<" in row]
    assert "NaN" not in late and "None" not in late and late.count("></td>") >= 5  # missing: blank
    assert ">0.8452</td>" in body and "0.845188" not in body  # numbers by mlnb.display.format
    assert "FAILED" in body and "mlnb compare: 9 runs" in html
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    shown = ["run_name", "run_id", "status", *panel.view.columns, "start_time", "duration"]
    import re

    assert re.findall(r'title="([^"]+)"', header) == shown
    assert "data:image/png;base64," in html  # the parallel coordinates of the default columns
