"""Aliases (``champion``, ``challenger``, ...) with a full history of where each one pointed.

Every move of an alias closes the period during which it pointed at the previous version and
opens a new one, recording who did it and when; deleting the alias, its version or the model
closes the period too.  :func:`get_alias_history` answers "which version was champion last
Tuesday, and who promoted it?".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlnb.registry.active import active_registry
from mlnb.registry.entities import ModelVersion
from mlnb.registry.uris import check_alias, check_model_name
from mlnb.registry.versions import check_version, current_user, get_model_version

if TYPE_CHECKING:
    import pandas as pd

HISTORY_COLUMNS = [
    "name",
    "alias",
    "version",
    "set_time",
    "set_by",
    "removed_time",
    "removed_by",
    "removed_reason",
    "current",
]


def set_registered_model_alias(name: str, alias: str, version: int | str) -> None:
    """Point ``alias`` of model ``name`` at ``version`` (moving it if it pointed elsewhere).

    Examples
    --------
    >>> mlnb.set_registered_model_alias("churn", "champion", 3)  # doctest: +SKIP
    >>> mlnb.get_model_version_by_alias("churn", "champion").version  # doctest: +SKIP
    3
    """
    active_registry().set_alias(
        check_model_name(name), check_alias(alias), check_version(version), current_user()
    )


def delete_registered_model_alias(name: str, alias: str) -> None:
    """Remove an alias; the period it held its version is closed in the history.

    Examples
    --------
    >>> mlnb.delete_registered_model_alias("churn", "challenger")  # doctest: +SKIP
    """
    active_registry().delete_alias(check_model_name(name), check_alias(alias), current_user())


def get_model_version_by_alias(name: str, alias: str) -> ModelVersion:
    """The version ``alias`` points at, or :class:`mlnb.ModelNotFound`.

    Examples
    --------
    >>> mlnb.get_model_version_by_alias("churn", "champion").version  # doctest: +SKIP
    3
    """
    name, alias = check_model_name(name), check_alias(alias)
    return get_model_version(name, active_registry().alias_version(name, alias))


def get_alias_history(name: str, alias: str | None = None) -> pd.DataFrame:
    """Every period during which an alias of ``name`` pointed at a version, oldest first.

    Parameters
    ----------
    name : str
        The registered model.
    alias : str, optional
        Only this alias (default: all aliases of the model).

    Returns
    -------
    pandas.DataFrame
        Columns ``name, alias, version, set_time, set_by, removed_time, removed_by,
        removed_reason, current``; times are UTC timestamps, ``removed_time`` is ``NaT`` while
        the alias still points there; ``removed_reason`` is ``moved``, ``deleted``,
        ``version deleted`` or ``model deleted``.

    Examples
    --------
    >>> mlnb.get_alias_history("churn", "champion")[["version", "set_by", "current"]]  # doctest: +SKIP
       version set_by  current
    0        1    ana    False
    1        3    ben     True
    """
    import pandas as pd

    name = check_model_name(name)
    rows = active_registry().alias_history(name, None if alias is None else check_alias(alias))
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS[:-1])
    for col in ("set_time", "removed_time"):
        frame[col] = pd.to_datetime(frame[col], unit="ms", utc=True)
    frame["version"] = frame["version"].astype("int64")
    frame["current"] = frame["removed_time"].isna()
    return frame[HISTORY_COLUMNS]
