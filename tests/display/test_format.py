"""One set of display rules in two languages: Python and the TypeScript front ends agree on a table.

``format_cases.json`` lists inputs and the text every surface must show for them (the run card,
panels, static fallbacks and CLI through ``mlnb.display.format``; the sidebar and the widgets
through ``labextension/src/format.ts``).  The TypeScript module is bundled with the esbuild the lab
extension's build installs and run in node on the same table.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from mlnb.display import format as fmt

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((Path(__file__).parent / "format_cases.json").read_text(encoding="utf-8"))
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _value(raw):
    return SPECIAL.get(raw, raw) if isinstance(raw, str) else raw


def _python_results() -> dict[str, list[str]]:
    return {
        "number": [fmt.number(_value(v)) for v, _ in CASES["number"]],
        "delta": [fmt.delta(_value(v)) for v, _ in CASES["delta"]],
        "duration": [fmt.duration(v) for v, _ in CASES["duration"]],
        "timestamp_utc": [fmt.timestamp(v, utc=True) for v, _ in CASES["timestamp_utc"]],
        "ago": [fmt.ago(ms, now, utc=True) for ms, now, _ in CASES["ago"]],
        "count": [fmt.count(n, noun, plural) for n, noun, plural, _ in CASES["count"]],
        "size": [fmt.size(v) for v, _ in CASES["size"]],
        "short_id": [fmt.short_id(v) for v, _ in CASES["short_id"]],
    }


_NODE_DRIVER = """
import * as f from './format.mjs';
import { readFileSync } from 'node:fs';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const v = raw => ({ NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity })[raw] ?? raw;
const out = {
  number: cases.number.map(([x]) => f.formatNumber(v(x))),
  delta: cases.delta.map(([x]) => f.formatDelta(v(x))),
  duration: cases.duration.map(([x]) => f.formatDuration(x)),
  timestamp_utc: cases.timestamp_utc.map(([x]) => f.formatTimestamp(x, true)),
  ago: cases.ago.map(([ms, now]) => f.formatAgo(ms, now, true)),
  count: cases.count.map(([n, noun, plural]) => f.formatCount(n, noun, plural ?? undefined)),
  size: cases.size.map(([x]) => f.formatBytes(x)),
  short_id: cases.short_id.map(([x]) => f.shortId(x)),
};
process.stdout.write(JSON.stringify(out));
"""


def _typescript_results(tmp_path: Path) -> dict[str, list[str]]:
    esbuild = ROOT / "labextension" / "node_modules" / ".bin" / "esbuild"
    node = shutil.which("node")
    if node is None or not esbuild.exists():
        pytest.fail("node and labextension's esbuild are needed (pip install -e . builds them)")
    subprocess.run(
        [str(esbuild), str(ROOT / "labextension" / "src" / "format.ts"), "--format=esm",
         f"--outfile={tmp_path / 'format.mjs'}", "--log-level=warning"],
        check=True,
    )
    (tmp_path / "driver.mjs").write_text(_NODE_DRIVER, encoding="utf-8")
    done = subprocess.run(
        [node, str(tmp_path / "driver.mjs"), str(Path(__file__).parent / "format_cases.json")],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout)


def _expected() -> dict[str, list[str]]:
    return {kind: [row[-1] for row in rows] for kind, rows in CASES.items()}


def test_python_follows_the_table() -> None:
    assert _python_results() == _expected()


def test_typescript_follows_the_same_table(tmp_path: Path) -> None:
    ours = _typescript_results(tmp_path)
    for kind, expected in _expected().items():
        inputs = [row[:-1] for row in CASES[kind]]
        wrong = [(i, got, want) for i, got, want in zip(inputs, ours[kind], expected, strict=True) if got != want]
        assert not wrong, f"{kind}: (input, typescript, table) {wrong}"


def test_the_table_covers_rounding_ties_and_every_range() -> None:
    numbers = [_value(v) for v, _ in CASES["number"]]
    finite = [abs(x) for x in numbers if isinstance(x, float) and math.isfinite(x) and not x.is_integer()]
    assert any(x < 1e-4 for x in finite) and any(x >= 1e6 for x in finite)
    assert any(1e4 <= x < 1e6 for x in finite) and any(1e-4 <= x < 1e4 for x in finite)
    assert 1234.5 in finite and 2.5 in finite  # exact binary ties round away from zero


def test_missing_values_and_percentages() -> None:
    assert fmt.number(None) == "" and fmt.number(None, missing="-") == "-"
    assert fmt.distinct(0.5, None, missing="-") == ("0.5", "-")
    assert fmt.distinct(None, 0.5, missing="-") == ("-", "0.5")
    # ties away from zero, as for every other number
    assert [fmt.percent(v) for v in (0.25, 0.125, 1.0)] == ["25%", "13%", "100%"]
    assert fmt.percent(0.025, decimals=1) == "2.5%"
