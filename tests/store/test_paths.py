from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlnb
from mlnb.errors import UnsafePath
from mlnb.store.paths import check_relpath, contained

# payloads from MLflow's path-traversal advisories and their variants
TRAVERSAL = [
    "../evil.txt",
    "a/../../evil.txt",
    "..",
    "%2e%2e/evil.txt",
    "%2e%2e%2fevil.txt",
    "%252e%252e/evil.txt",
    "\\..\\evil.txt",
    "a\\..\\..\\evil.txt",
    "/etc/passwd",
    "//etc/passwd",
    "C:\\Windows\\win.ini",
    "C:/Windows/win.ini",
    "c:evil",
    ";../evil",
    "#/../evil",
    "a/./b",
    "./a",
    "a//b",
    "a\x00b",
    "a\nb",
    "a\rb",
    "a\tb",
    "\u202eevil",
    "~/evil",
    "a/ ../b",
    "",
]


@pytest.mark.parametrize("payload", TRAVERSAL)
def test_traversal_payload_is_refused(payload: str) -> None:
    with pytest.raises(UnsafePath, match="refused"):
        check_relpath(payload)


@pytest.mark.parametrize("payload", [p for p in TRAVERSAL if p])
def test_traversal_payload_is_refused_by_log_text(store: object, payload: str) -> None:
    with mlnb.start_run() as run, pytest.raises(UnsafePath):
        mlnb.log_text("x", payload)
    assert mlnb.list_artifacts(run.info.run_id) == []


@pytest.mark.parametrize("payload", [p for p in TRAVERSAL if p])
def test_traversal_payload_is_refused_on_download(store: object, payload: str, tmp_path) -> None:
    with mlnb.start_run() as run:
        mlnb.log_text("x", "ok.txt")
    with pytest.raises(UnsafePath):
        mlnb.download_artifacts(run.info.run_id, payload, tmp_path / "out")


def test_canonical_paths_are_kept() -> None:
    assert check_relpath("plots/roc.png") == "plots/roc.png"
    assert check_relpath("model/") == "model"
    assert check_relpath("données/été.txt") == "données/été.txt"


def test_symlink_leaving_the_run_dir_is_refused(store: object, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    with mlnb.start_run() as run:
        mlnb.log_text("x", "ok.txt")
    run_dir = mlnb.get_store().run_dir(run.info.run_id)
    os.symlink(outside, run_dir / "link")
    with pytest.raises(UnsafePath, match="outside"):
        contained(run_dir, "link/secret.txt")
    with mlnb.start_run(run_id=run.info.run_id), pytest.raises(UnsafePath, match="outside"):
        mlnb.log_text("overwrite", "link/secret.txt")
    assert (outside / "secret.txt").read_text() == "secret"


@given(st.text(max_size=40))
def test_any_text_is_canonical_or_refused(text: str) -> None:
    try:
        out = check_relpath(text)
    except UnsafePath:
        return
    parts = out.split("/")
    assert all(p not in ("", ".", "..") for p in parts)
    assert not out.startswith("/") and "\\" not in out and "%" not in out
    assert os.path.normpath(out) == out.replace("/", os.sep)
