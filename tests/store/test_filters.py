from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlnb.errors import FilterSyntaxError
from mlnb.store.filters import (
    ATTR,
    DATASET,
    METRIC,
    PARAM,
    TAG,
    BoolOp,
    Comparison,
    OrderKey,
    parse_filter,
    parse_order_by,
)


def test_mlflow_style_filter_parses() -> None:
    node = parse_filter("metrics.rmse < 1 and params.model = 'tree' AND tags.`my key` LIKE 'a%'")
    assert node == BoolOp(
        "AND",
        (
            Comparison(METRIC, "rmse", "<", 1.0),
            Comparison(PARAM, "model", "=", "tree"),
            Comparison(TAG, "my key", "LIKE", "a%"),
        ),
    )


def test_or_binds_looser_than_and_and_parentheses_group() -> None:
    node = parse_filter("metrics.a > 1 OR metrics.b > 2 AND metrics.c > 3")
    assert isinstance(node, BoolOp) and node.op == "OR"
    assert isinstance(node.items[1], BoolOp) and node.items[1].op == "AND"
    grouped = parse_filter("(metrics.a > 1 OR metrics.b > 2) AND metrics.c > 3")
    assert isinstance(grouped, BoolOp) and grouped.op == "AND"


def test_quoted_keys_and_values() -> None:
    assert parse_filter('tags."mlflow.runName" = "it\'s"') == Comparison(TAG, "mlflow.runName", "=", "it's")
    assert parse_filter("params.x = 'it''s'") == Comparison(PARAM, "x", "=", "it's")
    assert parse_filter("params.`a``b` = 'v'") == Comparison(PARAM, "a`b", "=", "v")


def test_in_not_in_and_is_null() -> None:
    assert parse_filter("attributes.run_id IN ('ab', 'cd')") == Comparison(ATTR, "run_id", "IN", ("ab", "cd"))
    assert parse_filter("datasets.name NOT IN ('a')") == Comparison(DATASET, "name", "NOT IN", ("a",))
    assert parse_filter("tags.t IS NULL") == Comparison(TAG, "t", "IS NULL", None)
    assert parse_filter("tags.t is not null") == Comparison(TAG, "t", "IS NOT NULL", None)


def test_attribute_aliases() -> None:
    assert parse_filter("run_name = 'x'") == Comparison(ATTR, "run_name", "=", "x")
    assert parse_filter("attributes.start_time >= 5") == Comparison(ATTR, "start_time", ">=", 5.0)


@pytest.mark.parametrize(
    "text",
    [
        "attributes.`Run name` = 'x'",
        "attributes.`run name` = 'x'",
        "attributes.\"Run Name\" = 'x'",
        "`Run name` = 'x'",
        "attr.run_name = 'x'",
        "run.run_name = 'x'",
        "attribute.run_name = 'x'",
    ],
)
def test_run_name_spellings(text: str) -> None:
    assert parse_filter(text) == Comparison(ATTR, "run_name", "=", "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`metric`.a >= 0.1", Comparison(METRIC, "a", ">=", 0.1)),
        ("`params`.model = 'LR'", Comparison(PARAM, "model", "=", "LR")),
        ("`tags`.`my key` = 'v'", Comparison(TAG, "my key", "=", "v")),
        ("`dataset`.name = 'd'", Comparison(DATASET, "name", "=", "d")),
        ("params.'quoted' = 'v'", Comparison(PARAM, "quoted", "=", "v")),
        ('metrics."accuracy.2.0" > 5', Comparison(METRIC, "accuracy.2.0", ">", 5)),
        ("created > 3", Comparison(ATTR, "start_time", ">", 3)),
        ("attributes.Created < 3", Comparison(ATTR, "start_time", "<", 3)),
        ("attributes.artifact_uri LIKE '%x'", Comparison(ATTR, "artifact_uri", "LIKE", "%x")),
        ("dataset.digest != 'd'", Comparison(DATASET, "digest", "!=", "d")),
        ("datasets.context ILIKE 'TR%'", Comparison(DATASET, "context", "ILIKE", "TR%")),
        ("metrics.loss > -1", Comparison(METRIC, "loss", ">", -1)),
    ],
)
def test_mlflow_identifier_forms(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Metrics.a > 1", "prefixes are lower case"),
        ("metrics.a == 1", "'=' (the search language has no '==')"),
        ("metrics.a > +1", "a number"),
        ("params.a IN ('x')", "IN lists apply to attributes.run_id and datasets.*"),
        ("attributes.status NOT IN ('x')", "IN lists apply to attributes.run_id"),
        ("metrics.a IS NULL", "IS NULL applies to params and tags"),
        ("attributes.lifecycle_stage = 'active'", "an attribute among"),
        ("attributes.experiment_id = '1'", "an attribute among"),
        ("attributes.name = 'x'", "an attribute among"),
        ("RUN_NAME = 'x'", "an attribute among"),
        ("datasets.profile = 'x'", "a dataset key among name, digest, context"),
        ("datasets.name > 'x'", "for datasets.name"),
        ("attributes.start_time LIKE '1%'", "for attributes.start_time"),
        ("attributes.status = RUNNING", "quote it"),
        ("  ", "is blank"),
    ],
)
def test_what_mlflow_refuses_is_refused_with_the_reason(text: str, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert fragment in str(info.value)


def test_experiment_attributes_replace_run_attributes() -> None:
    from mlnb.store.filters import STRING

    assert parse_filter("name = 'e'", {"name": STRING}, {}) == Comparison(ATTR, "name", "=", "e")
    with pytest.raises(FilterSyntaxError):
        parse_filter("run_name = 'e'", {"name": STRING}, {})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("metrics.acc >>> 3", "column 14"),
        ("params.C = 1", "quote it"),
        ("metrics.acc = 'x'", "a number"),
        ("metrics.acc LIKE 'x'", "for metrics"),
        ("params.C < '1'", "for params"),
        ("(metrics.a > 1", "')'"),
        ("foo.bar = 1", "metrics., params., tags., attributes. or datasets."),
        ("params.a = 'x", "closing quote"),
        ("metrics.a > 1 OR", "an identifier"),
        ("metrics.a > 1 metrics.b > 2", "AND, OR"),
        ("attributes.color = 'x'", "an attribute among"),
    ],
)
def test_syntax_errors_name_position_and_expectation(text: str, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert fragment in str(info.value)
    assert "expected" in str(info.value)


def test_order_by() -> None:
    assert parse_order_by(["metrics.f1 DESC", "params.C", "start_time asc"]) == [
        OrderKey(METRIC, "f1", True),
        OrderKey(PARAM, "C", False),
        OrderKey(ATTR, "start_time", False),
    ]
    with pytest.raises(FilterSyntaxError):
        parse_order_by(["metrics.f1 DESC extra"])
    with pytest.raises(FilterSyntaxError):
        parse_order_by([""])
    with pytest.raises(FilterSyntaxError, match="to order by"):
        parse_order_by(["datasets.name"])
    assert parse_order_by(["`metrics`.`Mean Square Error` DESC", "created"]) == [
        OrderKey(METRIC, "Mean Square Error", True),
        OrderKey(ATTR, "start_time", False),
    ]


@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_filter_syntax_error(text: str) -> None:
    try:
        parse_filter(text)
    except FilterSyntaxError:
        pass


_pieces = st.sampled_from(
    [
        "metrics.a",
        "params.b",
        "tags.c",
        "attributes.status",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "IN",
        "=",
        "!=",
        "<",
        ">=",
        "LIKE",
        "'x'",
        '"y"',
        "`k`",
        "1.5",
        "-2",
        ",",
        "IS",
        "NULL",
        ".",
        "%",
    ]
)


@given(st.lists(_pieces, max_size=12))
def test_token_soup_raises_only_filter_syntax_error(parts: list[str]) -> None:
    try:
        parse_filter(" ".join(parts))
    except FilterSyntaxError:
        pass
