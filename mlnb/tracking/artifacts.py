"""Artifact logging and retrieval for runs: files, directories, text, dicts and figures."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import IO, Any

from mlnb.entities import ArtifactInfo
from mlnb.errors import InvalidParameter, os_errors
from mlnb.store.paths import check_relpath, join_relpath
from mlnb.tracking.fluent import run_id_or_active
from mlnb.tracking.reserved import check_not_model_files
from mlnb.tracking.state import get_store


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local file into the run, under ``artifact_path`` (a directory) if given."""
    src = _local(local_path)
    with os_errors("read the local file", src):
        if not src.is_file():
            raise InvalidParameter(f"{str(src)!r} is not a file; use log_artifacts for a directory")
    rel = join_relpath(artifact_path, src.name)
    write_user_files(run_id_or_active(run_id), [(rel, src)])


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy every file below a local directory into the run, keeping relative paths."""
    root = _local(local_dir)
    items: list[tuple[str, bytes | Path]] = []
    with os_errors("read the local directory", root):
        if not root.is_dir():
            raise InvalidParameter(f"{str(root)!r} is not a directory; use log_artifact for a file")
        for dirpath, _dirs, names in os.walk(root):
            for name in sorted(names):
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                items.append((join_relpath(artifact_path, rel), full))
    write_user_files(run_id_or_active(run_id), items)


def _local(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise InvalidParameter(f"a local path is a str or a Path, got {type(path).__name__}")
    return Path(path)


def write_user_files(run_id: str, items: list[tuple[str, bytes | Path]]) -> None:
    """Write files the caller names, never below a model the run has logged (those are immutable).

    A file system error becomes an MlnbError naming the path (in the store's ``artifacts.write_files``).
    """
    store = get_store()
    check_not_model_files(store, run_id, [check_relpath(rel) for rel, _src in items])
    store.artifacts.write_files(run_id, items)


def log_bytes(data: bytes, artifact_file: str, run_id: str | None = None) -> None:
    write_user_files(run_id_or_active(run_id), [(artifact_file, bytes(data))])


def log_stream(stream: IO[bytes], artifact_file: str, run_id: str | None = None) -> None:
    """Log what a binary file-like object (``io.BytesIO``, an open file) reads as one artifact.

    Examples
    --------
    >>> mlnb.log_stream(io.BytesIO(b"\\x00\\x01"), "data/blob.bin")  # doctest: +SKIP
    """
    read = getattr(stream, "read", None)
    if read is None:
        raise InvalidParameter(
            f"log_stream needs a binary file-like object with .read(), got {type(stream).__name__}; "
            "wrap bytes in io.BytesIO or use log_text for str"
        )
    data = read()
    if isinstance(data, str):
        raise InvalidParameter("log_stream needs a binary stream (it read str); open the file in 'rb' mode")
    log_bytes(data, artifact_file, run_id)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The artifact URI of the active run, or of ``artifact_path`` inside it.

    Examples
    --------
    >>> with mlnb.start_run():  # doctest: +SKIP
    ...     mlnb.get_artifact_uri("model")
    'file:///.../.mlnb/artifacts/<run_id>/model'
    """
    base = get_store().get_run(run_id_or_active(None)).info.artifact_uri.rstrip("/")
    if not artifact_path:
        return base
    return f"{base}/{check_relpath(artifact_path)}"


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save ``text`` as a UTF-8 file artifact, e.g. ``log_text(report, "reports/summary.md")``."""
    if not isinstance(text, str):
        raise InvalidParameter(f"log_text takes a str, got {type(text).__name__}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidParameter(
            f"log_text: the text holds a lone surrogate at index {exc.start}, which UTF-8 cannot "
            "encode; pass valid text"
        ) from None
    log_bytes(data, artifact_file, run_id)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml."""
    if not isinstance(artifact_file, str):
        raise InvalidParameter(f"artifact_file must be a str such as 'config.json', got {artifact_file!r}")
    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        try:
            text = yaml.safe_dump(dictionary, sort_keys=False)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
            raise _unserializable(dictionary, "YAML", exc) from None
    else:
        try:
            text = json.dumps(dictionary, indent=2, default=str)
        except (ValueError, TypeError, RecursionError) as exc:
            raise _unserializable(dictionary, "JSON", exc) from None
    log_text(text, artifact_file, run_id)


def _unserializable(value: object, fmt: str, exc: BaseException) -> InvalidParameter:
    reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc).splitlines()[0][:120]
    return InvalidParameter(
        f"log_dict cannot write the {type(value).__name__} as {fmt} ({reason}); pass a dict of "
        "str, numbers, lists and dicts"
    )


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None, run_id: str | None = None
) -> None:
    """Save a matplotlib figure (or anything with ``savefig``/``write_image``) as an artifact."""
    check_relpath(artifact_file)
    buf = io.BytesIO()
    fmt = artifact_file.rsplit(".", 1)[-1].lower() if "." in artifact_file else "png"
    if hasattr(figure, "savefig"):
        figure.savefig(buf, format=fmt, **(save_kwargs or {"bbox_inches": "tight"}))
    elif hasattr(figure, "write_image"):
        figure.write_image(buf, format=fmt)
    else:
        raise InvalidParameter(f"log_figure takes a matplotlib Figure, got {type(figure).__name__}")
    log_bytes(buf.getvalue(), artifact_file, run_id)


def list_artifacts(run_id: str | None = None, path: str | None = None) -> list[ArtifactInfo]:
    run = run_id_or_active(run_id)
    return get_store().list_artifacts(run, check_relpath(path or "", allow_empty=True))


def download_artifacts(
    run_id: str | None = None,
    artifact_path: str = "",
    dst_path: str | os.PathLike[str] | None = None,
) -> str:
    """Copy a run's artifact file or directory to ``dst_path`` (a new temp dir by default).

    Every file is checked against the sha256 recorded when it was logged.
    """
    run = run_id_or_active(run_id)
    return str(get_store().artifacts.download(run, artifact_path, None if dst_path is None else Path(dst_path)))


def open_artifact(run_id: str, artifact_path: str) -> IO[bytes]:
    """Open one artifact file for reading, after checking it against its recorded sha256."""
    return get_store().artifacts.open_verified(run_id, artifact_path)


def load_text(run_id: str, artifact_path: str) -> str:
    with open_artifact(run_id, artifact_path) as fh:
        data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(
            f"artifact {artifact_path!r} of run {run_id} is not UTF-8 text; read it with mlnb.open_artifact"
        ) from None


def load_dict(run_id: str, artifact_path: str) -> Any:
    text = load_text(run_id, artifact_path)
    if artifact_path.endswith((".yaml", ".yml")):
        import yaml

        try:
            return yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError) as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise InvalidParameter(
                f"artifact {artifact_path!r} of run {run_id} is not valid YAML ({problem}); "
                "load it with mlnb.load_text"
            ) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidParameter(
            f"artifact {artifact_path!r} of run {run_id} is not valid JSON "
            f"({str(exc).splitlines()[0] if str(exc) else 'nested too deeply'}); load it with mlnb.load_text"
        ) from None
