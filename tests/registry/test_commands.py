"""``mlnb models ls|show|promote`` through mlnb.cli.main and the console entry point."""

from __future__ import annotations

import subprocess
import sys

import mlnb
from mlnb.cli import main


def _setup(log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.70, roc_auc=0.85), "churn", tags={"team": "risk"})
    mlnb.register_model(log_candidate(f1=0.60, roc_auc=0.90), "churn")
    mlnb.register_model(log_candidate(f1=0.75, roc_auc=0.86), "churn")
    mlnb.set_registered_model_alias("churn", "champion", 1)
    mlnb.transition_model_version_stage("churn", 1, "Production")


def test_models_show_counts_one_version_and_uses_the_shared_timestamp(log_candidate, capsys) -> None:
    from mlnb.display import format as fmt

    version = mlnb.register_model(log_candidate(f1=0.70), "solo")
    assert main(["models", "show", "solo"]) == 0
    out = capsys.readouterr().out
    assert "registered model 'solo': 1 version, created " in out
    assert fmt.timestamp(version.creation_timestamp) in out


def test_models_ls_and_show(log_candidate, capsys) -> None:
    assert main(["models", "ls"]) == 0
    assert "no registered models" in capsys.readouterr().out
    _setup(log_candidate)
    assert main(["models", "ls"]) == 0
    out = capsys.readouterr().out
    header, row = out.splitlines()[:2]
    assert header.split()[:4] == ["name", "latest", "aliases", "stages"]
    assert row.split()[:4] == ["churn", "3", "champion=v1", "Production=v1"]
    assert main(["models", "ls", "--filter", "name = 'other'"]) == 0
    assert "no registered models" in capsys.readouterr().out
    assert main(["models", "show", "churn"]) == 0
    out = capsys.readouterr().out
    assert "registered model 'churn': 3 versions" in out
    version_rows = [ln.split() for ln in out.splitlines() if ln[:1].isdigit()]
    assert [r[:2] for r in version_rows] == [["3", "None"], ["2", "None"], ["1", "Production"]]
    assert "champion" in out and "alias history:" in out and "nan" not in out


def test_models_promote_pass_and_fail(log_candidate, capsys) -> None:
    _setup(log_candidate)
    argv = [
        "models",
        "promote",
        "churn",
        "2",
        "--gate",
        "metrics.roc_auc>=0.8",
        "--gate",
        "metrics.f1 not worse than current",
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "refused" in captured.err
    assert "metrics.f1" in captured.out and "FAIL (needs >= 0.7)" in captured.out
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 1
    argv[3] = "3"
    assert main([*argv, "--dry-run"]) == 0
    assert "passed" in capsys.readouterr().out
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 1
    assert main(argv) == 0
    assert "promoted" in capsys.readouterr().out
    assert mlnb.get_model_version_by_alias("churn", "champion").version == 3
    assert main(["models", "promote", "churn", "9"]) == 2
    assert "no version 9" in capsys.readouterr().err
    assert main(["models", "promote", "churn", "3", "--gate", "f1 ~ 3"]) == 2
    assert "not understood" in capsys.readouterr().err


def test_models_show_unknown_is_one_line_error(store, capsys) -> None:
    assert main(["models", "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlnb: error: no registered model named 'nope'") and err.count("\n") == 1


def test_console_script_lists_models(store_dir, log_candidate) -> None:
    mlnb.register_model(log_candidate(f1=0.7), "churn")
    out = subprocess.run(
        [sys.executable, "-m", "mlnb", "--store", str(store_dir), "models", "ls"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[1].split()[:2] == ["churn", "1"]
