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
import mimetypes
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from mlnb.errors import MlnbError
from mlnb.jupyter import views
from mlnb.store import location as store_location
from mlnb.store.readonly import ReadOnlyStore, StoreNotReady, cached_readonly

AUTH_RESOURCE = "mlnb"
T = TypeVar("T")


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


class MlnbHandler(APIHandler):
    """Base of every mlnb route: store resolution, worker-thread reads, JSON errors."""

    auth_resource = AUTH_RESOURCE

    def api_path(self) -> str:
        path = self.get_query_argument("path", "") or ""
        if "\x00" in path:
            raise web.HTTPError(400, "path contains NUL")
        return path.strip("/")

    def local_dir(self) -> Path:
        """The directory (under the server root) that the request's ``path`` names."""
        root = Path(os.path.realpath(self.settings["server_root_dir"]))
        target = Path(os.path.realpath(root.joinpath(*[p for p in self.api_path().split("/") if p])))
        if target != root and root not in target.parents:
            raise web.HTTPError(403, "path is outside the server root")
        if not target.is_dir():
            target = target.parent
        if not target.is_dir():
            raise web.HTTPError(404, "no such directory")
        return target

    def notebook_forms(self) -> list[str]:
        """The ways a kernel may have recorded the notebook named by ``path``."""
        rel = self.api_path()
        if not rel:
            return []
        raw = os.path.abspath(os.path.expanduser(self.settings["server_root_dir"]))
        roots = dict.fromkeys([raw, os.path.realpath(raw)])  # the kernel's cwd may be either
        return [rel, *(os.path.join(root, *rel.split("/")) for root in roots)]

    def store(self) -> ReadOnlyStore:
        loc = store_location.resolve(cwd=self.local_dir())
        if loc.source == "new":
            raise StoreMissing
        try:
            return cached_readonly(loc)
        except StoreNotReady:
            raise StoreMissing from None

    async def in_thread(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await IOLoop.current().run_in_executor(None, lambda: func(*args, **kwargs))

    async def answer(self, build: Callable[[ReadOnlyStore], dict[str, Any]], empty: dict[str, Any]) -> None:
        """Resolve the store, run ``build(store)`` off the event loop and write its JSON."""
        try:
            store = await self.in_thread(self.store)
            body = await self.in_thread(build, store)
            store_info = {"uri": store.location.uri, "found": True}
        except StoreMissing:
            body, store_info = empty, {"uri": None, "found": False}
        except MlnbError as exc:
            self.fail(exc)
            return
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(encode_json({"store": store_info, **body}))

    def fail(self, exc: MlnbError) -> None:
        if exc.http_status >= 500:
            self.log.warning("mlnb: %s %s failed: %s", self.request.method, self.request.path, exc)
        self.set_status(exc.http_status)
        self.set_header("Cache-Control", "no-store")
        self.finish({"error_code": exc.error_code, "message": str(exc)})


class ExperimentsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda s: {"experiments": views.list_experiments(s)}, {"experiments": []})


class RunsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        args = {
            "experiment_ids": [e for e in self.get_query_arguments("experiment_id") if e],
            "filter_string": self.get_query_argument("filter", None),
            "search": self.get_query_argument("search", None),
            "view": self.get_query_argument("view", None),
            "order_by": [o for o in self.get_query_arguments("order_by") if o] or None,
            "page_size": self.get_query_argument("page_size", None),
            "page_token": self.get_query_argument("page_token", None),
            "notebook_paths": self.notebook_forms()
            if self.get_query_argument("scope", "") == "notebook"
            else None,
        }
        empty = {"runs": [], "next_page_token": None, "searched": None}
        await self.answer(lambda s: views.search_runs(s, **args), empty)


class RunHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        await self.answer(lambda s: {"run": views.get_run(s, run_id)}, {"run": None})


class MetricHistoryHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        key = self.get_query_argument("key", "")
        await self.answer(lambda s: {"history": views.metric_history(s, run_id, key)}, {"history": []})


class ArtifactHandler(MlnbHandler):
    """One artifact file, verified against its sha256, always as a download."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str, relpath: str) -> None:
        from mlnb.store.artifacts import verified_path

        try:
            store = await self.in_thread(self.store)
            path = await self.in_thread(verified_path, store, run_id, relpath)
        except StoreMissing:
            raise web.HTTPError(404, "no mlnb store for this path") from None
        except MlnbError as exc:
            self.fail(exc)
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("image/svg+xml", "application/xhtml+xml"):
            kind = "application/octet-stream"  # never let the browser render stored markup
        self.set_header("Content-Type", kind)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("Cache-Control", "no-store")
        ascii_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in path.name) or "artifact"
        self.set_header("Content-Disposition", f'attachment; filename="{ascii_name}"')
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


class ModelsHandler(MlnbHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        name = self.get_query_argument("name", None)
        await self.answer(lambda s: {"models": views.registered_models(s, name)}, {"models": []})


_RUN_ID = r"(?P<run_id>[0-9a-fA-F]{32})"
ROUTES: list[tuple[str, type[MlnbHandler]]] = [
    ("experiments", ExperimentsHandler),
    ("runs", RunsHandler),
    (f"runs/{_RUN_ID}", RunHandler),
    (f"runs/{_RUN_ID}/metric-history", MetricHistoryHandler),
    (f"runs/{_RUN_ID}/artifacts/(?P<relpath>.+)", ArtifactHandler),
    ("models", ModelsHandler),
]


def setup_handlers(web_app: Any) -> None:
    """Register every route under ``<base_url>mlnb/api/``."""
    from jupyter_server.utils import url_path_join

    base = url_path_join(web_app.settings["base_url"], "mlnb", "api")
    web_app.add_handlers(".*$", [(url_path_join(base, pattern) + "/?$", cls) for pattern, cls in ROUTES])
