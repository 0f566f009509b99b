"""The README's two commands are the ones CI and users run: no drift between docs and CI."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    found = {}
    for label in ("main job", "every test"):
        m = re.search(rf"{label}.*?\n```bash\n([^\n]+)\n```", text, re.IGNORECASE | re.DOTALL)
        assert m, f"README has no command block for '{label}'"
        found[label] = m.group(1).strip()
    return found


def test_ci_runs_the_readme_test_command() -> None:
    command = _commands()["every test"]
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert command in lines, f".ci/run does not run the README's test command {command!r}"


def test_readme_commands_point_at_existing_scripts() -> None:
    for command in _commands().values():
        script = command.split()[-1]
        assert (ROOT / script).is_file(), script
