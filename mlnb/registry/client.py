"""``MlflowClient``: the tracking methods plus the model registry's, with MLflow's signatures.

The registry methods run the functions of :mod:`mlnb.registry` (versions, aliases, stages) on
the client's store and page their results as MLflow's client does.

Examples
--------
>>> from mlnb import MlflowClient  # doctest: +SKIP
>>> client = MlflowClient()  # doctest: +SKIP
>>> mv = client.create_model_version("churn", f"runs:/{run_id}/model", run_id)  # doctest: +SKIP
>>> client.set_registered_model_alias("churn", "champion", mv.version)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlnb.entities import PagedList
from mlnb.errors import InvalidParameter
from mlnb.registry import aliases, versions
from mlnb.registry import stages as stage_moves
from mlnb.registry.entities import ModelVersion, RegisteredModel
from mlnb.registry.uris import STAGES, check_model_name, resolve_model_uri
from mlnb.tracking.client import TrackingClient
from mlnb.tracking.paging import page_of

_ALL = 1 << 31  # read every match, then page


class MlflowClient(TrackingClient):
    """MLflow's ``MlflowClient`` on an mlnb store: experiments, runs, artifacts and the registry.

    Parameters
    ----------
    tracking_uri : str, optional
        A store directory, ``file:`` or ``sqlite:///`` URI; by default the session's active store.
    registry_uri : str, optional
        Accepted for MLflow compatibility: the registry lives in the tracking store.

    Examples
    --------
    >>> client = mlnb.MlflowClient()  # doctest: +SKIP
    >>> run = client.create_run(client.create_experiment("churn"))  # doctest: +SKIP
    >>> client.log_metric(run.info.run_id, "auc", 0.91)  # doctest: +SKIP
    >>> client.set_terminated(run.info.run_id)  # doctest: +SKIP
    """

    # --- registered models -----------------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create an empty registered model (:class:`mlnb.AlreadyExists` if the name is taken)."""
        with self._on_store():
            return versions.create_registered_model(name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._on_store():
            return versions.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model; its versions, tags, aliases and alias history follow."""
        name, new_name = check_model_name(name), check_model_name(new_name)
        with self._on_store() as store:
            store.registry.rename_registered_model(name, new_name)
            return versions.get_registered_model(new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        """Set the description of a registered model."""
        with self._on_store():
            return versions.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with its versions, tags and aliases (runs and files stay)."""
        with self._on_store():
            versions.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of registered models matching a filter such as ``"name LIKE 'churn%'"``."""
        with self._on_store():
            found = versions.search_registered_models(
                filter_string=filter_string, max_results=_ALL, order_by=order_by
            )
        return page_of(found, max_results, page_token, ("models", filter_string, order_by))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        with self._on_store():
            versions.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self._on_store():
            versions.delete_registered_model_tag(name, key)

    # --- versions --------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Register the model directory at ``source`` as the next version of ``name``.

        ``source`` is ``runs:/<run_id>/<path>``, a ``models:/`` URI, or the location of a
        logged model directory inside a run's artifacts (``f"{run.info.artifact_uri}/model"``).
        The registered model must exist (:meth:`create_registered_model`), as in MLflow;
        ``mlnb.register_model`` creates it on first use instead.
        """
        with self._on_store() as store:
            versions.get_registered_model(name)
            uri = _model_uri(store.artifact_root, source, run_id)
            return versions.register_model(uri, name, tags, description=description)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the model of ``src_model_uri`` (e.g. ``models:/churn/3``) as a version of
        ``dst_name``."""
        with self._on_store():
            return versions.register_model(src_model_uri, dst_name)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        with self._on_store():
            return versions.get_model_version(name, version)

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        with self._on_store():
            return versions.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: str | int) -> None:
        with self._on_store():
            versions.delete_model_version(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of model versions matching a filter such as ``"name = 'churn'"``."""
        with self._on_store():
            found = versions.search_model_versions(
                filter_string=filter_string, max_results=_ALL, order_by=order_by
            )
        return page_of(found, max_results, page_token, ("versions", filter_string, order_by))

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version of ``name`` in each stage (or in each of ``stages``)."""
        with self._on_store():
            return stage_moves.get_latest_versions(name, stages)

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to a stage; optionally archive the others in that stage."""
        with self._on_store():
            return stage_moves.transition_model_version_stage(name, version, stage, archive_existing_versions)

    def get_model_version_stages(self, name: str, version: str | int) -> list[str]:
        """The stages a version can move to."""
        return list(STAGES)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's model files are, as MLflow reports it (the version's source)."""
        return self.get_model_version(name, version).source

    def set_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        """Tag a version, named by number or by ``stage`` (its newest version there)."""
        with self._on_store():
            number = self._version_or_stage(name, version, stage)
            versions.set_model_version_tag(name, number, _key(key), value)

    def delete_model_version_tag(
        self, name: str, version: str | int | None = None, key: str | None = None, stage: str | None = None
    ) -> None:
        with self._on_store():
            number = self._version_or_stage(name, version, stage)
            versions.delete_model_version_tag(name, number, _key(key))

    def _version_or_stage(self, name: str, version: str | int | None, stage: str | None) -> int | str:
        if (version is None) == (stage is None):
            raise InvalidParameter("give exactly one of version or stage")
        if version is not None:
            return version
        assert stage is not None  # exactly one of the two was given
        latest = stage_moves.get_latest_versions(name, [stage])
        if not latest:
            raise InvalidParameter(f"registered model {name!r} has no version in stage {stage!r}")
        return latest[0].version

    # --- aliases ---------------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        with self._on_store():
            aliases.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        with self._on_store():
            aliases.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self._on_store():
            return aliases.get_model_version_by_alias(name, alias)


def _key(key: str | None) -> str:
    if key is None:
        raise InvalidParameter("a tag key is required")
    return key


def _model_uri(artifact_root: Path, source: str, run_id: str | None) -> str:
    """``source`` as a ``runs:/`` or ``models:/`` URI naming a model directory of this store."""
    if not isinstance(source, str) or not source:
        raise InvalidParameter(f"source {source!r} must be a model URI like 'runs:/<run_id>/model'")
    if source.startswith("models:/"):
        return source
    if source.startswith("runs:/"):
        uri = source
    else:
        path = source[len("file://") :] if source.startswith("file://") else source
        try:
            rel = Path(path).resolve().relative_to(artifact_root.resolve()).as_posix()
        except ValueError:
            raise InvalidParameter(
                f"source {source!r} is not a model logged in this store; give "
                "'runs:/<run_id>/<path>' of a model logged with log_model, or a 'models:/' URI"
            ) from None
        uri = f"runs:/{rel}"
    if run_id is not None and resolve_model_uri(uri)[0] != run_id:
        raise InvalidParameter(f"source {source!r} is not in run {run_id!r}; give the run that logged it")
    return uri
