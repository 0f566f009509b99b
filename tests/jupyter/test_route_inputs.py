"""Bad inputs to every route get a 4xx with a short JSON error (never a 500), and artifacts are
served with their own type only when it is inert (the corpus and the property tests over every
parameter are in test_route_properties.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jupyter.routes import ARTIFACTS, NB, check_answer, get

# what the issue reported (nested parentheses, huge integers, 5,000-character paths, in filters
# and run ids), each on the parameter it names
ISSUE_CASES = {
    "nested parentheses in a filter": f"runs?path={NB}&filter={'(' * 2000}metrics.loss%20%3E%200{')' * 2000}",
    "nested parentheses in the search box": f"runs?path={NB}&search={'(' * 2000}",
    "huge integer in a filter": f"runs?path={NB}&filter=metrics.loss%20%3E%20{'9' * 30}",
    "huge negative time in a filter": f"runs?path={NB}&filter=attributes.start_time%20%3E%20-{'9' * 30}",
    "huge page token": f"runs?path={NB}&page_token={'9' * 20}",
    "huge experiment id": f"runs?path={NB}&experiment_id={'9' * 23}",
    "5,000-character path": f"runs?path={'a' * 5000}",
    "300-character path component": f"experiments?path=proj/{'x' * 300}/nb.ipynb",
    "5,000-character run id": f"runs/{'a' * 5000}?path={NB}",
    "5,000-character run id of a history": f"runs/{'f' * 5000}/metric-history?path={NB}&key=loss",
    "5,000-character artifact path": "runs/{full}/artifacts/" + "a/" * 2500 + f"x?path={NB}",
}


@pytest.mark.timeout(60)
async def test_reported_inputs_get_a_4xx_with_a_short_json_error(
    jp_base_url, http_server_client, jp_auth_header, routes_runs
):
    answers = {}
    for what, url in ISSUE_CASES.items():
        url = url.replace("{full}", routes_runs["full"])
        response = await get(http_server_client, jp_base_url, jp_auth_header, url)
        answers[what] = response.code, response.headers.get("Content-Type", "").split(";")[0]
        body = check_answer(response, url)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE", (what, body)
    assert answers == dict.fromkeys(ISSUE_CASES, (400, "application/json"))


async def test_an_unknown_url_under_the_api_is_a_json_404(
    jp_base_url, http_server_client, jp_auth_header, routes_runs
):
    for url in (
        "nothing",
        "runs/" + routes_runs["full"] + "/params",
        "runs/" + routes_runs["full"] + "/metric-history/x",
    ):
        response = await get(http_server_client, jp_base_url, jp_auth_header, url)
        assert response.code == 404
        assert check_answer(response, url)["error_code"] == "ENDPOINT_NOT_FOUND"


EXPECTED_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}


async def test_artifacts_keep_their_type_only_when_it_is_inert(jp_fetch, routes_runs):
    seen = {}
    for rel, data in ARTIFACTS.items():
        response = await jp_fetch(
            "mlnb", "api", "runs", routes_runs["full"], "artifacts", *rel.split("/"), params={"path": NB}
        )
        assert response.body == data
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        seen[rel] = response.headers["Content-Type"]
    expected = {
        rel: EXPECTED_TYPES.get(Path(rel).suffix.lower(), "application/octet-stream") for rel in ARTIFACTS
    }
    assert seen == expected
    # html, xhtml, xml, svg, javascript, pdf, rss, xsl, mathml and no extension: all opaque bytes
    assert sum(kind == "application/octet-stream" for kind in seen.values()) == 12


def test_error_bodies_are_one_short_line_and_hide_unexpected_errors():
    from tornado import web

    from mlnb.errors import FilterSyntaxError, IntegrityError
    from mlnb.jupyter.handlers import MAX_MESSAGE, error_body

    status, body = error_body(500, FilterSyntaxError("bad filter\n" + "(" * 5000 + "\ud800"))
    assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert len(body["message"]) == MAX_MESSAGE and "\n" not in body["message"]
    body["message"].encode("utf-8")  # no lone surrogate left to break a JSON decoder
    assert error_body(500, IntegrityError("modified"))[0] == 500
    assert error_body(500, web.HTTPError(405))[1] == {
        "error_code": "BAD_REQUEST",
        "message": "Method Not Allowed",
    }
    # anything that is not an mlnb or HTTP error is a bug: a 500 that shows none of its details
    status, body = error_body(500, KeyError("/secret/path/mlnb.db"))
    assert status == 500 and body["error_code"] == "INTERNAL_ERROR"
    assert "secret" not in body["message"] and "server log" in body["message"]
