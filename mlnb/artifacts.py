"""``mlnb.artifacts``: MLflow's ``mlflow.artifacts`` — read a run's artifacts by URI.

Every file read is checked against the sha256 recorded when it was logged.

Examples
--------
>>> import mlnb  # doctest: +SKIP
>>> with mlnb.start_run() as run:  # doctest: +SKIP
...     mlnb.log_dict({"n_cores": 10}, "config.json")
>>> mlnb.artifacts.load_dict(run.info.artifact_uri + "/config.json")  # doctest: +SKIP
{'n_cores': 10}
"""

from __future__ import annotations

from mlnb.lazy import exports

_EXPORTS = {
    "download_artifacts": "mlnb.registry.artifact_uris",
    "list_artifacts": "mlnb.registry.artifact_uris",
    "load_text": "mlnb.registry.artifact_uris",
    "load_dict": "mlnb.registry.artifact_uris",
    "load_image": "mlnb.registry.artifact_uris",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = exports(globals(), _EXPORTS)
