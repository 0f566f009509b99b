"""Where a dataset came from, recorded as MLflow records it (``source_type`` + JSON ``source``).

A string source is resolved the way ``mlflow.data`` resolves it: a path or ``file:`` URI is
``local`` (``{"uri": ...}``), ``s3://``/``gs://``/``hdfs://``/... keep their scheme as the type,
``http(s)://`` is ``http`` (``{"url": ...}``).  No source means the code that built the dataset:
``code`` with the run-context tags (``{"tags": {"mlflow.user": ..., ...}}``).
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from typing import Any
from urllib.parse import urlparse

from mlnb.errors import InvalidParameter

# artifact-store schemes MLflow accepts as dataset sources (the type is the scheme itself)
_STORAGE_SCHEMES = ("s3", "gs", "hdfs", "viewfs", "wasbs", "abfss", "ftp", "sftp", "oss")
# schemes MLflow refuses as dataset sources: they name runs/models, not data
_REFUSED_SCHEMES = ("runs", "models", "mlflow-artifacts", "dbfs")


class DatasetSource:
    """A dataset's origin: ``source_type`` and its fields (``uri``, ``url`` or ``tags``).

    Examples
    --------
    >>> src = resolve_source("data/train.csv")
    >>> src.source_type, src.uri, src.to_json()
    ('local', 'data/train.csv', '{"uri": "data/train.csv"}')
    """

    def __init__(self, source_type: str, fields: dict[str, Any]) -> None:
        self.source_type = source_type
        self._fields = dict(fields)

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__.get("_fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(f"a {self.__dict__.get('source_type')!r} dataset source has no {name!r}")

    def _get_source_type(self) -> str:  # the name MLflow's own code calls
        return self.source_type

    def to_dict(self) -> dict[str, Any]:
        return dict(self._fields)

    def to_json(self) -> str:
        return json.dumps(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetSource) and (self.source_type, self._fields) == (
            other.source_type,
            other._fields,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DatasetSource({self.source_type!r}, {self._fields!r})"


@functools.cache
def _context_tags() -> tuple[tuple[str, str], ...]:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some containers)
        user = "unknown"
    name = sys.argv[0] if sys.argv and sys.argv[0] else "ipython"
    return (("mlflow.user", user), ("mlflow.source.name", name), ("mlflow.source.type", "LOCAL"))


def code_source() -> DatasetSource:
    """The code building the dataset, with MLflow's run-context tags."""
    return DatasetSource("code", {"tags": dict(_context_tags())})


def resolve_source(source: Any) -> DatasetSource:
    """A :class:`DatasetSource` from a path/URI string, an existing source, or None (the code)."""
    if source is None:
        return code_source()
    if isinstance(source, DatasetSource):
        return source
    if hasattr(source, "to_json") and hasattr(source, "_get_source_type"):  # an MLflow source object
        return DatasetSource(source._get_source_type(), json.loads(source.to_json()))
    if hasattr(source, "__fspath__"):
        source = str(source)
    if not isinstance(source, str) or not source:
        raise InvalidParameter(f"a dataset source is a path or URI string, got {source!r}")
    try:
        scheme = urlparse(source).scheme.lower()
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise InvalidParameter(f"dataset source {source[:120]!r} is a malformed URI ({exc})") from None
    if scheme in ("http", "https"):
        return DatasetSource("http", {"url": source})
    if scheme in ("", "file") or (len(scheme) == 1 and source[1:3] in (":\\", ":/")):  # C:\ on Windows
        return DatasetSource("local", {"uri": source})
    if scheme in _STORAGE_SCHEMES:
        return DatasetSource(scheme, {"uri": source})
    refused = " (it names a run or model, not data)" if scheme in _REFUSED_SCHEMES else ""
    raise InvalidParameter(
        f"cannot tell what kind of dataset source {source!r} is{refused}; give a local path, a file: "
        f"or http(s): URL, or a {'/'.join(_STORAGE_SCHEMES)} URI"
    )
