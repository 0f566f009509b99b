"""Reading a run back with ``MlflowClient``, as the helper module of MLflow's sklearn-autolog
examples does: params, metrics, the user's tags (system tags left out) and every artifact path."""

import mlflow
from mlflow.tracking import MlflowClient


def artifact_paths(run_id, path=None):
    """Every file under ``path`` in the run's artifacts, walking into directories."""
    client = MlflowClient()
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            yield from artifact_paths(run_id, item.path)
        else:
            yield item.path


def fetch_logged_data(run_id):
    """The params, metrics, non-system tags and artifact paths of one run."""
    data = MlflowClient().get_run(run_id).data
    return {
        "params": data.params,
        "metrics": data.metrics,
        "tags": {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")},
        "artifacts": list(artifact_paths(run_id)),
    }


def model_files(run_id, name="model"):
    """The files of the model logged under ``name``.  MLflow 3 keeps an autologged model apart
    from the run's own artifacts: the root listing leaves it out, asking for its path lists it."""
    return [f.path for f in MlflowClient().list_artifacts(run_id, name)]


def tracking_uri():
    """The tracking URI the example writes to."""
    return mlflow.get_tracking_uri()
