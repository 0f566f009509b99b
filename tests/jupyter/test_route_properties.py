"""Any value of any parameter of any route gets a 2xx, or a 4xx with a short one-line JSON error:
never a 5xx, a closed connection or a hang (property tests against a real ``jupyter server``
process), and the corpus of inputs that once broke a route is replayed as plain cases.

Every route and parameter is covered: ``path`` (all routes); ``experiment_id``, ``filter``,
``search``, ``view``, ``order_by``, ``page_size``, ``page_token``, ``scope`` (``runs``); the run id
segment (``runs/<id>``, its ``metric-history`` with ``key`` and ``artifacts/<path>``); ``name``
(``models``); unknown parameters and unknown URLs under ``/mlnb/api/``.  The API is read-only
(GET only: other methods are refused before any handler code runs), so it takes no JSON body.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.jupyter.routes import ARTIFACTS, NB, ApiServer, check_answer, expand

CORPUS = json.loads((Path(__file__).parents[1] / "corpus" / "jupyter" / "routes.json").read_text())
ROUTE_PARAMS = {
    "experiments": (),
    "runs": ("experiment_id", "filter", "search", "view", "order_by", "page_size", "page_token", "scope"),
    "run": (),
    "history": ("key", "key"),
    "artifact": (),
    "models": ("name", "name"),
    "other": (),
}
# fragments that meant something to some layer: the filter language, paths, URLs, encodings
PIECES = [
    "(", ")", "((", "))", "'", '"', "`", "''", "\\", "/", "..", "../", "./", "~", "%", "%2e", "%2E%2e",
    "%2f", "%5c", "%00", "%25", "%ff", "%ED%A0%80", "\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "é",
    "\U0001d518", " ", "\t", "\n", "-", "+", "*", "#", "?", "&", "=", ";", ",", ":", "9" * 25, "-9" * 12,
    "1e999", "NaN", "inf", " AND ", " OR ", " and ", " LIKE ", " ILIKE ", " IN ", " NOT IN ", " IS NULL",
    " IS NOT NULL", "%a", "%%", "_", "metrics.", "params.", "tags.", "attributes.", "datasets.", "run_id",
    "start_time", "end_time", "status", "`run name`", "loss", "C", " = ", " != ", " > ", " <= ", "ASC",
    "DESC", "null", "true",
]  # fmt: skip
LONG_UNITS = ["a", "9", "(", "a/", "../", "%2e%2e/", "é", "metrics.loss > 0 AND "]
FILTER_PREFIXES = ["metrics.", "params.", "tags.", "attributes.", "datasets.", "run.", "", "metric."]
FILTER_KEYS = ["loss", "C", "team", "start_time", "end_time", "run_id", "status", "run_name", "name",
               "`run name`", '"a b"', "'x'", "a" * 300, ""]  # fmt: skip
FILTER_OPS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS", "IS NOT", "=="]
HOW = st.sampled_from(["quoted", "quoted", "raw"])


def _filter_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.floats().map(repr),
        st.text(max_size=12).map(lambda s: "'" + s.replace("'", "''") + "'"),
        st.lists(st.text(max_size=4).map(lambda s: f"'{s}'"), max_size=4).map(lambda v: f"({', '.join(v)})"),
        st.sampled_from(["NULL", "'%a%a%a%a%b'", "'" + "%" * 50 + "'", "'_'", "-0", "1e-999"]),
    )


def filters() -> st.SearchStrategy[str]:
    """Strings close to the filter language: comparisons joined by AND/OR, nested."""
    comparison = st.builds(
        lambda p, k, op, v: f"{p}{k} {op} {v}",
        st.sampled_from(FILTER_PREFIXES),
        st.sampled_from(FILTER_KEYS),
        st.sampled_from(FILTER_OPS),
        _filter_values(),
    )
    joined = st.builds(
        lambda parts, op: f" {op} ".join(parts),
        st.lists(comparison, min_size=1, max_size=4),
        st.sampled_from(["AND", "OR", "and"]),
    )
    return st.one_of(
        joined,
        st.builds(lambda a, n, b, op: "(" * n + a + ")" * n + f" {op} " + b, joined, st.integers(1, 60), joined,
                  st.sampled_from(["AND", "OR"])),
    )  # fmt: skip


FILTERS = filters()


def values() -> st.SearchStrategy[str]:
    """Any value for any parameter: arbitrary code points (lone surrogates and NUL included),
    fragments that meant something to some layer, huge integers, deep parentheses, long strings."""
    return st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=40),
        st.lists(st.sampled_from(PIECES), max_size=16).map("".join),
        st.integers(-(10**40), 10**40).map(str),
        st.builds(lambda n, f: "(" * n + f + ")" * n, st.integers(0, 2500), FILTERS),
        st.builds(lambda unit, n: (unit * 6000)[:n], st.sampled_from(LONG_UNITS), st.integers(100, 6000)),
        FILTERS,
    )


def encode(value: str, how: str) -> str:
    """``value`` in a URL: fully percent-encoded, or "raw" (``/``, ``%`` and the like kept as
    typed, so ``%2e%2e`` and extra segments reach the server undecoded).  A lone surrogate goes
    out as the only bytes that can carry it (CESU-8), which is invalid UTF-8."""
    raw = value.encode("utf-8", "surrogatepass")
    return quote(raw, safe="" if how == "quoted" else "/%()'=,.:;!*~+-_$@")


VALUES = values()


@st.composite
def requests(draw: st.DrawFn, run_ids: dict[str, str]) -> str:
    """One GET of one route: its path segments and 0 to 4 parameters, any of them hostile."""

    def hostile() -> str:
        return encode(draw(VALUES), draw(HOW))

    route = draw(st.sampled_from(sorted(ROUTE_PARAMS)))
    known = [run_ids["full"], run_ids["empty"], "f" * 32, run_ids["full"].upper()]
    run_id = draw(st.sampled_from(known)) if draw(st.booleans()) else hostile()
    if route in ("experiments", "runs", "models"):
        url = route
    elif route == "run":
        url = f"runs/{run_id}"
    elif route == "history":
        url = f"runs/{run_id}/metric-history"
    elif route == "artifact":
        logged = quote(draw(st.sampled_from(sorted(ARTIFACTS))), safe="/")
        url = f"runs/{run_id}/artifacts/" + (logged if draw(st.booleans()) else hostile())
    else:
        url = hostile()
    query = [("path", NB if draw(st.integers(0, 9)) else hostile())]
    names = (*ROUTE_PARAMS[route], "path", "unknown")
    for name in draw(st.lists(st.sampled_from(names), max_size=4)):
        query.append((name, hostile()))
    url += "?" + "&".join(f"{k}={v}" for k, v in draw(st.permutations(query)))
    assume(len(url) < 48_000)  # Tornado refuses a request head over 64 KB before any route
    return url


@st.composite
def searches(draw: st.DrawFn) -> str:
    """The ``runs`` route with the query-language parameters only, well-formed more often."""
    query = [("path", NB)]
    query += [("filter", quote(f, safe="")) for f in draw(st.lists(FILTERS, max_size=1))]
    query += [
        ("search", quote(f, safe="")) for f in draw(st.lists(st.one_of(FILTERS, st.text()), max_size=1))
    ]
    keys = st.builds(
        lambda p, k, d: f"{p}{k}{d}",
        st.sampled_from(FILTER_PREFIXES),
        st.sampled_from(FILTER_KEYS),
        st.sampled_from(["", " ASC", " DESC", " desc", "  DESC", " UP"]),
    )
    query += [("order_by", quote(k, safe="")) for k in draw(st.lists(keys, max_size=14))]
    query += [("view", v) for v in draw(st.lists(st.sampled_from(["full", "list"]), max_size=1))]
    size = st.one_of(st.integers(-2, 10_002).map(str), st.sampled_from(["", "1_0", "0x10", "1e3", " 5"]))
    query += [("page_size", quote(v, safe="")) for v in draw(st.lists(size, max_size=1))]
    query += [("page_token", quote(v, safe="")) for v in draw(st.lists(size, max_size=1))]
    return "runs?" + "&".join(f"{k}={v}" for k, v in query)


STATUSES: Counter[str] = Counter()
# CI runs 500 + 300 cases (about 25 s); a longer campaign: MLNB_ROUTE_EXAMPLES_SCALE=10
SCALE = float(os.environ.get("MLNB_ROUTE_EXAMPLES_SCALE", "1"))


def _run(api_server: ApiServer, url: str) -> None:
    answer = api_server.get(url)
    STATUSES[f"{answer.code}"] += 1
    check_answer(answer, url)


@pytest.mark.timeout(int(180 * SCALE))
def test_any_request_to_any_route_gets_a_2xx_or_a_short_json_4xx(api_server: ApiServer) -> None:
    @settings(
        max_examples=int(500 * SCALE),
        deadline=None,  # each request is bounded by the client's 15 s timeout instead
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(url=requests(api_server.run_ids))
    def check(url: str) -> None:
        _run(api_server, url)

    check()
    print("answers by status:", dict(sorted(STATUSES.items())))


@pytest.mark.timeout(int(120 * SCALE))
def test_any_search_of_runs_gets_a_2xx_or_a_short_json_4xx(api_server: ApiServer) -> None:
    @settings(
        max_examples=int(300 * SCALE),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(url=searches())
    def check(url: str) -> None:
        _run(api_server, url)

    check()


JSON_BODIES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(exclude_categories=())),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


@pytest.mark.timeout(60)
def test_any_body_to_any_route_is_refused_with_a_json_405(api_server: ApiServer) -> None:
    # the API is read-only: a token-authenticated write of any body meets a 405, in JSON
    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        url=st.sampled_from(["experiments", "runs", "runs/{full}", "runs/{full}/metric-history",
                             "runs/{full}/artifacts/log.txt", "models", "nothing/here"]),
        method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
        body=JSON_BODIES.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")) | st.binary(max_size=64),
    )  # fmt: skip
    def check(url: str, method: str, body: bytes) -> None:
        url = url.replace("{full}", api_server.run_ids["full"]) + f"?path={NB}"
        answer = api_server.get(url, method=method, body=body)
        assert answer.code == 405, (answer.code, answer.body[:200])
        check_answer(answer, url)

    check()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_corpus_of_inputs_that_broke_a_route(api_server: ApiServer, case: dict) -> None:
    url = expand(case, api_server.run_ids)
    answer = api_server.get(url)
    check_answer(answer, url)
    assert answer.code == case["status"], (answer.code, answer.body[:300])
