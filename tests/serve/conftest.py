"""A real scoring server on 127.0.0.1 (free port) serving the churn Pipeline from a temp store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import mlnb
from mlnb.tracking import state
from tests.models_fixtures import churn_pipeline as _churn

SMALL_BODY_CAP = 1_000_000


@dataclass
class Served:
    url: str
    handle: Any
    client: httpx.Client
    X: Any
    model: Any
    model_uri: str
    store_dir: Any

    def invoke(self, body: bytes | str, content_type: str | None = "application/json", **headers: str):
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.client.post(self.url + "/invocations", content=body, headers=headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store_dir = tmp_path_factory.mktemp("serve") / ".mlnb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLNB_SERVE_MAX_BODY_BYTES", str(SMALL_BODY_CAP))
        mlnb.set_store(store_dir)
        try:
            X, model = churn_pipeline()
            with mlnb.start_run():
                info = mlnb.log_model(model, "model", input_example=X)
            handle = mlnb.serve(info.model_uri)
        finally:
            with state.lock:
                state.run_stack.clear()
            mlnb.set_store(None)
    with httpx.Client(timeout=30) as client:
        yield Served(handle.url, handle, client, X, model, info.model_uri, store_dir)
    handle.stop()


def churn_pipeline() -> tuple[Any, Any]:
    """``(X, fitted Pipeline)`` for the serving tests."""
    X, _y, model = _churn()
    return X, model
