"""Artifacts addressed as ``mlflow.artifacts`` addresses them, every byte checked against its hash.

An artifact is named either by ``run_id`` (+ ``artifact_path``) or by one URI:

- ``runs:/<run_id>/<path>`` (``runs:/<run_id>/`` is the run's root);
- ``models:/<name>/<version|stage|latest>[/<path>]`` or ``models:/<name>@<alias>[/<path>]``,
  looked up in the active store's registry;
- the run's artifact location (``run.info.artifact_uri``, a ``file:`` URI or plain path) with a
  path appended, as in ``load_text(run.info.artifact_uri + "/notes.txt")``.

Files are read from the store and compared with the sha256 recorded when they were logged, so a
file changed on disk afterwards is refused with :class:`~mlnb.errors.IntegrityError`.  Locations
outside the store (other directories, ``s3://``, ``http://``) are refused: there is no recorded
hash to check them against.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlnb.entities import FileInfo
from mlnb.errors import InvalidParameter, InvalidUri
from mlnb.registry.uris import parse_runs_uri, resolve_model_uri
from mlnb.store.location import expand_user
from mlnb.store.paths import check_relpath
from mlnb.store.repository import ArtifactRepository
from mlnb.tracking.state import get_store

_RUN_ID = re.compile(r"[0-9a-fA-F]{32}")
SUPPORTED = "runs:/<run_id>/<path>, models:/<name>/<version>[/<path>], or a run's artifact location (file:)"


@dataclass(frozen=True)
class ArtifactRef:
    """One file or directory of a run's artifacts (``path`` is ``""`` for the run's root).

    ``base`` is the directory listings are relative to, as MLflow reports them: the run's root
    for ``run_id`` + ``artifact_path``, the model's directory for ``models:/`` URIs, and the
    parent of the named path for other URIs.
    """

    store: Any
    run_id: str
    path: str
    base: str = ""


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _runs(uri: str) -> tuple[str, str]:
    run_id, _, path = uri[len("runs:/") :].partition("/")
    path = path.rstrip("/")
    if path:
        return parse_runs_uri(f"runs:/{run_id}/{path}")
    if not _RUN_ID.fullmatch(run_id):
        raise InvalidUri(f"artifact URI {uri!r}: the run id must be 32 hex characters after 'runs:/'")
    return run_id.lower(), ""


def _models(uri: str) -> tuple[str, str, str]:
    rest = uri[len("models:/") :]
    name, _, tail = rest.partition("/")
    if "@" in name:  # models:/<name>@<alias>[/<path>]
        model, sub = f"models:/{name}", tail
    else:  # models:/<name>/<ref>[/<path>]
        ref, _, sub = tail.partition("/")
        model = f"models:/{name}/{ref}"
    run_id, path = resolve_model_uri(model)
    sub = sub.rstrip("/")
    return run_id, check_relpath(f"{path}/{sub}") if sub else path, path


def _location(store: Any, uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    text = unquote(parsed.path) if parsed.scheme == "file" else uri
    path = Path(os.path.normpath(expand_user(text).absolute()))
    root = Path(os.path.normpath(store.artifact_root.absolute()))
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise InvalidUri(
            f"artifact location {uri!r} is not in the store's artifact directory {str(root)!r}; mlnb "
            f"reads artifacts it recorded, by {SUPPORTED}"
        ) from None
    if not parts:
        raise InvalidUri(f"artifact location {uri!r} is the store's artifact directory, not a run's")
    return _runs("runs:/" + "/".join(parts))


def parse_artifact_uri(store: Any, uri: str) -> tuple[str, str, str]:
    """``(run_id, path, base)`` of the artifact ``uri`` names, or InvalidUri saying which forms work."""
    if not isinstance(uri, str) or not uri:
        raise InvalidUri(f"artifact URI must be a non-empty string, got {uri!r}; use {SUPPORTED}")
    try:
        scheme = urlparse(uri).scheme.lower()
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for "x://["
        raise InvalidUri(f"artifact URI {uri[:120]!r} is malformed ({exc}); use {SUPPORTED}") from None
    if scheme == "models":
        return _models(uri)
    if scheme == "runs":
        run_id, path = _runs(uri)
    elif scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        run_id, path = _location(store, uri)
    else:
        raise InvalidUri(
            f"artifact URI {uri!r} has scheme {scheme!r}, which mlnb does not read; use {SUPPORTED}"
        )
    return run_id, path, _parent(path)


@contextmanager
def located(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> Iterator[ArtifactRef]:
    """The artifact named MLflow's way, in the active store or the one at ``tracking_uri``."""
    if (run_id is None) == (artifact_uri is None):
        raise InvalidParameter("Exactly one of `run_id` or `artifact_uri` must be specified")
    if artifact_uri is not None and artifact_path is not None:
        raise InvalidParameter("`artifact_path` cannot be specified if `artifact_uri` is specified")
    owned = None
    if tracking_uri is not None:
        from mlnb.store import open_store
        from mlnb.store.location import parse_store_uri

        owned = open_store(parse_store_uri(tracking_uri, source="tracking_uri"))
    store = owned or get_store()
    try:
        if artifact_uri is not None:
            run, path, base = parse_artifact_uri(store, artifact_uri)
        else:
            base = ""
            if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
                raise InvalidParameter(f"run_id must be 32 hex characters, got {run_id!r}")
            run, path = run_id.lower(), check_relpath((artifact_path or "").rstrip("/"), allow_empty=True)
        yield ArtifactRef(store, run, path, base)
    finally:
        if owned is not None:
            owned.close()


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Copy an artifact file or directory out of the store (each file verified); its local path."""
    with located(artifact_uri, run_id, artifact_path, tracking_uri) as ref:
        dst = None if dst_path is None else Path(dst_path)
        return str(ref.store.artifacts.download(ref.run_id, ref.path, dst))


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and directories directly below an artifact directory (``[]`` for a file)."""
    with located(artifact_uri, run_id, artifact_path, tracking_uri) as ref:
        infos = ref.store.list_artifacts(ref.run_id, ref.path)
    if not ref.base:
        return list(infos)
    cut = len(ref.base) + 1
    return [replace(info, path=info.path[cut:]) for info in infos]


def read_bytes(artifact_uri: str) -> bytes:
    """The verified bytes of the artifact file ``artifact_uri`` names."""
    with located(artifact_uri) as ref:
        if not ref.path:
            raise InvalidParameter(f"{artifact_uri!r} names a run's artifact root, not a file")
        repository: ArtifactRepository = ref.store.artifacts
        return repository.read_verified(ref.run_id, ref.path)


def _not_text(artifact_uri: str) -> InvalidParameter:
    return InvalidParameter(
        f"artifact {artifact_uri!r} is not UTF-8 text; download it with "
        "mlnb.artifacts.download_artifacts and open it with its encoding"
    )


def load_text(artifact_uri: str) -> str:
    """An artifact file's content as text (UTF-8)."""
    try:
        return read_bytes(artifact_uri).decode("utf-8")
    except UnicodeDecodeError:
        raise _not_text(artifact_uri) from None


def load_dict(artifact_uri: str) -> Any:
    """An artifact file's JSON content (YAML too when the name ends in .yaml/.yml)."""
    text = load_text(artifact_uri)
    if artifact_uri.rstrip("/").endswith((".yaml", ".yml")):
        import yaml

        try:
            return yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError) as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise InvalidParameter(f"artifact {artifact_uri!r} is not valid YAML: {problem}") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise InvalidParameter(f"artifact {artifact_uri!r} is not valid JSON: {reason}") from None


def load_image(artifact_uri: str) -> Any:
    """An artifact image file as a ``PIL.Image.Image`` (loaded into memory)."""
    import io

    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise InvalidParameter("load_image needs Pillow: pip install Pillow") from exc
    data = read_bytes(artifact_uri)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidParameter(f"artifact {artifact_uri!r} is not an image Pillow can read ({exc})") from None
    return image
