"""The scoring server: a small Starlette app speaking MLflow's REST protocol.

``/ping`` and ``/health`` answer once the model is loaded (after its files passed the integrity
check), ``/version`` gives mlnb's version, ``/invocations`` predicts.  Every refusal is JSON
``{"error_code", "message"}`` with a 4xx status (503 when busy); unknown paths and methods too.

What a request may cost is bounded by :class:`~mlnb.serve.limits.ServeLimits`: headers (431),
body size (413) and arrival time (408), columns (400), ``/invocations`` in flight (503 with
``Retry-After``).  Bodies are decoded and predicted in worker processes
(:mod:`mlnb.serve.workers`), so ``/ping`` answers while they work.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlnb.serve.connection import HTTP_PROTOCOL
from mlnb.serve.limits import ServeLimits, host_allowed
from mlnb.serve.protocol import RequestError, error_body
from mlnb.serve.workers import PredictJob, Predictor

JSON = "application/json"
MODEL_URI_ENV = "MLNB_SERVE_MODEL_URI"
BIND_HOST_ENV = "MLNB_SERVE_HOST"
# Paths that never wait behind predictions.
_EXEMPT = frozenset({"/ping", "/health", "/version"})
_log = logging.getLogger("mlnb.serve")


def _error(
    status: int, error_code: str, message: str, *, close: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """A JSON error with extra ``headers``; ``close`` ends the connection once it is sent."""
    headers = dict(headers or {})
    if close:
        headers["connection"] = "close"
    return Response(error_body(error_code, message), status_code=status, media_type=JSON, headers=headers)


def _head_size(scope: Scope) -> int:
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    return size + sum(len(k) + len(v) + 4 for k, v in scope["headers"])


class GuardedApp:
    """Outermost layer: Host header and header size checks, the cap on predictions in flight,
    and no stack trace ever leaves.  ``predictor`` holds the decoding processes (close it when
    the server stops)."""

    def __init__(self, app: ASGIApp, bind_host: str, limits: ServeLimits, predictor: Predictor) -> None:
        self.app = app
        self.bind_host = bind_host
        self.limits = limits
        self.predictor = predictor
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = None
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
                break
        if not host_allowed(host, self.bind_host):
            response = _error(
                400,
                "BAD_REQUEST",
                "Host header is not a loopback name; this server answers only localhost, "
                "127.0.0.1 and ::1 (start it with --host to serve other names)",
            )
            await response(scope, receive, send)
            return
        if _head_size(scope) > self.limits.max_header_bytes:
            await _error(
                431,
                "REQUEST_HEADER_FIELDS_TOO_LARGE",
                f"The request line and headers are larger than the limit of "
                f"{self.limits.max_header_bytes} bytes; send smaller headers",
                close=True,
            )(scope, receive, send)
            return
        if scope["path"] in _EXEMPT:
            await self._serve(scope, receive, send)
            return
        if self.in_flight >= self.limits.max_concurrency:
            await _error(
                503,
                "SERVICE_UNAVAILABLE",
                f"The server is busy with {self.in_flight} requests (the limit set by "
                "--max-concurrency); retry after a second",
                headers={"retry-after": "1"},
            )(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
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

    def __init__(
        self, model: Any, signature: dict[str, Any] | None, limits: ServeLimits, start_method: str = "fork"
    ) -> None:
        self.model = model
        self.signature = signature
        self.limits = limits
        self.job = PredictJob(model, signature, limits.max_columns)
        self.predictor = Predictor(self.job, limits.workers, start_method)

    async def ping(self, request: Request) -> Response:
        return Response("\n", status_code=200, media_type=JSON)

    async def version(self, request: Request) -> Response:
        # the installed distribution's version (the package root is the public facade above
        # every layer, so the server does not import it)
        from importlib.metadata import version

        return Response(version("mlnb"), status_code=200, media_type=JSON)

    async def _body(self, request: Request) -> bytes:
        cap = self.limits.max_body_bytes
        too_big = RequestError(
            f"Request body is larger than the limit of {cap} bytes "
            f"(start the server with a larger --max-body-mb, or send fewer rows per request)",
            413,
            "REQUEST_LIMIT_EXCEEDED",
        )
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > cap:
                    raise too_big
            except ValueError:
                raise RequestError("Content-Length is not a number") from None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    async def invocations(self, request: Request) -> Response:
        try:
            async with asyncio.timeout(self.limits.read_timeout):
                body = await self._body(request)
        except TimeoutError:
            return _error(
                408,
                "REQUEST_TIMEOUT",
                f"The request body did not arrive within {self.limits.read_timeout:g} s "
                "(the limit set by --read-timeout)",
                close=True,
            )
        except RequestError as exc:
            # The connection stays open: the rest of a too-big body is read and dropped (for at
            # most --read-timeout, see connection.py) so that the client gets to read the 413.
            return _error(exc.status, exc.error_code, exc.message)
        except ClientDisconnect:
            return _error(400, "BAD_REQUEST", "client disconnected before sending the whole body", close=True)
        # Even a one-row prediction (a few ms) runs off the event loop: under load, predictions
        # made on it queue up in front of every /ping.
        status, payload = await self.predictor.run(body, request.headers.get("content-type"))
        return Response(payload, status_code=status, media_type=JSON)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if status == 405:
        return _error(405, "BAD_REQUEST", "method not allowed on this endpoint")
    return _error(404, "ENDPOINT_NOT_FOUND", "no such endpoint; use /ping, /health, /version or /invocations")


def build_app(
    model: Any,
    signature: dict[str, Any] | None,
    *,
    bind_host: str = "127.0.0.1",
    limits: ServeLimits | None = None,
    start_method: str = "fork",
) -> GuardedApp:
    """The ASGI app serving an already loaded ``model`` (starts its decoding processes now)."""
    limits = limits or ServeLimits.default()
    scoring = ScoringApp(model, signature, limits, start_method)
    app = Starlette(
        routes=[
            Route("/ping", scoring.ping, methods=["GET"]),
            Route("/health", scoring.ping, methods=["GET"]),
            Route("/version", scoring.version, methods=["GET"]),
            Route("/invocations", scoring.invocations, methods=["POST"]),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    return GuardedApp(app, bind_host, limits, scoring.predictor)


def load_for_serving(
    model_uri: str, *, allow_pickle: bool | None = None
) -> tuple[Any, dict[str, Any] | None]:
    """Verify and load the model at ``model_uri``; return it with its signature."""
    from mlnb.registry.loading import load_verified, verify_model

    verified = verify_model(model_uri)
    if verified.flavor != "sklearn":  # a custom Python model: its pyfunc wrapper predicts
        from mlnb.registry.pyfunc_api import load_pyfunc

        return load_pyfunc(model_uri, allow_pickle=allow_pickle), verified.signature
    return load_verified(verified, allow_pickle=allow_pickle), verified.signature


def create_app(
    model_uri: str,
    *,
    bind_host: str = "127.0.0.1",
    allow_pickle: bool | None = None,
    limits: ServeLimits | None = None,
    start_method: str = "fork",
) -> GuardedApp:
    """Load the model at ``model_uri`` (integrity-checked) and return the scoring app.

    Examples
    --------
    >>> import uvicorn  # doctest: +SKIP
    >>> uvicorn.run(create_app("models:/churn@champion"), port=5000)  # doctest: +SKIP
    """
    model, signature = load_for_serving(model_uri, allow_pickle=allow_pickle)
    return build_app(model, signature, bind_host=bind_host, limits=limits, start_method=start_method)


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


def app_from_env() -> GuardedApp:
    """App factory for ``uvicorn --factory`` (multi-worker ``mlnb serve``)."""
    gc.disable()
    model, signature = load_for_serving(os.environ[MODEL_URI_ENV])
    freeze_heap()  # before the decoding processes fork, so they share the loaded heap
    return build_app(
        model, signature, bind_host=os.environ.get(BIND_HOST_ENV, "127.0.0.1"), limits=ServeLimits.from_env()
    )


__all__ = ["HTTP_PROTOCOL", "GuardedApp", "app_from_env", "build_app", "create_app", "freeze_heap"]
