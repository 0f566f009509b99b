"""The server's HTTP connections: uvicorn's httptools protocol with deadlines and a header cap.

uvicorn bounds neither how long a client may take to send a request nor how big its headers
may be when it parses with httptools (h11's ``h11_max_incomplete_event_size`` applies to h11
only): a client trickling a header a byte at a time held a connection for as long as it liked,
and a 300 MB header was read in full.  This protocol

- answers 408 and closes when the request line and headers are not in within
  ``header_timeout`` seconds of the connection (or of the first byte of a keep-alive request);
- closes a connection whose body is still arriving ``read_timeout`` (+1) seconds after its
  headers (the app answers 408 at ``read_timeout`` when it is reading that body);
- answers 431 and closes once a request's head passes ``max_header_bytes`` (checked after each
  read, so at most one read of the socket, 256 KiB, is held beyond the limit);
- sets TCP_NODELAY on every connection.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from mlnb.serve.limits import ServeLimits
from mlnb.serve.protocol import error_body

# Past the app's own read deadline, the connection is closed whatever the app does.
_BODY_GRACE = 1.0


def limits_of(app: Any) -> ServeLimits:
    """The limits of the scoring app inside uvicorn's middleware (defaults for another app)."""
    for _ in range(8):
        found = getattr(app, "limits", None)
        if isinstance(found, ServeLimits):
            return found
        app = getattr(app, "app", None)
        if app is None:
            break
    return ServeLimits.default()


def refusal(status: int, error_code: str, message: str) -> bytes:
    """A whole HTTP response with a JSON error that closes the connection."""
    body = error_body(error_code, message)
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request deadlines, a header cap and TCP_NODELAY.

    httptools parses requests in C (h11, uvicorn's pure-Python fallback, costs about 0.2 ms
    per small request).  uvicorn writes a response's head and body separately; with Nagle's
    algorithm on (as on sockets uvicorn binds itself for --workers) the body waits for the
    client's delayed ACK, adding up to 40 ms to every small response.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits_of(self.app)
        self._head_open = True
        self._head_bytes = 0
        self._head_timer: Any = None
        self._body_timer: Any = None

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        was_open = self._head_open
        super().data_received(data)
        if not (was_open and self._head_open) or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.limits.max_header_bytes:
            self._refuse(
                431,
                "REQUEST_HEADER_FIELDS_TOO_LARGE",
                f"The request line and headers are larger than the limit of "
                f"{self.limits.max_header_bytes} bytes; send smaller headers",
            )

    # parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._body_timer = self.loop.call_later(self.limits.read_timeout + _BODY_GRACE, self._body_late)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # deadlines
    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if self._head_open:
            self._refuse(
                408,
                "REQUEST_TIMEOUT",
                f"The request line and headers did not arrive within {self.limits.header_timeout:g} s",
            )

    def _body_late(self) -> None:
        self._body_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _refuse(self, status: int, error_code: str, message: str) -> None:
        """Answer (unless a response is under way on this connection) and close."""
        self._cancel_timers()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(refusal(status, error_code, message))
        self.transport.close()


# What to pass as uvicorn's ``http=`` (a string, so --workers processes can import it).
HTTP_PROTOCOL = "mlnb.serve.connection:GuardedHttpToolsProtocol"
