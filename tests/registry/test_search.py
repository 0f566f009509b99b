"""Registry filters: semantics on entities, and any text either compiles or raises FilterSyntaxError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlnb.errors import FilterSyntaxError
from mlnb.registry.entities import ModelVersion, RegisteredModel
from mlnb.registry.search import MODEL_FIELDS, VERSION_FIELDS, compile_filter

RID = "ab" * 16
VERSIONS = [
    ModelVersion("churn", 1, RID, "model", "Archived", "first", "ana", tags={"team": "risk"}),
    ModelVersion("churn", 2, RID, "pipe", "Production", None, "ben", aliases=("champion",)),
    ModelVersion("Churn-b", 3, "cd" * 16, "model", "None", "third", "ana", aliases=("a", "b")),
]


def _match(text: str) -> list[tuple[str, int]]:
    keep = compile_filter(text, VERSION_FIELDS)
    return [(v.name, v.version) for v in VERSIONS if keep(v)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("churn", 1), ("churn", 2), ("Churn-b", 3)]),
        ("name = 'churn'", [("churn", 1), ("churn", 2)]),
        ("name ILIKE 'churn%'", [("churn", 1), ("churn", 2), ("Churn-b", 3)]),
        ("name LIKE 'churn%'", [("churn", 1), ("churn", 2)]),
        ("version > 1 AND version <= 3", [("churn", 2), ("Churn-b", 3)]),
        ("version IN (1, 3)", [("churn", 1), ("Churn-b", 3)]),
        ("version NOT IN ('1')", [("churn", 2), ("Churn-b", 3)]),
        (f"run_id = '{RID}' AND current_stage != 'Archived'", [("churn", 2)]),
        ("stage = 'Production' OR alias = 'b'", [("churn", 2), ("Churn-b", 3)]),
        ("source LIKE 'runs:/%/pipe'", [("churn", 2)]),
        ("tags.team = 'risk'", [("churn", 1)]),
        ("tags.team != 'risk'", []),  # a missing tag never matches, as in run search
        ("tags.`team` IS NOT NULL", [("churn", 1)]),
        ("description IS NULL", [("churn", 2)]),
        (
            "(user_id = 'ana' AND version = 3) OR (attributes.name = 'churn' AND version = 1)",
            [("churn", 1), ("Churn-b", 3)],
        ),
    ],
)
def test_version_filters(text: str, expected: list[tuple[str, int]]) -> None:
    assert _match(text) == expected


def test_name_equality_is_exposed_for_the_store() -> None:
    assert compile_filter("name = 'x' AND version > 1", VERSION_FIELDS).name_eq == "x"  # type: ignore[attr-defined]
    assert getattr(compile_filter("name = 'x' OR version > 1", VERSION_FIELDS), "name_eq", None) is None
    assert getattr(compile_filter("name LIKE 'x'", VERSION_FIELDS), "name_eq", None) is None


def test_model_filters_use_model_fields() -> None:
    models = [
        RegisteredModel("churn", tags={"team": "risk"}, aliases={"champion": 2}),
        RegisteredModel("fraud"),
    ]
    keep = compile_filter("alias = 'champion' OR tags.team = 'x'", MODEL_FIELDS)
    assert [m.name for m in models if keep(m)] == ["churn"]
    with pytest.raises(FilterSyntaxError, match="column 1"):
        compile_filter("version = 1", MODEL_FIELDS)


@pytest.mark.parametrize(
    "text",
    ["name", "name =", "name = churn", "version = 'x'", "version LIKE '1'", "name > 'a'", "(name = 'a'",
     "name = 'a' AND", "metrics.f1 > 1", "name = 'a' name = 'b'", "tags. = 'x'", "name IS NULL"],
)  # fmt: skip
def test_malformed_filters_name_the_column(text: str) -> None:
    with pytest.raises(FilterSyntaxError, match="at column"):
        compile_filter(text, VERSION_FIELDS)


@given(st.text(alphabet=st.sampled_from(list("nameversiontgs.=!<>()'\"` ,%_ANDORIN123")), max_size=40))
def test_any_text_compiles_or_raises_filter_syntax_error(text: str) -> None:
    try:
        keep = compile_filter(text, VERSION_FIELDS)
    except FilterSyntaxError:
        return
    for version in VERSIONS:
        assert keep(version) in (True, False)
