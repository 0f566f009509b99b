"""MLflow's own search-grammar cases, as tables of inputs and expected outcomes.

The cases come from MLflow's public tests (``tests/utils/test_search_utils.py``: parse, error,
quoting, comparator and sorting cases; ``tests/store/tracking/test_sqlalchemy_store.py``: which
runs a filter matches, ``order_by``), restated for the runs of :mod:`tests.search_world`, plus
the spellings MLflow accepts.  Every table is checked against mlnb, and (``mlflow`` marker)
against real MLflow on a temp SQLite store, so a row is an agreement between the two unless it
is listed in a ``*_DIFFERENCES`` table with the reason (mlnb's documented extensions).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mlnb.errors import FilterSyntaxError
from mlnb.store.filters import ATTR, DATASET, METRIC, PARAM, TAG, BoolOp, Comparison, parse_filter
from tests.search_world import RUNS, build_mlflow, build_mlnb

ERR = "error"
OR_TREE = "accepted: OR tree"  # an mlnb extension; MLflow refuses it

M, P, T, A, D = METRIC, PARAM, TAG, ATTR, DATASET

# --- parsing: filter -> the AND-ed comparisons it means, or ERR ------------------------------------
PARSE_CASES: list[tuple[str, Any]] = [
    # MLflow's valid filters
    ("metric.acc >= 0.94", ((M, "acc", ">=", 0.94),)),
    ("metric.acc>=100", ((M, "acc", ">=", 100),)),
    ("params.m!='tf'", ((P, "m", "!=", "tf"),)),
    ('params."m"!="tf"', ((P, "m", "!=", "tf"),)),
    ('metric."legit name" >= 0.243', ((M, "legit name", ">=", 0.243),)),
    ("metrics.XYZ = 3", ((M, "XYZ", "=", 3),)),
    ('params."cat dog" = "pets"', ((P, "cat dog", "=", "pets"),)),
    ('metrics."X-Y-Z" = 3', ((M, "X-Y-Z", "=", 3),)),
    ('metrics."X//Y#$$@&Z" = 3', ((M, "X//Y#$$@&Z", "=", 3),)),
    ("params.model = 'LinearRegression'", ((P, "model", "=", "LinearRegression"),)),
    (
        "metrics.rmse < 1 and params.model_class = 'LR'",
        ((M, "rmse", "<", 1), (P, "model_class", "=", "LR")),
    ),
    ("", ()),
    ("`metric`.a >= 0.1", ((M, "a", ">=", 0.1),)),
    ("`params`.model >= 'LR'", ERR),  # parses in MLflow; its search refuses '>=' on a param
    ("tags.version = 'commit-hash'", ((T, "version", "=", "commit-hash"),)),
    ("`tags`.source_name = 'a notebook'", ((T, "source_name", "=", "a notebook"),)),
    ('metrics."accuracy.2.0" > 5', ((M, "accuracy.2.0", ">", 5),)),
    ("metrics.`spacey name` > 5", ((M, "spacey name", ">", 5),)),
    ('params."p.a.r.a.m" != "a"', ((P, "p.a.r.a.m", "!=", "a"),)),
    ('tags."t.a.g" = "a"', ((T, "t.a.g", "=", "a"),)),
    ("attribute.artifact_uri = '1/23/4'", ((A, "artifact_uri", "=", "1/23/4"),)),
    ("attribute.start_time >= 1234", ((A, "start_time", ">=", 1234),)),
    ("run.status = 'RUNNING'", ((A, "status", "=", "RUNNING"),)),
    ("dataset.name = 'my_dataset'", ((D, "name", "=", "my_dataset"),)),
    ("tags.version IS NULL", ((T, "version", "IS NULL", None),)),
    ("tags.version IS NOT NULL", ((T, "version", "IS NOT NULL", None),)),
    ("params.lr IS NULL", ((P, "lr", "IS NULL", None),)),
    ("params.lr IS NOT NULL", ((P, "lr", "IS NOT NULL", None),)),
    ("tags.a IS NULL AND params.b = 'val'", ((T, "a", "IS NULL", None), (P, "b", "=", "val"))),
    ("params.m = 'LR'", ((P, "m", "=", "LR"),)),
    ('params.m = "LR"', ((P, "m", "=", "LR"),)),
    ('params.m = "L\'Hosp"', ((P, "m", "=", "L'Hosp"),)),
    # MLflow's refused filters
    ("metric.acc >= 0.94; metrics.rmse < 1", ERR),
    ("m.acc >= 0.94", ERR),
    ("acc >= 0.94", ERR),
    ("p.model >= 'LR'", ERR),
    ("attri.x != 1", ERR),
    ("a.x != 1", ERR),
    ("model >= 'LR'", ERR),
    ("metrics.A > 0.1 OR params.B = 'LR'", OR_TREE),
    ("metrics.A > 0.1 NAND params.B = 'LR'", ERR),
    ("metrics.A > 0.1 AND (params.B = 'LR')", ((M, "A", ">", 0.1), (P, "B", "=", "LR"))),
    ("`metrics.A > 0.1", ERR),
    ("param`.A > 0.1", ERR),
    ("`dummy.A > 0.1", ERR),
    ("dummy`.A > 0.1", ERR),
    ("attribute.start != 1", ERR),
    ("attribute.experiment_id != 1", ERR),
    ("attribute.lifecycle_stage = 'ACTIVE'", ERR),
    ("attribute.name != 1", ERR),
    ("attribute.time != 1", ERR),
    ("attribute._status != 'RUNNING'", ERR),
    ("attribute.status = true", ERR),
    ("dataset.status = 'true'", ERR),
    ("dataset.profile = 'num_rows: 10'", ERR),
    ("metrics.acc IS NULL", ERR),
    ("attribute.status IS NULL", ERR),
    ("metric.model = 'LR'", ERR),
    ("metric.model = '5'", ERR),
    ("params.acc = 5", ERR),
    ("tags.acc = 5", ERR),
    ("metrics.acc != metrics.acc", ERR),
    ("1.0 > metrics.acc", ERR),
    ("attribute.status = 1", ERR),
    ("params.acc = LR", ERR),
    ("tags.acc = LR", ERR),
    ("params.acc = `LR`", ERR),
    ("params.'acc = LR", ERR),
    ("params.acc = 'LR", ERR),
    ("params.acc = LR'", ERR),
    ("params.acc = \"LR'", ERR),
    ("tags.acc = \"LR'", ERR),
    ("tags.acc = = 'LR'", ERR),
    ("attribute.status IS 'RUNNING'", ERR),
    ("params.acc LR !=", ERR),
    ("params.acc LR", ERR),
    ("metric.acc !=", ERR),
    ("acc != 1.0", ERR),
    ("foo is null", ERR),
    ("1=1", ERR),
    ("1==2", ERR),
    # comparators each entity refuses (MLflow's bad-comparator table, one row per comparator)
    *[(f"metrics.abc {op} 1.0", ERR) for op in ("~", "~=")],
    *[(f"params.abc {op} 'my-param-value'", ERR) for op in (">", "<", ">=", "<=", "~")],
    *[(f"tags.abc {op} 'my-tag-value'", ERR) for op in (">", "<", ">=", "<=", "~")],
    *[(f"attributes.status {op} 'my-tag-value'", ERR) for op in (">", "<", ">=", "<=", "~")],
    *[(f"attributes.start_time {op} 1234", ERR) for op in ("LIKE", "ILIKE")],
    *[(f"datasets.name {op} 'my-dataset-name'", ERR) for op in (">", "<", ">=", "<=", "~")],
    # the spellings MLflow accepts, and where IN / IS NULL / numbers are allowed
    ("attr.status = 'RUNNING'", ((A, "status", "=", "RUNNING"),)),
    ("attributes.`Run name` = 'x'", ((A, "run_name", "=", "x"),)),
    ("attributes.`run name` = 'x'", ((A, "run_name", "=", "x"),)),
    ("attributes.\"Run Name\" = 'x'", ((A, "run_name", "=", "x"),)),
    ("`Run name` = 'x'", ((A, "run_name", "=", "x"),)),
    ("attributes.RUN_NAME = 'x'", ERR),
    ("run_name ILIKE 'x%'", ((A, "run_name", "ILIKE", "x%"),)),
    ("attributes.user_id LIKE 'x%'", ((A, "user_id", "LIKE", "x%"),)),
    ("status != 'FAILED'", ((A, "status", "!=", "FAILED"),)),
    ("attributes.created > 1", ((A, "start_time", ">", 1),)),
    ("Created <= 7", ((A, "start_time", "<=", 7),)),
    ("attributes.end_time < 5", ((A, "end_time", "<", 5),)),
    ("attributes.start_time >= 1.5", ((A, "start_time", ">=", 1.5),)),
    ("attributes.start_time = '1'", ERR),
    ("attributes.start_time IN (1)", ERR),
    ("run_id IN ('a','b')", ((A, "run_id", "IN", ("a", "b")),)),
    ("attributes.run_id NOT IN ('a')", ((A, "run_id", "NOT IN", ("a",)),)),
    ("attributes.run_id IN (1)", ERR),
    ("attributes.status IN ('x')", ERR),
    ("params.a IN ('x')", ERR),
    ("params.a NOT IN ('x')", ERR),
    ("tags.a is null", ((T, "a", "IS NULL", None),)),
    ("datasets.name IS NULL", ERR),
    ("datasets.context IN ('train')", ((D, "context", "IN", ("train",)),)),
    ("dataset.digest != 'x'", ((D, "digest", "!=", "x"),)),
    ("`datasets`.context LIKE 'tr%'", ((D, "context", "LIKE", "tr%"),)),
    ("Metrics.a > 1", ERR),
    ("metrics.a == 1", ERR),
    ("metrics.a > +1", ERR),
    ("metrics.a > -1", ((M, "a", ">", -1),)),
    ("metrics.a > 1e3", ((M, "a", ">", 1000.0),)),
    ("metrics.a > .5", ((M, "a", ">", 0.5),)),
    ("params.'quoted' = 'x'", ((P, "quoted", "=", "x"),)),
    ("run.name = 'x'", ERR),
    ("metrics.a > 1 or metrics.b < 2", OR_TREE),
    ("(metrics.a > 1)", ((M, "a", ">", 1),)),
    ("params.a = 'x' AND", ((P, "a", "=", "x"),)),
    ("AND params.a = 'x' and AND params.b = 'y' AND", ((P, "a", "=", "x"), (P, "b", "=", "y"))),
    ("AND", ()),
    ("   ", ERR),
    ("params.a = 'it''s'", ((P, "a", "=", "it's"),)),
]

# filter -> (what MLflow does instead, why mlnb differs)
PARSE_DIFFERENCES: dict[str, tuple[Any, str]] = {
    "metrics.A > 0.1 OR params.B = 'LR'": (ERR, "OR is an mlnb extension"),
    "metrics.a > 1 or metrics.b < 2": (ERR, "OR is an mlnb extension"),
    "metrics.A > 0.1 AND (params.B = 'LR')": (ERR, "parentheses are an mlnb extension"),
    "(metrics.a > 1)": (ERR, "parentheses are an mlnb extension"),
    "params.a = 'it''s'": (
        ((P, "a", "=", "it''s"),),
        "mlnb reads a doubled quote as one quote, as SQL does; MLflow keeps both",
    ),
}

# --- matching: filter -> labels of the runs of tests.search_world it selects, or ERR ---------------
ALL = {"r1", "r2", "r3", "r4"}
MATCH_CASES: list[tuple[str, Any]] = [
    # params
    ("params.generic_param = 'p_val'", {"r1", "r2"}),
    ("params.generic_2 = 'some value'", {"r1"}),
    ("params.generic_2 = 'another value'", {"r2"}),
    ("params.generic_param = 'wrong_val'", set()),
    ("params.generic_param != 'p_val'", set()),
    ("params.generic_param != 'wrong_val'", {"r1", "r2"}),
    ("params.generic_2 != 'wrong_val'", {"r1", "r2"}),
    ("params.p_a = 'abc'", {"r1"}),
    ("params.p_a = 'ABC'", set()),
    ("params.p_a != 'ABC'", {"r1"}),
    ("params.p_b = 'ABC'", {"r2"}),
    ("params.generic_2 LIKE '%other%'", {"r2"}),
    ("params.generic_2 LIKE 'other%'", set()),
    ("params.generic_2 LIKE '%other'", set()),
    ("params.generic_2 LIKE 'other'", set()),
    ("params.generic_2 LIKE '%Other%'", set()),
    ("params.generic_2 ILIKE '%Other%'", {"r2"}),
    # tags
    ("tags.generic_tag = 'p_val'", {"r1", "r2"}),
    ("tags.generic_tag = 'P_VAL'", set()),
    ("tags.generic_tag != 'P_VAL'", {"r1", "r2"}),
    ("tags.generic_2 = 'some value'", {"r1"}),
    ("tags.generic_2 = 'another value'", {"r2"}),
    ("tags.generic_tag = 'wrong_val'", set()),
    ("tags.generic_tag != 'p_val'", set()),
    ("tags.generic_tag != 'wrong_val'", {"r1", "r2"}),
    ("tags.generic_2 != 'wrong_val'", {"r1", "r2"}),
    ("tags.p_a = 'abc'", {"r1"}),
    ("tags.p_b = 'ABC'", {"r2"}),
    ("tags.generic_2 LIKE '%other%'", {"r2"}),
    ("tags.generic_2 LIKE '%Other%'", set()),
    ("tags.generic_2 LIKE 'other%'", set()),
    ("tags.generic_2 LIKE '%other'", set()),
    ("tags.generic_2 LIKE 'other'", set()),
    ("tags.generic_2 ILIKE '%Other%'", {"r2"}),
    ("tags.generic_2 ILIKE '%Other%' and tags.generic_tag = 'p_val'", {"r2"}),
    ("tags.generic_2 ILIKE '%Other%' and tags.generic_tag ILIKE 'p_val'", {"r2"}),
    ("tags.`mlflow.runName` = 'beta'", {"r2"}),
    # metrics (the latest value of each key counts)
    ("metrics.common = 1.0", {"r1", "r2"}),
    ("metrics.common > 0.0", {"r1", "r2"}),
    ("metrics.common >= 0.0", {"r1", "r2"}),
    ("metrics.common < 4.0", {"r1", "r2"}),
    ("metrics.common <= 4.0", {"r1", "r2"}),
    ("metrics.common != 1.0", set()),
    ("metrics.common >= 3.0", set()),
    ("metrics.common <= 0.75", set()),
    ("metrics.measure_a > 0.0", {"r1", "r2"}),
    ("metrics.measure_a < 50.0", {"r1"}),
    ("metrics.measure_a < 1000.0", {"r1", "r2"}),
    ("metrics.measure_a != -12.0", {"r1", "r2"}),
    ("metrics.measure_a > 50.0", {"r2"}),
    ("metrics.measure_a = 1.0", {"r1"}),
    ("metrics.measure_a = 400.0", {"r2"}),
    ("metrics.m_a > 1.0", {"r1"}),
    ("metrics.m_b > 1.0", {"r2"}),
    ("metrics.m_b > 5.0", set()),
    ("metrics.m_b = 4.0", {"r2"}),
    ("metrics.x != 5", {"r3", "r4"}),  # NaN differs from every number
    ("metrics.x > 5", {"r4"}),
    # attributes
    ("", ALL),
    ("attribute.status != 'blah'", ALL),
    ("attribute.status = 'RUNNING'", {"r3"}),
    ("attribute.status = 'FAILED'", {"r2"}),
    ("attribute.status != 'SCHEDULED'", ALL),
    ("attribute.status = 'SCHEDULED'", set()),
    ("attribute.status = 'KILLED'", {"r4"}),
    ("attr.artifact_uri = '{uri_r1}'", {"r1"}),
    ("attribute.artifact_uri = 'random_artifact_path'", set()),
    ("attribute.artifact_uri != 'random_artifact_path'", ALL),
    ("attribute.artifact_uri LIKE '%{r1}%'", {"r1"}),
    ("attribute.artifact_uri LIKE '%{R1}%'", set()),
    ("attribute.artifact_uri ILIKE '%{R1}%'", {"r1"}),
    ("attribute.experiment_id = '1'", ERR),
    ("attribute.lifecycle_stage = 'ACTIVE'", ERR),
    ("attributes.user_id LIKE '%'", ALL),
    # params, metrics and attributes together
    ("params.generic_param = 'p_val' and metrics.common = 1.0", {"r1", "r2"}),
    ("params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0", {"r1"}),
    (
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a LIKE 'a%'",
        {"r1"},
    ),
    (
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a LIKE 'A%'",
        set(),
    ),
    (
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0 "
        "and params.p_a ILIKE 'A%'",
        {"r1"},
    ),
    ("params.random_bad_name = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0", set()),
    ("params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 100.0", set()),
    ("attributes.status = 'FAILED'", {"r2"}),
    ("metrics.key1 = 123", {"r2"}),
    ("metrics.key1 != 123", {"r1", "r3"}),
    ("metrics.key1 >= 123", {"r2", "r3"}),
    ("params.my_param = 'A'", {"r1", "r2"}),
    ("tags.tag1 = 'D'", {"r3"}),
    ("tags.tag1 != 'D'", {"r2"}),
    ("params.my_param = 'A' AND attributes.status = 'FAILED'", {"r2"}),
    # run names
    ("attributes.run_name = 'alpha'", {"r1"}),
    ("attributes.`Run name` = 'alpha'", {"r1"}),
    ("attributes.`run name` = 'beta'", {"r2"}),
    ("attributes.`Run Name` = 'beta'", {"r2"}),
    ("attributes.run_name ILIKE 'run%'", {"r4"}),
    ("run_name LIKE '%a'", {"r1", "r2", "r3"}),
    # run ids
    ("attributes.run_id = '{r1}'", {"r1"}),
    ("attributes.run_id != '{r1}'", {"r2", "r3", "r4"}),
    ("attributes.run_id IN ('{r1}')", {"r1"}),
    ("attributes.run_id NOT IN ('{r1}')", {"r2", "r3", "r4"}),
    ("run_name = 'alpha' AND run_id IN ('{r1}')", {"r1"}),
    ("attributes.run_id IN ('{r1}','{r2}')", {"r1", "r2"}),
    ("attributes.run_id IN ('{r1}',  '{r2}')", {"r1", "r2"}),
    ("attributes.run_id NOT IN ('{r1}', '{r2}')", {"r3", "r4"}),
    # times
    ("attributes.start_time > 0", ALL),
    ("attributes.created > 1500", {"r2", "r3", "r4"}),
    ("attributes.Created > 4000", set()),
    ("attributes.end_time >= 4000", {"r2", "r4"}),
    ("attributes.end_time = 2000", {"r1"}),
    # datasets (a condition holds when any dataset input of the run satisfies it)
    ("dataset.name = 'name1'", {"r1", "r2"}),
    ("dataset.digest = 'digest2'", {"r1", "r3"}),
    ("dataset.name = 'name4'", set()),
    ("dataset.context = 'train'", {"r1", "r2"}),
    ("dataset.context = 'test'", {"r3"}),
    ("dataset.context = 'test' and dataset.name = 'name2'", {"r3"}),
    ("dataset.name = 'name2' and dataset.context = 'test'", {"r3"}),
    ("datasets.name IN ('name1', 'name2')", {"r1", "r2", "r3"}),
    ("datasets.digest IN ('digest1', 'digest2')", {"r1", "r2", "r3"}),
    ("datasets.name LIKE 'Name%'", set()),
    ("datasets.name ILIKE 'Name%'", {"r1", "r2", "r3"}),
    ("datasets.context ILIKE 'test%'", {"r3"}),
    ("datasets.context IN ('test', 'train')", {"r1", "r2", "r3"}),
    ("datasets.name = 'name1' AND datasets.digest = 'digest2'", {"r1"}),
    ("datasets.name != 'name1'", {"r1", "r2", "r3"}),
    ("datasets.context NOT IN ('train')", {"r1", "r2", "r3"}),
    ("params.my_param = 'A' AND dataset.context = 'train'", {"r1", "r2"}),
    ("params.generic_2 = 'some value' AND dataset.name = 'name1'", {"r1"}),
    # IS NULL
    ("tags.env IS NOT NULL", {"r4"}),
    ("tags.env IS NULL", {"r1", "r2", "r3"}),
    ("params.lr IS NOT NULL", {"r4"}),
    ("params.lr IS NULL", {"r1", "r2", "r3"}),
    # mlnb's extensions
    ("metrics.common = 1.0 OR tags.tag1 = 'D'", {"r1", "r2", "r3"}),
    ("(params.my_param = 'B' OR params.lr = '0.01') AND metrics.x > 0", {"r4"}),
]

MATCH_DIFFERENCES: dict[str, tuple[Any, str]] = {
    "metrics.common = 1.0 OR tags.tag1 = 'D'": (ERR, "OR is an mlnb extension"),
    "(params.my_param = 'B' OR params.lr = '0.01') AND metrics.x > 0": (
        ERR,
        "OR and parentheses are mlnb extensions",
    ),
}

# --- ordering: order_by -> labels in order, or ERR ---------------------------------------------------
DEFAULT = ["r4", "r2", "r3", "r1"]  # start_time DESC, then run_id
ORDER_CASES: list[tuple[list[str] | None, Any]] = [
    (None, DEFAULT),
    ([], DEFAULT),
    (["tags.noSuchTag"], DEFAULT),
    (["attributes.status"], ["r2", "r1", "r4", "r3"]),
    (["attributes.start_time"], ["r1", "r3", "r2", "r4"]),
    (["metrics.key1 asc"], ["r1", "r2", "r3", "r4"]),
    (['metrics."key1"  desc'], ["r3", "r2", "r1", "r4"]),
    (["params.my_param"], ["r2", "r1", "r3", "r4"]),
    (["params.my_param aSc", "attributes.status  ASC"], ["r2", "r1", "r3", "r4"]),
    (["params.my_param", "attributes.status DESC"], ["r1", "r2", "r3", "r4"]),
    (["params.my_param DESC", "attributes.status   DESC"], ["r3", "r1", "r2", "r4"]),
    (["params.`my_param` DESC", "attributes.status DESC"], ["r3", "r1", "r2", "r4"]),
    (["tags.tag1"], ["r2", "r3", "r4", "r1"]),
    (["tags.tag1    DESC"], ["r3", "r2", "r4", "r1"]),
    (["metrics.x asc"], ["r4", "r3", "r2", "r1"]),  # NaN after numbers, then runs without x
    (["metrics.x desc"], ["r4", "r3", "r2", "r1"]),
    (["attribute.end_time asc"], ["r1", "r2", "r4", "r3"]),
    (["attribute.end_time desc"], ["r4", "r2", "r1", "r3"]),
    (["created DESC"], DEFAULT),
    (["attributes.Created"], ["r1", "r3", "r2", "r4"]),
    (["attributes.run_name"], ["r4", "r1", "r2", "r3"]),  # code-point order: 'R' < 'a'
    (["metrics.`legit name` DESC"], ["r1", "r4", "r2", "r3"]),
    (["m.acc"], ERR),
    (["acc"], ERR),
    (["attri.x"], ERR),
    (["`metrics.A"], ERR),
    (["`metrics.A`"], ERR),
    (["attribute.start"], ERR),
    (["attribute.experiment_id"], ERR),
    (["metrics.A != 1"], ERR),
    (["params.my_param "], ERR),
    (["attribute.run_id ACS"], ERR),
    (["attribute.run_id decs"], ERR),
    (["attributes.`Run name`"], ERR),
    (["dataset.name"], ERR),
]


# --- how each side is asked ----------------------------------------------------------------------------
def _flat(node: Any) -> Any:
    if node is None:
        return ()
    if isinstance(node, Comparison):
        return ((node.kind, node.key, node.op, node.value),)
    assert isinstance(node, BoolOp)
    if node.op == "OR":
        return OR_TREE
    return tuple(c for item in node.items for c in _flat(item))


def _mlnb_parse(text: str) -> Any:
    try:
        return _flat(parse_filter(text))
    except FilterSyntaxError:
        return ERR


def _labels(world: Any, run_ids: list[str]) -> list[str]:
    return [world.label_of[r] for r in run_ids]


@pytest.fixture
def mlnb_world(store: Any) -> tuple[Any, str, Any]:
    exp_id, world = build_mlnb(store)
    return store, exp_id, world


def _mlnb_search(mlnb_world: Any, filter_string: str | None, order_by: list[str] | None = None) -> Any:
    store, exp_id, world = mlnb_world
    try:
        found = store.search_runs([exp_id], world.fill(filter_string or ""), order_by)
    except FilterSyntaxError:
        return ERR
    return _labels(world, found.run_ids)


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_mlnb_parses_as_tabled(text: str, expected: Any) -> None:
    assert _mlnb_parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_mlnb_matches_as_tabled(mlnb_world: Any, text: str, expected: Any) -> None:
    found = _mlnb_search(mlnb_world, text)
    assert found == ERR if expected == ERR else set(found) == expected


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_mlnb_orders_as_tabled(mlnb_world: Any, order_by: list[str] | None, expected: Any) -> None:
    assert _mlnb_search(mlnb_world, None, order_by) == expected


def test_tables_name_every_difference() -> None:
    assert set(PARSE_DIFFERENCES) <= {t for t, _ in PARSE_CASES}
    assert set(MATCH_DIFFERENCES) <= {t for t, _ in MATCH_CASES}
    assert all(math.isfinite(spec.start_time) for spec in RUNS.values())


# --- the same tables against real MLflow ------------------------------------------------------------------
_MLFLOW_KIND = {"metric": M, "parameter": P, "tag": T, "attribute": A, "dataset": D}


@pytest.fixture(scope="module")
def mlflow_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, Any]:
    pytest.importorskip("mlflow")
    tmp: Path = tmp_path_factory.mktemp("mlflow_cases")
    return build_mlflow(tmp)


def _mlflow_search(mlflow_world: Any, filter_string: str | None, order_by: list[str] | None = None) -> Any:
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    client, exp_id, world = mlflow_world
    try:
        runs = client.search_runs(
            [exp_id], world.fill(filter_string or ""), ViewType.ACTIVE_ONLY, 1000, order_by
        )
    except MlflowException:
        return ERR
    return _labels(world, [r.info.run_id for r in runs])


def _mlflow_parse(mlflow_world: Any, text: str) -> Any:
    from mlflow.utils.search_utils import SearchUtils

    if _mlflow_search(mlflow_world, text) == ERR:  # the store also checks each comparator
        return ERR
    out = []
    for c in SearchUtils.parse_search_filter(text):
        kind, key, op, value = _MLFLOW_KIND[c["type"]], c["key"], c["comparator"].upper(), c["value"]
        if kind == A:
            key = SearchUtils.translate_key_alias(key)
        if kind == M:
            value = float(value)
        elif isinstance(value, list | tuple):
            value = tuple(value)
        out.append((kind, key, op, value))
    return tuple(out)


@pytest.mark.mlflow
@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_mlflow_parses_as_tabled(mlflow_world: Any, text: str, expected: Any) -> None:
    expected = PARSE_DIFFERENCES.get(text, (expected,))[0]
    assert _mlflow_parse(mlflow_world, text) == expected


@pytest.mark.mlflow
@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_mlflow_matches_as_tabled(mlflow_world: Any, text: str, expected: Any) -> None:
    expected = MATCH_DIFFERENCES.get(text, (expected,))[0]
    found = _mlflow_search(mlflow_world, text)
    assert found == ERR if expected == ERR else set(found) == expected


@pytest.mark.mlflow
@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_mlflow_orders_as_tabled(mlflow_world: Any, order_by: list[str] | None, expected: Any) -> None:
    assert _mlflow_search(mlflow_world, None, order_by) == expected
