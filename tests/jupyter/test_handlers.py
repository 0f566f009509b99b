"""The REST routes of the server extension, through a real jupyter_server (pytest-jupyter)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
import tornado.httpclient
from jupyter_server.base.handlers import APIHandler

import mlnb
from mlnb.jupyter.handlers import _RUN_ID, FALLBACK, ROUTES

NB = "proj/analysis.ipynb"


def _fetch_json(response) -> dict:
    return json.loads(response.body.decode())


def _concrete(pattern: str, run_id: str) -> str:
    """A URL path that the route ``pattern`` matches, for the run ``run_id``."""
    path = pattern.replace(_RUN_ID, run_id).replace("(?P<relpath>.+)", "config.json")
    return path.replace(FALLBACK[0], "no/such/route")


@pytest.fixture
def runs(project: Path) -> dict[str, str]:
    """Three runs from the notebook (one failed, one with a NaN metric) and one from elsewhere."""
    (project / "analysis.ipynb").write_text("{}")
    nb_abs = str(project / "analysis.ipynb")
    mlnb.set_experiment("churn")
    ids = {}
    for i, (name, cell) in enumerate([("first", "cell-a"), ("second", "cell-a"), ("third", "cell-b")]):
        with mlnb.start_run(run_name=name, notebook=nb_abs, cell_id=cell) as run:
            mlnb.log_param("C", str(0.1 * (i + 1)))
            mlnb.log_metric("accuracy", 0.8 + i / 100)
            for step in range(3):
                mlnb.log_metric("loss", 1.0 / (step + 1), step=step)
            if name == "second":
                mlnb.log_metric("odd", float("nan"))
                mlnb.log_text("hello <b>there</b>", "notes/readme.html")
                mlnb.log_dict({"a": 1}, "config.json")
            ids[name] = run.info.run_id
    with mlnb.start_run(run_name="<img src=x onerror=alert(1)>", notebook="other.ipynb") as run:
        ids["other"] = run.info.run_id
    failed = mlnb.start_run(run_name="broken", notebook=nb_abs, cell_id="cell-c")
    mlnb.end_run("FAILED")
    ids["broken"] = failed.info.run_id
    mlnb.get_store().flush()
    return ids


async def test_experiments_lists_the_store_of_the_notebook(jp_fetch, runs):
    body = _fetch_json(await jp_fetch("mlnb", "api", "experiments", params={"path": NB}))
    assert body["store"]["found"] is True
    assert body["store"]["uri"].endswith(".mlnb")
    names = {e["name"] for e in body["experiments"]}
    assert names == {"Default", "churn"}


async def test_no_store_gives_an_empty_answer_and_creates_nothing(jp_fetch, jp_root_dir, project):
    (jp_root_dir / "elsewhere").mkdir()
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": "elsewhere/x.ipynb"}))
    assert body == {
        "store": {"uri": None, "found": False},
        "runs": [],
        "next_page_token": None,
        "searched": None,
    }
    assert not (jp_root_dir / "elsewhere" / ".mlnb").exists()


async def test_runs_newest_first_with_params_metrics_and_source(jp_fetch, runs):
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": NB}))
    names = [r["run_name"] for r in body["runs"]]
    assert sorted(names) == sorted(["broken", "<img src=x onerror=alert(1)>", "third", "second", "first"])
    starts = [r["start_time"] for r in body["runs"]]
    assert starts == sorted(starts, reverse=True)
    second = body["runs"][names.index("second")]
    assert second["params"] == {"C": "0.2"}
    assert second["metrics"]["accuracy"] == pytest.approx(0.81)
    assert second["metrics"]["odd"] is None  # NaN is not JSON
    assert second["source"]["cell_id"] == "cell-a"
    assert second["status"] == "FINISHED"
    assert body["runs"][names.index("broken")]["status"] == "FAILED"


async def test_runs_of_the_notebook_only(jp_fetch, runs):
    params = {"path": NB, "scope": "notebook"}
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params=params))
    assert {r["run_id"] for r in body["runs"]} == {
        runs["first"],
        runs["second"],
        runs["third"],
        runs["broken"],
    }
    body = _fetch_json(
        await jp_fetch("mlnb", "api", "runs", params={"path": "proj/other.ipynb", "scope": "notebook"})
    )
    assert [r["run_id"] for r in body["runs"]] == [runs["other"]]


async def test_runs_are_paged(jp_fetch, runs):
    seen, token = [], None
    for _ in range(4):
        params = {"path": NB, "page_size": "2"}
        if token:
            params["page_token"] = token
        body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params=params))
        seen += [r["run_id"] for r in body["runs"]]
        token = body["next_page_token"]
        if token is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    assert token is None


async def test_runs_filtered_and_ordered_with_the_query_language(jp_fetch, runs):
    params = {"path": NB, "filter": "metrics.accuracy > 0.805", "order_by": "metrics.accuracy ASC"}
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params=params))
    assert [r["run_name"] for r in body["runs"]] == ["second", "third"]


async def test_bad_filter_is_a_400_with_the_reason(jp_fetch, runs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", params={"path": NB, "filter": "metrics.acc >>> 1"})
    assert err.value.code == 400
    body = json.loads(err.value.response.body)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "metrics.acc" in body["message"]


async def test_bad_page_size_is_a_400(jp_fetch, runs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", params={"path": NB, "page_size": "0"})
    assert err.value.code == 400


async def test_one_run_has_params_metrics_tags_and_artifacts(jp_fetch, runs):
    rid = runs["second"]
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", rid, params={"path": NB}))
    run = body["run"]
    assert run["run_id"] == rid and run["run_name"] == "second"
    assert run["tags"]["mlflow.runName"] == "second"
    assert run["metrics"]["loss"] == pytest.approx(1 / 3)
    assert sorted(a["path"] for a in run["artifacts"]) == ["config.json", "notes/readme.html"]
    assert all(len(a["sha256"]) == 64 for a in run["artifacts"])


async def test_unknown_run_is_a_404(jp_fetch, runs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", "0" * 32, params={"path": NB})
    assert err.value.code == 404
    assert json.loads(err.value.response.body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"


async def test_metric_history_in_step_order(jp_fetch, runs):
    body = _fetch_json(
        await jp_fetch(
            "mlnb", "api", "runs", runs["first"], "metric-history", params={"path": NB, "key": "loss"}
        )
    )
    assert [(p["step"], p["value"]) for p in body["history"]] == [
        (0, 1.0),
        (1, 0.5),
        (2, pytest.approx(1 / 3)),
    ]


async def test_artifact_download_is_an_attachment_never_rendered(jp_fetch, runs):
    rid = runs["second"]
    resp = await jp_fetch(
        "mlnb", "api", "runs", rid, "artifacts", "notes", "readme.html", params={"path": NB}
    )
    assert resp.body == b"hello <b>there</b>"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Type"] == "application/octet-stream"  # html is never served as html
    resp = await jp_fetch("mlnb", "api", "runs", rid, "artifacts", "config.json", params={"path": NB})
    assert json.loads(resp.body) == {"a": 1}


async def test_modified_artifact_is_refused(jp_fetch, runs, project):
    rid = runs["second"]
    target = project / ".mlnb" / "artifacts" / rid / "config.json"
    target.write_text('{"a": 2}')
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", rid, "artifacts", "config.json", params={"path": NB})
    assert err.value.code == 500
    assert "modified" in json.loads(err.value.response.body)["message"]


@pytest.mark.parametrize(
    "payload",
    [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e/%2e%2e/mlnb.db",
        "notes/../../../mlnb.db",
        "/etc/passwd",
        "notes\\..\\..\\mlnb.db",
        "notes/./readme.html",
        "%00",
    ],
)
async def test_traversal_payloads_are_refused(jp_base_url, http_server_client, jp_auth_header, runs, payload):
    # sent raw (no client-side normalisation), exactly as an attacker would
    url = f"{jp_base_url}mlnb/api/runs/{runs['second']}/artifacts/{payload}?path={NB}"
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await http_server_client.fetch(url, headers=jp_auth_header, request_timeout=10)
    assert err.value.code in (400, 403, 404)
    assert b"root:" not in (err.value.response.body or b"")
    assert b"SQLite" not in (err.value.response.body or b"")


async def test_unrecorded_file_in_the_run_directory_is_not_served(jp_fetch, runs, project):
    rid = runs["second"]
    (project / ".mlnb" / "artifacts" / rid / "planted.txt").write_text("not logged")
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", rid, "artifacts", "planted.txt", params={"path": NB})
    assert err.value.code == 404


async def test_path_outside_the_server_root_is_refused(jp_fetch, runs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_fetch("mlnb", "api", "runs", params={"path": "../../"})
    assert err.value.code == 403


async def test_requests_without_a_token_are_refused(jp_base_url, http_server_client, runs):
    for pattern, _cls in [*ROUTES, FALLBACK]:
        path = _concrete(pattern, runs["second"])
        with pytest.raises(tornado.httpclient.HTTPClientError) as err:
            await http_server_client.fetch(f"{jp_base_url}mlnb/api/{path}?path={NB}", request_timeout=10)
        assert err.value.code == 403, path


async def test_non_get_needs_the_xsrf_token(jp_base_url, http_server_client, jp_serverapp, runs):
    # a browser session (cookie, no Authorization header) must send the _xsrf token on POST
    login = await http_server_client.fetch(
        f"{jp_base_url}lab?token={jp_serverapp.identity_provider.token}",
        follow_redirects=False,
        raise_error=False,
        request_timeout=20,
    )
    cookies = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie"))
    assert "_xsrf" in cookies
    xsrf = next(c.split("=", 1)[1] for c in cookies.split("; ") if c.startswith("_xsrf="))
    url = f"{jp_base_url}mlnb/api/runs?path={NB}"
    # the GET works with the cookie alone ...
    ok = await http_server_client.fetch(url, headers={"Cookie": cookies}, request_timeout=10)
    assert ok.code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        body = b"{}" if method != "DELETE" else None
        refused = await http_server_client.fetch(
            url, method=method, body=body, headers={"Cookie": cookies}, raise_error=False, request_timeout=10
        )
        assert refused.code == 403, method
        assert b"_xsrf" in refused.body, method
        # ... with the token the request passes the XSRF check and meets a route that writes nothing
        allowed = await http_server_client.fetch(
            url,
            method=method,
            body=body,
            headers={"Cookie": cookies, "X-XSRFToken": xsrf},
            raise_error=False,
            request_timeout=10,
        )
        assert allowed.code == 405, method


async def test_every_route_checks_the_authorizer(jp_fetch, jp_serverapp, runs):
    class DenyMlnb(jp_serverapp.authorizer.__class__):
        def is_authorized(self, handler, user, action, resource):  # type: ignore[no-untyped-def]
            return resource != "mlnb"

    jp_serverapp.web_app.settings["authorizer"] = DenyMlnb(
        parent=jp_serverapp, identity_provider=jp_serverapp.identity_provider
    )
    for pattern, _cls in [*ROUTES, FALLBACK]:
        path = _concrete(pattern, runs["second"])
        with pytest.raises(tornado.httpclient.HTTPClientError) as err:
            await jp_fetch("mlnb", "api", *path.split("/"), params={"path": NB})
        assert err.value.code == 403, path


def test_every_handler_is_an_authenticated_api_handler():
    for pattern, cls in [*ROUTES, FALLBACK]:
        assert issubclass(cls, APIHandler), pattern
        assert cls.auth_resource == "mlnb", pattern
        for method in ("get", "post", "put", "patch", "delete"):
            func = cls.__dict__.get(method)
            if func is None:
                continue
            assert method == "get", f"{cls.__name__}.{method}: the API is read-only"
            # follow the decorators (each uses functools.wraps) and note whose code wraps it
            wrappers, inner = [], func
            while hasattr(inner, "__wrapped__"):
                wrappers.append(inner.__code__.co_filename.replace("\\", "/"))
                inner = inner.__wrapped__
            assert any(f.endswith("tornado/web.py") for f in wrappers), (
                f"{cls.__name__}.{method} lacks @tornado.web.authenticated"
            )
            assert any(f.endswith("jupyter_server/auth/decorator.py") for f in wrappers), (
                f"{cls.__name__}.{method} lacks jupyter_server's @authorized"
            )


async def test_gets_never_write_the_store(jp_fetch, runs, project):
    db = project / ".mlnb" / "mlnb.db"
    mlnb.get_store().close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for pattern, _cls in ROUTES:
        path = _concrete(pattern, runs["second"])
        await jp_fetch("mlnb", "api", *path.split("/"), params={"path": NB, "key": "loss"})
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    wal = Path(str(db) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_reads_do_not_block_a_writer(jp_fetch, runs):
    # a kernel keeps logging while the server reads: the write commits without waiting
    await jp_fetch("mlnb", "api", "runs", params={"path": NB})
    with mlnb.start_run(run_name="while-reading"):
        mlnb.log_metric("x", 1.0)
        mlnb.get_store().flush()  # what the kernel's write-behind buffer does within 0.2 s
        body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": NB}))
        assert body["runs"][0]["run_name"] == "while-reading"
        assert body["runs"][0]["status"] == "RUNNING"
    mlnb.get_store().flush()
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": NB}))
    assert body["runs"][0]["status"] == "FINISHED"


async def test_models_lists_versions_and_aliases(jp_fetch, project):
    from sklearn.linear_model import LogisticRegression

    (project / "m.ipynb").write_text("{}")
    clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    uris = []
    for _ in range(2):
        with mlnb.start_run():
            uris.append(mlnb.log_model(clf, "clf").model_uri)
    for uri in uris:
        mlnb.register_model(uri, "churn")
    mlnb.set_registered_model_alias("churn", "champion", 1)
    body = _fetch_json(await jp_fetch("mlnb", "api", "models", params={"path": "proj/m.ipynb"}))
    [model] = body["models"]
    assert model["name"] == "churn"
    assert model["aliases"] == {"champion": 1}
    assert [v["version"] for v in model["versions"]] == [2, 1]
    assert model["versions"][1]["aliases"] == ["champion"]
    assert model["versions"][1]["source"] == uris[0]
    assert model["versions"][0]["model_uri"] == "models:/churn/2"


async def test_running_run_of_a_dead_process_is_reported_orphaned_not_rewritten(jp_fetch, project):
    import subprocess
    import sys

    (project / "nb.ipynb").write_text("{}")
    code = (
        "import os, mlnb\n"
        f"mlnb.set_store({str(project / '.mlnb')!r})\n"
        f"mlnb.start_run(run_name='abandoned', notebook={str(project / 'nb.ipynb')!r})\n"
        "mlnb.flush()\n"
        "os._exit(0)\n"  # no end_run, no atexit: the run stays RUNNING
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    params = {"path": "proj/nb.ipynb", "scope": "notebook"}
    [run] = _fetch_json(await jp_fetch("mlnb", "api", "runs", params=params))["runs"]
    assert run["run_name"] == "abandoned"
    assert run["status"] == "RUNNING" and run["orphaned"] is True
    detail = _fetch_json(await jp_fetch("mlnb", "api", "runs", run["run_id"], params=params))["run"]
    assert detail["orphaned"] is True and detail["status"] == "RUNNING"


async def test_recreated_store_is_read_from_the_new_file(jp_fetch, project):
    import shutil

    with mlnb.start_run(run_name="old"):
        pass
    mlnb.get_store().flush()
    names = [
        r["run_name"]
        for r in _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": "proj"}))["runs"]
    ]
    assert names == ["old"]
    writer = mlnb.get_store()
    mlnb.set_store(None)
    writer.close()
    shutil.rmtree(project / ".mlnb")
    mlnb.set_store(project / ".mlnb")
    with mlnb.start_run(run_name="new"):
        pass
    mlnb.get_store().flush()
    names = [
        r["run_name"]
        for r in _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": "proj"}))["runs"]
    ]
    assert names == ["new"]


async def test_store_being_created_reads_as_no_store_yet(jp_fetch, jp_root_dir, project):
    # a kernel has created the database file but not yet its tables
    fresh = jp_root_dir / "fresh" / ".mlnb"
    fresh.mkdir(parents=True)
    sqlite3.connect(fresh / "mlnb.db").close()
    body = _fetch_json(await jp_fetch("mlnb", "api", "runs", params={"path": "fresh/nb.ipynb"}))
    assert body["store"]["found"] is False and body["runs"] == []
