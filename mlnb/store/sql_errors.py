"""One mapping from what the database driver raises to an :class:`~mlnb.errors.MlnbError`.

Every connection and transaction of the store goes through :func:`translate`, so a user never
sees a raw ``sqlite3.OperationalError`` (or SQLAlchemy's wrapper of it): the message names the
operation, the store, and what to do ("database is locked" -> close the other writer or retry;
"database or disk is full" -> the path and its free space).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlnb import config
from mlnb.errors import InvalidParameter, MlnbError, StoreError, StoreReadOnly, free_space, shorten

if TYPE_CHECKING:
    from mlnb.store.location import StoreLocation

# exceptions a statement or its parameters raise before the driver runs it
BINDING_ERRORS = (UnicodeEncodeError, OverflowError, RecursionError)
# what a connection or a transaction may raise from the driver or the statement's parameters
DRIVER_ERRORS = (sa.exc.SQLAlchemyError, sqlite3.Error, *BINDING_ERRORS)


def _driver_message(exc: BaseException) -> tuple[str, str]:
    orig = getattr(exc, "orig", None) or exc
    return type(orig).__name__, str(orig).splitlines()[0] if str(orig) else type(orig).__name__


def translate(exc: BaseException, location: StoreLocation, action: str) -> MlnbError:
    """The :class:`MlnbError` for ``exc`` raised while ``action`` on the store at ``location``."""
    if isinstance(exc, MlnbError):
        return exc
    if isinstance(exc, UnicodeEncodeError):
        return InvalidParameter(
            f"cannot {action}: a value contains a lone surrogate ({exc.object[exc.start : exc.end]!r}), "
            "which is not valid Unicode and cannot be stored or looked up; pass valid text"
        )
    if isinstance(exc, OverflowError):
        return InvalidParameter(
            f"cannot {action}: an integer is too large for the store (64-bit limit, "
            f"-2**63 to 2**63-1); pass a smaller number"
        )
    if isinstance(exc, RecursionError):
        return InvalidParameter(
            f"cannot {action}: the query is too deeply nested to run; simplify the filter or the order_by"
        )
    kind, message = _driver_message(exc)
    low = message.lower()
    where = location.db_file if location.db_file is not None else location.uri
    if kind in ("ProgrammingError", "InterfaceError") and ("binding" in low or "not supported" in low):
        return InvalidParameter(
            f"cannot {action}: a value has a type the store cannot hold ({message}); pass a "
            "string or a number"
        )
    if "locked" in low or "busy" in low:
        return StoreError(
            f"cannot {action}: the store at {location.uri} stayed locked by another writer for "
            f"over {config.busy_timeout_s():g} s; retry, close the other writers (kernels, "
            "`mlnb` commands), or raise MLNB_BUSY_TIMEOUT"
        )
    if "disk is full" in low or "disk i/o error" in low or "no space" in low:
        return StoreError(
            f"cannot {action}: writing {shorten(str(where))} failed ({message}; "
            f"{free_space(str(where))}); free space on that disk and retry"
        )
    if "readonly" in low or "read-only" in low:
        return StoreReadOnly(
            f"cannot {action}: the store at {location.uri} is read-only; it can be searched and "
            "its models loaded, but to log, use a store on a writable disk (mlnb.set_tracking_uri)"
        )
    if "unable to open" in low or "authorization denied" in low:
        return StoreError(
            f"cannot {action}: cannot open the database {shorten(str(where))} ({message}); check "
            "that its directory exists and that this user may read and write it"
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return StoreError(
            f"cannot {action}: the database {shorten(str(where))} is damaged ({message}); run "
            "`mlnb verify` and restore the store from a backup"
        )
    return StoreError(f"cannot {action}: the store at {location.uri} failed ({kind}: {message})")
