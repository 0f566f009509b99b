"""The scoring server: a small Starlette app speaking MLflow's REST protocol.

``/ping`` and ``/health`` answer once the model is loaded (after its files passed the integrity
check), ``/version`` gives mlnb's version, ``/invocations`` predicts.  Every refusal is JSON
``{"error_code", "message"}`` with a 4xx status; unknown paths and methods too.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mlnb.serve import limits
from mlnb.serve.protocol import PREDICT_FAILED, RequestError, error_body, parse_request, predictions_body

JSON = "application/json"
MODEL_URI_ENV = "MLNB_SERVE_MODEL_URI"
BIND_HOST_ENV = "MLNB_SERVE_HOST"
# Requests bigger than this are decoded with the collector paused (see _predict) ...
_BIG_BYTES = 64 * 1024
# ... and bigger than this in a worker thread, so /ping stays quick during a long prediction.
# Below it (about 25,000 rows of a small table) the thread hop costs more than it saves.
_INLINE_BYTES = 1024 * 1024
_log = logging.getLogger("mlnb.serve")


def _nodelay_protocol() -> type:
    import socket

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with TCP_NODELAY on every connection.

        httptools parses requests in C (h11, uvicorn's pure-Python fallback, costs about 0.2 ms
        per small request).  uvicorn writes a response's head and body separately; with Nagle's
        algorithm on (as on sockets uvicorn binds itself for --workers) the body waits for the
        client's delayed ACK, adding up to 40 ms to every small response.
        """

        def connection_made(self, transport: Any) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            super().connection_made(transport)

    return NoDelayHttpToolsProtocol


NoDelayHttpToolsProtocol = _nodelay_protocol()
# What to pass as uvicorn's ``http=`` (a string, so --workers processes can import it).
HTTP_PROTOCOL = "mlnb.serve.app:NoDelayHttpToolsProtocol"


def _error(status: int, error_code: str, message: str) -> Response:
    return Response(error_body(error_code, message), status_code=status, media_type=JSON)


class _Guard:
    """Outermost layer: Host header check, JSON 404/405, and no stack trace ever leaves."""

    def __init__(self, app: ASGIApp, bind_host: str) -> None:
        self.app = app
        self.bind_host = bind_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = None
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
                break
        if not limits.host_allowed(host, self.bind_host):
            response = _error(
                400,
                "BAD_REQUEST",
                "Host header is not a loopback name; this server answers only localhost, "
                "127.0.0.1 and ::1 (start it with --host to serve other names)",
            )
            await response(scope, receive, send)
            return
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            _log.exception("unexpected error while serving %s", scope.get("path"))
            if not started:
                await _error(500, "INTERNAL_ERROR", "internal server error")(scope, receive, send)


class ScoringApp:
    """The loaded model and its signature, with the endpoint handlers."""

    def __init__(self, model: Any, signature: dict[str, Any] | None, max_body: int | None = None) -> None:
        self.model = model
        self.signature = signature
        self.max_body = max_body or limits.max_body_bytes()

    async def ping(self, request: Request) -> Response:
        return Response("\n", status_code=200, media_type=JSON)

    async def version(self, request: Request) -> Response:
        from mlnb import __version__

        return Response(__version__, status_code=200, media_type=JSON)

    async def _body(self, request: Request) -> bytes:
        too_big = RequestError(
            f"Request body is larger than the limit of {self.max_body} bytes "
            f"(set {limits.MAX_BODY_ENV} to change it)",
            413,
            "REQUEST_LIMIT_EXCEEDED",
        )
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_body:
                    raise too_big
            except ValueError:
                raise RequestError("Content-Length is not a number") from None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    def _predict(self, body: bytes, content_type: str | None) -> bytes:
        if len(body) > _BIG_BYTES:
            # Decoding a big body makes many short-lived lists; a full GC pass over the heap of
            # pandas/scikit-learn in the middle of it costs more than the whole request.
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                data = parse_request(body, content_type, self.signature)
            finally:
                if was_enabled:
                    gc.enable()
        else:
            data = parse_request(body, content_type, self.signature)
        try:
            raw = self.model.predict(data)
        except Exception:
            raise RequestError(PREDICT_FAILED) from None
        return predictions_body(raw)

    async def invocations(self, request: Request) -> Response:
        try:
            body = await self._body(request)
            content_type = request.headers.get("content-type")
            if len(body) > _INLINE_BYTES:
                payload = await run_in_threadpool(self._predict, body, content_type)
            else:
                payload = self._predict(body, content_type)
        except RequestError as exc:
            return _error(exc.status, exc.error_code, exc.message)
        except ClientDisconnect:
            return _error(400, "BAD_REQUEST", "client disconnected before sending the whole body")
        return Response(payload, status_code=200, media_type=JSON)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if status == 405:
        return _error(405, "BAD_REQUEST", "method not allowed on this endpoint")
    return _error(404, "ENDPOINT_NOT_FOUND", "no such endpoint; use /ping, /health, /version or /invocations")


def build_app(
    model: Any, signature: dict[str, Any] | None, *, bind_host: str = "127.0.0.1", max_body: int | None = None
) -> ASGIApp:
    """The ASGI app serving an already loaded ``model``."""
    scoring = ScoringApp(model, signature, max_body)
    app = Starlette(
        routes=[
            Route("/ping", scoring.ping, methods=["GET"]),
            Route("/health", scoring.ping, methods=["GET"]),
            Route("/version", scoring.version, methods=["GET"]),
            Route("/invocations", scoring.invocations, methods=["POST"]),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    return _Guard(app, bind_host)


def load_for_serving(model_uri: str, *, allow_pickle: bool | None = None) -> tuple[Any, dict[str, Any] | None]:
    """Verify and load the model at ``model_uri``; return it with its signature."""
    from mlnb.registry.loading import load_verified, verify_model

    verified = verify_model(model_uri)
    if verified.flavor != "sklearn":  # a custom Python model: its pyfunc wrapper predicts
        from mlnb.registry.pyfunc_api import load_pyfunc

        return load_pyfunc(model_uri, allow_pickle=allow_pickle), verified.signature
    return load_verified(verified, allow_pickle=allow_pickle), verified.signature


def create_app(model_uri: str, *, bind_host: str = "127.0.0.1", allow_pickle: bool | None = None) -> ASGIApp:
    """Load the model at ``model_uri`` (integrity-checked) and return the scoring app.

    Examples
    --------
    >>> import uvicorn  # doctest: +SKIP
    >>> uvicorn.run(create_app("models:/churn@champion"), port=5000)  # doctest: +SKIP
    """
    model, signature = load_for_serving(model_uri, allow_pickle=allow_pickle)
    return build_app(model, signature, bind_host=bind_host)


def freeze_heap() -> None:
    """In a process that only serves: move everything loaded so far out of the GC's sight.

    Decoding a large request allocates tens of thousands of containers, which triggers full
    collections; each would walk every object of pandas, scipy and scikit-learn (~100 ms).
    After ``gc.freeze`` a full collection only looks at objects created since.  The serving
    commands turn the collector off while they import and load (imports make few cycles but
    trigger many collections), so no collection runs first: the little garbage of start-up is
    kept rather than spending ~0.1 s of start-up on one full pass.  Turns the collector back on.
    Never called in a notebook kernel, where it would pin the user's garbage.
    """
    gc.freeze()
    gc.enable()


def app_from_env() -> ASGIApp:
    """App factory for ``uvicorn --factory`` (multi-worker ``mlnb serve``)."""
    gc.disable()
    app = create_app(os.environ[MODEL_URI_ENV], bind_host=os.environ.get(BIND_HOST_ENV, "127.0.0.1"))
    freeze_heap()
    return app


__all__ = ["app_from_env", "build_app", "create_app", "freeze_heap"]
