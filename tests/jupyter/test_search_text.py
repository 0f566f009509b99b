"""The sidebar's search box through the runs route: plain text or a filter, and the list view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tornado.httpclient

import mlnb

NB = "proj/search.ipynb"


def _body(response) -> dict:
    return json.loads(response.body.decode())


@pytest.fixture
def runs(project: Path) -> dict[str, str]:
    """Runs with telling names and tags, a failed one, a parent with a child, another experiment."""
    nb = str(project / "search.ipynb")
    (project / "search.ipynb").write_text("{}")
    mlnb.set_experiment("churn")
    ids = {}
    for name, tags, acc in [
        ("rf-baseline", {"model": "forest"}, 0.81),
        ("logreg", {"model": "linear", "note": "Grid of C"}, 0.86),
        ("boosted", {"owner": "RF team"}, 0.9),
        ("plain_name", {}, 0.5),
    ]:
        with mlnb.start_run(run_name=name, notebook=nb, cell_id="c1", tags=tags) as run:
            mlnb.log_param("C", "1")
            mlnb.log_metric("acc", acc)
            mlnb.log_metric("zz_last", 1.0)
            mlnb.log_metric("b", 2.0)
            mlnb.log_metric("a", float("nan"))
            ids[name] = run.info.run_id
    with mlnb.start_run(run_name="grid", notebook=nb, cell_id="c2") as parent:
        with mlnb.start_run(run_name="grid-child", nested=True, notebook=nb, cell_id="c2") as child:
            ids["grid-child"] = child.info.run_id
        ids["grid"] = parent.info.run_id
    mlnb.start_run(run_name="crashed", notebook=nb, cell_id="c3")
    mlnb.end_run("FAILED")
    mlnb.get_store().flush()
    return ids


async def _search(jp_fetch, text: str, **extra: str) -> dict:
    return _body(await jp_fetch("mlnb", "api", "runs", params={"path": NB, "search": text, **extra}))


def _names(body: dict) -> set[str]:
    return {r["run_name"] for r in body["runs"]}


async def test_plain_text_matches_names_case_insensitively(jp_fetch, runs):
    body = await _search(jp_fetch, "RF-")
    assert body["searched"] == "text"
    assert _names(body) == {"rf-baseline"}
    assert _names(await _search(jp_fetch, "grid")) == {"grid", "grid-child", "logreg"}  # logreg by its tag


async def test_plain_text_matches_tag_values(jp_fetch, runs):
    assert _names(await _search(jp_fetch, "forest")) == {"rf-baseline"}
    # "rf" is in one name and in one tag value ("RF team"), case-insensitively
    assert _names(await _search(jp_fetch, "rf")) == {"rf-baseline", "boosted"}


async def test_plain_text_is_literal_not_a_pattern(jp_fetch, runs):
    assert _names(await _search(jp_fetch, "plain_name")) == {"plain_name"}
    assert _names(await _search(jp_fetch, "plain%")) == set()
    assert _names(await _search(jp_fetch, "n_n")) == {"plain_name"}
    assert _names(await _search(jp_fetch, "rf_baseline")) == set()  # "_" is not "any character"
    assert _names(await _search(jp_fetch, "nothing like this")) == set()


async def test_plain_text_does_not_match_system_tags(jp_fetch, runs):
    # every run records mlflow.source.type = LOCAL (and its user, its name) in mlflow.* tags
    full = _body(await jp_fetch("mlnb", "api", "runs", params={"path": NB}))
    assert all(r["tags"]["mlflow.source.type"] == "LOCAL" for r in full["runs"])
    assert _names(await _search(jp_fetch, "LOCAL")) == set()
    assert _names(await _search(jp_fetch, "forest")) == {"rf-baseline"}  # a user tag is searched


async def test_text_that_parses_as_a_filter_is_a_filter(jp_fetch, runs):
    body = await _search(jp_fetch, "metrics.acc > 0.85")
    assert body["searched"] == "filter"
    assert _names(body) == {"logreg", "boosted"}
    assert _names(await _search(jp_fetch, "tags.model = 'forest'")) == {"rf-baseline"}
    assert _names(await _search(jp_fetch, "attributes.status = 'FAILED'")) == {"crashed"}
    assert _names(await _search(jp_fetch, "params.C = '1'")) == {
        "rf-baseline",
        "logreg",
        "boosted",
        "plain_name",
    }


@pytest.mark.parametrize("text", ["metrics.acc >", "params.C = 1", "tags.model = forest"])
async def test_a_mistyped_filter_is_an_error_saying_what_is_wrong(jp_fetch, runs, text):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await _search(jp_fetch, text)
    assert err.value.code == 400
    body = _body(err.value.response)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "expected" in body["message"]


async def test_filter_and_search_together_are_refused(jp_fetch, runs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await _search(jp_fetch, "rf", filter="metrics.acc > 0")
    assert err.value.code == 400
    assert "either" in _body(err.value.response)["message"]


async def test_search_within_the_notebook_scope(jp_fetch, runs):
    with mlnb.start_run(run_name="rf-elsewhere", notebook="other.ipynb"):
        pass
    mlnb.get_store().flush()
    body = await _search(jp_fetch, "rf", scope="notebook")
    assert _names(body) == {"rf-baseline", "boosted"}


def _rows(body: dict) -> list[dict]:
    listed = body["list"]
    return [dict(zip(listed["columns"], row, strict=True)) for row in listed["rows"]]


async def test_list_view_is_lean_with_first_metrics_cell_and_parent(jp_fetch, runs):
    body = await _search(jp_fetch, "", view="list", scope="notebook")
    rows = {r["run_name"]: r for r in _rows(body)}
    assert set(rows) == {"rf-baseline", "logreg", "boosted", "plain_name", "grid", "grid-child", "crashed"}
    row = rows["logreg"]
    assert set(row) == {
        "run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
        "parent_run_id", "metrics", "cell_id", "orphaned",
    }  # fmt: skip
    # the first three metrics by name; NaN is null
    assert row["metrics"] == {"a": None, "acc": pytest.approx(0.86), "b": 2.0}
    assert row["cell_id"] == "c1"
    assert row["end_time"] >= row["start_time"]
    assert rows["grid-child"]["parent_run_id"] == runs["grid"]
    assert rows["crashed"]["status"] == "FAILED"
    starts = [r["start_time"] for r in _rows(body)]
    assert starts == sorted(starts, reverse=True)
    # a text search in the list view
    assert {r["run_name"] for r in _rows(await _search(jp_fetch, "RF", view="list"))} == {
        "rf-baseline",
        "boosted",
    }


async def test_list_view_pages_of_up_to_ten_thousand(jp_fetch, runs):
    body = await _search(jp_fetch, "", view="list", page_size="3")
    assert len(body["list"]["rows"]) == 3 and body["next_page_token"] == "3"
    rest = await _search(jp_fetch, "", view="list", page_size="100", page_token="3")
    assert len(rest["list"]["rows"]) == 4 and rest["next_page_token"] is None
    ids = [r["run_id"] for r in _rows(body) + _rows(rest)]
    assert len(set(ids)) == 7
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await _search(jp_fetch, "", view="list", page_size="10001")
    assert "10000" in _body(err.value.response)["message"]
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await _search(jp_fetch, "", page_size="1001")  # the full view keeps its limit
    assert err.value.code == 400
