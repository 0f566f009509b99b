"""Code execution through a logged model: the attacks, each refused.

The payload is a real skops file whose loading calls ``builtins.exec`` (skops constructs the
object by calling the trusted name with the file's arguments); the code it runs only writes a
marker file, so a test that fails shows that code ran, and nothing else.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlnb
from mlnb.errors import IntegrityError, InvalidParameter, MlnbError
from mlnb.store.artifacts import sha256_file


def skops_calling(name: str, argument: str) -> bytes:
    """A skops file whose loading calls ``name(argument)`` once ``name`` is trusted."""
    import skops.io as sio

    args = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps((argument,)))).read("schema.json"))
    module, _, func = name.rpartition(".")
    schema = {
        "__class__": func,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": {k: v for k, v in args.items() if k not in ("protocol", "_skops_version")},
        "__id__": 1,
        "protocol": args["protocol"],
        "_skops_version": args["_skops_version"],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    return out.getvalue()


def exec_payload(marker: Path) -> bytes:
    return skops_calling("builtins.exec", f"open({str(marker)!r}, 'w').write('code ran')")


def evil_record() -> str:
    return json.dumps({"flavor": "sklearn", "serialization": "skops", "trusted_types": ["builtins.exec"]})


@pytest.fixture
def logged(store: Any, tiny_model: Any) -> Any:
    with mlnb.start_run():
        return mlnb.log_model(tiny_model, "model")


def test_payload_runs_code_when_skops_trusts_exec(tmp_path: Path) -> None:
    """The payload is real: skops itself runs it once told to trust builtins.exec."""
    import skops.io as sio

    marker = tmp_path / "ran"
    sio.loads(exec_payload(marker), trusted=["builtins.exec"])
    assert marker.read_text() == "code ran"


def test_the_issue_attack_through_the_public_api_runs_no_code(
    store: Any, logged: Any, tmp_path: Path
) -> None:
    """Overwrite model.skops with log_artifact, rewrite the model's tag to trust exec, load."""
    marker = tmp_path / "ran"
    evil = tmp_path / "model.skops"
    evil.write_bytes(exec_payload(marker))
    client = mlnb.MlflowClient()
    steps = [
        lambda: mlnb.log_artifact(evil, "model", run_id=logged.run_id),
        lambda: client.log_artifact(logged.run_id, evil, "model"),
        lambda: mlnb.set_tag("mlnb.model.model", evil_record(), run_id=logged.run_id),
        lambda: client.set_tag(logged.run_id, "mlnb.model.model", evil_record()),
        lambda: client.log_batch(logged.run_id, tags=[mlnb.RunTag("mlnb.model.model", evil_record())]),
        lambda: mlnb.load_model(logged.model_uri),
        lambda: mlnb.pyfunc.load_model(logged.model_uri),
    ]
    refused = 0
    for step in steps:
        try:
            step()
        except MlnbError:
            refused += 1
    assert not marker.exists(), "load_model ran the attacker's code"
    assert refused == 5  # the five writes; the model itself still loads, untouched
    assert mlnb.get_run(logged.run_id).data.tags["mlnb.model.model"] != evil_record()


@pytest.mark.parametrize(
    "write",
    [
        lambda rid, src, tmp: mlnb.log_artifact(src, "model", run_id=rid),
        lambda rid, src, tmp: mlnb.log_artifacts(src.parent, "model", run_id=rid),
        lambda rid, src, tmp: mlnb.log_text("x", "model/model.skops", run_id=rid),
        lambda rid, src, tmp: mlnb.log_dict({"flavors": {}}, "model/MLmodel", run_id=rid),
        lambda rid, src, tmp: mlnb.log_text("x", "model/extra/notes.txt", run_id=rid),
        lambda rid, src, tmp: mlnb.log_image(np.zeros((4, 4, 3), np.uint8), "model/x.png", run_id=rid),
        lambda rid, src, tmp: mlnb.log_table({"a": [1]}, "model/t.json", run_id=rid),
        lambda rid, src, tmp: mlnb.MlflowClient().log_text(rid, "x", "model/model.skops"),
        lambda rid, src, tmp: mlnb.MlflowClient().log_artifacts(rid, src.parent, "model"),
        lambda rid, src, tmp: mlnb.log_text("x", "MODEL/model.skops", run_id=rid),
        lambda rid, src, tmp: mlnb.log_stream(io.BytesIO(src.read_bytes()), "model/model.skops", run_id=rid),
    ],
    ids=[
        "log_artifact",
        "log_artifacts",
        "log_text",
        "log_dict",
        "new_file_inside",
        "log_image",
        "log_table",
        "client.log_text",
        "client.log_artifacts",
        "other_case",
        "log_stream",
    ],
)
def test_files_of_a_logged_model_cannot_be_written(
    store: Any, logged: Any, tmp_path: Path, write: Any
) -> None:
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    src = src_dir / "model.skops"
    src.write_bytes(exec_payload(tmp_path / "ran"))
    before = store.artifact_rows(logged.run_id, "model")
    with pytest.raises(InvalidParameter, match=r"inside the model logged at 'model'.*immutable"):
        write(logged.run_id, src, tmp_path)
    assert store.artifact_rows(logged.run_id, "model") == before
    mlnb.load_model(logged.model_uri)


def test_figure_into_a_model_directory_is_refused(store: Any, logged: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        with pytest.raises(InvalidParameter, match="immutable"):
            mlnb.log_figure(fig, "model/plot.png", run_id=logged.run_id)
    finally:
        plt.close(fig)


def test_an_explanation_into_a_model_directory_is_refused(store: Any, logged: Any, tiny_model: Any) -> None:
    import mlnb.shap

    before = store.artifact_rows(logged.run_id, "model")
    with mlnb.start_run(run_id=logged.run_id), pytest.raises(InvalidParameter, match="immutable"):
        features = np.random.default_rng(0).normal(size=(20, 3))
        mlnb.shap.log_explanation(tiny_model.predict_proba, features, artifact_path="model")
    assert store.artifact_rows(logged.run_id, "model") == before


def test_logging_a_model_over_an_existing_one_is_refused(store: Any, logged: Any, tiny_model: Any) -> None:
    before = store.artifact_rows(logged.run_id, "model")
    for name in ("model", "model/inner"):
        with pytest.raises(InvalidParameter, match=f"cannot log a model at '{name}'"):
            mlnb.log_model(tiny_model, name, run_id=logged.run_id)
    assert store.artifact_rows(logged.run_id, "model") == before
    assert mlnb.log_model(tiny_model, "model2", run_id=logged.run_id).artifact_path == "model2"


def test_plain_artifacts_can_still_be_overwritten(store: Any, logged: Any) -> None:
    """As in MLflow, a plain artifact (outside any model) may be logged again."""
    mlnb.log_text("one", "notes.txt", run_id=logged.run_id)
    mlnb.log_text("two", "notes.txt", run_id=logged.run_id)
    mlnb.log_text("x", "model_notes/readme.md", run_id=logged.run_id)  # a sibling, not inside
    assert mlnb.load_text(logged.run_id, "notes.txt") == "two"


# --- the database edited by hand -----------------------------------------------------------------
def _tamper(store: Any, info: Any, payload: bytes, record: str) -> None:
    """What someone with write access to the store's files and database could do."""
    path = store.run_dir(info.run_id) / "model" / "model.skops"
    path.write_bytes(payload)
    sha, size = sha256_file(path)
    db = sqlite3.connect(store.location.db_file)
    with db:
        db.execute(
            "UPDATE artifacts SET sha256 = ?, size = ? WHERE run_id = ? AND path = 'model/model.skops'",
            (sha, size, info.run_id),
        )
        db.execute(
            "UPDATE tags SET value = ? WHERE run_id = ? AND key = 'mlnb.model.model'", (record, info.run_id)
        )
    db.close()


UNTRUSTABLE = [
    "builtins.exec",
    "builtins.eval",
    "os.system",
    "subprocess.getoutput",
    "posix.system",
    "importlib.import_module",
    "pickle.loads",
    "shutil.rmtree",
    "sys.exit",
    "runpy.run_path",
    "code.interact",
    "ctypes.CDLL",
    "numpy.load",
    "numpy.lib.npyio.load",
    "numpy.ctypeslib.load_library",
    "numpy.testing._private.utils.runstring",
    "pandas.read_pickle",
    "pandas.io.pickle.read_pickle",
    "pandas.eval",
    "skops.io.load",
    "sklearn.utils._testing.assert_run_python_script_without_output",
    "mymodule.Evil",
]


@pytest.mark.parametrize("name", UNTRUSTABLE)
def test_hand_edited_record_cannot_make_skops_trust(
    store: Any, logged: Any, tmp_path: Path, name: str
) -> None:
    """The record is checked before skops reads the file; only the exec payload is armed (the
    other names would not run anything harmless enough to leave in a test suite)."""
    marker = tmp_path / "ran"
    model_file = store.run_dir(logged.run_id) / "model" / "model.skops"
    payload = exec_payload(marker) if name == "builtins.exec" else model_file.read_bytes()
    record = json.dumps({"flavor": "sklearn", "serialization": "skops", "trusted_types": [name]})
    _tamper(store, logged, payload, record)
    for load in (mlnb.load_model, mlnb.sklearn.load_model, mlnb.pyfunc.load_model):
        with pytest.raises(IntegrityError, match=rf"trust '{name}'.*log the model again.*skops\.io\.load"):
            load(logged.model_uri)
    assert not marker.exists()


def test_hand_edited_record_cannot_turn_skops_into_pickle(store: Any, logged: Any, tmp_path: Path) -> None:
    record = json.dumps({"flavor": "sklearn", "serialization": "cloudpickle", "trusted_types": []})
    _tamper(store, logged, (store.run_dir(logged.run_id) / "model" / "model.skops").read_bytes(), record)
    with pytest.raises(IntegrityError, match="MLmodel file contradicts"):
        mlnb.load_model(logged.model_uri)
    python = json.dumps({"flavor": "python_function", "serialization": "cloudpickle", "trusted_types": []})
    _tamper(store, logged, (store.run_dir(logged.run_id) / "model" / "model.skops").read_bytes(), python)
    with pytest.raises(IntegrityError):
        mlnb.pyfunc.load_model(logged.model_uri, allow_pickle=True)


@pytest.mark.parametrize(
    "record",
    [
        "not json",
        "[]",
        '{"flavor": "sklearn"}',
        '{"serialization": "skops", "trusted_types": "builtins.exec"}',
    ],
)
def test_malformed_record_is_refused_with_one_line(store: Any, logged: Any, record: str) -> None:
    _tamper(store, logged, (store.run_dir(logged.run_id) / "model" / "model.skops").read_bytes(), record)
    with pytest.raises(IntegrityError, match="not valid"):
        mlnb.load_model(logged.model_uri)


def test_saving_refuses_what_loading_refuses(store: Any) -> None:
    """The rule is one: a model holding numpy.load is not saved with skops either."""
    from sklearn.preprocessing import FunctionTransformer

    from mlnb.errors import UnsupportedModel

    model = FunctionTransformer(np.load).fit(np.ones((2, 2)))
    with mlnb.start_run(), pytest.raises(UnsupportedModel, match=r"numpy\.load"):
        mlnb.log_model(model, "loader")


def test_models_from_the_scientific_stack_still_load(store: Any) -> None:
    """Types outside skops' defaults but inside the stack (the save-time allow-list) are trusted."""
    from sklearn.preprocessing import FunctionTransformer, normalize

    model = FunctionTransformer(normalize).fit(np.ones((2, 2)))
    with mlnb.start_run():
        info = mlnb.log_model(model, "norm")
    record = json.loads(mlnb.get_run(info.run_id).data.tags["mlnb.model.norm"])
    assert record["trusted_types"]
    loaded = mlnb.load_model(info.model_uri)
    np.testing.assert_allclose(loaded.transform(np.ones((1, 2))), normalize(np.ones((1, 2))))
