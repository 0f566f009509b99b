"""Limits of the scoring server, and which Host headers a loopback server answers.

A server bound to a loopback address answers only requests whose ``Host`` names a loopback
host, so a web page cannot reach it through DNS rebinding.  Binding another address (``--host
0.0.0.0``) is the explicit choice to serve the network, and lifts the check.

:class:`ServeLimits` holds what one client may cost the server: request body and header size,
the number of columns, how long a request may take to arrive, how many predictions may be in
flight, and how many processes decode and predict.  With them the server's memory is bounded
(see :meth:`ServeLimits.memory_bound_bytes`) and ``/ping`` keeps answering.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
from dataclasses import dataclass

from mlnb.errors import InvalidParameter

MAX_BODY_ENV = "MLNB_SERVE_MAX_BODY_BYTES"
LIMITS_ENV = "MLNB_SERVE_LIMITS"
MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 16 * MIB
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})
# Memory a decoding process needs per byte of request body, at the worst measured: 26 for a
# CSV body of 480,000 short rows through the travel-churn Pipeline (JSON bodies: 6 to 18).  It
# depends on the model (what its predict allocates per row); benchmarks/bench_serve_abuse.py
# --decode-cost measures it for a given model.  Used to state the bound, not to enforce it.
WORST_BYTES_PER_BODY_BYTE = 32


def max_body_bytes() -> int:
    """The request body cap in bytes (``MLNB_SERVE_MAX_BODY_BYTES``, default 16 MiB)."""
    raw = os.environ.get(MAX_BODY_ENV)
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES
    return value if value > 0 else DEFAULT_MAX_BODY_BYTES


@dataclass(frozen=True)
class ServeLimits:
    """What one request may cost the scoring server.

    Parameters
    ----------
    max_body_bytes : int
        Largest request body (413 beyond it). Default 16 MiB, or ``MLNB_SERVE_MAX_BODY_BYTES``.
    max_columns : int
        Most columns a request may name (400 beyond it, before the table is built). Default 2,048.
    max_header_bytes : int
        Largest request line plus headers (431 beyond it). Default 64 KiB.
    read_timeout : float
        Seconds a request body may take to arrive once its headers are in (408). Default 30.
    header_timeout : float
        Seconds a request line and headers may take to arrive, counted from the connection (or
        the first byte of a keep-alive request) (408). Default 10.
    max_concurrency : int
        Most ``/invocations`` requests in flight (503 with ``Retry-After`` beyond it);
        ``/ping``, ``/health`` and ``/version`` are not counted. Default 8.
    workers : int
        Processes that decode bodies and predict, so the event loop never waits on them.
        ``0`` decodes in a thread of the server instead (notebooks, where forking the kernel is
        unsafe). Default 2.
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_columns: int = 2048
    max_header_bytes: int = 64 * 1024
    read_timeout: float = 30.0
    header_timeout: float = 10.0
    max_concurrency: int = 8
    workers: int = 2

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("timeout"):
                ok, wanted = isinstance(value, (int, float)) and 0 < value < 1e6, "a number of seconds > 0"
            else:
                lowest = 0 if field.name == "workers" else 1
                ok, wanted = isinstance(value, int) and value >= lowest, f"a whole number >= {lowest}"
            if isinstance(value, bool) or not ok:
                raise InvalidParameter(f"serve limit {field.name} must be {wanted}, got {value!r}")

    @classmethod
    def default(cls) -> ServeLimits:
        """The defaults, with the body cap from ``MLNB_SERVE_MAX_BODY_BYTES`` when it is set."""
        return cls(max_body_bytes=max_body_bytes())

    def to_env(self) -> str:
        """These limits as the JSON that :meth:`from_env` reads (for ``--workers`` processes)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> ServeLimits:
        raw = os.environ.get(LIMITS_ENV)
        return cls(**json.loads(raw)) if raw else cls.default()

    def memory_bound_bytes(self, baseline: int) -> int:
        """An upper bound on the server's memory beyond ``baseline`` (its idle processes).

        The server holds each body in flight (at most ``max_concurrency``), twice while it joins
        its chunks; at most ``max(workers, 1)`` processes or threads each hold one body and what
        decoding it and predicting allocate (:data:`WORST_BYTES_PER_BODY_BYTE` per byte).
        """
        held = 2 * self.max_concurrency * self.max_body_bytes
        decoding = max(self.workers, 1) * (1 + WORST_BYTES_PER_BODY_BYTE) * self.max_body_bytes
        return baseline + held + decoding


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
