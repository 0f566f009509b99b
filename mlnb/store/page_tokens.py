"""Page tokens for run searches: what a caller above the store may hold between pages.

A token is opaque to the caller: it names the query that made it (a digest of its arguments) and
where the next page starts, so a token cannot be replayed against another search.  The store's
keyset paging (:mod:`mlnb.store.run_pages`) and the client-side paging of lists
(:mod:`mlnb.tracking.paging`) share this codec.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from mlnb.errors import InvalidParameter

MAX_PAGE = 50_000  # MLflow's limit for one page of search_runs


def query_digest(*parts: Any) -> str:
    """A short digest naming one query, stored in its page tokens."""
    text = json.dumps(parts, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(query: str, position: Any) -> str:
    """An opaque, URL-safe page token: the query digest and where the next page starts."""
    raw = json.dumps({"q": query, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str | bytes | None, query: str) -> Any:
    """The position stored in ``token`` (``None`` for no token); refuses foreign tokens."""
    if token is None or token == "" or token == b"":
        return None
    try:
        text = token.decode() if isinstance(token, bytes) else str(token)
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        digest, position = data["q"], data["p"]
    except Exception:
        raise InvalidParameter(
            f"page_token {token!r} is not a token returned by this search; pass the .token of "
            "the previous page, or None for the first page"
        ) from None
    if digest != query:
        raise InvalidParameter(
            "page_token belongs to a search with other arguments (experiments, filter, order or "
            "view type); repeat the same arguments with its token, or start again without one"
        )
    return position


def check_page_size(max_results: object, limit: int = MAX_PAGE) -> int:
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 0 < max_results <= limit:
        raise InvalidParameter(f"max_results must be an integer from 1 to {limit}, got {max_results!r}")
    return max_results
