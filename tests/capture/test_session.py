"""Capture rules of a ``%%track`` cell, run in a real IPython InteractiveShell."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from IPython.utils.capture import capture_output

import mlnb
from mlnb.display.cards import MIME_TYPE
from tests.capture.shell import SETUP, artifacts, last_run


def run(shell, code: str):
    return shell.run_cell(code, store_history=True)


def test_single_estimator_params_metrics_model_and_data(shell):
    run(shell, SETUP)
    result = run(
        shell,
        "%%track -n lr\n"
        "C = 0.5\n"
        "model = LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)\n"
        "test_acc = accuracy_score(y_test, model.predict(X_test))\n",
    )
    assert result.success
    r = last_run()
    assert r.info.status == "FINISHED" and r.info.run_name == "lr"
    assert r.data.params["C"] == "0.5"
    assert r.data.params["max_iter"] == "500"
    assert "penalty" not in r.data.params  # sklearn 1.9 sentinel 'deprecated' is left out
    assert r.data.metrics["test_acc"] == pytest.approx(shell.user_ns["test_acc"])
    roles = {(d.name, d.role) for d in r.inputs}
    assert roles == {("X_train", "train"), ("X_test", "eval")}
    train = next(d for d in r.inputs if d.role == "train")
    assert list(train.shape) == [112, 4] and train.columns[0]["name"] == "sepal length (cm)"
    files = artifacts(r.info.run_id)
    assert "cell.py" in files
    assert any(p.startswith("model/") for p in files)
    assert r.data.tags["mlnb.code_hash"]
    assert r.data.tags["mlnb.python"]
    assert r.data.tags["mlnb.version.scikit-learn"]


def test_model_round_trip_predicts_like_the_estimator(shell):
    run(shell, SETUP)
    run(shell, "%%track\nclf = LogisticRegression(max_iter=500).fit(X_train, y_train)\n")
    r = last_run()
    loaded = mlnb.load_model(f"runs:/{r.info.run_id}/clf")
    assert (
        loaded.predict(shell.user_ns["X_test"]) == shell.user_ns["clf"].predict(shell.user_ns["X_test"])
    ).all()
    assert {"clf/MLmodel", "model/MLmodel"} <= artifacts(r.info.run_id)
    alias = mlnb.load_model(f"runs:/{r.info.run_id}/model")  # the copy verifies and loads too
    assert (alias.predict(shell.user_ns["X_test"]) == loaded.predict(shell.user_ns["X_test"])).all()


def test_two_estimators_get_prefixed_params_and_one_model_each(shell):
    run(shell, SETUP)
    run(
        shell,
        "%%track\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "lr = LogisticRegression(max_iter=300).fit(X_train, y_train)\n"
        "rf = RandomForestClassifier(n_estimators=5, random_state=0)\n"
        "rf.fit(X_train, y_train)\n",
    )
    r = last_run()
    assert r.data.params["lr.max_iter"] == "300"
    assert r.data.params["rf.n_estimators"] == "5"
    assert "max_iter" not in r.data.params
    files = artifacts(r.info.run_id)
    assert "lr/MLmodel" in files and "rf/MLmodel" in files
    assert "model/MLmodel" not in files  # only when exactly one estimator was fitted


def test_pipeline_with_column_transformer(shell):
    run(
        shell,
        "import pandas as pd\n"
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.pipeline import Pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "df = pd.DataFrame({'age': [20, 30, 40, 50, 25, 35] * 5, 'city': list('abcabc') * 5})\n"
        "target = [0, 1, 0, 1, 1, 0] * 5\n",
    )
    run(
        shell,
        "%%track\n"
        "pre = ColumnTransformer([('num', StandardScaler(), ['age']), ('cat', OneHotEncoder(), ['city'])])\n"
        "pipe = Pipeline([('pre', pre), ('clf', LogisticRegression(C=2.0))]).fit(df, target)\n",
    )
    r = last_run()
    params = r.data.params
    assert params["clf__C"] == "2.0"
    assert params["pre__num__with_mean"] == "True"
    assert "pre" not in params and "clf" not in params  # nested estimator objects are left out
    assert params["steps"].startswith("[('pre', ColumnTransformer(")
    assert len(params["steps"]) <= 250
    train = next(d for d in r.inputs if d.role == "train")
    assert [c["name"] for c in train.columns] == ["age", "city"]
    assert "pipe/MLmodel" in artifacts(r.info.run_id)


def test_refit_of_existing_estimator_is_captured(shell):
    run(shell, SETUP + "est = LogisticRegression(C=3.0, max_iter=400)\n")
    run(shell, "%%track\nest.fit(X_train, y_train)\n")
    r = last_run()
    assert r.data.params["C"] == "3.0"
    assert "est/MLmodel" in artifacts(r.info.run_id)


def test_metrics_on_slices_copies_and_score_get_mlflow_keys(shell):
    run(shell, SETUP + "m = LogisticRegression(max_iter=500).fit(X_train, y_train)\n")
    run(
        shell,
        "%%track\n"
        "y_pred = m.predict(X_test)\n"
        "head = y_pred[:50]\n"
        "print(accuracy_score(y_test[:50], y_pred[:50]))\n"
        "f1_score(y_test[:50], head.copy(), average='macro')\n"
        "accuracy_score(y_test, y_pred)\n"
        "m.score(X_test, y_test)\n"
        "named = f1_score(y_test, y_pred, average='micro')\n",
    )
    metrics = last_run().data.metrics
    y_test, y_pred = shell.user_ns["y_test"], shell.user_ns["y_pred"]
    from sklearn.metrics import accuracy_score

    assert metrics["accuracy_score_X_test"] == pytest.approx(accuracy_score(y_test[:50], y_pred[:50]))
    assert metrics["accuracy_score-2_X_test"] == pytest.approx(accuracy_score(y_test, y_pred))
    assert "f1_score_X_test" in metrics
    assert metrics["LogisticRegression_score_X_test"] == pytest.approx(accuracy_score(y_test, y_pred))
    assert metrics["named"] == pytest.approx(shell.user_ns["named"])


def test_metric_in_a_loop_logs_one_step_per_iteration(shell):
    run(shell, SETUP + "m = LogisticRegression(max_iter=500).fit(X_train, y_train)\n")
    run(
        shell,
        "%%track\nfor n in (10, 20, 30):\n    acc = accuracy_score(y_test[:n], m.predict(X_test)[:n])\n",
    )
    r = last_run()
    history = mlnb.get_metric_history(r.info.run_id, "acc")
    assert [p.step for p in history] == [0, 1, 2]


def test_user_function_named_like_a_metric_is_not_logged(shell):
    run(shell, "%%track\ndef my_score(a):\n    return 1.0\nvalue = my_score(3)\n")
    assert "value" not in last_run().data.metrics


def test_failed_cell_marks_run_failed_keeps_traceback_and_namespace(shell):
    run(shell, SETUP)
    result = run(
        shell, "%%track\nbefore = 1\nmodel = LogisticRegression().fit(X_train, y_train)\n1 / 0\nafter = 2\n"
    )
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert shell.user_ns["before"] == 1 and "after" not in shell.user_ns
    r = last_run()
    assert r.info.status == "FAILED"
    assert r.data.tags["mlnb.error"].startswith("ZeroDivisionError")
    text = mlnb.load_text(r.info.run_id, "traceback.txt")
    assert "ZeroDivisionError" in text and "1 / 0" in text


def test_keyboard_interrupt_marks_run_killed(shell):
    result = run(shell, "%%track\nx = 1\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert last_run().info.status == "KILLED"


def test_syntax_error_marks_run_failed(shell):
    result = run(shell, "%%track\nx = (\n")
    assert result.error_before_exec is not None or result.error_in_exec is not None
    assert last_run().info.status == "FAILED"


def test_explicit_logging_lands_in_the_same_run(shell):
    run(
        shell,
        "%%track\nimport mlnb\nmlnb.log_metric('manual', 3.0)\nmlnb.log_param('C', 'manual')\nC = 0.1\n",
    )
    r = last_run()
    assert r.data.metrics["manual"] == 3.0
    assert r.data.params["C"] == "manual"  # the explicit value wins over the literal
    assert mlnb.active_run() is None


def test_stdout_and_stderr_are_kept_and_shown(shell, capsys):
    run(shell, "%%track\nimport sys\nprint('hello out')\nprint('hello err', file=sys.stderr)\n")
    shown = capsys.readouterr()
    assert "hello out" in shown.out and "hello err" in shown.err
    r = last_run()
    assert mlnb.load_text(r.info.run_id, "stdout.txt") == "hello out\n"
    assert mlnb.load_text(r.info.run_id, "stderr.txt") == "hello err\n"


def test_figures_created_in_the_cell_are_saved_even_when_closed(shell):
    run(shell, "import matplotlib.pyplot as plt\nold = plt.figure()\n")
    run(
        shell,
        "%%track\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\nfig2 = plt.figure()\nplt.close(fig2)\n",
    )
    files = artifacts(last_run().info.run_id)
    assert {"figures/figure_1.png", "figures/figure_2.png"} <= files
    assert "figures/figure_3.png" not in files  # the figure open before the cell is not the cell's
    import matplotlib

    assert "mlnb.capture.outputs:_figure_created" not in matplotlib.rcParams["figure.hooks"]
    run(shell, "plt.close('all')")


def test_no_figures_and_no_models_options(shell):
    run(shell, SETUP + "import matplotlib.pyplot as plt\n")
    run(
        shell,
        "%%track --no-figures --no-models\nplt.plot([1, 2])\nm = LogisticRegression().fit(X_train, y_train)\n",
    )
    files = artifacts(last_run().info.run_id)
    assert not any(p.startswith(("figures/", "m/", "model/")) for p in files)
    run(shell, "plt.close('all')")


def test_training_metrics_option(shell):
    run(shell, SETUP)
    run(shell, "%%track --training-metrics\nm = LogisticRegression(max_iter=500).fit(X_train, y_train)\n")
    metrics = last_run().data.metrics
    for key in ("training_accuracy_score", "training_f1_score", "training_log_loss", "training_score"):
        assert key in metrics


def test_grid_search_gives_parent_and_one_child_per_candidate(shell):
    run(shell, SETUP + "from sklearn.model_selection import GridSearchCV\n")
    run(
        shell,
        "%%track -n grid\n"
        "search = GridSearchCV(LogisticRegression(max_iter=300), {'C': [0.1, 1.0, 10.0]}, cv=3)\n"
        "search.fit(X_train, y_train)\n",
    )
    parent = last_run()
    search = shell.user_ns["search"]
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    files = artifacts(parent.info.run_id)
    assert {"cv_results.csv", "best_estimator/MLmodel", "search/MLmodel", "model/MLmodel"} <= files
    children = mlnb.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 3
    assert set(children["params.C"]) == {"0.1", "1.0", "10.0"}
    assert set(children["metrics.rank_test_score"]) <= {1.0, 2.0, 3.0}
    assert children["metrics.mean_test_score"].notna().all()
    assert children["metrics.std_test_score"].notna().all()
    assert (children["status"] == "FINISHED").all()


def test_options_experiment_tags_params_and_nested(shell):
    run(shell, "import mlnb\nouter = mlnb.start_run(run_name='outer')\n")
    run(shell, "%%track -e churn -t team=data -t stage=dev -p source=manual --nested\nx = 1\n")
    r = last_run()
    assert mlnb.get_experiment(r.info.experiment_id).name == "churn"
    assert r.data.tags["team"] == "data" and r.data.tags["stage"] == "dev"
    assert r.data.params["source"] == "manual"
    assert r.info.parent_run_id == shell.user_ns["outer"].info.run_id
    assert mlnb.active_run().info.run_id == r.info.parent_run_id  # the outer run stays active
    mlnb.end_run()


def test_cell_id_and_notebook_path_are_recorded(shell):
    shell.user_ns["__vsc_ipynb_file__"] = "/home/me/churn.ipynb"
    shell.run_cell("%%track\nx = 1\n", store_history=True, cell_id="cell-42")
    tags = last_run().data.tags
    assert tags["mlnb.cell_id"] == "cell-42"
    assert tags["mlflow.source.name"] == "/home/me/churn.ipynb"
    assert tags["mlflow.source.type"] == "NOTEBOOK"


@pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="no git"
)
def test_git_commit_recorded_inside_a_repo(shell, tmp_path: Path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    for cmd in (["git", "init", "-q"], ["git", "commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(cmd, cwd=repo, check=True, env={**env, "PATH": "/usr/bin:/bin"})
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.chdir(repo)
    run(shell, "%%track\nx = 1\n")
    assert last_run().data.tags["mlflow.source.git.commit"] == head
    # the dirty flag comes from `git status` in a background thread: a later cell reports it
    deadline = time.monotonic() + 20
    while "mlnb.git.dirty" not in last_run().data.tags and time.monotonic() < deadline:
        time.sleep(0.2)
        run(shell, "%%track\nx = 1\n")
    assert last_run().data.tags["mlnb.git.dirty"] == "false"
    (repo / "tracked.txt").write_text("a")
    subprocess.run(["git", "add", "tracked.txt"], cwd=repo, check=True)
    from mlnb.capture import context

    context._dirty._values.clear()  # skip the refresh interval
    deadline = time.monotonic() + 20
    while last_run().data.tags.get("mlnb.git.dirty") != "true" and time.monotonic() < deadline:
        time.sleep(0.2)
        run(shell, "%%track\nx = 1\n")
    assert last_run().data.tags["mlnb.git.dirty"] == "true"


def test_untracked_cells_create_no_run_and_keep_functions(shell):
    import sklearn.metrics

    run(shell, SETUP)
    run(shell, "%%track\nacc = accuracy_score([1, 0], [1, 1])\n")
    first = last_run().info.run_id
    run(shell, "acc2 = accuracy_score([1, 0], [1, 1])\n")
    assert last_run().info.run_id == first
    assert shell.user_ns["accuracy_score"] is sklearn.metrics.accuracy_score
    assert len(mlnb.search_runs()) == 1


def test_store_failure_warns_and_the_cell_still_runs(shell, tmp_path: Path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MLNB_STORE", str(blocker / ".mlnb"))
    result = run(shell, "%%track\nvalue = 41 + 1\nvalue\n")
    assert result.success and result.result == 42
    assert shell.user_ns["value"] == 42
    assert "mlnb:" in capsys.readouterr().err


CUSTOM = """
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
class Custom(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self
    def predict(self, X):
        return np.zeros(len(X), dtype=int)
"""


def test_model_skops_cannot_save_is_skipped_with_a_message(shell, capsys):
    run(shell, SETUP + CUSTOM)
    result = run(shell, "%%track\nc = Custom().fit(X_train, y_train)\n")
    assert result.success
    r = last_run()
    assert r.info.status == "FINISHED"
    assert not any(p.startswith(("c/", "model/")) for p in artifacts(r.info.run_id))
    assert "Custom" in capsys.readouterr().err


def test_model_with_a_notebook_function_is_skipped_before_the_card(shell, capsys):
    run(
        shell,
        SETUP
        + "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import FunctionTransformer\n",
    )
    with capture_output() as captured:
        run(
            shell,
            "%%track\np = make_pipeline(FunctionTransformer(lambda v: v), LogisticRegression()).fit(X_train, y_train)\n",
        )
    card = next(o.data[MIME_TYPE] for o in captured.outputs if MIME_TYPE in o.data)
    assert card["models"] == []
    assert "<lambda>" in captured.stderr and "--allow-pickle" in captured.stderr
    assert last_run().data.params["logisticregression__C"] == "1.0"


def test_allow_pickle_saves_what_skops_cannot(shell):
    run(shell, SETUP + CUSTOM)
    run(shell, "%%track --allow-pickle\nc = Custom().fit(X_train, y_train)\n")
    r = last_run()
    assert "c/MLmodel" in artifacts(r.info.run_id)
    loaded = mlnb.load_model(f"runs:/{r.info.run_id}/model", allow_pickle=True)
    assert list(loaded.predict(shell.user_ns["X_test"][:3])) == [0, 0, 0]


def test_open_run_without_nested_becomes_parent_with_a_warning(shell, capsys):
    run(shell, "import mlnb\nouter = mlnb.start_run()\n")
    run(shell, "%%track\nx = 1\n")
    assert last_run().info.parent_run_id == shell.user_ns["outer"].info.run_id
    assert "is active, so this cell's run is its child" in capsys.readouterr().err
    mlnb.end_run()


def test_prediction_origin_carries_to_later_cells_until_rebound(shell):
    run(shell, SETUP + "m = LogisticRegression(max_iter=500).fit(X_train, y_train)\n")
    run(shell, "%%track\ny_pred = m.predict(X_test)\n")
    run(shell, "%%track\naccuracy_score(y_test, y_pred)\n")
    assert "accuracy_score_X_test" in last_run().data.metrics
    run(shell, "y_pred = m.predict(X_train)\n")  # rebound outside tracking: origin unknown now
    run(shell, "%%track\naccuracy_score(y_train, y_pred)\n")
    assert "accuracy_score_X_test" not in last_run().data.metrics


def test_figure_of_a_cell_that_imports_matplotlib_itself(store_dir: Path):
    code = (
        "import os, sys\n"
        "os.environ['MPLBACKEND'] = 'Agg'\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'mlnb')\n"
        "assert 'matplotlib' not in sys.modules\n"
        "shell.run_cell('%%track -n fresh\\nimport matplotlib.pyplot as plt\\nfig = plt.figure()\\n"
        "plt.plot([1, 2])\\nplt.close(fig)\\n')\n"
        "from mlnb.capture.session import wait\n"
        "wait()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    found = mlnb.search_runs(filter_string="attributes.run_name = 'fresh'")
    assert "figures/figure_1.png" in artifacts(found["run_id"][0])


def test_anonymous_estimator_of_fit_predict_gives_params_and_model(shell):
    run(shell, SETUP + "from sklearn.cluster import KMeans\n")
    run(shell, "%%track\nlabels = KMeans(n_clusters=3, n_init=1, random_state=0).fit_predict(X_train)\n")
    r = last_run()
    assert r.data.params["n_clusters"] == "3"
    files = artifacts(r.info.run_id)
    assert "model/MLmodel" in files and not any(p.startswith("labels/") for p in files)


def _assert_signature_as_if_predicted_on_the_example(shell) -> None:
    """The logged signature of ``clf`` equals MLflow's inference from predicting on the example."""
    from mlnb.flavors.mlmodel import parse_mlmodel
    from mlnb.flavors.signature import infer_signature

    run_id = last_run().info.run_id
    clf, example = shell.user_ns["clf"], shell.user_ns["X_train"].head(5)
    expected = infer_signature(example, clf.predict(example))
    logged = parse_mlmodel((mlnb.get_store().run_dir(run_id) / "clf" / "MLmodel").read_bytes())
    assert logged["signature"] == {**expected, "params": None}
    assert '"string"' in expected["outputs"]  # the text labels the model was last fitted on


NAMES = "names = y_train.map({0: 'setosa', 1: 'versicolor', 2: 'virginica'})\n"


def test_signature_outputs_come_from_the_cells_own_predictions(shell):
    run(shell, SETUP + NAMES)
    run(
        shell,
        "%%track\nclf = LogisticRegression(max_iter=500).fit(X_train, names)\npred = clf.predict(X_test)\n",
    )
    _assert_signature_as_if_predicted_on_the_example(shell)


def test_predictions_before_a_refit_do_not_decide_the_signature(shell):
    run(shell, SETUP + NAMES)
    run(
        shell,
        "%%track\n"
        "clf = LogisticRegression(max_iter=500).fit(X_train, y_train)\n"
        "first = clf.predict(X_test)\n"  # integer labels
        "clf.fit(X_train, names)\n",  # refit on text labels, no predict after it
    )
    _assert_signature_as_if_predicted_on_the_example(shell)


def test_a_writers_run_end_is_delivered_on_the_loop_thread_while_idle():
    # in a kernel the cell runs inside an event loop; a model writer finishing later asks that
    # loop to deliver, so the card is redrawn without waiting for another cell.  The loop runs
    # on a thread of its own here: the test session's main thread may already run one (the
    # browser tests' Playwright keeps its loop there), and asyncio allows one loop per thread.
    import asyncio
    import threading

    from mlnb.capture import session
    from mlnb.tracking import events

    events.deliver_pending()  # events earlier tests' writers queued are not this test's
    seen: list[tuple[events.RunEnded, threading.Thread]] = []
    stop = events.subscribe(lambda event: seen.append((event, threading.current_thread())))
    checks: dict[str, object] = {}

    async def cell() -> None:
        loop = session.kernel_loop()
        checks["loop is the running loop"] = loop is asyncio.get_running_loop()
        writer = threading.Thread(target=session.publish_end, args=("0" * 32, "FINISHED", loop))
        writer.start()
        writer.join()
        checks["nothing on the writer's thread"] = list(seen)
        for _ in range(3):
            await asyncio.sleep(0)  # the loop is idle: it runs the delivery

    def kernel() -> None:
        asyncio.run(cell())
        checks["no loop after the cell"] = session.kernel_loop() is None

    kernel_thread = threading.Thread(target=kernel)
    try:
        kernel_thread.start()
        kernel_thread.join(30)
    finally:
        stop()
    assert checks == {
        "loop is the running loop": True,
        "nothing on the writer's thread": [],
        "no loop after the cell": True,
    }
    assert seen == [(events.RunEnded("0" * 32, "FINISHED"), kernel_thread)]
