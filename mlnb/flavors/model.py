"""An ``MLmodel`` file as an object (:class:`Model`) and what logging a model returns (:class:`ModelInfo`).

This module is the one place that turns ``MLmodel`` YAML into Python and back: the model
directory builders (:mod:`mlnb.flavors.mlmodel`, :mod:`mlnb.flavors.python_model`) write through
:meth:`Model.to_yaml`, loaders read through :meth:`Model.load`.  The signature is kept as
MLflow's MLmodel dict (``{"inputs": "<json>", "outputs": "<json>", "params": ...}``) and turned
into a :class:`~mlnb.flavors.schema.ModelSignature` only when asked for, so reading an
``MLmodel`` does not import the schema classes (or pandas).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter, ModelNotFound, from_os_error

MLMODEL_FILE = "MLmodel"
# The MLflow release whose format this mirrors; used as mlflow_version when mlflow is absent.
MLFLOW_FORMAT_VERSION = "3.17.2"

# Keys of an MLmodel file that Model holds as attributes; every other key is kept as it is.
_KNOWN = (
    "artifact_path",
    "run_id",
    "utc_time_created",
    "flavors",
    "signature",
    "saved_input_example_info",
    "model_uuid",
    "mlflow_version",
    "metadata",
    "model_size_bytes",
    "model_id",
    "env_vars",
)


# How Model.load turns a runs:/ or models:/ URI into a verified local directory.  The registry
# layer (which resolves URIs and checks hashes) installs it when it is imported; this layer
# cannot import it.
_uri_opener: list[Callable[[str], Path]] = []


def set_uri_opener(opener: Callable[[str], Path]) -> None:
    """Install the function :meth:`Model.load` uses for ``runs:/``/``models:/`` URIs."""
    _uri_opener[:] = [opener]


def dump_mlmodel(meta: dict[str, Any]) -> bytes:
    """An MLmodel dict as the YAML bytes of an ``MLmodel`` file (keys sorted, as MLflow writes)."""
    import yaml

    return yaml.safe_dump(meta, default_flow_style=False).encode()


def parse_mlmodel(text: bytes | str, source: str = "the MLmodel file") -> dict[str, Any]:
    """Read an ``MLmodel`` file (YAML) into a dict; the signature stays in MLflow's JSON strings.

    ``source`` names the file in errors: a file that is not YAML, uses YAML tags (``!!python/...``
    constructors are refused), has no ``flavors`` mapping or holds a signature that is not JSON
    raises :class:`InvalidParameter` in one line.
    """
    import yaml

    try:
        meta = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidParameter(
            f"{source} is not a valid MLmodel file: {problem}{where}; log the model again"
        ) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("flavors"), dict):
        raise InvalidParameter(f"{source} is not an MLmodel file: it has no 'flavors' mapping")
    signature = meta.get("signature")
    if signature is not None:
        try:
            for key in ("inputs", "outputs", "params"):
                if isinstance(signature.get(key), str):
                    json.loads(signature[key])
        except (AttributeError, ValueError, RecursionError):
            raise InvalidParameter(
                f"{source} has a signature that is not MLflow's JSON form; log the model again"
            ) from None
    return meta


def read_mlmodel(file: Path) -> dict[str, Any]:
    """:func:`parse_mlmodel` of the file at ``file``; a missing file is :class:`ModelNotFound`."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ModelNotFound(f"no {MLMODEL_FILE} file at {str(file)!r}; is it a model directory?") from None
    except OSError as exc:
        raise from_os_error(exc, file, "read the MLmodel file") from None
    return parse_mlmodel(data, source=repr(str(file)))


def signature_object(raw: dict[str, Any] | None) -> Any:
    """The MLmodel signature dict as a :class:`~mlnb.flavors.schema.ModelSignature` (None stays None)."""
    if raw is None:
        return None
    from mlnb.flavors.schema import ModelSignature

    return ModelSignature.from_dict(raw)


def signature_dict(signature: Any) -> dict[str, Any] | None:
    """Any accepted signature form (``ModelSignature``, MLflow's, or the dict) as the MLmodel dict."""
    from mlnb.flavors.signature import normalize_signature

    return normalize_signature(signature)


def now_utc() -> str:
    """``utc_time_created`` as MLflow writes it: naive UTC, ``str(datetime)``."""
    return str(datetime.now(UTC).replace(tzinfo=None))


class Model:
    """One ``MLmodel`` file: the flavors of a model directory and what was recorded with it.

    Parameters mirror the keys of the file; ``signature`` accepts a ``ModelSignature`` or the
    MLmodel dict form.  Unknown keys are kept and written back unchanged.

    Examples
    --------
    >>> m = Model.load("path/to/model_dir")  # doctest: +SKIP
    >>> sorted(m.flavors)  # doctest: +SKIP
    ['python_function', 'sklearn']
    >>> m.get_input_schema()  # doctest: +SKIP
    """

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: dict[str, Any] | None = None,
        signature: Any = None,
        saved_input_example_info: dict[str, Any] | None = None,
        model_uuid: str | None = None,
        mlflow_version: str | None = None,
        metadata: dict[str, Any] | None = None,
        model_size_bytes: int | None = None,
        model_id: str | None = None,
        env_vars: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or now_utc()
        self.flavors: dict[str, Any] = dict(flavors or {})
        self._signature = signature_dict(signature)
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.mlflow_version = mlflow_version or mlflow_version_installed()
        self.metadata = metadata
        self.model_size_bytes = model_size_bytes
        self.model_id = model_id
        self.env_vars = env_vars
        self._extra: dict[str, Any] = dict(kwargs)
        self._directory: Path | None = None

    # -- reading and writing -------------------------------------------------------------
    @classmethod
    def from_dict(cls, meta: dict[str, Any]) -> Model:
        """A Model from a parsed MLmodel dict (the inverse of :meth:`to_dict`)."""
        known = {k: meta[k] for k in _KNOWN if k in meta}
        extra = {k: v for k, v in meta.items() if k not in _KNOWN}
        return cls(**known, **extra)

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read the ``MLmodel`` file of a model directory (or the file itself).

        ``path`` is a local directory or file, or a ``runs:/``/``models:/`` URI once the
        registry is loaded (``mlnb.models``, ``mlnb.pyfunc`` and ``mlnb.sklearn`` load it):
        then every file of the model is checked against its recorded sha256 first.  Raises
        :class:`mlnb.errors.ModelNotFound` when there is no such file.
        """
        text = str(path)
        if text.startswith("file://"):
            text = text[len("file://") :]
        elif text.startswith(("runs:/", "models:/")) and _uri_opener:
            text = str(_uri_opener[0](text))
        elif "://" in text or text.startswith(("runs:/", "models:/")):
            raise InvalidParameter(
                f"Model.load reads a local directory or a runs:/ or models:/ URI, not {text!r}; "
                "for a logged model use mlnb.pyfunc.load_model(uri).metadata"
            )
        target = Path(text)
        file = target / MLMODEL_FILE if target.is_dir() else target
        if not file.is_file():
            raise ModelNotFound(f"no {MLMODEL_FILE} file at {str(file)!r}; is {text!r} a model directory?")
        model = cls.from_dict(read_mlmodel(file))
        model._directory = file.parent
        return model

    def to_dict(self) -> dict[str, Any]:
        """The MLmodel content as a dict (signature in MLflow's JSON-string form)."""
        out: dict[str, Any] = {
            "flavors": self.flavors,
            "mlflow_version": self.mlflow_version,
            "model_id": self.model_id,
            "model_size_bytes": self.model_size_bytes,
            "model_uuid": self.model_uuid,
            "utc_time_created": self.utc_time_created,
        }
        for key in ("artifact_path", "run_id", "saved_input_example_info", "metadata", "env_vars"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self._signature is not None:
            out["signature"] = self._signature
        out.update(self._extra)
        return out

    def to_yaml(self) -> str:
        return dump_mlmodel(self.to_dict()).decode()

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write the ``MLmodel`` file to ``path`` (a file path, as MLflow's ``Model.save``)."""
        Path(path).write_bytes(dump_mlmodel(self.to_dict()))

    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    # -- signature and example -----------------------------------------------------------
    @property
    def signature(self) -> Any:
        """The model's ``ModelSignature`` (None when none was recorded)."""
        return signature_object(self._signature)

    @signature.setter
    def signature(self, value: Any) -> None:
        self._signature = signature_dict(value)

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        """The signature exactly as the MLmodel file holds it (mlnb's extension)."""
        return self._signature

    def get_input_schema(self) -> Any:
        """The input ``Schema`` of the signature (None without a signature)."""
        sig = self.signature
        return None if sig is None else sig.inputs

    def get_output_schema(self) -> Any:
        """The output ``Schema`` of the signature (None without one)."""
        sig = self.signature
        return None if sig is None else sig.outputs

    def get_params_schema(self) -> Any:
        """The ``ParamSchema`` of the signature (None without one)."""
        sig = self.signature
        return None if sig is None else sig.params

    def load_input_example(self, path: str | Path | None = None) -> Any:
        """The saved input example (a DataFrame or ndarray), or None when none was saved.

        ``path``: the model directory; defaults to the one this Model was loaded from.
        """
        info = self.saved_input_example_info
        if not info:
            return None
        directory = Path(path) if path is not None else self._directory
        if directory is None:
            raise InvalidParameter("pass the model directory: this Model was not loaded from one")
        data = json.loads((directory / info["artifact_path"]).read_text())
        return example_from_json(data, info)

    def get_model_info(self) -> ModelInfo:
        return ModelInfo.from_model(self, model_uri=f"runs:/{self.run_id}/{self.artifact_path}")

    def __repr__(self) -> str:
        return f"Model(flavors={sorted(self.flavors)}, run_id={self.run_id!r}, artifact_path={self.artifact_path!r})"


def example_from_json(data: Any, info: dict[str, Any]) -> Any:
    """An input example from the content of ``input_example.json`` and its saved info."""
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd

        if info.get("pandas_orient", "split") == "split":
            return pd.DataFrame(data["data"], columns=data.get("columns"), index=data.get("index"))
        return pd.DataFrame.from_records(data)
    if kind == "ndarray":
        import numpy as np

        if isinstance(data, dict) and "inputs" in data:
            data = data["inputs"]
        return np.asarray(data)
    if isinstance(data, dict) and "inputs" in data:
        return data["inputs"]
    return data


def mlflow_version_installed() -> str:
    """The installed mlflow's version, or the format version mlnb mirrors when it is absent."""
    from mlnb.flavors.environment import installed_version

    return installed_version("mlflow") or MLFLOW_FORMAT_VERSION


@dataclass
class ModelInfo:
    """What logging a model returns: MLflow's ``ModelInfo`` fields plus how mlnb saved it.

    ``model_uri`` is ``runs:/<run_id>/<artifact_path>`` and ``artifact_path`` is the model's
    path inside its run (MLflow 2's meaning): mlnb keeps models in their run rather than as
    MLflow 3's separate logged-model entities, so ``model_id`` is None unless the caller passed
    one.  ``signature`` is a ``ModelSignature``;
    ``signature_dict`` is the same in the MLmodel dict form.  ``flavor`` and ``serialization``
    are mlnb's: the flavor name (``"sklearn"``, ``"python_function"``) and how its model file
    was written (``"skops"``, ``"cloudpickle"``, ``"pickle"``, ``"code"``).
    """

    run_id: str
    artifact_path: str
    model_uri: str
    flavor: str = "sklearn"
    serialization: str = "skops"
    signature_dict: dict[str, Any] | None = None
    flavors: dict[str, Any] = field(default_factory=dict)
    model_uuid: str = ""
    saved_input_example_info: dict[str, Any] | None = None
    utc_time_created: str = ""
    mlflow_version: str = ""
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None
    env_vars: list[str] | None = None
    prompts: list[str] | None = None
    name: str | None = None
    model_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    metrics: list[Any] | None = None
    creation_timestamp: int | None = None

    @property
    def signature(self) -> Any:
        """The ``ModelSignature`` recorded with the model (None when there is none)."""
        return signature_object(self.signature_dict)

    @classmethod
    def from_model(cls, model: Model, *, model_uri: str, **fields: Any) -> ModelInfo:
        """A ModelInfo describing ``model`` (an MLmodel) stored at ``model_uri``."""
        values: dict[str, Any] = {
            "run_id": model.run_id or "",
            "artifact_path": model.artifact_path or "",
            "model_uri": model_uri,
            "signature_dict": model.signature_dict,
            "flavors": model.flavors,
            "model_uuid": model.model_uuid,
            "saved_input_example_info": model.saved_input_example_info,
            "utc_time_created": model.utc_time_created,
            "mlflow_version": model.mlflow_version,
            "metadata": model.metadata,
            "env_vars": model.env_vars,
            "model_id": model.model_id,
            "name": model.artifact_path,
        }
        values.update(fields)
        return cls(**values)
