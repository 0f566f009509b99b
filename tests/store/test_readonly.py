"""The read-only store the Jupyter server extension browses with (mlnb/store/readonly.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import mlnb
from mlnb.errors import StoreError, StoreReadOnly
from mlnb.store.browsing import same_notebook
from mlnb.store.location import parse_store_uri
from mlnb.store.readonly import (
    ReadOnlyStore,
    StoreNotReady,
    cached_readonly,
    close_cached,
)


def _open(store_dir: Path) -> ReadOnlyStore:
    return ReadOnlyStore(parse_store_uri(store_dir, source="env"))


def test_missing_store_is_not_created(tmp_path):
    target = tmp_path / "nothing" / ".mlnb"
    with pytest.raises(StoreNotReady):
        _open(target)
    assert not target.exists()


def test_reader_cannot_write(store, store_dir):
    with mlnb.start_run():
        pass
    store.flush()
    reader = _open(store_dir)
    with pytest.raises(StoreError), reader.atomic():
        pass
    with pytest.raises(StoreReadOnly, match="read-only"), reader.reading() as conn:
        conn.exec_driver_sql("DELETE FROM runs")
    assert len(reader.search_runs(["0"]).runs) == 1
    reader.close()


def test_reader_sees_what_a_live_writer_committed(store, store_dir):
    reader = _open(store_dir)
    assert reader.search_runs(["0"]).runs == []
    with mlnb.start_run(run_name="live"):
        mlnb.log_metric("m", 1.0)
        store.flush()
        [row] = reader.search_runs(["0"]).runs
        assert row["name"] == "live" and row["status"] == "RUNNING"
    store.flush()
    assert reader.search_runs(["0"]).runs[0]["status"] == "FINISHED"
    reader.close()


def test_an_open_read_does_not_block_a_writer(store, store_dir):
    reader = _open(store_dir)
    done = threading.Event()
    with reader.reading() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM runs").fetchone()  # holds a read snapshot

        def write() -> None:
            with mlnb.start_run(run_name="during-read"):
                pass
            store.flush()
            done.set()

        started = time.monotonic()
        worker = threading.Thread(target=write)
        worker.start()
        worker.join(20)
        assert done.is_set() and time.monotonic() - started < 5
    names = [r["name"] for r in reader.search_runs(["0"]).runs]
    assert names == ["during-read"]
    reader.close()


def test_sources_and_notebook_matching(store, store_dir, tmp_path):
    nb = tmp_path / "work" / "train.ipynb"
    ids = {}
    for name, notebook in [
        ("abs", str(nb)),
        ("rel", "work/train.ipynb"),
        ("bare", "train.ipynb"),
        ("other", "x.ipynb"),
    ]:
        with mlnb.start_run(run_name=name, notebook=notebook, cell_id=f"cell-{name}") as run:
            ids[name] = run.info.run_id
    store.flush()
    reader = _open(store_dir)
    found = set(reader.runs_of_notebook(["work/train.ipynb", str(nb)]))
    assert found == {ids["abs"], ids["rel"], ids["bare"]}
    sources = reader.run_sources([ids["rel"]])
    assert sources[ids["rel"]]["cell_id"] == "cell-rel"
    assert sources[ids["rel"]]["orphaned"] is False
    reader.close()


@pytest.mark.parametrize(
    ("recorded", "candidates", "same"),
    [
        ("/srv/a/nb.ipynb", ["a/nb.ipynb", "/srv/a/nb.ipynb"], True),
        ("a/nb.ipynb", ["a/nb.ipynb"], True),
        ("nb.ipynb", ["a/nb.ipynb"], True),
        ("/srv/b/nb.ipynb", ["a/nb.ipynb", "/srv/a/nb.ipynb"], False),
        ("b/nb.ipynb", ["a/nb.ipynb", "/srv/a/nb.ipynb"], False),
        ("/srv/a/nb.ipynb", ["/other/a/nb.ipynb"], False),
    ],
)
def test_same_notebook(recorded, candidates, same):
    assert same_notebook(recorded, candidates) is same


def test_cache_reopens_a_replaced_database(store, store_dir):
    import shutil

    with mlnb.start_run(run_name="old"):
        pass
    store.flush()
    loc = parse_store_uri(store_dir, source="env")
    first = cached_readonly(loc)
    assert cached_readonly(loc) is first
    assert [r["name"] for r in first.search_runs(["0"]).runs] == ["old"]
    mlnb.set_store(None)
    store.close()
    shutil.rmtree(store_dir)
    mlnb.set_store(store_dir)
    with mlnb.start_run(run_name="new"):
        pass
    mlnb.get_store().flush()
    second = cached_readonly(loc)
    assert second is not first
    assert [r["name"] for r in second.search_runs(["0"]).runs] == ["new"]
    close_cached()
