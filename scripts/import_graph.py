"""The package's import graph: the map in docs/architecture.md and the house's figures.

    python scripts/import_graph.py            # rewrite the diagram in docs/architecture.md
    python scripts/import_graph.py --check    # exit 1 if the diagram is out of date (CI)
    python scripts/import_graph.py --figures  # cycles, private imports, store internals, sizes

The graph and the rules are in scripts/architecture.py (tests/test_architecture.py checks the same
rules in CI); grimp's graph counts imports inside functions too, so a lazy import is an edge like
any other.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# the rules live in one module beside this one, shared with tests/test_architecture.py
from scripts.architecture import (
    DOC,
    PACKAGE,
    build_graph,
    cycles,
    mermaid,
    module_name,
    private_imports,
    store_backend_imports,
    updated_doc,
)


def any_count() -> int:
    """``Any`` written in annotations (arguments, returns, variables, aliases, casts)."""
    n = 0
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            named = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            if named == "Any" and isinstance(node, ast.Name | ast.Attribute):
                n += 1
    return n


def figures() -> None:
    graph = build_graph()
    sizes = sorted(
        (len(p.read_text().splitlines()), module_name(p)) for p in PACKAGE.rglob("*.py")
    )
    cyc = cycles(graph)
    priv = private_imports()
    internals = store_backend_imports(graph)
    print(f"modules: {len(sizes)}")
    print(f"module cycles (strongly connected groups): {len(cyc)}")
    for group in cyc:
        print("   ", " ↔ ".join(group))
    print(f"cross-module private imports: {len(priv)}")
    for found in priv:
        print(f"    {found}")
    print(f"imports of store backend modules from above the store: {len(internals)}")
    for importer, imported, lines in internals:
        print(f"    {importer}:{','.join(map(str, lines))} -> {imported}")
    print(f"Any in annotations: {any_count()}")
    print(f"largest module: {sizes[-1][1]} ({sizes[-1][0]} lines)")
    print(f"median module: {statistics.median(s for s, _ in sizes):.0f} lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the diagram is stale")
    parser.add_argument("--figures", action="store_true", help="print the house's figures")
    args = parser.parse_args(argv)
    if args.figures:
        figures()
        return 0
    diagram = mermaid(build_graph())
    text = DOC.read_text(encoding="utf-8")
    try:
        new = updated_doc(text, diagram)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.check:
        if new != text:
            print(
                "docs/architecture.md's import diagram is out of date: "
                "run `python scripts/import_graph.py` and commit the result",
                file=sys.stderr,
            )
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
