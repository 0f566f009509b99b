"""The Jupyter server extension: authenticated REST handlers under /mlnb/api/.

Enabled by ``etc/jupyter/jupyter_server_config.d/mlnb.json`` (installed with the package); the
JupyterLab side lives in ``labextension/`` and reaches the store only through these routes.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlnb.jupyter"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from mlnb.jupyter.handlers import setup_handlers

    setup_handlers(serverapp.web_app)
    serverapp.log.info("mlnb: REST routes registered under /mlnb/api/")
