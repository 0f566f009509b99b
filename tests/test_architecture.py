"""The house rules, checked on the whole package (issue 16; docs/architecture.md explains them).

* no import cycle between modules (grimp's graph, lazy imports included; ``load_ipython_extension``
  in the package root imports ``mlnb.magics``, which never imports the root back);
* no import of another module's ``_private`` name, nor of a private module from outside its package;
* above ``mlnb.store`` only the store's contract modules are imported, never a backend;
* only ``mlnb.magics`` touches IPython's magic machinery;
* the diagram in docs/architecture.md is the current import graph.

The rules themselves live in ``scripts/architecture.py`` (one definition, shared with
``scripts/import_graph.py``); the last tests prove each checker catches what it is for on a tiny
package written to ``tmp_path``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from scripts.architecture import (
    ALLOWED_CYCLES,
    DOC,
    STORE_CONTRACT,
    build_graph,
    cycle_edges,
    cycles,
    external_imports,
    mermaid,
    private_imports,
    store_backend_imports,
    updated_doc,
)

MAGIC_MACHINERY = ["IPython.core.magic", "IPython.core.magic_arguments", "IPython.core.magics"]


@pytest.fixture(scope="module")
def graph() -> Any:
    return build_graph()


def _lines(lines: list[int]) -> str:
    return ",".join(map(str, lines))


def test_no_import_cycles(graph: Any) -> None:
    groups = [g for g in cycles(graph) if frozenset(g) not in ALLOWED_CYCLES]
    report = []
    for group in groups:
        report.append(f"cycle between {len(group)} modules: {' ↔ '.join(group)}")
        report += [f"    {a}:{_lines(n)} imports {b}" for a, b, n in cycle_edges(graph, group)]
    assert not groups, (
        f"{len(groups)} import cycle(s) (lazy imports inside functions count too):\n"
        + "\n".join(report)
        + "\nFix: make the lower module not import the higher one — move the shared code down "
        "into the module both use, pass the value in as an argument, or have the lower layer own "
        "an observer (e.g. mlnb.tracking.events) that the higher one subscribes to."
    )


def test_no_private_imports_across_modules() -> None:
    found = private_imports()
    assert not found, (
        f"{len(found)} import(s) of another module's private name or of a private module from "
        "outside its package (a leading underscore means 'nobody outside this file'):\n"
        + "\n".join(f"    {f}" for f in found)
        + "\nFix: make the name public in the module that owns it (rename it, updating every user "
        "in mlnb and tests), or move it into the module that uses it."
    )


def test_no_store_backend_imported_above_the_store(graph: Any) -> None:
    found = store_backend_imports(graph)
    assert not found, (
        f"{len(found)} import(s) of a store backend module from outside mlnb.store:\n"
        + "\n".join(f"    {a}:{_lines(n)} imports {b}" for a, b, n in found)
        + "\nFix: go through the store's contract — the Store Protocol (mlnb.store.base), "
        "store.artifacts (ArtifactRepository, mlnb.store.repository), store.registry "
        "(RegistryStore, mlnb.store.registry_base) — or the contract modules: "
        + ", ".join(sorted(STORE_CONTRACT))
    )


def test_import_linter_contracts_use_the_one_store_contract() -> None:
    """pyproject's forbidden contracts name the contract modules by ignoring imports of them;
    that list must be STORE_CONTRACT, or lint-imports and this file check different rules."""
    config = tomllib.loads((DOC.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    store_contracts = [c for c in contracts if c.get("forbidden_modules") == ["mlnb.store.**"]]
    assert len(store_contracts) == 2
    for contract in store_contracts:
        allowed = {expression.split(" -> ")[1] for expression in contract["ignore_imports"]}
        assert allowed == STORE_CONTRACT, (
            f"pyproject.toml contract {contract['name']!r} ignores imports of "
            f"{sorted(allowed ^ STORE_CONTRACT)} differently from scripts/architecture.py "
            "STORE_CONTRACT: make the two lists the same"
        )


def test_only_magics_uses_ipython_magic_machinery() -> None:
    found = [f for f in external_imports(DOC.parent.parent / "mlnb", MAGIC_MACHINERY)
             if f.importer != "mlnb.magics"]
    assert not found, (
        "IPython's magic machinery imported outside mlnb.magics:\n"
        + "\n".join(f"    {f}" for f in found)
        + "\nFix: keep magics, their arguments and UsageError parsing in mlnb/magics.py and call "
        "a plain function below it."
    )


def test_architecture_diagram_is_current(graph: Any) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert updated_doc(text, mermaid(graph)) == text, (
        "the import diagram in docs/architecture.md is out of date: run "
        "`python scripts/import_graph.py` and commit docs/architecture.md"
    )


# -- the checkers themselves, on a package small enough to know every answer -----------------

TOY = {
    "__init__.py": "__version__ = '1'\n",
    "a.py": """
        def _helper():
            return 1

        def public():
            from toyhouse import b  # lazy: still an edge, so a -> b -> a is a cycle
            return b
        """,
    "b.py": "from toyhouse import a\n",
    "c.py": """
        from toyhouse import __version__
        from toyhouse.a import _helper, public
        from toyhouse.sub import _inner
        from toyhouse.store import base, sql
        """,
    "e.py": """
        from toyhouse import a
        import toyhouse.sub.ok

        def f():
            return a._helper() + toyhouse.sub.ok._hidden + a.public()
        """,
    "sub/__init__.py": "",
    "sub/_inner.py": "X = 1\n",
    "sub/ok.py": """
        from toyhouse.sub import _inner
        from . import _inner as inner_again
        from ._inner import X
        _hidden = X
        """,
    "store/__init__.py": "",
    "store/base.py": "",
    "store/sql.py": "from toyhouse.store import base\n",
    "store/cache.py": "from toyhouse.store import sql\n",
}


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    for name, source in TOY.items():
        path = tmp_path / "toyhouse" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(source))
    return tmp_path


def test_cycle_checker_finds_a_cycle_through_a_lazy_import(toy: Path) -> None:
    graph = build_graph("toyhouse", toy)
    assert cycles(graph) == [["toyhouse.a", "toyhouse.b"]]
    assert cycle_edges(graph, ["toyhouse.a", "toyhouse.b"]) == [
        ("toyhouse.a", "toyhouse.b", [6]),
        ("toyhouse.b", "toyhouse.a", [1]),
    ]


def test_private_import_checker_finds_names_modules_and_attribute_access(toy: Path) -> None:
    found = [str(f) for f in private_imports(toy / "toyhouse")]
    assert found == [
        "toyhouse.c:3 → toyhouse.a._helper",
        "toyhouse.c:4 → toyhouse.sub._inner",
        "toyhouse.e:6 → toyhouse.a._helper",
        "toyhouse.e:6 → toyhouse.sub.ok._hidden",
    ]


def test_store_backend_checker_allows_the_contract_and_the_store_itself(toy: Path) -> None:
    graph = build_graph("toyhouse", toy)
    contract = frozenset({"toyhouse.store", "toyhouse.store.base"})
    assert store_backend_imports(graph, "toyhouse.store", contract) == [
        ("toyhouse.c", "toyhouse.store.sql", [5]),
    ]


def test_external_import_checker_sees_submodules_of_a_library(toy: Path) -> None:
    (toy / "toyhouse" / "m.py").write_text("from IPython.core.magic import Magics\nimport IPython\n")
    found = [str(f) for f in external_imports(toy / "toyhouse", MAGIC_MACHINERY)]
    assert found == ["toyhouse.m:1 → IPython.core.magic"]
