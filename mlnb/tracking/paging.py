"""Pages of a list already in memory (experiments, registered models, model versions).

These searches read every matching entity (hundreds, not millions), so a page is a slice; its
token is opaque and tied to the query that made it (:mod:`mlnb.store.page_tokens` has the codec).
Runs page by keyset in SQL instead (:meth:`mlnb.store.base.TrackingStore.search_runs_page`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mlnb.entities import PagedList
from mlnb.errors import InvalidParameter
from mlnb.store.page_tokens import check_page_size, decode_token, encode_token, query_digest


def page_of(
    items: Sequence[object], max_results: int | None, page_token: str | bytes | None, query: object
) -> PagedList:
    """The page of ``items`` that ``page_token`` points at (the first without one).

    ``query`` is what made ``items`` (the search arguments); a token of another query is refused.
    """
    size = len(items) if max_results is None else check_page_size(max_results, 1 << 62)
    digest = query_digest(query)
    start = decode_token(page_token, digest) or 0
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise InvalidParameter("page_token is damaged; start again without one")
    end = start + size
    return PagedList(items[start:end], encode_token(digest, end) if end < len(items) else None)
