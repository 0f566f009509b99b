"""A damaged MLmodel file or a JSON/YAML artifact that does not parse gives one clear line."""

from __future__ import annotations

import io

import pytest

import mlnb
from mlnb.errors import InvalidParameter, ModelNotFound
from mlnb.flavors.model import Model

BAD_MLMODELS = {
    "not-yaml": b"flavors: [unclosed\n",
    "python-constructor": b"flavors: !!python/object/apply:os.system ['echo pwned']\n",
    "deep": b"flavors: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "no-flavors": b"just: text\n",
    "not-utf8": b"\xff\xfe\x00flavors",
    "signature-not-json": b"flavors: {python_function: {}}\nsignature: {inputs: '[{\"type\": '}\n",
}


@pytest.mark.parametrize("content", BAD_MLMODELS.values(), ids=BAD_MLMODELS.keys())
def test_damaged_mlmodel_names_the_file(tmp_path, content):
    (tmp_path / "MLmodel").write_bytes(content)
    with pytest.raises(InvalidParameter) as raised:
        Model.load(tmp_path)
    message = str(raised.value)
    assert "\n" not in message and str(tmp_path / "MLmodel") in message


def test_missing_mlmodel_is_model_not_found(tmp_path):
    with pytest.raises(ModelNotFound):
        Model.load(tmp_path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bad.json", "{not json"),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("bad.yaml", "a: [unclosed"),
        ("tagged.yaml", "!!python/object/apply:os.system ['echo pwned']"),
        ("binary.json", b"\xff\xfe".decode("latin-1")),
    ],
)
def test_load_dict_of_unparsable_artifact_is_one_line(store, name, content):
    with mlnb.start_run() as run:
        if name == "binary.json":
            mlnb.log_stream(io.BytesIO(b"\xff\xfe"), name)
        else:
            mlnb.log_text(content, name)
    with pytest.raises(InvalidParameter) as raised:
        mlnb.load_dict(run.info.run_id, name)
    assert "\n" not in str(raised.value) and name in str(raised.value)
