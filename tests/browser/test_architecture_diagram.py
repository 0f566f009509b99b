"""The import diagram in docs/architecture.md renders: Mermaid (the version JupyterLab ships, as
GitHub would draw it) parses it in Chromium and draws every package and edge the script wrote."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MERMAID = ROOT / "labextension" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def test_architecture_diagram_renders_with_every_node_and_edge(browser: Any) -> None:
    if not MERMAID.exists():
        pytest.fail(f"{MERMAID} is missing: build the lab extension first (cd labextension && jlpm install)")
    text = (ROOT / "docs" / "architecture.md").read_text()
    diagram = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert diagram, "docs/architecture.md has no mermaid block"
    source = diagram.group(1)
    nodes = set(re.findall(r"^\s+(\w+)\[", source, re.M))
    edges = re.findall(r"^\s+\w+ (?:-->|-\.->\|upward\|) \w+$", source, re.M)
    page = browser.new_page()
    try:
        page.set_content("<html><body><div id='diagram'></div></body></html>")
        page.add_script_tag(path=str(MERMAID))
        drawn = page.evaluate(
            """async (source) => {
                mermaid.initialize({startOnLoad: false});
                try {
                    const {svg} = await mermaid.render('imports', source);
                    document.getElementById('diagram').innerHTML = svg;
                } catch (error) {
                    return {error: String(error)};
                }
                const root = document.getElementById('diagram');
                return {
                    nodes: root.querySelectorAll('g.node').length,
                    edges: root.querySelectorAll('path.flowchart-link').length,
                    text: root.textContent,
                };
            }""",
            source,
        )
    finally:
        page.close()
    assert "error" not in drawn, f"Mermaid cannot draw docs/architecture.md's diagram: {drawn['error']}"
    assert drawn["nodes"] == len(nodes) > 10
    assert drawn["edges"] == len(edges) > 20
    for name in ("store", "tracking", "registry", "capture", "widgets", "magics"):
        assert name in drawn["text"]
