"""Small helpers shared by the store modules: clocks, process identity, run names, views."""

from __future__ import annotations

import getpass
import random
import time

from mlnb.entities import ViewType
from mlnb.errors import InvalidParameter


def new_run_id() -> str:
    """32 hex characters like MLflow's, time-ordered like a UUIDv7: 48 bits of milliseconds, then
    80 random bits. New runs land at the end of the tables clustered by run id instead of at
    random places, which keeps inserts cheap as a store grows."""
    import secrets

    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def process_start_ticks(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), to detect pid reuse."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name may contain spaces and parentheses: split after the last ')'
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


_ADJECTIVES = [
    "amber",
    "bold",
    "brisk",
    "calm",
    "clever",
    "crisp",
    "eager",
    "fleet",
    "gentle",
    "keen",
    "lucid",
    "merry",
    "noble",
    "quiet",
    "rapid",
    "serene",
    "sharp",
    "steady",
    "swift",
    "vivid",
]
_NOUNS = [
    "badger",
    "comet",
    "falcon",
    "fern",
    "harbor",
    "heron",
    "lark",
    "maple",
    "otter",
    "pine",
    "quartz",
    "raven",
    "river",
    "sparrow",
    "summit",
    "tiger",
    "willow",
    "wren",
    "yak",
    "zephyr",
]


def random_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(100, 999)}"


def lifecycle_stages(view_type: int | str) -> list[str]:
    """The lifecycle stages a ``ViewType`` (or its name) selects: ``["active"]``, ``["deleted"]`` or both."""
    names: dict[str, int | str] = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}
    if isinstance(view_type, str):
        view_type = names.get(view_type.upper(), view_type)
    if view_type == ViewType.ACTIVE_ONLY:
        return ["active"]
    if view_type == ViewType.DELETED_ONLY:
        return ["deleted"]
    if view_type == ViewType.ALL:
        return ["active", "deleted"]
    raise InvalidParameter(
        f"run_view_type {view_type!r} is not ACTIVE_ONLY, DELETED_ONLY or ALL (mlnb.ViewType)"
    )


_USER: str | None = None


def os_user() -> str:
    """The OS user, looked up once per process."""
    global _USER
    if _USER is None:
        try:
            _USER = getpass.getuser()
        except Exception:
            _USER = "unknown"
    return _USER
