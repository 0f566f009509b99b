"""REST handlers under ``/mlnb/api/``: thin, authenticated, authorized, read-only.

Every handler is a Jupyter ``APIHandler`` whose methods carry ``@tornado.web.authenticated``
and jupyter_server's ``@authorized`` (resource ``mlnb``), so the server's token, XSRF and
authorizer rules apply unchanged.  Handlers only parse the query, call one function of
:mod:`mlnb.jupyter.views` in a worker thread and write JSON; a GET never writes to a store.

The store is the one a kernel started next to the notebook would use: the query parameter
``path`` (a notebook or directory, relative to the server root) is resolved like the kernel's
working directory, walking up to the nearest ``.mlnb`` (or ``MLNB_STORE`` when set).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from http.client import responses
from pathlib import Path
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from mlnb.errors import ArtifactNotFound, MlnbError, NotFound, StoreError
from mlnb.jupyter import params, views
from mlnb.store import location as store_location
from mlnb.store import open_store
from mlnb.store.base import Store, StoreNotReady

AUTH_RESOURCE = "mlnb"
T = TypeVar("T")
MAX_MESSAGE = 500  # characters of an error message: never echo a huge input back
# error codes (MLflow's names) of the HTTP errors that Tornado and jupyter_server raise themselves
_HTTP_ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND"}
# Artifacts a browser may receive with their own type: formats it only ever displays as inert
# content.  Everything else (HTML, SVG, XML, JavaScript, PDF, ...) goes out as
# application/octet-stream, on top of the attachment disposition, nosniff and a sandbox CSP.
INERT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
    ".log": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}


def encode_json(body: dict[str, Any]) -> bytes:
    """``body`` as JSON: orjson (a list of 10,000 runs in ~6 ms of CPU instead of ~30), or the
    standard encoder for what orjson refuses (keys that are not strings, huge integers)."""
    import orjson

    try:
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(body).encode()


class StoreMissing(Exception):
    """No store exists for the path: an empty answer, not an error."""


def artifact_type(name: str) -> str:
    """The Content-Type an artifact named ``name`` is served with (see :data:`INERT_TYPES`)."""
    return INERT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def error_body(status: int, exc: BaseException | None) -> tuple[int, dict[str, str]]:
    """The status and JSON body answering ``exc``: an mlnb error with its own status, a
    Tornado/jupyter_server HTTP error with its, anything else a 500 that hides its details."""
    if isinstance(exc, MlnbError):
        status, code, message = exc.http_status, exc.error_code, str(exc)
    elif isinstance(exc, web.HTTPError):
        status = exc.status_code
        code = _HTTP_ERROR_CODES.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR")
        text = exc.log_message
        if text and exc.args:
            try:
                text = text % exc.args
            except (TypeError, ValueError):
                pass  # a stray % in the text: keep it as it is
        message = text or exc.reason or responses.get(status, "error")
    elif exc is None:
        code = "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR"
        message = responses.get(status, "error")
    else:
        status, code = 500, "INTERNAL_ERROR"
        message = (
            "mlnb's server extension failed unexpectedly (the server log has the traceback); please report it"
        )
    message = " ".join(message.encode("utf-8", "backslashreplace").decode().split())  # one line
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return status, {"error_code": code, "message": message}


class MlnbHandler(APIHandler):
    """Base of every mlnb route: parameter checks, store resolution, worker-thread reads, and
    the one place where any error becomes a JSON answer (:meth:`write_error`)."""

    auth_resource = AUTH_RESOURCE

    def api_path(self) -> str:
        return params.api_path(self.get_query_argument("path", ""))

    def local_dir(self) -> Path:
        """The directory (under the server root) that the request's ``path`` names."""
        rel = self.api_path()
        root = Path(os.path.realpath(self.settings["server_root_dir"]))
        try:
            target = Path(os.path.realpath(root.joinpath(*[p for p in rel.split("/") if p])))
            if target != root and root not in target.parents:
                raise web.HTTPError(403, "path is outside the server root")
            if not target.is_dir():
                target = target.parent
            found = target.is_dir()
        except OSError as exc:
            raise NotFound(f"path {params.shown(rel)} cannot be read: {exc.strerror}") from None
        if not found:
            raise NotFound(f"path {params.shown(rel)} is not in an existing directory")
        return target

    def notebook_forms(self) -> list[str]:
        """The ways a kernel may have recorded the notebook named by ``path``."""
        rel = self.api_path()
        if not rel:
            return []
        raw = os.path.abspath(os.path.expanduser(self.settings["server_root_dir"]))
        roots = dict.fromkeys([raw, os.path.realpath(raw)])  # the kernel's cwd may be either
        return [rel, *(os.path.join(root, *rel.split("/")) for root in roots)]

    def store(self) -> Store:
        loc = store_location.resolve(cwd=self.local_dir())
        if loc.source == "new":
            raise StoreMissing
        try:
            return open_store(loc, read_only=True, shared=True)
        except StoreNotReady:
            raise StoreMissing from None

    async def in_thread(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await IOLoop.current().run_in_executor(None, lambda: func(*args, **kwargs))

    async def answer(self, build: Callable[[Store], dict[str, Any]], empty: dict[str, Any]) -> None:
        """Resolve the store, run ``build(store)`` off the event loop and write its JSON."""
        try:
            store = await self.in_thread(self.store)
            body = await self.in_thread(build, store)
            store_info = {"uri": store.location.uri, "found": True}
        except StoreMissing:
            body, store_info = empty, {"uri": None, "found": False}
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(encode_json({"store": store_info, **body}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error of every route, as ``{"error_code", "message"}`` JSON (one line, at most
        :data:`MAX_MESSAGE` characters): an :class:`MlnbError` with its ``http_status``."""
        exc_info = kwargs.get("exc_info")
        status, body = error_body(status_code, exc_info[1] if exc_info else None)
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(encode_json(body))

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        """An mlnb error is logged as one line (a warning when it is the store's fault); any
        other exception is a bug and keeps Tornado's log with its traceback."""
        if isinstance(value, MlnbError):
            log = self.log.warning if value.http_status >= 500 else self.log.debug
            log("mlnb: %s %s: %s", self.request.method, self.request.path[:200], str(value)[:MAX_MESSAGE])
        else:
            super().log_exception(typ, value, tb)


class ExperimentsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda s: {"experiments": views.list_experiments(s)}, {"experiments": []})


class RunsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        scope = params.one_of(
            self.get_query_argument("scope", None), "scope", ("all", "experiment", "notebook")
        )
        experiment_ids = params.experiment_ids(self.get_query_arguments("experiment_id"))
        filter_string = params.filter_text(self.get_query_argument("filter", None))
        search = params.filter_text(self.get_query_argument("search", None), "search")
        view = self.get_query_argument("view", None)
        order_by = params.order_by(self.get_query_arguments("order_by"))
        page_size = self.get_query_argument("page_size", None)
        page_token = self.get_query_argument("page_token", None)
        notebook_paths = self.notebook_forms() if scope == "notebook" else None
        empty: dict[str, Any] = {"runs": [], "next_page_token": None, "searched": None}
        await self.answer(
            lambda s: views.search_runs(
                s,
                experiment_ids=experiment_ids,
                filter_string=filter_string,
                search=search,
                view=view,
                order_by=order_by,
                page_size=page_size,
                page_token=page_token,
                notebook_paths=notebook_paths,
            ),
            empty,
        )


class RunHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = params.run_id(run_id)
        await self.answer(lambda s: {"run": views.get_run(s, run_id)}, {"run": None})


class MetricHistoryHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = params.run_id(run_id)
        key = params.metric_key(self.get_query_argument("key", ""))
        await self.answer(lambda s: {"history": views.metric_history(s, run_id, key)}, {"history": []})


class ArtifactHandler(MlnbHandler):
    """One artifact file, verified against its sha256, always as a download."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str, relpath: str) -> None:
        run_id = params.run_id(run_id)
        relpath = params.artifact_path(relpath)
        try:
            store = await self.in_thread(self.store)
        except StoreMissing:
            raise ArtifactNotFound(f"no mlnb store for path {params.shown(self.api_path())}") from None
        path = await self.in_thread(store.artifacts.verified_path, run_id, relpath)
        try:
            fh = open(path, "rb")  # noqa: SIM115 (closed below, after streaming)
        except OSError as exc:
            raise StoreError(f"artifact {relpath!r} of run {run_id} cannot be read: {exc.strerror}") from None
        with fh:
            self.set_header("Content-Type", artifact_type(path.name))
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
            self.set_header("Cache-Control", "no-store")
            ascii_name = "".join(c if (c.isalnum() and c.isascii()) or c in "._-" else "_" for c in path.name)
            self.set_header("Content-Disposition", f'attachment; filename="{ascii_name or "artifact"}"')
            while chunk := fh.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


class ModelsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        name = params.model_name(self.get_query_argument("name", None))
        await self.answer(lambda s: {"models": views.registered_models(s, name)}, {"models": []})


class NoRouteHandler(MlnbHandler):
    """Any other URL under ``/mlnb/api/``: a JSON 404 naming the routes."""

    @web.authenticated
    @authorized
    async def get(self, rest: str) -> None:
        raise web.HTTPError(
            404,
            f"no mlnb route {params.shown('/' + rest)}; the routes are experiments, runs, "
            "runs/<run id>, runs/<run id>/metric-history, runs/<run id>/artifacts/<path> and models",
        )


# a run id is any one segment here, checked by the handler (a JSON 400, not the server's 404 page)
_RUN_ID = r"(?P<run_id>[^/]+)"
ROUTES: list[tuple[str, type[MlnbHandler]]] = [
    ("experiments", ExperimentsHandler),
    ("runs", RunsHandler),
    (f"runs/{_RUN_ID}", RunHandler),
    (f"runs/{_RUN_ID}/metric-history", MetricHistoryHandler),
    (f"runs/{_RUN_ID}/artifacts/(?P<relpath>.+)", ArtifactHandler),
    ("models", ModelsHandler),
]
FALLBACK = ("(?P<rest>.*)", NoRouteHandler)


def setup_handlers(web_app: Any) -> None:
    """Register every route under ``<base_url>mlnb/api/``, then the JSON 404 for the rest."""
    from jupyter_server.utils import url_path_join

    base = url_path_join(web_app.settings["base_url"], "mlnb", "api")
    rules = [(url_path_join(base, pattern) + "/?$", cls) for pattern, cls in ROUTES]
    rules.append((url_path_join(base, FALLBACK[0]) + "$", FALLBACK[1]))
    web_app.add_handlers(".*$", rules)
