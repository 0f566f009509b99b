"""``mlnb.autolog`` / ``mlnb.sklearn.autolog``: in an IPython shell, in plain scripts, and against MLflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlnb.errors import InvalidParameter
from tests.capture.shell import SETUP

TRAINING_CLASSIFIER = {
    "training_accuracy_score",
    "training_precision_score",
    "training_recall_score",
    "training_f1_score",
    "training_log_loss",
    "training_roc_auc",
    "training_score",
}
TRAINING_REGRESSOR = {
    "training_mean_squared_error",
    "training_root_mean_squared_error",
    "training_mean_absolute_error",
    "training_r2_score",
    "training_score",
}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _autolog_off() -> Iterator[None]:
    yield
    from mlnb.capture import autolog, autolog_state
    from mlnb.capture.session import wait

    autolog.autolog(disable=True)
    wait()
    autolog_state.metric_calls.clear()


def run_cells(shell: Any, *codes: str, ok: bool = True) -> None:
    for code in codes:
        result = shell.run_cell(code)
        if ok:
            assert result.success, result.error_in_exec or result.error_before_exec


def all_runs() -> list[Any]:
    import mlnb
    from mlnb.capture.session import wait

    wait()
    table = mlnb.search_runs(order_by=["attributes.start_time ASC"])
    return [mlnb.get_run(rid) for rid in table["run_id"]]


def artifacts(run_id: str) -> set[str]:
    from mlnb.tracking.state import get_store

    return set(get_store().artifact_rows(run_id))


def _input_contexts(run: Any) -> list[str | None]:
    """Contexts of the run's dataset inputs (``Run.inputs`` as a tuple, or MLflow's RunInputs)."""
    items = getattr(run.inputs, "dataset_inputs", run.inputs)
    out = []
    for item in items:
        role = getattr(item, "role", None)
        if role is None:
            role = next((t.value for t in item.tags if t.key == "mlflow.data.context"), None)
        out.append(role)
    return out


def test_cell_fit_gets_its_own_run_in_mlflows_vocabulary(shell: Any) -> None:
    import mlnb

    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog()",
        "model = LogisticRegression(max_iter=300).fit(X_train, y_train)\n"
        "acc = accuracy_score(y_test, model.predict(X_test))\n"
        "test_score = model.score(X_test, y_test)\n"
        "active_after_fit = mlnb.active_run()\n"
        "last = mlnb.last_active_run()",
    )
    assert shell.user_ns["active_after_fit"] is None  # like MLflow: the fit's run is not active
    (run,) = all_runs()
    assert shell.user_ns["last"].info.run_id == run.info.run_id  # MLflow's docs read it right after fit
    assert shell.user_ns["last"].info.status == "RUNNING"  # open during its cell, ended with it
    assert run.info.status == "FINISHED"
    model = shell.user_ns["model"]
    assert run.data.params == {k: str(v) for k, v in model.get_params(deep=True).items()}
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    metrics = run.data.metrics
    assert set(metrics) == TRAINING_CLASSIFIER | {"accuracy_score_X_test", "LogisticRegression_score_X_test"}
    assert metrics["accuracy_score_X_test"] == shell.user_ns["acc"]
    assert metrics["LogisticRegression_score_X_test"] == shell.user_ns["test_score"]
    X_train, y_train = shell.user_ns["X_train"], shell.user_ns["y_train"]
    assert metrics["training_score"] == pytest.approx(model.score(X_train, y_train))
    assert {"model/MLmodel", "model/model.skops"} <= artifacts(run.info.run_id)
    assert "model/input_example.json" not in artifacts(run.info.run_id)  # log_input_examples=False
    assert _input_contexts(run) == ["train"]
    assert mlnb.last_active_run().info.run_id == run.info.run_id


def test_regressor_and_pipeline(shell: Any) -> None:
    run_cells(
        shell,
        SETUP
        + "import mlnb\nmlnb.autolog(log_models=False)\n"
        + "from sklearn.linear_model import Ridge\nfrom sklearn.pipeline import make_pipeline\n"
        + "from sklearn.preprocessing import StandardScaler",
        "reg = Ridge().fit(X_train, X_train['petal width (cm)'])\n"
        "pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)",
    )
    reg_run, pipe_run = all_runs()  # one run per top-level fit, none for the pipeline's steps
    assert set(reg_run.data.metrics) == TRAINING_REGRESSOR
    assert reg_run.data.tags["estimator_name"] == "Ridge"
    assert set(pipe_run.data.metrics) == TRAINING_CLASSIFIER
    assert pipe_run.data.params["logisticregression__C"] == "1.0"
    assert pipe_run.data.params["standardscaler"] == "StandardScaler()"  # MLflow logs steps as text
    assert not any(p.startswith("model/") for p in artifacts(pipe_run.info.run_id))


@pytest.mark.parametrize(
    ("error", "status"), [("raise ValueError('boom')", "FAILED"), ("raise KeyboardInterrupt", "KILLED")]
)
def test_run_ends_with_its_cell(shell: Any, error: str, status: str) -> None:
    run_cells(shell, SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)")
    run_cells(shell, f"model = LogisticRegression(max_iter=300).fit(X_train, y_train)\n{error}", ok=False)
    (run,) = all_runs()
    assert run.info.status == status
    assert run.info.end_time is not None


def test_runs_autolog_ends_are_published_once_durable(shell: Any) -> None:
    from mlnb.capture.session import wait
    from mlnb.tracking import events

    seen: list[events.RunEnded] = []
    stop = events.subscribe(seen.append)
    try:
        run_cells(shell, SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)")
        run_cells(shell, "model = LogisticRegression(max_iter=300).fit(X_train, y_train)")
        wait()  # the writer thread queued the event; waiting delivers it here
    finally:
        stop()
    (run,) = all_runs()
    assert seen == [events.RunEnded(run.info.run_id, "FINISHED")]


def test_fit_inside_an_active_run_logs_into_it(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)",
        "with mlnb.start_run(run_name='mine') as mine:\n"
        "    model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    assert run.info.run_name == "mine"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert "mlflow.autologging" not in run.data.tags  # MLflow marks only the runs it starts
    assert set(run.data.metrics) >= TRAINING_CLASSIFIER


def test_exclusive_leaves_user_runs_alone(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(exclusive=True, log_models=False)",
        "with mlnb.start_run(run_name='mine'):\n    model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    assert run.data.params == {} and run.data.metrics == {}


def test_post_training_metrics_in_later_cells_count_per_run(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)",
        "a = LogisticRegression(max_iter=300).fit(X_train, y_train)\nb = LogisticRegression(C=0.1).fit(X_train, y_train)",
        "y_pred = a.predict(X_test)",
        "f = f1_score(y_test, y_pred, average='macro')\n"
        "acc1 = accuracy_score(y_test, y_pred)\n"
        "acc2 = accuracy_score(y_test[:20], y_pred[:20])\n"
        "acc_b = accuracy_score(y_test, b.predict(X_test))",
    )
    run_a, run_b = all_runs()
    ns = shell.user_ns
    metrics_a = {k: v for k, v in run_a.data.metrics.items() if not k.startswith("training_")}
    assert metrics_a == {
        "f1_score_X_test": ns["f"],
        "accuracy_score_X_test": ns["acc1"],
        "accuracy_score-2_X_test": ns["acc2"],
    }
    assert run_b.data.metrics["accuracy_score_X_test"] == ns["acc_b"]  # counted per run
    assert run_a.info.status == run_b.info.status == "FINISHED"


def test_track_cell_is_logged_once_by_track(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)",
        "%%track -n tracked --no-models\nmodel = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    assert run.info.run_name == "tracked"
    assert "mlflow.autologging" not in run.data.tags


def test_autolog_called_inside_a_track_cell(shell: Any) -> None:
    run_cells(
        shell,
        SETUP,
        "%%track -n tracked --no-models\nimport mlnb\nmlnb.sklearn.autolog(log_models=False)\n"
        "model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    assert run.info.run_name == "tracked"
    run_cells(shell, "again = LogisticRegression(max_iter=300).fit(X_train, y_train)")
    first, autologged = all_runs()
    assert first.info.run_id == run.info.run_id
    assert autologged.data.tags["mlflow.autologging"] == "sklearn"


def test_search_cv_parent_and_best_children(shell: Any) -> None:
    run_cells(
        shell,
        SETUP
        + "import mlnb\nmlnb.sklearn.autolog(max_tuning_runs=2, log_models=False)\n"
        + "from sklearn.model_selection import GridSearchCV",
        "search = GridSearchCV(LogisticRegression(max_iter=300), {'C': [0.01, 0.1, 1, 10]}, cv=3)\n"
        "search.fit(X_train, y_train)",
    )
    runs = all_runs()
    parent = next(r for r in runs if r.data.tags["estimator_name"] == "GridSearchCV")
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(runs) == 3 and len(children) == 2
    search = shell.user_ns["search"]
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert "estimator__C" not in parent.data.params  # search estimators: shallow params
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert "cv_results.csv" in artifacts(parent.info.run_id)
    ranks = sorted(r.data.metrics["rank_test_score"] for r in children)
    assert ranks == sorted(search.cv_results_["rank_test_score"])[:2]
    for child in children:
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        assert child.info.status == "FINISHED"
        assert not any(k.startswith("split") for k in child.data.metrics)


def test_fit_in_the_cell_calling_autolog(shell: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    run_cells(
        shell,
        SETUP
        + "import mlnb\nmlnb.sklearn.autolog(log_models=False, extra_tags={'team': 'churn'})\n"
        + "model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    assert run.info.status == "FINISHED"
    assert run.data.tags["team"] == "churn"
    assert not hasattr(LogisticRegression.fit, "__mlnb_autolog_original__")  # patch gone with the cell


def test_disable_undoes_everything(shell: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    from mlnb.capture import autolog_cell

    run_cells(shell, SETUP + "import mlnb\nmlnb.sklearn.autolog()")
    assert autolog_cell._hooks
    run_cells(shell, "mlnb.sklearn.autolog(disable=True)")
    assert not autolog_cell._hooks
    assert not any(
        type(t).__name__ == "_AstHook" and t.__module__.endswith("autolog_cell")
        for t in shell.ast_transformers
    )
    assert not hasattr(LogisticRegression.fit, "__mlnb_autolog_original__")
    run_cells(shell, "model = LogisticRegression(max_iter=300).fit(X_train, y_train)")
    assert all_runs() == []


def test_disable_inside_a_cell_ends_its_runs(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(log_models=False)",
        "model = LogisticRegression(max_iter=300).fit(X_train, y_train)\nmlnb.sklearn.autolog(disable=True)",
    )
    (run,) = all_runs()
    assert run.info.status == "FINISHED"


def test_input_examples_and_models(shell: Any) -> None:
    run_cells(
        shell,
        SETUP + "import mlnb\nmlnb.sklearn.autolog(log_input_examples=True)",
        "model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    )
    (run,) = all_runs()
    files = artifacts(run.info.run_id)
    assert {"model/MLmodel", "model/input_example.json"} <= files
    import mlnb

    loaded = mlnb.load_model(f"runs:/{run.info.run_id}/model")
    X_test = shell.user_ns["X_test"]
    assert (loaded.predict(X_test) == shell.user_ns["model"].predict(X_test)).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_tuning_runs": -1},
        {"serialization_format": "json"},
        {"log_models": "yes"},
        {"extra_tags": ["a"]},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any]) -> None:
    import mlnb

    with pytest.raises(InvalidParameter, match="autolog"):
        mlnb.sklearn.autolog(**kwargs)


SCRIPT = """
import json, sys
import mlnb
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_iris(return_X_y=True, as_frame=True)
import sklearn.metrics
mlnb.autolog(log_models=False)
from sklearn.metrics import accuracy_score  # imported after autolog(), as MLflow needs it
solo = LogisticRegression(max_iter=300).fit(X, y)
assert mlnb.active_run() is None
X_test, y_test = X.iloc[:50], y[:50]
acc = accuracy_score(y_test, solo.predict(X_test))
f1 = sklearn.metrics.f1_score(y_test, solo.predict(X_test), average="macro")
score = solo.score(X_test, y_test)
with mlnb.start_run(run_name="mine") as mine:
    make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert mlnb.active_run().info.run_id == mine.info.run_id
try:
    LogisticRegression().fit(X, ["a"] * len(X))  # one class: fit raises
except ValueError:
    pass
mlnb.autolog(disable=True)
LogisticRegression(max_iter=300).fit(X, y)  # not logged
out = []
for rid in mlnb.search_runs(order_by=["attributes.start_time ASC"])["run_id"]:
    run = mlnb.get_run(rid)
    out.append({"name": run.info.run_name, "status": run.info.status, "tags": run.data.tags,
                "metrics": run.data.metrics, "params": sorted(run.data.params)})
json.dump({"runs": out, "acc": acc, "f1": f1, "score": score}, sys.stdout)
"""


def test_plain_script(tmp_path: Path) -> None:
    env = {**os.environ, "MLNB_STORE": str(tmp_path / ".mlnb"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    solo, mine, failed = result["runs"]
    assert solo["status"] == "FINISHED" and solo["tags"]["mlflow.autologging"] == "sklearn"
    post = {"accuracy_score_X_test", "f1_score_X_test", "LogisticRegression_score_X_test"}
    assert set(solo["metrics"]) == TRAINING_CLASSIFIER | post  # logged after the run ended, as MLflow does
    assert solo["metrics"]["accuracy_score_X_test"] == result["acc"]
    assert solo["metrics"]["f1_score_X_test"] == result["f1"]
    assert solo["metrics"]["LogisticRegression_score_X_test"] == result["score"]
    assert mine["name"] == "mine" and mine["status"] == "FINISHED"
    assert "mlflow.autologging" not in mine["tags"] and mine["tags"]["estimator_name"] == "Pipeline"
    assert "logisticregression__C" in mine["params"]  # the pipeline's run, not its steps'
    assert failed["status"] == "FAILED" and failed["metrics"] == {}


# --- parity with real MLflow ------------------------------------------------------------------
PARITY_BODY = """
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
clf = LogisticRegression(max_iter=300).fit(X_train, y_train)
f1 = sklearn.metrics.f1_score(y_test, clf.predict(X_test), average="macro")
clf.score(X_test, y_test)
Xr, yr = load_diabetes(return_X_y=True)
reg = LinearRegression().fit(Xr, yr)
pipe = Pipeline([("sc", StandardScaler()), ("clf", LogisticRegression())]).fit(X_train, y_train)
search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1, 10]}, cv=3).fit(X_train, y_train)
"""

DUMP = """
def dump(runs):
    out = []
    for run in runs:
        out.append({
            "class": run.data.tags["estimator_class"],
            "parent": run.data.tags.get("mlflow.parentRunId"),
            "id": run.info.run_id,
            "metrics": run.data.metrics,
            "params": sorted(run.data.params),
            "tags": {k: v for k, v in run.data.tags.items() if k in ("estimator_name", "estimator_class", "mlflow.autologging")},
        })
    return out
"""


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {r["id"]: r for r in runs}
    out: dict[str, Any] = {}
    for run in runs:
        if run["parent"]:
            continue
        children = [r for r in runs if r["parent"] == run["id"]]
        out[run["class"]] = {
            "metrics": run["metrics"],
            "params": run["params"],
            "tags": run["tags"],
            "children": sorted(
                (tuple(c["params"]), tuple(sorted(c["metrics"])), tuple(sorted(c["tags"].items())))
                for c in children
            ),
        }
    assert by_id
    return out


def _mlflow_runs(tmp_path: Path) -> dict[str, Any]:
    script = (
        "import json, sys, warnings\nwarnings.filterwarnings('ignore')\nimport mlflow, mlflow.sklearn\n"
        f"mlflow.set_tracking_uri({'sqlite:///' + str(tmp_path / 'mlflow.db')!r})\n"
        "mlflow.sklearn.autolog(log_models=False, silent=True)\nimport sklearn.metrics\n"
        + PARITY_BODY
        + DUMP
        + "json.dump(dump(mlflow.search_runs(output_format='list')), sys.stdout)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLNB_"))}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _summary(json.loads(done.stdout))


def _mlnb_script_runs(tmp_path: Path) -> dict[str, Any]:
    script = (
        "import json, sys\nimport mlnb\nmlnb.sklearn.autolog(log_models=False, silent=True)\nimport sklearn.metrics\n"
        + PARITY_BODY
        + DUMP
        + "json.dump(dump([mlnb.get_run(r) for r in mlnb.search_runs()['run_id']]), sys.stdout)\n"
    )
    env = {**os.environ, "MLNB_STORE": str(tmp_path / ".mlnb"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _summary(json.loads(done.stdout))


@pytest.mark.mlflow
@pytest.mark.parametrize("front_end", ["notebook", "script"])
def test_parity_with_mlflow_autolog(shell: Any, tmp_path: Path, front_end: str) -> None:
    pytest.importorskip("mlflow")
    theirs = _mlflow_runs(tmp_path)
    if front_end == "script":
        ours = _mlnb_script_runs(tmp_path)
    else:
        run_cells(
            shell,
            "import mlnb, sklearn.metrics\nmlnb.sklearn.autolog(log_models=False, silent=True)",
            PARITY_BODY,
        )
        exec(DUMP, ns := {})
        ours = _summary(ns["dump"](all_runs()))
        import mlnb

        assert mlnb.active_run() is None
    assert (
        set(ours)
        == set(theirs)
        == {
            "sklearn.linear_model._logistic.LogisticRegression",
            "sklearn.linear_model._base.LinearRegression",
            "sklearn.pipeline.Pipeline",
            "sklearn.model_selection._search.GridSearchCV",
        }
    )
    logistic = theirs["sklearn.linear_model._logistic.LogisticRegression"]["metrics"]
    assert {"f1_score_X_test", "LogisticRegression_score_X_test"} <= set(logistic)
    assert len(theirs["sklearn.model_selection._search.GridSearchCV"]["children"]) == 3
    for name, expected in theirs.items():
        got = ours[name]
        assert set(got["metrics"]) == set(expected["metrics"]), name
        for key, value in expected["metrics"].items():
            if key.startswith(("training_", "best_")) or key.endswith("_X_test"):
                assert got["metrics"][key] == pytest.approx(value, rel=1e-9), (name, key)
        assert got["params"] == expected["params"], name
        assert got["tags"] == expected["tags"], name
        assert got["children"] == expected["children"], name


SHELL_SCRIPT = """
import json, sys
import matplotlib
matplotlib.use("Agg")
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()  # no %load_ext mlnb: importing mlnb is enough
cells = [
    "import mlnb\\nmlnb.sklearn.autolog(log_models=False)",
    "from sklearn.datasets import load_iris\\nfrom sklearn.linear_model import LogisticRegression\\n"
    "X, y = load_iris(return_X_y=True)",
    "model = LogisticRegression(max_iter=300).fit(X, y)\\nstatus = mlnb.get_run(mlnb.last_active_run().info.run_id).info.status",
    "runs = [mlnb.get_run(r) for r in mlnb.search_runs()['run_id']]",
]
for code in cells:
    assert shell.run_cell(code).success, code
ns = shell.user_ns
json.dump({"during": ns["status"], "after": [(r.info.status, r.data.tags.get("estimator_name")) for r in ns["runs"]]},
          sys.stdout)
"""


def test_plain_ipython_without_the_extension(tmp_path: Path) -> None:
    env = {**os.environ, "MLNB_STORE": str(tmp_path / ".mlnb"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SHELL_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["during"] == "RUNNING"  # the cell's run is open while the cell runs ...
    assert result["after"] == [["FINISHED", "LogisticRegression"]]  # ... and ends with it
