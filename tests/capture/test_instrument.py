"""AST analysis of a tracked cell: sites, assignment names, prediction origins, literal params."""

from __future__ import annotations

import ast

from mlnb.capture import probe
from mlnb.capture.instrument import CellPlan, instrument


def plan_of(code: str) -> CellPlan:
    plan = CellPlan()
    instrument(ast.parse(code), plan)
    return plan


def sites(plan: CellPlan) -> list[tuple[str, str, str | None, str | None]]:
    return [(s.kind, s.name, s.target, s.dataset) for s in plan.sites.values()]


def test_metric_named_by_assignment_and_dataset_from_predictions():
    plan = plan_of(
        "y_pred = m.predict(X_test)\nacc = accuracy_score(y_test, y_pred[:50])\nf1_score(y_test, y_pred.copy())"
    )
    assert sites(plan) == [
        ("predict", "predict", None, "X_test"),
        ("metric", "accuracy_score", "acc", "X_test"),
        ("metric", "f1_score", None, "X_test"),
    ]


def test_origin_follows_derived_variables_and_is_dropped_on_rebinding():
    plan = plan_of("p = m.predict(X_val)\nq = p[:10]\np = [1, 2]\nr2_score(t, p)\nr2_score(t, q)")
    assert [s.dataset for s in plan.sites.values() if s.kind == "metric"] == ["p", "X_val"]


def test_tuple_assignment_names_each_metric():
    plan = plan_of("a, b = accuracy_score(y, p), f1_score(y, p)")
    assert [s.target for s in plan.sites.values()] == ["a", "b"]


def test_literal_params_only_from_top_level_literals():
    plan = plan_of(
        "C = 0.5\nname = 'lr'\nneg = -3\nlayers = (64, 32)\n_private = 1\nx = compute()\nif True:\n    inner = 2"
    )
    assert plan.literals == {"C": 0.5, "name": "lr", "neg": -3, "layers": (64, 32)}


def test_code_inside_functions_is_not_instrumented():
    plan = plan_of("def train():\n    return m.fit(X, y)\nlam = lambda: accuracy_score(a, b)")
    assert plan.sites == {}


def test_instrumented_code_computes_the_same_values_and_records():
    code = "class M:\n    def fit(self, X, y=None):\n        return self\nm = M().fit([1], y=[2])\nout = m"
    tree = instrument(ast.parse(code), plan := CellPlan())
    recorder = probe.Recorder()
    previous = probe.install(recorder)
    ns: dict = {}
    try:
        exec(compile(tree, "<cell>", "exec"), ns)
    finally:
        probe.install(previous)
    assert ns["out"] is ns["m"]
    (event,) = recorder.events
    assert event.done and event.receiver is ns["m"] and event.args == {0: [1], "y": [2]}
    assert plan.sites[event.site].target == "m"


def test_probes_without_a_recorder_are_identity():
    assert probe._recorder is None
    marker = object()
    assert probe.recv(0, marker) is marker and probe.done(0, marker) is marker


def test_recorder_keeps_numbers_only_and_caps_events_per_site():
    recorder = probe.Recorder()
    previous = probe.install(recorder)
    try:
        for i in range(probe.MAX_EVENTS_PER_SITE + 50):
            probe.arg(0, 0, [i])
            probe.done(0, [i] * 3)  # a prediction: not kept
            probe.done(1, 0.5)  # a metric value: kept
    finally:
        probe.install(previous)
    site0 = [e for e in recorder.events if e.site == 0]
    assert len(site0) == probe.MAX_EVENTS_PER_SITE
    assert all(e.value is None and e.done for e in site0)
    assert {e.value for e in recorder.events if e.site == 1} == {0.5}
