"""mlnb.artifacts: MLflow's artifact functions by URI, every read checked against its sha256."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import mlnb
from mlnb.errors import ArtifactNotFound, IntegrityError, InvalidParameter, InvalidUri


def _log_files(run_id: str | None = None) -> None:
    mlnb.log_text("hi", "d/a.txt", run_id=run_id)
    mlnb.log_dict({"a": 1}, "d/sub/c.json", run_id=run_id)
    mlnb.log_dict({"b": [1, 2]}, "c.yaml", run_id=run_id)


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (255, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def run(store: object) -> object:
    with mlnb.start_run() as active:
        _log_files()
    return mlnb.get_run(active.info.run_id)


def _listing(infos: list) -> list[tuple[str, bool, int | None]]:
    return [(f.path, f.is_dir, f.file_size) for f in infos]


@pytest.mark.mlflow
def test_listing_and_downloads_match_mlflow(run, tmp_path: Path) -> None:
    import mlflow
    import mlflow.artifacts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
        try:
            with mlflow.start_run() as theirs_run:
                mlflow.log_text("hi", "d/a.txt")
                mlflow.log_dict({"a": 1}, "d/sub/c.json")
                mlflow.log_dict({"b": [1, 2]}, "c.yaml")
            theirs_id = theirs_run.info.run_id
            forms = [
                ({"run_id": theirs_id}, {"run_id": run.info.run_id}),
                (
                    {"run_id": theirs_id, "artifact_path": "d"},
                    {"run_id": run.info.run_id, "artifact_path": "d"},
                ),
                ({"artifact_uri": f"runs:/{theirs_id}/d"}, {"artifact_uri": f"runs:/{run.info.run_id}/d"}),
                (
                    {"artifact_uri": f"runs:/{theirs_id}/d/a.txt"},
                    {"artifact_uri": f"runs:/{run.info.run_id}/d/a.txt"},
                ),
                (
                    {"artifact_uri": theirs_run.info.artifact_uri + "/d"},
                    {"artifact_uri": run.info.artifact_uri + "/d"},
                ),
            ]
            for theirs_kw, ours_kw in forms:
                assert _listing(mlnb.artifacts.list_artifacts(**ours_kw)) == _listing(
                    mlflow.artifacts.list_artifacts(**theirs_kw)
                )
            for i, (theirs_kw, ours_kw) in enumerate(forms[:5]):
                theirs_path = Path(
                    mlflow.artifacts.download_artifacts(**theirs_kw, dst_path=tmp_path / f"t{i}")
                )
                ours_path = Path(mlnb.artifacts.download_artifacts(**ours_kw, dst_path=tmp_path / f"o{i}"))
                assert ours_path.relative_to(tmp_path / f"o{i}") == theirs_path.relative_to(
                    tmp_path / f"t{i}"
                )
                theirs_files = sorted(p.relative_to(theirs_path).as_posix() for p in theirs_path.rglob("*"))
                ours_files = sorted(p.relative_to(ours_path).as_posix() for p in ours_path.rglob("*"))
                assert ours_files == theirs_files
            assert mlnb.artifacts.load_text(f"runs:/{run.info.run_id}/d/a.txt") == mlflow.artifacts.load_text(
                f"runs:/{theirs_id}/d/a.txt"
            )
            assert mlnb.artifacts.load_dict(
                run.info.artifact_uri + "/d/sub/c.json"
            ) == mlflow.artifacts.load_dict(theirs_run.info.artifact_uri + "/d/sub/c.json")
        finally:
            mlflow.set_tracking_uri(None)


@pytest.mark.mlflow
def test_load_image_gives_what_mlflow_gives(store: object, tmp_path: Path) -> None:
    import mlflow
    import mlflow.artifacts

    png = tmp_path / "img.png"
    png.write_bytes(_png())
    with mlnb.start_run() as ours_run:
        mlnb.log_artifact(str(png), "images")
    ours = mlnb.artifacts.load_image(f"runs:/{ours_run.info.run_id}/images/img.png")
    theirs = mlflow.artifacts.load_image(str(png))
    assert (ours.format, ours.mode, ours.size) == (theirs.format, theirs.mode, theirs.size)
    assert ours.tobytes() == theirs.tobytes()


def test_a_file_changed_after_logging_is_refused(run) -> None:
    path = Path(run.info.artifact_uri.removeprefix("file://")) / "d" / "a.txt"
    path.write_text("tampered")
    for load in (
        lambda: mlnb.artifacts.load_text(f"runs:/{run.info.run_id}/d/a.txt"),
        lambda: mlnb.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="d"),
    ):
        with pytest.raises(IntegrityError, match="modified after it was logged"):
            load()


def test_model_uri_reaches_files_inside_the_model(store: object) -> None:
    from sklearn.linear_model import LinearRegression

    with mlnb.start_run():
        info = mlnb.log_model(LinearRegression().fit([[1.0], [2.0]], [1.0, 2.0]), "model")
    mlnb.register_model(info.model_uri, "reg")
    names = [f.path for f in mlnb.artifacts.list_artifacts("models:/reg/1")]
    assert "MLmodel" in names  # relative to the model's directory, as MLflow lists them
    assert "python_function" in mlnb.artifacts.load_text("models:/reg/1/MLmodel")
    assert mlnb.artifacts.load_text("models:/reg/latest/MLmodel") == mlnb.artifacts.load_text(
        f"runs:/{info.run_id}/model/MLmodel"
    )


def test_yaml_and_json_dicts(run) -> None:
    assert mlnb.artifacts.load_dict(f"runs:/{run.info.run_id}/c.yaml") == {"b": [1, 2]}
    with pytest.raises(InvalidParameter, match="not valid JSON"):
        mlnb.artifacts.load_dict(f"runs:/{run.info.run_id}/d/a.txt")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, InvalidParameter, "Exactly one of `run_id` or `artifact_uri`"),
        ({"run_id": "a" * 32, "artifact_uri": "runs:/x"}, InvalidParameter, "Exactly one"),
        (
            {"artifact_uri": "runs:/x/y", "artifact_path": "y"},
            InvalidParameter,
            "`artifact_path` cannot be specified",
        ),
        ({"artifact_uri": "s3://bucket/key"}, InvalidUri, "scheme 's3'"),
        ({"artifact_uri": "/etc/passwd"}, InvalidUri, "not in the store's artifact directory"),
        ({"artifact_uri": "runs:/nothex/x"}, InvalidUri, "32 hex"),
        ({"run_id": "a" * 32, "artifact_path": "../x"}, InvalidParameter, "x"),
    ],
)
def test_bad_addresses_say_what_works(store: object, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        mlnb.artifacts.list_artifacts(**kwargs)


def test_missing_file_and_directory_root(run) -> None:
    with pytest.raises(ArtifactNotFound):
        mlnb.artifacts.load_text(f"runs:/{run.info.run_id}/nope.txt")
    with pytest.raises(ArtifactNotFound, match="directory, not a file"):
        mlnb.artifacts.load_text(f"runs:/{run.info.run_id}/d")
    assert mlnb.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="nope") == []


def test_another_store_by_tracking_uri(store_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / ".mlnb"
    mlnb.set_store(other)
    with mlnb.start_run() as active:
        _log_files()
    mlnb.set_store(None)
    listing = mlnb.artifacts.list_artifacts(run_id=active.info.run_id, tracking_uri=str(other))
    assert [f.path for f in listing] == ["c.yaml", "d"]
