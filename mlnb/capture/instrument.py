"""Read a tracked cell's AST and instrument its top-level estimator and metric calls.

The cell's code is analysed once, before it runs:

* top-level literal assignments (``C = 0.5``) become params;
* ``x.fit(...)``, ``x.fit_transform(...)``, ``x.fit_predict(...)`` are fit sites: their receiver
  and ``X``/``y`` arguments are probed;
* ``x.predict(...)`` and friends register where predictions come from, so a metric computed on
  ``y_pred``, ``y_pred[:50]`` or ``y_pred.copy()`` is named after the dataset (``X_test``);
* calls to functions named like sklearn metrics (``*_score``, ``*_error``, ``*_loss``...) and
  ``x.score(...)`` are metric sites, named by the variable they are assigned to.

Instrumentation only wraps sub-expressions in pass-through probes (:mod:`mlnb.capture.probe`);
the user's calls stay in the cell's frame.  Code inside ``def``/``class``/``lambda`` is left
alone: "top-level" means what the cell itself executes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

FIT_METHODS = frozenset({"fit", "fit_transform", "fit_predict"})
PREDICT_METHODS = frozenset(
    {"predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "fit_predict"}
)
# the names of metric functions (sklearn's and look-alikes); autolog patches sklearn's by it
METRIC_NAME = re.compile(r"^[a-z0-9_]*(score|error|loss|deviance|corrcoef)$")
_PROBE_MODULE = "mlnb.capture.probe"
_LITERAL_TYPES = (str, int, float, bool, type(None))


@dataclass
class Site:
    """One instrumented call in the cell."""

    id: int
    kind: str  # "fit" | "predict" | "score" | "metric"
    name: str  # method or function name as written
    target: str | None = None  # variable the call's result is assigned to
    receiver: str | None = None  # root variable of the receiver (``pipe`` in ``pipe.fit``)
    dataset: str | None = None  # dataset name for metric keys
    model: str | None = None  # metric sites: root variable of the estimator that predicted the data
    args: tuple[str | None, ...] = ()  # root variable of the probed arguments (X, y)
    lineno: int = 0


@dataclass
class CellPlan:
    """What the analysis found; filled by :func:`instrument`, read after the cell ran."""

    sites: dict[int, Site] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict)
    # variable -> dataset its values were predicted from; kept across the cells of a session
    origins: dict[str, str] = field(default_factory=dict)
    # variable -> root variable of the estimator that predicted it (autolog's metric -> run link)
    models: dict[str, str] = field(default_factory=dict)
    next_id: int = 0

    def new_site(self, **kwargs: Any) -> Site:
        site = Site(id=self.next_id, **kwargs)
        self.sites[site.id] = site
        self.next_id += 1
        return site


def root_name(node: ast.AST | None) -> str | None:
    """The variable an expression starts from: ``X_test`` for ``X_test.iloc[:50]``."""
    while node is not None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None
    return None


def _method(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_metric_call(call: ast.Call) -> bool:
    name = _callee_name(call)
    return name is not None and name != "score" and bool(METRIC_NAME.match(name))


def _probe(func: str, *args: ast.expr) -> ast.Call:
    module = ast.Call(
        func=ast.Name("__import__", ast.Load()),
        args=[ast.Constant(_PROBE_MODULE)],
        keywords=[ast.keyword("fromlist", ast.Tuple([ast.Constant("_")], ast.Load()))],
    )
    return ast.Call(func=ast.Attribute(module, func, ast.Load()), args=list(args), keywords=[])


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node)
    except Exception:
        return False, None
    if isinstance(value, _LITERAL_TYPES):
        return True, value
    if (
        isinstance(value, tuple | list)
        and len(value) <= 20
        and all(isinstance(v, _LITERAL_TYPES) for v in value)
    ):
        return True, value
    return False, None


class _Instrumenter(ast.NodeTransformer):
    def __init__(self, plan: CellPlan) -> None:
        self.plan = plan
        self.targets: dict[int, str] = {}  # id(call node) -> assignment target

    # -- scopes we leave alone ---------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef

    # -- assignments: names for results, origins for predictions ------------------------------
    def _note_targets(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            calls = [n for n in ast.walk(value) if isinstance(n, ast.Call) and self._named_kind(n)]
            metric_calls = [c for c in calls if self._named_kind(c) == "metric"]
            fit_calls = [c for c in calls if self._named_kind(c) == "fit"]
            for group in (metric_calls, fit_calls):
                if len(group) == 1:
                    self.targets[id(group[0])] = target.id
        elif (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
        ):
            for t, v in zip(target.elts, value.elts, strict=True):
                self._note_targets(t, v)

    def _named_kind(self, call: ast.Call) -> str | None:
        method = _method(call)
        if method == "score" or _is_metric_call(call):
            return "metric"
        if method in FIT_METHODS:
            return "fit"
        return None

    def _source_of(self, value: ast.expr) -> tuple[str | None, str | None]:
        """(dataset, estimator variable) the values of ``value`` were predicted from."""
        for node in ast.walk(value):
            if isinstance(node, ast.Call) and _method(node) in PREDICT_METHODS and node.args:
                model = root_name(node.func.value)  # type: ignore[attr-defined]
                return root_name(node.args[0]) or "unknown_dataset", model
        for node in ast.walk(value):
            if isinstance(node, ast.Name) and node.id in self.plan.origins:
                return self.plan.origins[node.id], self.plan.models.get(node.id)
        return None, None

    def _origin_of(self, value: ast.expr) -> str | None:
        return self._source_of(value)[0]

    def _apply_origin(self, target: ast.expr, source: tuple[str | None, str | None]) -> None:
        origin, model = source
        if isinstance(target, ast.Name):
            if origin is None:
                self.plan.origins.pop(target.id, None)
            else:
                self.plan.origins[target.id] = origin
            if model is None:
                self.plan.models.pop(target.id, None)
            else:
                self.plan.models[target.id] = model
            return
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.plan.origins.pop(node.id, None)
                self.plan.models.pop(node.id, None)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if len(node.targets) == 1:
            self._note_targets(node.targets[0], node.value)
        source = self._source_of(node.value)  # before the value is rewritten
        self.generic_visit(node)
        for target in node.targets:
            self._apply_origin(target, source)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        source: tuple[str | None, str | None] = (None, None)
        if node.value is not None:
            self._note_targets(node.target, node.value)
            source = self._source_of(node.value)
        self.generic_visit(node)
        self._apply_origin(node.target, source)
        return node

    def visit_For(self, node: ast.For | ast.AsyncFor) -> ast.AST:
        self._apply_origin(node.target, (None, None))
        self.generic_visit(node)
        return node

    visit_AsyncFor = visit_For

    # -- calls --------------------------------------------------------------------------------
    def _metric_source(self, call: ast.Call) -> tuple[str, str | None]:
        """(dataset, estimator variable) of a metric call's predictions."""
        exprs = [*call.args, *(k.value for k in call.keywords)]
        for expr in exprs:
            origin, model = self._source_of(expr)
            if origin is not None:
                return origin, model
        fallback = root_name(call.args[1]) if len(call.args) > 1 else None
        return fallback or "unknown_dataset", None

    def visit_Call(self, node: ast.Call) -> ast.AST:
        method = _method(node)
        site: Site | None = None
        if method in FIT_METHODS or method in PREDICT_METHODS or method == "score":
            kind = "fit" if method in FIT_METHODS else ("score" if method == "score" else "predict")
            dataset = root_name(node.args[0]) if node.args else None
            site = self.plan.new_site(
                kind=kind,
                name=method,
                target=self.targets.get(id(node)),
                receiver=root_name(node.func.value),  # type: ignore[attr-defined]
                dataset=dataset or "unknown_dataset",
                args=tuple(root_name(a) for a in node.args[:2]),
                lineno=getattr(node, "lineno", 0),
            )
        elif _is_metric_call(node):
            dataset, model = self._metric_source(node)
            site = self.plan.new_site(
                kind="metric",
                name=_callee_name(node) or "metric",
                target=self.targets.get(id(node)),
                dataset=dataset,
                model=model,
                lineno=getattr(node, "lineno", 0),
            )
        self.generic_visit(node)
        if site is None:
            return node
        sid = ast.Constant(site.id)
        if site.kind == "metric":
            node.func = _probe("fn", sid, node.func)
        else:
            func = node.func
            assert isinstance(func, ast.Attribute)
            func.value = _probe("recv", sid, func.value)
            limit = 2 if site.kind == "fit" else 1
            for i, a in enumerate(node.args[:limit]):
                if isinstance(a, ast.Starred):
                    break
                node.args[i] = _probe("arg", sid, ast.Constant(i), a)
            for kw in node.keywords:
                if kw.arg in ("X", "y"):
                    kw.value = _probe("arg", sid, ast.Constant(kw.arg), kw.value)
        wrapped = _probe("done", sid, node)
        return ast.copy_location(wrapped, node)


def _walk_statements(plan: CellPlan, body: list[ast.stmt], walker: _Instrumenter, top: bool) -> None:
    for i, stmt in enumerate(body):
        if top and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                ok, value = _literal(stmt.value)
                if ok:
                    plan.literals[target.id] = value
                else:
                    plan.literals.pop(target.id, None)
        body[i] = walker.visit(stmt)


def instrument(tree: ast.AST, plan: CellPlan) -> ast.AST:
    """Instrument ``tree`` (a Module, Interactive or Expression) in place; fill ``plan``.

    Examples
    --------
    >>> plan = CellPlan()
    >>> tree = instrument(ast.parse("acc = accuracy_score(y, m.predict(X_test))"), plan)
    >>> [(s.kind, s.target, s.dataset) for s in plan.sites.values()]
    [('metric', 'acc', 'X_test'), ('predict', None, 'X_test')]
    """
    walker = _Instrumenter(plan)
    if isinstance(tree, ast.Module | ast.Interactive):
        _walk_statements(plan, tree.body, walker, top=True)
    elif isinstance(tree, ast.Expression):
        tree.body = walker.visit(tree.body)
    else:
        return tree
    return ast.fix_missing_locations(tree)
