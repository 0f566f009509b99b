"""``mlnb models ...``: list, show and promote registered models from the shell.

:func:`add_models_parser` is called by :mod:`mlnb.cli`, which opens the store (``--store``)
and reports :class:`mlnb.MlnbError` as one line; the handlers here only format.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mlnb.display import format as fmt
from mlnb.errors import ValidationFailed

if TYPE_CHECKING:
    from mlnb.store.base import Store


def _when(ms: int | None) -> str:
    return "-" if ms is None else fmt.timestamp(ms)  # local time, as `mlnb runs ls` shows it


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def show(value: object) -> str:
        missing = value is None or value == "" or value != value  # NaN from a DataFrame
        return "-" if missing else str(value)

    cells = [[str(c) for c in header]] + [[show(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _ls(args: argparse.Namespace) -> int:
    from mlnb.registry.versions import search_registered_models

    store = args.open_store(args)
    models = search_registered_models(args.filter)
    if not models:
        print(f"no registered models in {store.location.uri}")
        return 0
    rows = []
    for m in models:
        aliases = " ".join(f"{a}=v{v}" for a, v in sorted(m.aliases.items()))
        stages = " ".join(
            f"{v.current_stage}=v{v.version}" for v in m.latest_versions if v.current_stage != "None"
        )
        rows.append([m.name, m.latest_version or "-", aliases, stages, _when(m.last_updated_timestamp)])
    print(_table(["name", "latest", "aliases", "stages", "updated (UTC)"], rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    from mlnb.registry.active import version_entity
    from mlnb.registry.aliases import get_alias_history
    from mlnb.registry.versions import get_registered_model

    store = args.open_store(args)
    model = get_registered_model(args.name)
    versions = [version_entity(r) for r in store.registry.list_model_versions(model.name)]
    print(
        f"registered model {model.name!r}: {fmt.count(len(versions), 'version')}, created {_when(model.creation_timestamp)}"
    )
    if model.description:
        print(f"description: {model.description}")
    for key, value in sorted(model.tags.items()):
        print(f"tag {key} = {value}")
    if versions:
        print()
        rows = [
            [v.version, v.current_stage, ",".join(v.aliases), v.source, _when(v.creation_timestamp), v.user_id,
             v.description or ""]
            for v in versions
        ]  # fmt: skip
        print(_table(["version", "stage", "aliases", "source", "created (UTC)", "by", "description"], rows))
    history = get_alias_history(model.name)
    if not history.empty:
        print("\nalias history:")
        rows = [
            [r.alias, r.version, _when(_ms(r.set_time)), r.set_by, _when(_ms(r.removed_time)),
             r.removed_by, r.removed_reason]
            for r in history.itertuples()
        ]  # fmt: skip
        print(_table(["alias", "version", "from (UTC)", "set by", "to (UTC)", "removed by", "reason"], rows))
    return 0


def _ms(stamp: Any) -> int | None:
    import pandas as pd

    return None if pd.isna(stamp) else int(stamp.timestamp() * 1000)


def _promote(args: argparse.Namespace) -> int:
    from mlnb.registry.gates import promote

    args.open_store(args)
    try:
        result = promote(
            args.name, args.version, alias=args.alias, gate=args.gate or None, dry_run=args.dry_run
        )
    except ValidationFailed as exc:
        print(str(exc.result), file=sys.stdout)  # type: ignore[attr-defined]
        print(f"mlnb: refused: version {args.version} of {args.name!r} failed the gate", file=sys.stderr)
        return 1
    print(result)
    return 0 if result.passed else 1


def add_models_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    open_store: Callable[[argparse.Namespace], Store],
) -> None:
    """Add ``models ls|show|promote`` to the ``mlnb`` command's subparsers."""
    models = sub.add_parser("models", help="list, show and promote registered models").add_subparsers(
        dest="models_command", required=True
    )
    ls = models.add_parser("ls", help="registered models with latest version, aliases and stages")
    ls.add_argument("--filter", "-f", help="e.g. \"name LIKE 'churn%%'\" or \"tags.team = 'risk'\"")
    ls.set_defaults(func=_ls, open_store=open_store)
    show = models.add_parser("show", help="versions, stages, aliases and alias history of one model")
    show.add_argument("name")
    show.set_defaults(func=_show, open_store=open_store)
    pr = models.add_parser("promote", help="move an alias to a version if it passes a gate")
    pr.add_argument("name")
    pr.add_argument("version")
    pr.add_argument("--alias", "-a", default="champion", help="alias to move (default: champion)")
    pr.add_argument(
        "--gate",
        "-g",
        action="append",
        help="condition, repeatable: 'metrics.roc_auc>=0.8', 'metrics.f1 not worse than current', "
        "'metrics.log_loss <= current'",
    )
    pr.add_argument("--dry-run", action="store_true", help="only evaluate the gate")
    pr.set_defaults(func=_promote, open_store=open_store)
