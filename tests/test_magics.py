"""``%load_ext mlnb``: the %%track / %mlnb magics behave like IPython users expect."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import mlnb
from mlnb.display.cards import MIME_TYPE
from tests.capture.shell import last_run, make_shell


@pytest.fixture
def shell(store_dir: Path) -> Iterator[Any]:
    yield from make_shell(store_dir)


def runs() -> int:
    return len(mlnb.search_runs(search_all_experiments=True))


def test_load_ext_registers_magics_without_heavy_imports():
    code = (
        "import sys, json\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'mlnb')\n"
        "heavy = [m for m in ('sklearn', 'pandas', 'sqlalchemy', 'matplotlib') if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'cell': sorted(shell.magics_manager.magics['cell']),"
        " 'line': sorted(shell.magics_manager.magics['line'])}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    assert "track" in found["cell"] and "mlnb" in found["line"]


def test_unknown_option_is_a_usage_error_and_runs_nothing(shell, capsys):
    result = shell.run_cell("%%track --bogus\nran = 1\n", store_history=True)
    assert isinstance(result.error_in_exec, UsageError)
    assert "unrecognized arguments: --bogus" in str(result.error_in_exec)
    assert "ran" not in shell.user_ns
    assert runs() == 0
    err = capsys.readouterr()
    assert "Traceback" not in err.out + err.err


def test_bad_key_value_is_a_usage_error(shell):
    result = shell.run_cell("%%track -t novalue\nran = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "-t/--tag expects key=value" in str(result.error_in_exec)
    assert "ran" not in shell.user_ns


def test_track_help_documents_every_option(shell):
    doc = shell.magics_manager.magics["cell"]["track"].__doc__
    for option in (
        "--experiment",
        "--name",
        "--tag",
        "--param",
        "--no-models",
        "--no-figures",
        "--training-metrics",
        "--nested",
        "--allow-pickle",
    ):
        assert option in doc
    result = shell.run_cell("%%track?\n")
    assert result.success and runs() == 0


def test_cell_runs_like_without_the_magic(shell):
    result = shell.run_cell("%%track\nx = 20\nx + 22\n", store_history=True)
    assert result.result == 42  # the last expression is displayed as usual
    assert shell.user_ns["Out"][result.execution_count] == 42
    assert last_run().info.status == "FINISHED"


def test_magics_and_shell_escapes_inside_a_tracked_cell(shell, capfd):
    result = shell.run_cell("%%track\n%time y = sum(range(10))\n!echo from-shell\nz = y * 2\n")
    assert result.success
    assert shell.user_ns["z"] == 90
    out = capfd.readouterr().out
    assert "from-shell" in out and "Wall time" in out
    assert last_run().info.status == "FINISHED"


def test_fit_inside_time_magic_is_still_captured(shell):
    shell.run_cell(
        "from sklearn.linear_model import LinearRegression\nimport numpy as np\n"
        "Xa = np.arange(20.0).reshape(10, 2)\nya = Xa.sum(axis=1)\n"
    )
    shell.run_cell("%%track\n%time reg = LinearRegression().fit(Xa, ya)\n")
    assert last_run().data.params["fit_intercept"] == "True"


def test_top_level_await_works(shell):
    result = shell.run_cell("%%track\nimport asyncio\nawait asyncio.sleep(0)\ndone = True\n")
    assert result.success and shell.user_ns["done"] is True
    assert last_run().info.status == "FINISHED"


def test_traceback_points_at_the_users_line(shell):
    with capture_output() as captured:
        shell.run_cell("%%track\na = 1\nb = 2\nraise ValueError('boom')\n")
    text = re.sub(r"\x1b\[[0-9;]*m", "", captured.stdout + captured.stderr)
    assert "ValueError: boom" in text
    assert "----> 4 raise ValueError('boom')" in text  # line numbers of the cell as written


def test_run_card_is_displayed_as_a_mime_bundle(shell):
    with capture_output() as captured:
        shell.run_cell(
            "%%track -n card\nacc = __import__('sklearn.metrics').metrics.accuracy_score([1, 0], [1, 1])\n"
        )
    bundles = [o.data for o in captured.outputs if MIME_TYPE in o.data]
    assert len(bundles) == 1
    payload = bundles[0][MIME_TYPE]
    assert payload["run_name"] == "card" and payload["status"] == "FINISHED"
    assert {"text/html", "text/plain"} <= set(bundles[0])


def test_second_run_of_the_same_cell_shows_the_change(shell):
    shell.run_cell("from sklearn.metrics import accuracy_score\n")
    shell.run_cell("%%track -n same\nacc = accuracy_score([1, 0, 1, 1], [1, 1, 1, 1])\n")
    with capture_output() as captured:
        shell.run_cell("%%track -n same\nacc = accuracy_score([1, 0, 1, 1], [1, 0, 1, 1])\n")
    payload = next(o.data[MIME_TYPE] for o in captured.outputs if MIME_TYPE in o.data)
    metric = next(m for m in payload["metrics"] if m["key"] == "acc")
    assert metric["value"] == 1.0 and metric["previous"] == 0.75
    assert metric["delta"] == pytest.approx(0.25)
    compared = mlnb.search_runs(filter_string=payload["compare"]["filter"])
    assert len(compared) == 2 and payload["run_id"] in set(compared["run_id"])  # this run + the earlier one


def test_mlnb_experiment_store_runs_and_help(shell, store_dir, capsys):
    shell.run_line_magic("mlnb", "experiment churn")
    assert "experiment 'churn'" in capsys.readouterr().out
    shell.run_cell("%%track -n in_churn\nx = 1\n")
    assert mlnb.get_experiment(last_run().info.experiment_id).name == "churn"
    shell.run_line_magic("mlnb", "store")
    assert str(store_dir) in capsys.readouterr().out
    table = shell.run_line_magic("mlnb", "runs attributes.run_name = 'in_churn'")
    assert list(table["tags.mlflow.runName"]) == ["in_churn"]
    assert not any(c.startswith("tags.mlnb") for c in table.columns)  # compact: no environment tags
    for sub in ("experiment", "store", "runs", "help"):
        shell.run_line_magic("mlnb", f"help {sub}")
        assert f"%mlnb {sub}" in capsys.readouterr().out
    shell.run_line_magic("mlnb", "")
    assert "%mlnb runs" in capsys.readouterr().out
    with pytest.raises(UsageError, match="unknown %mlnb subcommand 'nope'"):
        shell.run_line_magic("mlnb", "nope")


def test_run_cell_magic_called_directly_still_tracks(shell):
    shell.run_cell_magic("track", "-n direct", "w = 5\n")
    assert shell.user_ns["w"] == 5
    assert last_run().info.run_name == "direct"


def test_unload_removes_hooks(shell):
    from mlnb import magics

    shell.run_line_magic("unload_ext", "mlnb")
    try:
        assert not any(isinstance(t, magics._AstHook) for t in shell.ast_transformers)
        assert id(shell) not in magics._loaded
    finally:
        shell.run_line_magic("load_ext", "mlnb")


def test_terminal_input_of_a_track_cell_ends_at_a_blank_line(shell):
    check = shell.input_transformer_manager.check_complete
    assert check("%%track\nx = 1\n")[0] == "incomplete"
    assert check("%%track\nx = 1\n\n")[0] == "complete"


def test_loading_twice_tracks_once(shell):
    import mlnb as package

    package.load_ipython_extension(shell)
    shell.run_cell("%%track\nx = 1\n")
    assert runs() == 1


def test_track_name_with_spaces_is_unquoted(shell: Any) -> None:
    shell.run_cell('%%track -n "my run" -t "team=data science"\nx = 1\n')
    run = last_run()
    assert run.info.run_name == "my run"
    assert run.data.tags["team"] == "data science"


def test_mlnb_compare_and_registry_subcommands_return_panels(shell: Any) -> None:
    from mlnb.widgets.compare import ComparePanel
    from mlnb.widgets.registry import RegistryPanel

    shell.run_line_magic("mlnb", "experiment panels")
    shell.run_cell("import mlnb")
    shell.run_cell("%%track -n a\nacc = 1\nmlnb.log_metric('f1', 0.9)\n")
    shell.run_cell("%%track -n b\nacc = 2\nmlnb.log_metric('f1', 0.5)\n")
    last_run()
    panel = shell.run_line_magic("mlnb", "compare metrics.f1 > 0.8")
    assert isinstance(panel, ComparePanel)
    assert repr(panel).startswith("<ComparePanel: 1 run,")
    registry = shell.run_line_magic("mlnb", "registry")
    assert isinstance(registry, RegistryPanel)
    with pytest.raises(UsageError):
        shell.run_line_magic("mlnb", "registry a b")
    with capture_output() as captured:
        shell.run_line_magic("mlnb", "help compare")
    assert "%mlnb compare [FILTER]" in captured.stdout


def test_tracked_run_end_notifies_listeners_after_commit(shell: Any) -> None:
    from mlnb.tracking import events

    seen: list[tuple[str, str, str]] = []

    def listener(event: events.RunEnded) -> None:
        # the run is committed when listeners run: another process would see it ended
        seen.append((event.run_id, event.status, mlnb.get_run(event.run_id).info.status))

    stop = events.subscribe(listener)
    try:
        shell.run_cell("%%track -n notify\nz = 3\n")
        run = last_run()
    finally:
        stop()
    assert seen == [(run.info.run_id, "FINISHED", "FINISHED")]
