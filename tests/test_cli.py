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


def _two_runs() -> tuple[str, str]:
    mlnb.set_experiment("fmt")
    with mlnb.start_run(run_name="precise") as run:
        mlnb.log_metric("auc", 0.845188)
        mlnb.log_metric("rows", 12345.678)
    with mlnb.start_run(run_name="other") as other:
        mlnb.log_metric("auc", 0.5)
    return run.info.run_id, other.info.run_id


def test_runs_ls_table_uses_the_shared_number_and_time_rules(store, capsys) -> None:
    from mlnb.display import format as fmt

    run_id, _ = _two_runs()
    assert main(["runs", "ls", "--experiment", "fmt"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["run_id", "name", "status", "start", "duration"]
    row = next(line for line in lines if run_id in line)
    assert "0.8452" in row and "12346" in row and "0.845188" not in row
    info = mlnb.get_run(run_id).info
    assert fmt.timestamp(info.start_time) in row
    assert fmt.duration(info.end_time - info.start_time) in row
    assert lines[-1] == "2 runs"


def test_runs_ls_counts_one_run_in_the_singular(store, capsys) -> None:
    mlnb.set_experiment("one")
    with mlnb.start_run():
        pass
    assert main(["runs", "ls", "--experiment", "one"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 run"


def test_runs_ls_csv_and_json_keep_exact_values(store, capsys) -> None:
    import csv
    import io
    import json

    run_id, _ = _two_runs()
    assert main(["runs", "ls", "--experiment", "fmt", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(next(r for r in rows if r["run_id"] == run_id)["metrics.auc"]) == 0.845188
    assert main(["runs", "ls", "--experiment", "fmt", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert next(r for r in records if r["run_id"] == run_id)["metrics.auc"] == 0.845188


def test_runs_show_formats_metrics_and_json_is_exact(store, capsys) -> None:
    import json

    run_id, _ = _two_runs()
    assert main(["runs", "show", run_id]) == 0
    out = capsys.readouterr().out
    assert "auc = 0.8452" in out and "rows = 12346" in out
    assert main(["runs", "show", run_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["data"]["metrics"]["auc"] == 0.845188


def test_verify_and_gc_count_in_the_singular(store, capsys) -> None:
    with mlnb.start_run():
        pass
    assert main(["verify"]) == 0
    assert ": 1 run, 0 artifacts checked: OK" in capsys.readouterr().out
    assert main(["gc", "--dry-run"]) == 0
    assert "would purge 0 deleted runs and 0 orphan files" in capsys.readouterr().out
