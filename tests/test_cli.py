from __future__ import annotations

import subprocess
import sys

import mlnb
from mlnb.cli import main


def test_runs_ls_show_verify_gc(store: object, capsys) -> None:
    mlnb.set_experiment("cli")
    with mlnb.start_run(run_name="best") as run:
        mlnb.log_metric("f1", 0.9)
        mlnb.log_param("C", 1)
        mlnb.log_text("t", "t.txt")
    with mlnb.start_run(run_name="worse"):
        mlnb.log_metric("f1", 0.5)
    assert main(["runs", "ls", "--experiment", "cli", "--filter", "metrics.f1 > 0.8"]) == 0
    out = capsys.readouterr().out
    assert "best" in out and "worse" not in out
    assert main(["runs", "ls", "--order-by", "metrics.f1 ASC"]) == 0
    out = capsys.readouterr().out
    assert out.index("worse") < out.index("best")
    assert main(["runs", "show", run.info.run_id]) == 0
    out = capsys.readouterr().out
    assert "C = 1" in out and "t.txt" in out
    assert main(["verify"]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["gc", "--dry-run"]) == 0


def test_cli_errors_are_one_line(store: object, capsys) -> None:
    assert main(["runs", "ls", "--filter", "metrics.f1 >>> 1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlnb: error: expected") and err.count("\n") == 1
    assert main(["runs", "show", "0" * 32]) == 2


def test_console_script_runs(store_dir) -> None:
    out = subprocess.run([sys.executable, "-m", "mlnb", "verify"], capture_output=True, text=True)
    assert out.returncode == 0 and "OK" in out.stdout


def test_runs_ls_names_an_unknown_experiment(store, capsys) -> None:
    mlnb.set_experiment("cli")
    assert main(["runs", "ls", "--experiment", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no experiment named 'nope'" in err and "cli" in err
