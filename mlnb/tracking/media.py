"""Tables and images as run artifacts, in MLflow's formats.

``log_table`` writes pandas' ``orient="split"`` JSON (``{"columns": [...], "data": [...]}``) or
Parquet, appends to a table already logged at the same path, and records the table in the
``mlflow.loggedArtifacts`` tag; ``log_image`` writes PNG files (and, for image series logged
by ``key``, MLflow's ``images/<key>+step+...`` files with a WebP thumbnail), so MLflow's UI and
``mlflow.load_table`` read what mlnb wrote.
"""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlnb.errors import ArtifactNotFound, InvalidParameter
from mlnb.store.paths import check_relpath
from mlnb.tracking.fluent import run_id_or_active
from mlnb.tracking.reserved import check_not_model_files
from mlnb.tracking.state import get_store

if TYPE_CHECKING:
    import pandas as pd
    from PIL.Image import Image

LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
LOGGED_IMAGES_TAG = "mlflow.loggedImages"
THUMBNAIL_SIZE = 256
_FORBIDDEN = ('"', "'", ",", ":", "[", "]", "{", "}")
_IMAGE_KEY = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")


# --- tables -----------------------------------------------------------------------------------
def _is_image(obj: object) -> bool:
    return all(callable(getattr(obj, name, None)) for name in ("save", "resize")) and hasattr(obj, "size")


def _frame(data: object) -> pd.DataFrame:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data.copy()
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError:  # all scalars: one row
            return pd.DataFrame([data])
    raise InvalidParameter(
        f"log_table takes a pandas DataFrame or a dict of columns, got {type(data).__name__}"
    )


def _check_table_path(artifact_file: str) -> str:
    if not isinstance(artifact_file, str):
        raise InvalidParameter(f"artifact_file must be a str, got {type(artifact_file).__name__}")
    for char in _FORBIDDEN:
        if char in artifact_file:
            raise InvalidParameter(f"artifact_file {artifact_file!r} contains the character {char!r}")
    if not artifact_file.endswith((".json", ".parquet")):
        raise InvalidParameter(
            f"table artifact {artifact_file!r} must end in .json or .parquet, the formats MLflow reads back"
        )
    return check_relpath(artifact_file)


def _read_table(run_id: str, rel: str) -> pd.DataFrame:
    import pandas as pd

    path = get_store().artifacts.verified_path(run_id, rel)
    if rel.endswith(".json"):
        return pd.read_json(path, orient="split")
    return pd.read_parquet(path)


def _encode_table(frame: pd.DataFrame, rel: str) -> bytes:
    if rel.endswith(".json"):
        try:
            text: str = frame.to_json(orient="split", index=False, date_format="iso")
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidParameter(f"cannot save the table as JSON: {exc}") from None
        return text.encode("utf-8")
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _image_bytes(image: Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def _thumbnail(image: Image) -> Image:
    width, height = image.size
    if width > height:
        size = (THUMBNAIL_SIZE, max(1, int(height * THUMBNAIL_SIZE / width)))
    else:
        size = (max(1, int(width * THUMBNAIL_SIZE / height)), THUMBNAIL_SIZE)
    return image.resize(size)


def _store_image_columns(frame: pd.DataFrame, rel: str, pending: list[tuple[str, bytes | Path]]) -> None:
    """Columns of images become MLflow's image references, the images files beside the table."""
    table_name = rel.rsplit(".", 1)[0]
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        flags = frame[column].map(_is_image)
        if not flags.any():
            continue
        if not flags.all():
            raise InvalidParameter(
                f"column {column!r} mixes images and other values; a column holds one kind"
            )

        def save(image: Image) -> dict[str, str]:
            base = f"table_images/{table_name}/{uuid.uuid4()}"
            pending.append((f"{base}.png", _image_bytes(image, "PNG")))
            pending.append((f"{base}.webp", _image_bytes(_thumbnail(image), "WEBP")))
            return {"type": "image", "filepath": f"{base}.png", "compressed_filepath": f"{base}.webp"}

        frame[column] = frame[column].map(save)


def log_table(data: pd.DataFrame | dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Log a table (a DataFrame or a dict of columns) as a JSON or Parquet artifact.

    Logging again to the same ``artifact_file`` appends the rows, as MLflow does.  The JSON is
    pandas' ``orient="split"`` form: ``{"columns": [...], "data": [[...], ...]}``.

    Examples
    --------
    >>> mlnb.log_table({"question": ["a?", "b?"], "score": [0.1, 0.9]}, "eval.json")  # doctest: +SKIP
    """
    import pandas as pd

    rel = _check_table_path(artifact_file)
    frame = _frame(data)
    run = run_id_or_active(run_id)
    pending: list[tuple[str, bytes | Path]] = []
    _store_image_columns(frame, rel, pending)
    try:
        existing = _read_table(run, rel)
    except ArtifactNotFound:
        existing = None
    if existing is not None:
        frame = pd.concat([existing, frame], ignore_index=True)
    pending.append((rel, _encode_table(frame, rel)))
    store = get_store()
    check_not_model_files(store, run, [r for r, _data in pending])
    store.artifacts.write_files(run, pending)
    tags = store.get_run(run).data.tags
    logged = json.loads(tags.get(LOGGED_ARTIFACTS_TAG, "[]"))
    entry = {"path": artifact_file, "type": "table"}
    if entry not in logged:
        logged.append(entry)
        store.log_batch(run, tags={LOGGED_ARTIFACTS_TAG: json.dumps(logged)})


def load_table(
    artifact_file: str, run_ids: list[str] | None = None, extra_columns: list[str] | None = None
) -> pd.DataFrame:
    """The rows of a table logged by :func:`log_table`, across runs, as one DataFrame.

    Parameters
    ----------
    artifact_file : str
        The table's artifact path.
    run_ids : list of str, optional
        Runs to read (default: every run of the active experiment that logged the table).
    extra_columns : list of str, optional
        Run columns (e.g. ``"run_id"``) added to each row.
    """
    import pandas as pd

    from mlnb.tracking.experiments import current_experiment_id
    from mlnb.tracking.search import search_runs

    rel = _check_table_path(artifact_file)
    if run_ids is None:
        runs = search_runs([current_experiment_id()])
        run_ids = list(runs["run_id"]) if len(runs) else []
        run_ids = [
            r
            for r in run_ids
            if {"path": artifact_file, "type": "table"}
            in json.loads(get_store().get_run(r).data.tags.get(LOGGED_ARTIFACTS_TAG, "[]"))
        ]
    frames = []
    for run in run_ids:
        try:
            frame = _read_table(run, rel)
        except ArtifactNotFound:
            continue
        for column in extra_columns or ():
            if column == "run_id":
                frame[column] = run
            else:
                info = get_store().get_run(run).info
                if not hasattr(info, column):
                    raise InvalidParameter(f"{column!r} is not a run attribute to add as a column")
                frame[column] = getattr(info, column)
        frames.append(frame)
    if not frames:
        raise ArtifactNotFound(f"no run has a table {artifact_file!r}; log one with mlnb.log_table")
    return pd.concat(frames, ignore_index=True)


# --- images -----------------------------------------------------------------------------------
def _to_uint8(array: Any) -> Any:
    import numpy as np

    kind = array.dtype.kind
    if kind not in "biuf":
        raise InvalidParameter(f"an image array holds bool, integer or float pixels, not {array.dtype}")
    if kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise InvalidParameter(
                f"integer pixel values must be in [0, 255]; found {array.min()} to {array.max()}"
            )
        return array.astype(np.uint8)
    array = array.astype(np.float64)
    if array.size and (array.min() < 0 or array.max() > 1):
        raise InvalidParameter(
            f"float pixel values must be in [0, 1]; found {array.min()} to {array.max()} "
            "(scale them, or pass integers in [0, 255])"
        )
    return (array * 255).astype(np.uint8)


def to_pil_image(image: Any) -> Image:
    """A PIL image from a PIL image, an object with ``to_pil()`` or a numpy array (H x W, or
    H x W x 1/3/4 channels; integers in [0, 255], floats or bools in [0, 1])."""
    if hasattr(image, "to_pil"):
        image = image.to_pil()
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with matplotlib
        raise InvalidParameter("log_image needs Pillow: pip install pillow") from None
    if isinstance(image, Image.Image):
        return image
    import numpy as np

    if not isinstance(image, np.ndarray):
        raise InvalidParameter(f"log_image takes a numpy array or a PIL image, got {type(image).__name__}")
    if image.ndim not in (2, 3):
        raise InvalidParameter(f"an image array is 2-D or 3-D, got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise InvalidParameter(f"an image has 1, 3 or 4 channels, got {image.shape[2]}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return Image.fromarray(_to_uint8(image))


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    *,
    run_id: str | None = None,
) -> None:
    """Log an image (numpy array or PIL image) as an artifact file, or as one step of an image
    series named ``key``.

    Parameters
    ----------
    image : numpy.ndarray or PIL.Image.Image
    artifact_file : str, optional
        The artifact path, e.g. ``"plots/confusion.png"``; the format follows its extension.
    key, step, timestamp : optional
        Instead of ``artifact_file``: an image series, saved as MLflow saves it
        (``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png`` and a WebP thumbnail).
    synchronous : bool, optional
        Accepted for MLflow code; mlnb always writes before returning.

    Examples
    --------
    >>> mlnb.log_image(np.zeros((32, 32, 3), dtype=np.uint8), "black.png")  # doctest: +SKIP
    """
    if artifact_file is not None and any(v is not None for v in (key, step, timestamp)):
        raise InvalidParameter("give artifact_file alone, or key (with step and timestamp), not both")
    if artifact_file is None and key is None:
        raise InvalidParameter("give artifact_file for one image, or key for an image series")
    pil = to_pil_image(image)
    run = run_id_or_active(run_id)
    store = get_store()
    if artifact_file is not None:
        rel = check_relpath(artifact_file)
        fmt = rel.rsplit(".", 1)[-1].upper() if "." in rel.rsplit("/", 1)[-1] else "PNG"
        fmt = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt, fmt)
        try:
            data = _image_bytes(pil, fmt)
        except (KeyError, ValueError, OSError) as exc:
            raise InvalidParameter(f"cannot save an image as {artifact_file!r}: {exc}") from None
        check_not_model_files(store, run, [rel])
        store.artifacts.write_files(run, [(rel, data)])
        return
    if not isinstance(key, str) or not _IMAGE_KEY.match(key):
        raise InvalidParameter(f"image key {key!r} may hold only letters, digits, '_', '-', '.', ' ' and '/'")
    step = step or 0
    timestamp = timestamp or time.time_ns() // 1_000_000
    base = f"images/{key.replace('/', '~')}+step+{step}+timestamp+{timestamp}+{uuid.uuid4()}"
    store.artifacts.write_files(
        run,
        [
            (f"{base}.png", _image_bytes(pil, "PNG")),
            (f"{base}+compressed.webp", _image_bytes(_thumbnail(pil), "WEBP")),
        ],
    )
    store.log_batch(run, tags={LOGGED_IMAGES_TAG: True})
