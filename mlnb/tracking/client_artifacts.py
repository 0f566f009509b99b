"""Artifact methods of ``MlflowClient``: files, directories, text, dicts, figures, images, tables.

Each runs the fluent artifact function of the same name on the client's store, with the run id
given first as MLflow's client takes it.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any

from mlnb.entities import FileInfo
from mlnb.tracking import artifacts


class ArtifactsMixin:
    """Needs ``_on_store()`` from :class:`mlnb.tracking.client.TrackingClient`."""

    def _on_store(self) -> AbstractContextManager[object]:  # pragma: no cover - provided by the client
        raise NotImplementedError

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts, under the directory ``artifact_path``."""
        with self._on_store():
            artifacts.log_artifact(local_path, artifact_path, run_id=run_id)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy every file below a local directory into the run's artifacts."""
        with self._on_store():
            artifacts.log_artifacts(local_dir, artifact_path, run_id=run_id)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save ``text`` as a UTF-8 artifact file, e.g. ``"reports/summary.md"``."""
        with self._on_store():
            artifacts.log_text(text, artifact_file, run_id=run_id)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Save a dict as JSON (or YAML when ``artifact_file`` ends in .yaml/.yml)."""
        with self._on_store():
            artifacts.log_dict(dictionary, artifact_file, run_id=run_id)

    def log_figure(
        self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
    ) -> None:
        """Save a matplotlib (or plotly) figure as an image artifact."""
        with self._on_store():
            artifacts.log_figure(figure, artifact_file, save_kwargs=save_kwargs, run_id=run_id)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Save a numpy array or PIL image as a PNG artifact (MLflow's arguments)."""
        from mlnb.tracking.media import log_image

        with self._on_store():
            log_image(
                image, artifact_file, key=key, step=step, timestamp=timestamp,
                synchronous=synchronous, run_id=run_id,
            )  # fmt: skip

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Save a dict of columns or a DataFrame as a JSON table artifact, as MLflow does."""
        from mlnb.tracking.media import log_table

        with self._on_store():
            log_table(data, artifact_file, run_id=run_id)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and directories directly under ``path`` (the run's root by default)."""
        with self._on_store():
            return artifacts.list_artifacts(run_id=run_id, path=path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy an artifact file or directory to ``dst_path`` (a new temp directory by default)
        and return the local path; every file is checked against its recorded sha256."""
        with self._on_store():
            return artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=dst_path)
