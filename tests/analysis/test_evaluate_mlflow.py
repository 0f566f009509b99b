"""``mlnb.evaluate`` with MLflow's arguments gives MLflow's metrics, artifacts and tables."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlnb
from mlnb.analysis.eval_metrics import MetricValue, make_metric

pytestmark = pytest.mark.mlflow

# MLflow's SHAP plots are off on both sides: mlnb makes them only on request
NO_SHAP = {"log_model_explainability": False}


@pytest.fixture(scope="module")
def real_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``evaluate(model, data, **kwargs)`` with real MLflow on one SQLite store for the module."""
    import mlflow
    import mlflow.sklearn

    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    experiment = mlflow.create_experiment("evaluate", artifact_location=(root / "artifacts").as_uri())
    saved = os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION")
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"

    def evaluate(model: Any, data: Any, **kwargs: Any) -> Any:
        uri = None
        if model is not None:
            with mlflow.start_run(experiment_id=experiment):
                uri = mlflow.sklearn.log_model(
                    model, name="model", serialization_format="cloudpickle"
                ).model_uri
        with mlflow.start_run(experiment_id=experiment) as run:
            result = mlflow.models.evaluate(uri, data, **kwargs)
        paths = [f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
        return result, set(paths), mlflow.get_run(run.info.run_id).data.metrics

    yield evaluate
    mlflow.set_tracking_uri(None)
    if saved is None:
        os.environ.pop("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", None)
    else:
        os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = saved


def _mine(model: Any, data: Any, **kwargs: Any) -> tuple[Any, set[str], dict[str, float]]:
    with mlnb.start_run() as run:
        result = mlnb.evaluate(model, data, **kwargs)
    paths = {a.path for a in mlnb.list_artifacts(run.info.run_id)}
    return result, paths, mlnb.get_run(run.info.run_id).data.metrics


def _assert_same_metrics(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(mine) == list(theirs)
    for key, value in theirs.items():
        assert mine[key] == pytest.approx(float(value), rel=1e-9, abs=1e-12), key


def _table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    return X.assign(y=2 * X["a"] - X["b"] + rng.normal(size=n) * 0.5 + 3)


def test_binary_classifier_matches_mlflow(store, real_mlflow) -> None:
    from sklearn.linear_model import LogisticRegression

    df = _table()
    df["label"] = (df.pop("y") > 3).astype(int)
    model = LogisticRegression().fit(df.drop(columns="label"), df["label"])
    kwargs = dict(targets="label", model_type="classifier", evaluator_config=NO_SHAP)
    theirs, their_paths, their_logged = real_mlflow(model, df, **kwargs)
    mine, my_paths, my_logged = _mine(model, df, **kwargs)
    _assert_same_metrics(mine.metrics, theirs.metrics)
    assert set(theirs.artifacts) <= set(mine.artifacts)
    assert their_paths <= my_paths
    assert my_logged == pytest.approx({k: float(v) for k, v in their_logged.items()})
    assert mine.artifacts["roc_curve_plot"].content.size[0] > 100  # a PIL image, as MLflow's
    assert mine.artifacts["roc_curve_plot"].uri.endswith("/roc_curve_plot.png")


def test_multiclass_classifier_matches_mlflow(store, real_mlflow) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris(as_frame=True)
    df = iris.frame.sample(frac=1.0, random_state=0)
    model = LogisticRegression(max_iter=500).fit(iris.data.iloc[::2], iris.target.iloc[::2])
    kwargs = dict(targets="target", model_type="classifier", evaluator_config=NO_SHAP)
    theirs, their_paths, _ = real_mlflow(model, df, **kwargs)
    mine, my_paths, _ = _mine(model, df, **kwargs)
    _assert_same_metrics(mine.metrics, theirs.metrics)
    assert their_paths <= my_paths
    pd.testing.assert_frame_equal(
        mine.artifacts["per_class_metrics"].content, theirs.artifacts["per_class_metrics"].content
    )


def test_regressor_matches_mlflow(store, real_mlflow) -> None:
    from sklearn.ensemble import RandomForestRegressor

    df = _table()
    model = RandomForestRegressor(n_estimators=20, random_state=0).fit(df.drop(columns="y"), df["y"])
    kwargs = dict(targets="y", model_type="regressor", evaluator_config=NO_SHAP)
    theirs, their_paths, _ = real_mlflow(model, df, **kwargs)
    mine, my_paths, _ = _mine(model, df, **kwargs)
    _assert_same_metrics(mine.metrics, theirs.metrics)
    assert their_paths <= my_paths


def _hit_rate(predictions: Any, targets: Any, metrics: Any) -> float:
    # other metrics arrive as MetricValue objects, as in MLflow
    count = metrics["example_count"].aggregate_results["example_count"]
    return float((predictions == targets).sum()) / count


def _per_row(predictions: Any, targets: Any) -> MetricValue:
    hits = (predictions == targets).astype(float)
    return MetricValue(scores=list(hits), aggregate_results={"mean": float(hits.mean())})


def _custom(eval_df: Any, builtin_metrics: Any, artifacts_dir: str) -> dict[str, Any]:
    path = os.path.join(artifacts_dir, "note.txt")
    with open(path, "w") as fh:
        fh.write(f"{builtin_metrics['accuracy_score'].aggregate_results['accuracy_score']:.3f}")
    return {"note": path, "head": eval_df.head(), "counts": {"n": len(eval_df)}, "arr": np.arange(3)}


def test_predictions_column_with_extra_metrics_prefix_and_custom_artifacts(store, real_mlflow) -> None:
    import mlflow.metrics
    import mlflow.models

    df = _table(80)
    df["label"] = (df["y"] > 3).astype(int)
    df["pred"] = (df.pop("y") > 3.3).astype(int)
    common = dict(
        targets="label",
        predictions="pred",
        model_type="classifier",
        evaluator_config={"metric_prefix": "val_"},
        custom_artifacts=[_custom],
    )

    def metrics(make: Any, value: Any) -> list[Any]:
        per_row = lambda predictions, targets: value(**_per_row(predictions, targets).__dict__)  # noqa: E731
        return [
            make(eval_fn=_hit_rate, greater_is_better=True, name="hit_rate"),
            make(eval_fn=per_row, greater_is_better=True, name="per_row"),
        ]

    theirs, their_paths, _ = real_mlflow(
        None, df, extra_metrics=metrics(mlflow.models.make_metric, mlflow.metrics.MetricValue), **common
    )
    mine, my_paths, _ = _mine(None, df, extra_metrics=metrics(make_metric, MetricValue), **common)
    _assert_same_metrics(mine.metrics, theirs.metrics)
    assert set(mine.artifacts) == set(theirs.artifacts)
    assert my_paths == their_paths
    assert set(mine.tables) == {"eval_results_table"}
    their_table = theirs.artifacts["eval_results_table"].content
    my_table = mine.artifacts["eval_results_table"].content
    assert sorted(my_table) == sorted(their_table)
    assert my_table["columns"] == their_table["columns"] == list(mine.tables["eval_results_table"].columns)
    np.testing.assert_allclose(np.asarray(my_table["data"], float), np.asarray(their_table["data"], float))
    assert mine.artifacts["counts"].content == theirs.artifacts["counts"].content
    np.testing.assert_array_equal(mine.artifacts["arr"].content, theirs.artifacts["arr"].content)


def test_string_labels_with_pos_label_match_mlflow(store, real_mlflow) -> None:
    from sklearn.tree import DecisionTreeClassifier

    df = _table(120, seed=3)
    df["label"] = np.where(df.pop("y") > 3, "churn", "stay")
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(df.drop(columns="label"), df["label"])
    kwargs = dict(targets="label", model_type="classifier", evaluator_config={"pos_label": "stay", **NO_SHAP})
    theirs, _, _ = real_mlflow(model, df, **kwargs)
    mine, _, _ = _mine(model, df, **kwargs)
    _assert_same_metrics(mine.metrics, theirs.metrics)


def test_plain_callables_are_extra_metrics(store) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    df = _table()
    df["label"] = (df.pop("y") > 3).astype(int)
    model = LogisticRegression().fit(df.drop(columns="label"), df["label"])
    r = mlnb.evaluate(
        model,
        df,
        targets="label",
        model_type="classifier",
        extra_metrics=[balanced_accuracy_score],
        run=False,
    )
    X = df.drop(columns="label")
    assert r.metrics["balanced_accuracy_score"] == pytest.approx(
        balanced_accuracy_score(df["label"], model.predict(X))
    )


def test_extra_metrics_alone_need_no_model_type(store) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "t": [1.0, 2.0, 4.0], "p": [1.0, 2.0, 3.0]})
    r = mlnb.evaluate(data=df, targets="t", predictions="p", extra_metrics=[lambda_free], run=False)
    assert r.metrics == {"lambda_free": pytest.approx(1 / 3)}


def lambda_free(predictions: Any, targets: Any) -> float:
    return float((predictions != targets).mean())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(evaluators="shap_only"), "unknown evaluator"),
        (dict(env_manager="conda"), "env_manager"),
        (dict(model_type="question-answering"), "model_type"),
        (dict(predictions="missing"), "predictions"),
        (dict(feature_names=["nope"]), "feature_names"),
    ],
)
def test_bad_arguments_are_refused_clearly(store, kwargs, message) -> None:
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "t": [0, 1, 0, 1], "p": [0, 1, 1, 1]})
    kwargs = {"targets": "t", "model_type": "classifier", "predictions": "p", **kwargs}
    with pytest.raises(mlnb.InvalidParameter, match=message):
        mlnb.evaluate(None, df, run=False, **kwargs)


def test_without_an_active_run_a_finished_run_is_created(store) -> None:
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "t": [0, 1, 0, 1], "p": [0, 1, 1, 1]})
    r = mlnb.evaluate(data=df, targets="t", predictions="p", model_type="classifier")
    assert mlnb.active_run() is None
    assert mlnb.get_run(r.run_id).info.status == "FINISHED"
    assert r.artifacts["confusion_matrix"].uri.startswith("file:")


def test_model_explainability_on_request_logs_mlflow_shap_plot_names(store, churn) -> None:
    from sklearn.ensemble import RandomForestClassifier

    from tests.analysis.conftest import pipeline

    X_train, X_test, y_train, y_test = churn
    model = pipeline(RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_train, y_train)
    names = {"shap_beeswarm_plot", "shap_summary_plot", "shap_feature_importance_plot"}
    plain = mlnb.evaluate(model, X_test, targets=y_test, model_type="classifier")
    assert not names & set(plain.artifacts)
    r = mlnb.evaluate(
        model,
        X_test,
        targets=y_test,
        model_type="classifier",
        evaluator_config={"log_model_explainability": True},
    )
    assert names <= set(r.artifacts)
    assert {f"{n}.png" for n in names} <= {a.path for a in mlnb.list_artifacts(r.run_id)}
