"""Registered models and their versions: register, read, search, describe, tag, delete.

A version is a pointer to a model directory logged in a run (``runs:/<run_id>/<path>``); the
directory's files and their sha256 stay where they were logged, in the run's artifacts.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mlnb.errors import InvalidParameter, InvalidState, ModelNotFound
from mlnb.registry.active import active_registry, active_store, model_entity, version_entity
from mlnb.registry.entities import ModelVersion, RegisteredModel
from mlnb.registry.references import model_digest
from mlnb.registry.uris import check_model_name, resolve_model_uri
from mlnb.store.base import Store
from mlnb.store.filters import check_order_by_length

_Entity = TypeVar("_Entity", ModelVersion, RegisteredModel)


def current_user() -> str:
    """The user name recorded as the author of registry changes."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def check_version(version: object) -> int:
    """A version number given as ``3`` or ``"3"``; anything else is refused."""
    if isinstance(version, bool):
        version = None
    if isinstance(version, str) and version.isascii() and version.isdigit():
        version = int(version)
    if not isinstance(version, int) or version < 1:
        raise InvalidParameter(f"model version {version!r} must be a positive integer like 3 or '3'")
    return version


def _tags(tags: dict[str, Any] | None, what: str) -> dict[str, str]:
    from mlnb.store.values import check_key, check_text

    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidParameter(f"{what} tags must be a dict of key -> value, not {type(tags).__name__}")
    return {check_key(k, f"{what} tag key"): check_text(v, f"{what} tag {k!r}") for k, v in tags.items()}


def _description(description: object) -> str | None:
    from mlnb.store.values import check_text

    return None if description is None else check_text(description, "description")


def _logged_model_digest(store: Store, run_id: str, path: str, uri: str) -> str:
    """The digest of the logged model directory at ``path``, refusing what is not one."""
    info = store.get_run_info(run_id)
    if info.lifecycle_stage == "deleted":
        raise InvalidState(f"run {run_id} is deleted; restore it with mlnb.restore_run({run_id!r}) first")
    files = store.artifact_rows(run_id, path)
    if f"{path}/MLmodel" not in files:
        hint = "it is a file, not a model directory" if path in files else "it has no MLmodel file"
        raise ModelNotFound(
            f"{uri!r} does not name a logged model ({hint}); log one with mlnb.log_model(model, "
            "name) and register its ModelInfo.model_uri"
        )
    return model_digest(files, path)


# --- registered models ---------------------------------------------------------------------------
def create_registered_model(
    name: str, tags: dict[str, Any] | None = None, description: str | None = None
) -> RegisteredModel:
    """Create an empty registered model (``register_model`` does this on first use).

    Examples
    --------
    >>> mlnb.create_registered_model("churn", tags={"team": "risk"})  # doctest: +SKIP
    """
    name = check_model_name(name)
    row = active_registry().create_registered_model(
        name, current_user(), _description(description), _tags(tags, "model")
    )
    return model_entity(row)


def get_registered_model(name: str) -> RegisteredModel:
    """The registered model ``name`` with its tags, aliases and newest version per stage.

    Examples
    --------
    >>> mlnb.get_registered_model("churn").aliases  # doctest: +SKIP
    {'champion': 3}
    """
    return model_entity(active_registry().get_registered_model(check_model_name(name)))


def search_registered_models(
    filter_string: str | None = None, max_results: int = 100_000, order_by: str | Sequence[str] | None = None
) -> list[RegisteredModel]:
    """Registered models matching a filter, sorted by name.

    Parameters
    ----------
    filter_string : str, optional
        e.g. ``"name LIKE 'churn%'"`` or ``"tags.team = 'risk'"`` (see :mod:`mlnb.registry.search`).
    max_results : int
        At most this many models are returned.

    Examples
    --------
    >>> [m.name for m in mlnb.search_registered_models("name ILIKE '%churn%'")]  # doctest: +SKIP
    ['churn']
    """
    from mlnb.registry.search import MODEL_FIELDS, compile_filter

    keep = compile_filter(filter_string, MODEL_FIELDS)
    models = [m for m in map(model_entity, active_registry().list_registered_models()) if keep(m)]
    return _ordered(models, order_by, "name")[:max_results]


def update_registered_model(name: str, description: str | None = None) -> RegisteredModel:
    """Set the description of a registered model.

    Examples
    --------
    >>> mlnb.update_registered_model("churn", "Predicts churn of travel customers")  # doctest: +SKIP
    """
    name = check_model_name(name)
    active_registry().update_registered_model(name, _description(description))
    return get_registered_model(name)


def set_registered_model_tag(name: str, key: str, value: object) -> None:
    """Set a tag on a registered model (replacing its value).

    Examples
    --------
    >>> mlnb.set_registered_model_tag("churn", "team", "risk")  # doctest: +SKIP
    """
    ((key, value),) = _tags({key: value}, "model").items()
    active_registry().set_model_tag(check_model_name(name), key, value)


def delete_registered_model_tag(name: str, key: str) -> None:
    """Remove a tag from a registered model (:class:`mlnb.NotFound` if it has none).

    Examples
    --------
    >>> mlnb.delete_registered_model_tag("churn", "team")  # doctest: +SKIP
    """
    active_registry().delete_model_tag(check_model_name(name), key)


def delete_registered_model(name: str) -> None:
    """Delete a registered model, its versions, tags and aliases (runs and files stay).

    The alias history is kept, with each open period closed as ``"model deleted"``.

    Examples
    --------
    >>> mlnb.delete_registered_model("churn-old")  # doctest: +SKIP
    """
    active_registry().delete_registered_model(check_model_name(name), current_user())


# --- versions ------------------------------------------------------------------------------------
def register_model(
    model_uri: str,
    name: str,
    tags: dict[str, Any] | None = None,
    *,
    description: str | None = None,
    await_registration_for: int | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``.

    The registered model is created on first use.  Versions are 1, 2, 3, ... with no gap and no
    duplicate, even when several processes register at the same moment.

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<path>`` of a logged model directory (one with an ``MLmodel`` file), or
        a ``models:/`` URI of an existing version.
    name : str
        The registered model name (letters, digits, ``_``, ``.``, ``-``, inner spaces).
    tags : dict, optional
        Tags of the new version.
    description : str, optional
        Description of the new version.
    await_registration_for : int, optional
        Accepted for MLflow compatibility and ignored: registration is complete on return.

    Examples
    --------
    >>> info = mlnb.log_model(pipe, "model")  # doctest: +SKIP
    >>> mlnb.register_model(info.model_uri, "churn").version  # doctest: +SKIP
    1
    """
    name = check_model_name(name)
    tag_rows = _tags(tags, "version")
    store = active_store()
    run_id, path = resolve_model_uri(model_uri)
    digest = _logged_model_digest(store, run_id, path, model_uri)
    row = store.registry.create_model_version(
        name, run_id, path, current_user(), _description(description), tag_rows, digest
    )
    return version_entity(row)


def get_model_version(name: str, version: int | str) -> ModelVersion:
    """One version of a registered model (``version`` as ``3`` or ``"3"``).

    Examples
    --------
    >>> mlnb.get_model_version("churn", 3).source  # doctest: +SKIP
    'runs:/0a1b.../model'
    """
    return version_entity(active_registry().get_model_version(check_model_name(name), check_version(version)))


def search_model_versions(
    filter_string: str | None = None, max_results: int = 100_000, order_by: str | Sequence[str] | None = None
) -> list[ModelVersion]:
    """Model versions matching a filter, by name then newest version first.

    Parameters
    ----------
    filter_string : str, optional
        e.g. ``"name = 'churn'"``, ``"run_id = '<id>'"``, ``"name = 'churn' AND version >= 3"``,
        ``"current_stage = 'Production'"`` or ``"tags.validated = 'yes'"``.
    max_results : int
        At most this many versions are returned.
    order_by : str or list of str, optional
        e.g. ``"version ASC"`` or ``["name", "creation_timestamp DESC"]``.

    Examples
    --------
    >>> [v.version for v in mlnb.search_model_versions("name = 'churn'")]  # doctest: +SKIP
    [2, 1]
    """
    from mlnb.registry.search import VERSION_FIELDS, compile_filter

    keep = compile_filter(filter_string, VERSION_FIELDS)
    only = keep.name_eq
    try:
        rows = active_registry().list_model_versions(only)
    except ModelNotFound:
        return []
    versions = [v for v in map(version_entity, rows) if keep(v)]
    return _ordered(versions, order_by, None)[:max_results]


def update_model_version(name: str, version: int | str, description: str | None = None) -> ModelVersion:
    """Set the description of a model version.

    Examples
    --------
    >>> mlnb.update_model_version("churn", 3, description="C=0.5, balanced")  # doctest: +SKIP
    """
    row = active_registry().update_model_version(
        check_model_name(name), check_version(version), description=_description(description)
    )
    return version_entity(row)


def set_model_version_tag(name: str, version: int | str, key: str, value: object) -> None:
    """Set a tag on a model version (replacing its value).

    Examples
    --------
    >>> mlnb.set_model_version_tag("churn", 3, "validated", "yes")  # doctest: +SKIP
    """
    ((key, value),) = _tags({key: value}, "version").items()
    active_registry().set_version_tag(check_model_name(name), check_version(version), key, value)


def delete_model_version_tag(name: str, version: int | str, key: str) -> None:
    """Remove a tag from a model version (:class:`mlnb.NotFound` if it has none).

    Examples
    --------
    >>> mlnb.delete_model_version_tag("churn", 3, "validated")  # doctest: +SKIP
    """
    active_registry().delete_version_tag(check_model_name(name), check_version(version), key)


def delete_model_version(name: str, version: int | str) -> None:
    """Delete one version; aliases on it are removed (recorded in the alias history).

    Its number is not reused: the next registration still gets the next higher number.

    Examples
    --------
    >>> mlnb.delete_model_version("churn", 2)  # doctest: +SKIP
    """
    active_registry().delete_model_version(check_model_name(name), check_version(version), current_user())


def _ordered(
    items: list[_Entity], order_by: str | Sequence[str] | None, default: str | None
) -> list[_Entity]:
    if order_by is None:
        return items
    clauses = [order_by] if isinstance(order_by, str) else order_by
    check_order_by_length(clauses)
    for clause in reversed(clauses):  # stable sorts, last key first
        given, _, direction = str(clause).strip().partition(" ")
        field = {"version_number": "version", "timestamp": "creation_timestamp"}.get(given, given)
        if field not in ("name", "version", "creation_timestamp", "last_updated_timestamp"):
            raise InvalidParameter(
                f"cannot order by {clause!r}; use name, version, creation_timestamp or "
                "last_updated_timestamp, optionally followed by ASC or DESC"
            )
        if field == "version" and default == "name":
            raise InvalidParameter("registered models are not ordered by version; use name")
        if direction.strip().upper() not in ("", "ASC", "DESC"):
            raise InvalidParameter(f"order direction in {clause!r} must be ASC or DESC")

        items = sorted(items, key=_sort_key(field), reverse=direction.strip().upper() == "DESC")
    return items


def _sort_key(field: str) -> Callable[[ModelVersion | RegisteredModel], tuple[bool, str | int]]:
    """Sort by ``field``, missing values last."""

    def key(item: ModelVersion | RegisteredModel) -> tuple[bool, str | int]:
        value: str | int | None = getattr(item, field)
        return (value is None, 0 if value is None else value)

    return key
