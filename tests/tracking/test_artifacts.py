from __future__ import annotations

import json

import pytest

import mlnb
from mlnb.errors import ArtifactNotFound, IntegrityError


def test_log_and_read_text_dict_and_files(store: object, tmp_path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.bin").write_bytes(b"\x00\x01")
    with mlnb.start_run() as run:
        mlnb.log_text("héllo", "notes/readme.md")
        mlnb.log_dict({"k": [1, 2]}, "cfg/params.json")
        mlnb.log_dict({"k": 1}, "cfg/params.yaml")
        mlnb.log_artifact(src / "a.txt", artifact_path="files")
        mlnb.log_artifacts(src, artifact_path="tree")
    rid = run.info.run_id
    assert mlnb.load_text(rid, "notes/readme.md") == "héllo"
    assert mlnb.load_dict(rid, "cfg/params.json") == {"k": [1, 2]}
    assert mlnb.load_dict(rid, "cfg/params.yaml") == {"k": 1}
    top = [(a.path, a.is_dir) for a in mlnb.list_artifacts(rid)]
    assert top == [("cfg", True), ("files", True), ("notes", True), ("tree", True)]
    tree = [a.path for a in mlnb.list_artifacts(rid, "tree")]
    assert tree == ["tree/a.txt", "tree/sub"]
    out = mlnb.download_artifacts(rid, "tree", tmp_path / "out")
    assert (tmp_path / "out" / "tree" / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    assert out.endswith("tree")
    with mlnb.open_artifact(rid, "files/a.txt") as fh:
        assert fh.read() == b"A"


def test_log_figure_writes_png(store: object) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with mlnb.start_run() as run:
        mlnb.log_figure(fig, "plots/line.png")
    plt.close(fig)
    with mlnb.open_artifact(run.info.run_id, "plots/line.png") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_tampered_artifact_is_refused(store: object, tmp_path) -> None:
    with mlnb.start_run() as run:
        mlnb.log_text("original", "a.txt")
    path = mlnb.get_store().run_dir(run.info.run_id) / "a.txt"
    path.write_text("tampered")
    with pytest.raises(IntegrityError, match="modified"):
        mlnb.load_text(run.info.run_id, "a.txt")
    with pytest.raises(IntegrityError):
        mlnb.download_artifacts(run.info.run_id, "a.txt", tmp_path / "o")


def test_missing_artifact_is_not_found(store: object) -> None:
    with mlnb.start_run() as run:
        pass
    with pytest.raises(ArtifactNotFound):
        mlnb.load_text(run.info.run_id, "nope.txt")


def test_overwrite_records_the_new_hash(store: object) -> None:
    with mlnb.start_run() as run:
        mlnb.log_text("one", "a.txt")
        mlnb.log_text("two", "a.txt")
    assert mlnb.load_text(run.info.run_id, "a.txt") == "two"
    (info,) = mlnb.list_artifacts(run.info.run_id)
    assert info.file_size == 3


def test_no_temp_files_are_left(store: object) -> None:
    with mlnb.start_run() as run:
        for i in range(5):
            mlnb.log_text(str(i), f"d/{i}.txt")
    names = [p.name for p in mlnb.get_store().run_dir(run.info.run_id).rglob("*")]
    assert not [n for n in names if n.startswith(".mlnb-tmp-")]
    assert json.loads(json.dumps(sorted(names)))  # plain names only
