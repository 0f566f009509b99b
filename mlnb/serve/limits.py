"""Limits of the scoring server: body size, and which Host headers a loopback server answers.

A server bound to a loopback address answers only requests whose ``Host`` names a loopback
host, so a web page cannot reach it through DNS rebinding.  Binding another address (``--host
0.0.0.0``) is the explicit choice to serve the network, and lifts the check.
"""

from __future__ import annotations

import ipaddress
import os

MAX_BODY_ENV = "MLNB_SERVE_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})


def max_body_bytes() -> int:
    """The request body cap in bytes (``MLNB_SERVE_MAX_BODY_BYTES``, default 50 MiB)."""
    raw = os.environ.get(MAX_BODY_ENV)
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES
    return value if value > 0 else DEFAULT_MAX_BODY_BYTES


def is_loopback(host: str) -> bool:
    """True for names and addresses of this machine's loopback interface."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """The host part of a ``Host`` header value (``name:port``, ``[v6]:port``)."""
    header = header.strip()
    if header.startswith("["):
        end = header.find("]")
        return header[: end + 1] if end >= 0 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(header: str | None, bind_host: str) -> bool:
    """Whether a request with this ``Host`` header may be served by a server bound to ``bind_host``."""
    if not is_loopback(bind_host):
        return True
    if not header:
        return False
    return is_loopback(host_of(header))
