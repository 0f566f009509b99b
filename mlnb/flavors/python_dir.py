"""The model directory of a custom Python model, built in memory and opened again.

Models-from-code (``python_model`` is the path of a ``.py`` file) is the default: the file is
copied into the directory and run at load time, as MLflow's ``code_model`` loader does.  An
in-memory :class:`~mlnb.flavors.python_model.PythonModel` is saved with cloudpickle only when
the caller passes ``serialization_format="cloudpickle"``, and loading it needs
``allow_pickle=True``.  The layout and ``MLmodel`` keys are MLflow 3.17's, so
``mlflow.pyfunc.load_model`` loads either kind.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

from mlnb.errors import InvalidParameter, UnsupportedModel
from mlnb.flavors import bundle, environment, skops_io
from mlnb.flavors.mlmodel import ModelFiles, example_files, new_model
from mlnb.flavors.model import MLMODEL_FILE, Model, dump_mlmodel
from mlnb.flavors.pyfunc_model import PythonImpl
from mlnb.flavors.python_model import PythonModelContext, load_code
from mlnb.flavors.signature import infer_signature, normalize_signature
from mlnb.store.paths import check_relpath

CODE_LOADER = "mlflow.pyfunc.loaders.code_model"
PICKLE_LOADER = "mlflow.pyfunc.model"
PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
CODE = "code"  # the serialization recorded for a models-from-code model


def _artifacts(
    artifacts: dict[str, Any] | None,
) -> tuple[list[tuple[str, bytes]], dict[str, Any], dict[str, str]]:
    """(files, the flavor's ``artifacts`` entry, name -> local path for a logging-time context)."""
    if not artifacts:
        return [], {}, {}
    if not isinstance(artifacts, dict):
        raise InvalidParameter(
            f"artifacts must be a dict of name -> local path, got {type(artifacts).__name__}"
        )
    files: list[tuple[str, bytes]] = []
    entry: dict[str, Any] = {}
    local: dict[str, str] = {}
    for name, uri in artifacts.items():
        tree = bundle.read_tree(uri, ARTIFACTS_DIR, f"artifact {name!r}")
        top = tree[0][0].split("/")[1] if tree else Path(str(uri)).name
        files.extend(tree)
        entry[name] = {"path": f"{ARTIFACTS_DIR}/{top}", "uri": str(uri)}
        local[name] = str(Path(str(uri).removeprefix("file://")).resolve())
    return files, entry, local


def _code_file(python_model: str | Path) -> tuple[str, bytes, Path]:
    path = Path(str(python_model).removeprefix("file://"))
    if path.suffix != ".py" or not path.is_file():
        raise InvalidParameter(
            f"python_model {str(python_model)!r} must be an existing .py file that ends with "
            "mlnb.models.set_model(YourModel())"
        )
    return path.name, path.read_bytes(), path


def _infer(model: Any, rows: Any, context: PythonModelContext) -> dict[str, Any] | None:
    try:
        output = PythonImpl(model, context).predict(rows)
        return infer_signature(rows, output)
    except Exception:  # a model failing on its own example still gets logged, unsigned
        return None


def build_python_model(
    python_model: Any,
    *,
    artifacts: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    signature: Any = None,
    input_example: Any = None,
    serialization_format: str | None = None,
    requirements: environment.Requirements | None = None,
    code_paths: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
    model_id: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> ModelFiles:
    """All files of a custom Python model's directory (see the module docstring).

    Raises :class:`mlnb.errors.UnsupportedModel` for an in-memory model without
    ``serialization_format="cloudpickle"``.
    """
    import cloudpickle

    if python_model is None:
        raise InvalidParameter("pass python_model: the path of a .py file that calls set_model(...)")
    if model_config is not None and not isinstance(model_config, dict):
        raise InvalidParameter(f"model_config must be a dict, got {type(model_config).__name__}")
    flavor: dict[str, Any] = {}
    if isinstance(python_model, (str, Path)):
        name, source, original = _code_file(python_model)
        files: list[tuple[str, bytes]] = [(name, source)]
        serialization = CODE
        flavor.update(loader_module=CODE_LOADER, model_code_path=name)
        live = (lambda: load_code(original)) if input_example is not None and signature is None else None
    else:
        if serialization_format != skops_io.CLOUDPICKLE:
            raise UnsupportedModel(
                f"a {type(python_model).__name__} object can only be saved with cloudpickle, which "
                "runs code when loaded. Save the model as code (put the class in a .py file ending "
                "with mlnb.models.set_model(...) and pass its path as python_model), or opt in "
                "with serialization_format='cloudpickle'"
            )
        files = [(PYTHON_MODEL_FILE, skops_io.dump_pickle(python_model))]
        serialization = skops_io.CLOUDPICKLE
        flavor.update(loader_module=PICKLE_LOADER, python_model=PYTHON_MODEL_FILE)
        live = lambda: python_model  # noqa: E731
    art_files, art_entry, art_local = _artifacts(artifacts)
    code = bundle.read_paths(code_paths, bundle.CODE_DIR, "code path")
    files.extend(art_files + code)
    sig = None if signature is False else normalize_signature(signature)
    rows, example, info = example_files(input_example)
    files.extend(example)
    if rows is not None and sig is None and live is not None:
        sig = _infer(live(), rows, PythonModelContext(art_local, model_config))
    if art_entry:
        flavor["artifacts"] = art_entry
    flavor.update(
        cloudpickle_version=cloudpickle.__version__,
        code=bundle.CODE_DIR if code else None,
        env={"conda": environment.CONDA_ENV_FILE, "virtualenv": environment.PYTHON_ENV_FILE},
        python_version=platform.python_version(),
        streamable=False,
    )
    if model_config:
        flavor["config"] = model_config
    meta = new_model(
        {"python_function": flavor},
        files,
        signature=sig,
        example_info=info,
        metadata=metadata,
        model_id=model_id,
    )
    meta.run_id, meta.artifact_path = run_id, artifact_path
    files.append((MLMODEL_FILE, dump_mlmodel(meta.to_dict())))
    wanted = requirements or environment.Requirements()
    if wanted.pip_requirements is None and wanted.conda_env is None:
        wanted = environment.Requirements(
            None, wanted.extra_pip_requirements, None, environment.PYFUNC_PACKAGES
        )
    files.extend(environment.environment_files(serialization, wanted))
    return ModelFiles(files, serialization, [], sig, meta.to_dict())


def open_python_model(
    directory: Path,
    meta: Model,
    serialization: str | None,
    *,
    allow_pickle: bool = False,
    model_config: dict[str, Any] | None = None,
) -> PythonImpl:
    """Load the custom Python model of a (verified) directory, with its context.

    ``serialization``: what the store recorded (``"code"``/``"cloudpickle"``); None for a local
    directory, where it is read from the ``MLmodel`` file.
    """
    flavor = meta.flavors.get("python_function") or {}
    if serialization is None:
        serialization = CODE if "model_code_path" in flavor else skops_io.CLOUDPICKLE
    if flavor.get("code"):
        code_dir = str(directory / check_relpath(str(flavor["code"])))
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    config = dict(flavor.get("config") or {})
    config.update(model_config or {})
    artifacts = {
        name: str(directory.joinpath(*check_relpath(str(entry["path"])).split("/")))
        for name, entry in (flavor.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, config)
    if serialization == CODE:
        if "model_code_path" not in flavor:
            raise InvalidParameter("the MLmodel file has no model_code_path for this models-from-code model")
        name = Path(str(flavor["model_code_path"])).name
        return PythonImpl(load_code(directory / name), context)
    if serialization != skops_io.CLOUDPICKLE:
        raise InvalidParameter(f"unknown serialization {serialization!r} for a Python model")
    if not allow_pickle:
        raise InvalidParameter(
            "this Python model was saved with cloudpickle, which can run arbitrary code when "
            "loaded; pass allow_pickle=True if you trust it (or save it as code instead)"
        )
    pickled = directory / check_relpath(str(flavor.get("python_model") or PYTHON_MODEL_FILE))
    return PythonImpl(skops_io.load_pickle(pickled), context)
