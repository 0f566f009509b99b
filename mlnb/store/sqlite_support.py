"""The SQLite library a store runs on: the oldest version mlnb supports, and the functions it adds.

mlnb needs SQLite 3.32.0 or newer with the JSON1 functions:

- ``INSERT ... ON CONFLICT (...) DO UPDATE`` (upsert) writes tags and latest metrics: 3.24.0;
- ``json_each`` / ``json_group_array`` / ``json_group_object`` bind id lists and read a search's
  details in one statement: the JSON1 functions, built in by default since 3.38.0 and present in
  the SQLite of every mainstream Python build before that;
- up to 32,766 bound values per statement (``IN`` lists of a filter, many experiments): 3.32.0
  (999 before).

The oldest version the test suite runs on is 3.40.1 (Debian 12).  Search queries stay well
inside limits that hold in every version (see :data:`mlnb.store.filters.MAX_ORDER_BY_KEYS`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mlnb.errors import StoreError

MIN_SQLITE = (3, 32, 0)


def check_sqlite(dbapi_conn: Any) -> None:
    """Refuse an SQLite library older than :data:`MIN_SQLITE` or without the JSON1 functions."""
    version = sqlite3.sqlite_version_info
    shown = ".".join(map(str, version))
    needed = ".".join(map(str, MIN_SQLITE))
    if tuple(version) < MIN_SQLITE:
        raise StoreError(
            f"this Python uses SQLite {shown}, older than the {needed} mlnb needs; use a Python "
            f"built with a newer SQLite (python.org, conda and current Linux distributions have one)"
        )
    try:
        dbapi_conn.execute("SELECT json_array(1)").fetchone()
    except sqlite3.OperationalError:
        raise StoreError(
            f"this Python's SQLite {shown} was built without the JSON1 functions mlnb needs; use "
            "a Python built with a standard SQLite (python.org, conda, Linux distributions)"
        ) from None


def prepare_connection(dbapi_conn: Any) -> None:
    """Check the library, then register mlnb's SQL functions on a new SQLite connection."""
    from mlnb.store.like import like_match

    check_sqlite(dbapi_conn)
    dbapi_conn.create_function("mlnb_like", 2, lambda v, p: like_match(v, p, False), deterministic=True)
    dbapi_conn.create_function("mlnb_ilike", 2, lambda v, p: like_match(v, p, True), deterministic=True)
