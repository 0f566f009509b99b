"""Artifacts of ``mlnb.evaluate`` as MLflow names them: files in the run plus objects with ``.uri``
and ``.content`` (``result.artifacts``), and the conversion of ``custom_artifacts`` results."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter


class EvaluationArtifact:
    """One evaluation artifact: where it is stored (``uri``, None when nothing was logged) and its
    ``content`` (a PIL image, DataFrame, dict/list, ndarray or str by kind)."""

    kind = "file"

    def __init__(self, uri: str | None, content: Any = None, data: bytes | None = None) -> None:
        self.uri = uri
        self._content = content
        self._data = data

    @property
    def content(self) -> Any:
        if self._content is None and self._data is not None:
            self._content = self._load(self._data)
        return self._content

    def _load(self, data: bytes) -> Any:
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uri={self.uri!r})"


class ImageEvaluationArtifact(EvaluationArtifact):
    kind = "png"

    def _load(self, data: bytes) -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(data))


class CsvEvaluationArtifact(EvaluationArtifact):
    kind = "csv"

    def _load(self, data: bytes) -> Any:
        import pandas as pd

        return pd.read_csv(io.BytesIO(data))


class JsonEvaluationArtifact(EvaluationArtifact):
    kind = "json"

    def _load(self, data: bytes) -> Any:
        return json.loads(data)


class NumpyEvaluationArtifact(EvaluationArtifact):
    kind = "npy"

    def _load(self, data: bytes) -> Any:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)


class TextEvaluationArtifact(EvaluationArtifact):
    kind = "txt"

    def _load(self, data: bytes) -> Any:
        return data.decode("utf-8")


_BY_SUFFIX = {
    ".png": ImageEvaluationArtifact,
    ".jpg": ImageEvaluationArtifact,
    ".jpeg": ImageEvaluationArtifact,
    ".csv": CsvEvaluationArtifact,
    ".json": JsonEvaluationArtifact,
    ".npy": NumpyEvaluationArtifact,
    ".txt": TextEvaluationArtifact,
}


def artifact_class(filename: str) -> type[EvaluationArtifact]:
    return _BY_SUFFIX.get(Path(filename).suffix.lower(), EvaluationArtifact)


def figure_png(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure, whether made with pyplot or the object API."""
    from mlnb.analysis._plots import to_png

    if getattr(fig, "canvas", None) is not None and hasattr(fig.canvas, "print_png"):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    return to_png(fig)


def convert(name: str, obj: Any) -> tuple[str, bytes]:
    """``(file name, bytes)`` for one value returned by a custom artifact function."""
    import numpy as np
    import pandas as pd

    if isinstance(obj, str | Path) and Path(obj).is_file():
        path = Path(obj)
        return f"{name}{path.suffix}", path.read_bytes()
    if isinstance(obj, pd.DataFrame):
        return f"{name}.csv", obj.to_csv(index=False).encode()
    if isinstance(obj, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, obj, allow_pickle=False)
        return f"{name}.npy", buf.getvalue()
    if type(obj).__module__.startswith("matplotlib") and hasattr(obj, "savefig"):
        return f"{name}.png", figure_png(obj)
    if type(obj).__module__.startswith("PIL") and hasattr(obj, "save"):
        buf = io.BytesIO()
        obj.save(buf, format="PNG")
        return f"{name}.png", buf.getvalue()
    if isinstance(obj, dict | list):
        try:
            return f"{name}.json", json.dumps(obj).encode()
        except TypeError as exc:
            raise InvalidParameter(f"custom artifact {name!r} is not JSON-serializable: {exc}") from exc
    raise InvalidParameter(
        f"custom artifact {name!r} is a {type(obj).__name__}; return a file path, DataFrame, ndarray, "
        "matplotlib figure, PIL image, dict or list"
    )


def run_custom(
    custom_artifacts: list[Any], eval_df: Any, metrics: dict[str, Any]
) -> list[tuple[str, str, bytes]]:
    """Call each ``fn(eval_df, builtin_metrics, artifacts_dir)``: ``(key, file name, bytes)`` rows."""
    import copy
    import tempfile

    out: list[tuple[str, str, bytes]] = []
    for fn in custom_artifacts:
        if not callable(fn):
            raise InvalidParameter(f"custom_artifacts takes functions, got {type(fn).__name__}")
        with tempfile.TemporaryDirectory() as directory:
            produced = fn(eval_df.copy(), copy.deepcopy(metrics), directory)
            if produced is None:
                continue
            if not isinstance(produced, dict):
                raise InvalidParameter(
                    f"custom artifact function {getattr(fn, '__name__', fn)!r} must return a dict of "
                    f"name -> artifact, got {type(produced).__name__}"
                )
            out.extend((key, *convert(key, value)) for key, value in produced.items())
    return out


def lift_curve(curves: dict) -> Any:
    """Cumulative lift of the positive class against the share of rows taken, best scores first."""
    import numpy as np

    from mlnb.analysis._plots import figure

    score, is_pos = np.asarray(curves["score"]), np.asarray(curves["is_pos"])
    order = np.argsort(-score, kind="stable")
    hits = np.cumsum(is_pos[order])
    share = np.arange(1, len(order) + 1) / len(order)
    rate = max(is_pos.mean(), 1e-12)
    fig = figure(3.6, 3.8)
    ax = fig.add_subplot()
    ax.plot(
        share, hits / np.arange(1, len(order) + 1) / rate, color="#008bfb", label=f"class {curves['pos']}"
    )
    ax.axhline(1.0, color="#999", lw=0.8, ls="--", label="baseline")
    ax.set_xlabel("share of rows")
    ax.set_ylabel("lift")
    ax.set_title("Lift curve", fontsize=10)
    ax.legend(fontsize=8)
    return fig
