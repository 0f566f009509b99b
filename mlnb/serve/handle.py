"""Running the scoring server: ``mlnb.serve(uri)`` from a notebook, ``mlnb serve URI`` from a shell.

From a notebook the server runs on uvicorn in a daemon thread with its own event loop, so the
kernel stays responsive; the returned handle predicts through real HTTP and stops the server.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from mlnb.errors import InvalidParameter, InvalidState
from mlnb.serve import limits
from mlnb.serve.app import (
    BIND_HOST_ENV,
    HTTP_PROTOCOL,
    MODEL_URI_ENV,
    GuardedApp,
    build_app,
    create_app,
    freeze_heap,
    load_for_serving,
)
from mlnb.serve.limits import ServeLimits

if TYPE_CHECKING:
    import uvicorn

# Seconds an idle keep-alive connection stays open (uvicorn's default too).
KEEP_ALIVE_S = 5


def make_limits(
    *,
    max_body_mb: float | None = None,
    max_columns: int | None = None,
    max_header_kb: float | None = None,
    max_concurrency: int | None = None,
    read_timeout: float | None = None,
    header_timeout: float | None = None,
    workers: int | None = None,
) -> ServeLimits:
    """:class:`ServeLimits` from the options of ``mlnb serve`` / ``mlnb.serve`` (None: default)."""
    base = ServeLimits.default()
    return dataclasses.replace(
        base,
        max_body_bytes=base.max_body_bytes if max_body_mb is None else int(max_body_mb * limits.MIB),
        max_columns=base.max_columns if max_columns is None else max_columns,
        max_header_bytes=base.max_header_bytes if max_header_kb is None else int(max_header_kb * 1024),
        max_concurrency=base.max_concurrency if max_concurrency is None else max_concurrency,
        read_timeout=base.read_timeout if read_timeout is None else read_timeout,
        header_timeout=base.header_timeout if header_timeout is None else header_timeout,
        workers=base.workers if workers is None else workers,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (no 40 ms Nagle stalls)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise InvalidParameter(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another port"
        ) from None
    sock.listen(128)
    return sock


def _url(host: str, port: int) -> str:
    shown = host if ":" not in host or host.startswith("[") else f"[{host}]"
    if shown in ("0.0.0.0", "[::]"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}"


def request_body(data: Any) -> bytes:
    """A ``dataframe_split`` (DataFrame) or ``inputs`` (array) request body for ``data``."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame().T
    if isinstance(data, pd.DataFrame):
        split = data.to_json(orient="split", index=False, date_format="iso")
        return b'{"dataframe_split": ' + split.encode() + b"}"
    array = np.asarray(data)
    return json.dumps({"inputs": array.tolist()}).encode()


class ServerHandle:
    """A scoring server running in this process: ``.url``, ``.predict(df)``, ``.stop()``."""

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        model_uri: str,
        host: str,
        port: int,
        app: GuardedApp | None = None,
    ) -> None:
        self._server = server
        self._app = app
        self._thread = thread
        self.model_uri = model_uri
        self.host = host
        self.port = port
        self.url = _url(host, port)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def predict(self, data: Any, timeout: float = 60.0) -> Any:
        """POST ``data`` to ``/invocations`` and return the predictions as a numpy array."""
        import numpy as np

        if not self.running:
            raise InvalidState(f"the server for {self.model_uri} is stopped; start it again with mlnb.serve")
        req = urllib.request.Request(
            self.url + "/invocations",
            data=request_body(data),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read())
                message = f"{detail.get('error_code')}: {detail.get('message')}"
            except ValueError:
                message = exc.reason
            raise InvalidParameter(f"the server refused the request ({exc.code} {message})") from None
        return np.asarray(payload["predictions"])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and wait for its thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._app is not None:
            self._app.predictor.close()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the server's decoding processes (none unless ``workers`` was set)."""
        return self._app.predictor.pids if self._app is not None else []

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<mlnb server {self.model_uri} at {self.url} ({state})>"


def serve(
    model_uri: str,
    port: int | None = None,
    *,
    host: str = "127.0.0.1",
    allow_pickle: bool | None = None,
    timeout: float = 30.0,
    max_body_mb: float | None = None,
    max_columns: int | None = None,
    max_header_kb: float | None = None,
    max_concurrency: int | None = None,
    read_timeout: float | None = None,
    header_timeout: float | None = None,
    workers: int = 0,
) -> ServerHandle:
    """Serve a model over MLflow's REST protocol from a background thread.

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<path>`` or a ``models:/`` URI.
    port : int, optional
        TCP port; a free one is chosen when omitted.
    host : str
        Address to bind, loopback by default.
    allow_pickle : bool, optional
        As for :func:`mlnb.load_model`: a stored model logged with a pickle format is served after
        its hash check unless this is False.
    timeout : float
        Seconds to wait for the server to start.
    max_body_mb : float, optional
        Largest request body in MiB (413 beyond it); default 16, or ``MLNB_SERVE_MAX_BODY_BYTES``.
    max_columns : int, optional
        Most columns a request may name (400 beyond it); default 2,048.
    max_header_kb : float, optional
        Largest request line plus headers in KiB (431 beyond it); default 64.
    max_concurrency : int, optional
        Most ``/invocations`` requests in flight (503 with ``Retry-After: 1`` beyond it);
        ``/ping``, ``/health`` and ``/version`` always answer. Default 8.
    read_timeout : float, optional
        Seconds a request body may take to arrive (408 beyond it); default 30.
    header_timeout : float, optional
        Seconds the request line and headers may take to arrive (408); default 10.
    workers : int
        Processes that decode bodies and predict (fresh interpreters, which take a few seconds
        to import the model's libraries; forking a kernel is unsafe).  The default 0 decodes in a
        thread of the kernel: ``/ping`` may then wait while a big body is decoded (~0.3 s for
        16 MiB).  ``mlnb serve`` from a shell forks 2 processes.

    Examples
    --------
    >>> server = mlnb.serve("models:/churn@champion")  # doctest: +SKIP
    >>> server.predict(X_test.head())  # doctest: +SKIP
    array([0, 1, 0, 0, 1])
    >>> server.stop()  # doctest: +SKIP
    """
    import uvicorn

    serve_limits = make_limits(
        max_body_mb=max_body_mb,
        max_columns=max_columns,
        max_header_kb=max_header_kb,
        max_concurrency=max_concurrency,
        read_timeout=read_timeout,
        header_timeout=header_timeout,
        workers=workers,
    )
    # A kernel runs threads of its own: its decoding processes start fresh rather than forked.
    app = create_app(
        model_uri, bind_host=host, allow_pickle=allow_pickle, limits=serve_limits, start_method="spawn"
    )
    sock = _bind(host, 0 if port is None else int(port))
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http=HTTP_PROTOCOL,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"mlnb-serve-{actual_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            app.predictor.close()
            raise InvalidState(f"the server for {model_uri} did not start on {host}:{actual_port}")
        time.sleep(0.005)
    return ServerHandle(server, thread, model_uri, host, actual_port, app)


def run(
    model_uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    serve_limits: ServeLimits | None = None,
) -> None:
    """Serve until interrupted (the ``mlnb serve`` command)."""
    import uvicorn

    if workers < 1:
        raise InvalidParameter(f"--workers must be at least 1, got {workers}")
    serve_limits = serve_limits or ServeLimits.default()
    if not limits.is_loopback(host):
        print(f"mlnb serve: listening on {host}: the model is reachable from other machines")
    if workers == 1:
        # The heap is frozen before the decoding processes fork, so they share its pages.
        model, signature = load_for_serving(model_uri)
        freeze_heap()
        app = build_app(model, signature, bind_host=host, limits=serve_limits)
        print(f"mlnb serve: {model_uri} at {_url(host, port)}", flush=True)
        try:
            uvicorn.run(app, host=host, port=port, **_uvicorn_options())
        finally:
            app.predictor.close()
        return
    from mlnb.registry.loading import verify_model
    from mlnb.tracking.state import get_store

    verify_model(model_uri)  # fail here, once, rather than in every worker
    gc.enable()  # the supervisor loads no model (see mlnb serve's start-up)
    os.environ[MODEL_URI_ENV] = model_uri
    os.environ[BIND_HOST_ENV] = host
    os.environ[limits.LIMITS_ENV] = serve_limits.to_env()
    location = get_store().location
    os.environ["MLNB_STORE"] = location.uri  # the workers open the same store
    if location.root is None:
        os.environ["MLNB_ARTIFACT_ROOT"] = str(location.artifact_root)
    print(f"mlnb serve: {model_uri} at {_url(host, port)} with {workers} workers", flush=True)
    uvicorn.run(
        "mlnb.serve.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **_uvicorn_options(),
    )


def _uvicorn_options() -> dict[str, Any]:
    """What every ``mlnb serve`` server runs with: our HTTP protocol (with its limits), quiet."""
    return {
        "http": HTTP_PROTOCOL,
        "access_log": False,
        "lifespan": "off",
        "log_level": "warning",
        "timeout_keep_alive": KEEP_ALIVE_S,
    }
