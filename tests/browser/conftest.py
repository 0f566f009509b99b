"""Browser fixtures: a real ``jupyter lab`` on 127.0.0.1 and a headless Chromium page.

``lab`` gives each test a fresh browser context and its own directory under the server root
(so each test has its own ``.mlnb`` store), with helpers to write and open notebooks, wait for
the kernel through ``/api/sessions``, run every cell, call JupyterLab commands and save
screenshots under ``test-artifacts/browser/``.

The server is started once per session (~5 s); tests share it but never each other's files.
The known pitfalls are handled here: ``--allow-root`` when root, the news toast disabled
through a temporary user-settings directory, the app exposed as ``window.jupyterapp`` so that
tests call commands instead of hunting for menu items, and no cell is run before the kernel
reports ``idle``.

Example
-------
>>> def test_something(lab):                                      # doctest: +SKIP
...     path = lab.write_notebook("demo.ipynb", ["import mlnb", "1 + 1"])
...     lab.open_notebook(path)
...     lab.run_all()
...     lab.page.get_by_text("2").first.wait_for()
...     lab.screenshot("demo")
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.processes import stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SERVER_START_TIMEOUT = 90.0
AXE_JS = Path(__file__).resolve().parents[2] / "labextension" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (and slow), marked or not."""
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # remember the call outcome so that the ``lab`` fixture can screenshot failures
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running ``jupyter lab``: its base URL, token, root directory and process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = 10.0) -> tuple[int, Any]:
        """One authenticated REST call; returns ``(status, decoded JSON or bytes)``."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def get(self, path: str) -> Any:
        """GET ``path`` (like ``/api/sessions``) and return the JSON; fails on a non-2xx status."""
        status, payload = self.request("GET", path)
        assert 200 <= status < 300, f"GET {path} -> {status}: {payload!r}"
        return payload


def _user_settings(directory: Path) -> None:
    apputils = directory / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True)
    # "false" as a string is what the notification plugin checks for
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One ``jupyter lab`` for the session, rooted in a temporary directory."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    settings = base / "settings"
    _user_settings(settings)
    workspaces = base / "workspaces"
    workspaces.mkdir()
    token = secrets.token_hex(16)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLNB_")}
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # keep the tests' own config and runtime files out of the user's home
    env["JUPYTER_CONFIG_DIR"] = str(base / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")
    env["IPYTHONDIR"] = str(base / "ipython")
    env["PYTHONUNBUFFERED"] = "1"
    # serve this checkout's own build of the lab extension (JUPYTER_PATH is searched first),
    # not whichever copy an earlier `pip install` left in the environment's share/
    built = Path(__file__).resolve().parents[2] / "mlnb" / "labextension"
    if (built / "package.json").exists():
        (base / "jupyter" / "labextensions").mkdir(parents=True)
        (base / "jupyter" / "labextensions" / "mlnb").symlink_to(built, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(base / "jupyter"), env.get("JUPYTER_PATH")]))
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={workspaces}",
        "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True",
        "--LabServerApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = base / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, proc, log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if server.request("GET", "/api/status", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"jupyter lab did not answer in time:\n{log.read_text()[-4000:]}")
        time.sleep(0.25)
    try:
        yield server
    finally:
        stop_process(proc, grace=20)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "lab-server.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Lab:
    """One test's view of the lab: a page, a directory, and helpers.

    Attributes
    ----------
    server : LabServer
    page : playwright Page
    dir : Path
        This test's own directory (absolute); notebooks and their ``.mlnb`` store live here.
    rel : str
        ``dir`` relative to the server root, as a URL path (``/``-separated).
    dialogs, page_errors, console_errors : list[str]
        Every ``alert``/``confirm`` text seen (a test that expects none asserts it is empty),
        uncaught page errors and console errors.
    """

    server: LabServer
    page: Any
    dir: Path
    rel: str
    name: str
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    # -- files -----------------------------------------------------------------------------
    def write_notebook(self, name: str, cells: list[str | tuple[str, str]]) -> str:
        """Write a notebook of code cells (or ``("markdown", text)`` pairs) into ``dir``.

        Returns the path relative to the server root, for :meth:`open_notebook`.
        """
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for cell in cells:
            if isinstance(cell, tuple) and cell[0] == "markdown":
                nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
            else:
                nb.cells.append(nbformat.v4.new_code_cell(cell if isinstance(cell, str) else cell[1]))
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return f"{self.rel}/{name}"

    # -- navigation ------------------------------------------------------------------------
    def goto(self, tree_path: str = "") -> None:
        """Open JupyterLab in this test's own workspace (nothing restored from other tests)."""
        quoted = urllib.parse.quote(tree_path)
        suffix = f"/tree/{quoted}" if tree_path else ""
        self.page.goto(
            f"{self.server.url}/lab/workspaces/{self.name}{suffix}?reset&token={self.server.token}"
        )
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        self.page.locator("#jp-main-dock-panel").wait_for(timeout=60_000)

    def open_notebook(self, path: str, *, timeout: float = 90.0) -> None:
        """Open ``path`` (relative to the server root) and wait until its kernel is idle."""
        self.goto(path)
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
        self.wait_kernel_idle(path, timeout=timeout)

    def session(self, path: str) -> dict[str, Any] | None:
        """The ``/api/sessions`` entry of the notebook at ``path``, if any."""
        for sess in self.server.get("/api/sessions"):
            if sess.get("path") == path and sess.get("kernel"):
                return sess
        return None

    def wait_kernel_idle(self, path: str, *, timeout: float = 90.0) -> dict[str, Any]:
        """Poll ``/api/sessions`` until the kernel of ``path`` reports ``execution_state == idle``."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.session(path)
            if last and last["kernel"].get("execution_state") == "idle":
                return last
            time.sleep(0.25)
        raise AssertionError(f"kernel of {path} not idle after {timeout}s: {last!r}")

    # -- running ---------------------------------------------------------------------------
    def command(self, command_id: str, args: dict[str, Any] | None = None, *, wait: bool = True) -> Any:
        """Execute a JupyterLab command (``runmenu:run-all``, ``notebook:run-cell`` …).

        With ``wait=False`` it returns at once instead of when the command's promise settles
        (``notebook:run-cell`` settles only when the cell has finished).
        """
        if not wait:
            self.page.evaluate(
                "([id, args]) => { window.jupyterapp.commands.execute(id, args); }",
                [command_id, args or {}],
            )
            return None
        return self.page.evaluate(
            "([id, args]) => window.jupyterapp.commands.execute(id, args).then(() => null)",
            [command_id, args or {}],
        )

    def has_command(self, command_id: str) -> bool:
        return bool(self.page.evaluate("(id) => window.jupyterapp.commands.hasCommand(id)", command_id))

    def run_all(self, *, timeout: float = 120.0, allow_errors: bool = False) -> None:
        """Run every cell of the current notebook and wait until each has an execution count.

        With ``allow_errors`` it waits only until nothing is running any more (a failing cell
        stops the rest), so the test can inspect the error output itself.
        """
        self.command("runmenu:run-all")
        self.wait_cells_done(timeout=timeout, allow_errors=allow_errors)

    def run_cell(self, index: int, *, timeout: float = 120.0) -> None:
        """Select code cell ``index`` of the current notebook, run it and wait for its count."""
        self.select_cell(index)
        before = self.prompt(index)
        self.command("notebook:run-cell")
        self.page.wait_for_function(
            """([i, before]) => {
                const p = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]
                    ?.querySelector('.jp-InputPrompt')?.textContent ?? '';
                return /\\[\\d+\\]/.test(p) && p !== before;
            }""",
            arg=[index, before],
            timeout=timeout * 1000,
        )

    def select_cell(self, index: int) -> None:
        """Make cell ``index`` the active cell of the current notebook (command mode)."""
        self.page.evaluate(
            """(i) => {
                const panel = window.jupyterapp.shell.currentWidget;
                panel.content.activeCellIndex = i;
                panel.content.mode = 'command';
            }""",
            index,
        )

    def prompt(self, index: int) -> str:
        return self.page.evaluate(
            """(i) => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]
                ?.querySelector('.jp-InputPrompt')?.textContent ?? ''""",
            index,
        )

    def wait_cells_done(self, *, timeout: float = 120.0, allow_errors: bool = False) -> None:
        self.page.wait_for_function(
            """(allowErrors) => {
                const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                if (!panel) return false;
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                    .map(p => p.textContent || '');
                if (prompts.some(p => p.includes('*'))) return false;
                const done = prompts.filter(p => /\\[\\d+\\]/.test(p)).length;
                return allowErrors ? done > 0 : done === prompts.length;
            }""",
            arg=allow_errors,
            timeout=timeout * 1000,
        )

    def cell_sources(self) -> list[str]:
        """The text of every cell of the current notebook, from the model (not the DOM)."""
        return self.page.evaluate(
            """() => {
                const nb = window.jupyterapp.shell.currentWidget.content;
                return nb.widgets.map(c => c.model.sharedModel.getSource());
            }"""
        )

    def cell_outputs(self, index: int, *, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The outputs of cell ``index`` of the open notebook, once it has run and has some."""
        return self.page.wait_for_function(
            """(i) => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
                const outs = cell.model.outputs.toJSON();
                return cell.model.executionCount && outs.length ? outs : null;
            }""",
            arg=index,
            timeout=timeout * 1000,
        ).json_value()

    # -- themes and accessibility ----------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        """Switch JupyterLab's theme (``"light"``, ``"dark"`` or a full theme name) and wait for it."""
        name = THEMES.get(theme, theme)
        self.command("apputils:change-theme", {"theme": name})
        light = "false" if "Dark" in name else "true"
        self.page.wait_for_function(
            f"() => document.body.dataset.jpThemeLight === '{light}' && "
            f"document.body.dataset.jpThemeName === {json.dumps(name)}"
        )
        self.page.wait_for_timeout(300)  # the theme's CSS variables settle

    def axe(self, selector: str, *, rules: tuple[str, ...] = AXE_TAGS) -> list[dict[str, Any]]:
        """Run axe-core on the elements matching ``selector``; return its violations.

        Each violation is ``{"id", "impact", "help", "nodes": [html snippets]}``; an accessible
        panel returns ``[]``.  axe-core comes from the lab extension's node_modules (a dev
        dependency the build installs).
        """
        if self.page.locator(selector).count() == 0:
            pytest.fail(f"axe: nothing on the page matches {selector!r}")
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            if not AXE_JS.exists():
                pytest.fail(f"{AXE_JS} is missing: build the lab extension (pip install -e .)")
            self.page.add_script_tag(path=str(AXE_JS))
        result = self.page.evaluate(
            """([selector, tags]) => window.axe.run(
                   { include: Array.from(document.querySelectorAll(selector)) },
                   { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
                 .then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.html + ' :: ' + n.failureSummary) })))""",
            [selector, list(rules)],
        )
        return list(result)

    # -- evidence --------------------------------------------------------------------------
    def screenshot(self, name: str, locator: Any = None) -> Path:
        """Save a PNG under ``test-artifacts/browser/`` (of ``locator`` or the whole page)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path


@pytest.fixture
def lab(lab_server: LabServer, browser: Any, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """A fresh page on the session's lab, and a directory of this test's own under the root."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:80].strip("-") or "test"
    directory = lab_server.root / name
    directory.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}-FAILED.png").unlink(missing_ok=True)  # from an earlier session
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    lab = Lab(lab_server, page, directory, name, name)

    def on_dialog(dialog: Any) -> None:
        lab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: lab.page_errors.append(str(err)))
    page.on("console", lambda msg: lab.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield lab
    finally:
        if request.node.stash.get(_FAILED, False):
            try:
                lab.screenshot("FAILED")
            except Exception:
                pass
        context.close()
        # free the kernels this test started (2 cores are shared by everything)
        for sess in lab_server.get("/api/sessions"):
            if str(sess.get("path", "")).startswith(name + "/"):
                lab_server.request("DELETE", f"/api/sessions/{sess['id']}")
