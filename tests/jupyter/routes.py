"""Helpers for the tests of the routes' inputs: a small store, raw requests and what every
answer must look like (2xx or 4xx, JSON errors of bounded size, inert artifact types)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlnb

NB = "proj/analysis.ipynb"
MAX_MESSAGE = 500  # what a route may echo back, at most
INERT = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain; charset=utf-8",
    "text/csv; charset=utf-8",
    "application/json",
    "application/octet-stream",
}
ARTIFACTS = {
    "plots/roc.png": b"\x89PNG\r\n\x1a\nnot really",
    "notes/readme.html": b"<script>alert(1)</script>",
    "notes/page.xhtml": b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    "data/feed.xml": b'<a:script xmlns:a="http://www.w3.org/1999/xhtml">alert(1)</a:script>',
    "code/app.js": b"alert(1)",
    "code/mod.mjs": b"alert(1)",
    "plots/vector.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "report.pdf": b"%PDF-1.4 /JavaScript",
    "log.txt": b"hello",
    "table.csv": b"a,b\n1,2\n",
    "config.json": b'{"a": 1}',
    "photo.JPG": b"\xff\xd8\xff",
    "anim.gif": b"GIF89a",
    "pic.webp": b"RIFF....WEBP",
    "page.htm": b"<b>x</b>",
    "feed.rss": b"<rss/>",
    "style.xsl": b"<xsl:stylesheet/>",
    "math.mml": b"<math/>",
    "LICENSE": b"no extension",
}


def make_runs(project: Path) -> dict[str, str]:
    """Two runs of ``NB``: one with metrics and one artifact of every kind in :data:`ARTIFACTS`."""
    (project / "analysis.ipynb").write_text("{}")
    nb_abs = str(project / "analysis.ipynb")
    mlnb.set_experiment("routes")
    ids = {}
    with mlnb.start_run(run_name="full", notebook=nb_abs, cell_id="cell-a") as run:
        mlnb.log_param("C", "0.5")
        for step in range(3):
            mlnb.log_metric("loss", 1.0 / (step + 1), step=step)
        mlnb.set_tag("team", "a" * 2000)  # long enough that a backtracking LIKE would hang the route
        src = project / "src"
        for rel, data in ARTIFACTS.items():
            file = src / rel
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
            folder = rel.rsplit("/", 1)[0] if "/" in rel else None
            mlnb.log_artifact(str(file), folder)
        ids["full"] = run.info.run_id
    with mlnb.start_run(run_name="empty", notebook=nb_abs) as run:
        ids["empty"] = run.info.run_id
    mlnb.get_store().flush()
    return ids


@dataclass
class Answer:
    """What a request got back (the parts :func:`check_answer` looks at)."""

    code: int
    headers: Any
    body: bytes


@dataclass
class ApiServer:
    """A ``jupyter server`` process (see the ``api_server`` fixture) and the runs it serves."""

    port: int
    token: str
    run_ids: dict[str, str]
    log: Path

    def get(self, url: str, timeout: float = 15.0, method: str = "GET", body: bytes | None = None) -> Answer:
        """GET (or ``method``) ``/mlnb/api/<url>`` exactly as given (``url`` is ASCII, already
        percent-encoded), authenticated by the token."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
            conn.request(method, "/mlnb/api/" + url, body=body, headers=headers)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        except (ConnectionError, http.client.HTTPException) as exc:
            return Answer(599, {}, repr(exc).encode())
        finally:
            conn.close()

    def status(self, url: str) -> int:
        try:
            return self.get(url, timeout=2).code
        except OSError:
            return 0


async def get(client: Any, base_url: str, headers: dict[str, str], url: str) -> Any:
    """GET ``<base_url>mlnb/api/<url>`` sent as is (no client-side normalisation)."""
    return await client.fetch(
        f"{base_url}mlnb/api/{url}", headers=headers, raise_error=False, request_timeout=20
    )


def check_answer(response: Any, url: str = "") -> dict[str, Any] | None:
    """Assert what every answer of every route must be; return the JSON body, if any."""
    where = url[:200]
    assert response.code != 599, f"no answer (connection closed or timed out) to {where}"
    assert 200 <= response.code < 300 or 400 <= response.code < 500, f"{response.code} to {where}"
    kind = response.headers.get("Content-Type", "")
    if response.code >= 400:
        assert kind.startswith("application/json"), f"{response.code} {kind!r} to {where}"
        assert len(response.body) <= 2 * MAX_MESSAGE + 200, f"{len(response.body)}-byte error to {where}"
        body = json.loads(response.body)
        assert set(body) == {"error_code", "message"}, body
        assert body["error_code"] and body["message"], body
        assert len(body["message"]) <= MAX_MESSAGE and "\n" not in body["message"], body
        return body
    if "/artifacts/" in url.split("?", 1)[0]:
        assert kind in INERT, f"artifact served as {kind!r}: {where}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        return None
    assert kind.startswith("application/json"), f"{response.code} {kind!r} to {where}"
    return json.loads(response.body)


def expand(case: dict[str, Any], run_ids: dict[str, str]) -> str:
    """The URL of a corpus case: ``{full}``/``{empty}`` become run ids and each ``<NAME>`` of
    ``repeat`` becomes its text repeated (so that long inputs stay short in the file)."""
    url = case["url"].replace("{full}", run_ids["full"]).replace("{empty}", run_ids["empty"])
    for name, (text, times) in case.get("repeat", {}).items():
        url = url.replace(f"<{name}>", text * times)
    return url
