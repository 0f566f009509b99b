"""The ``mlnb serve`` subcommand (parser only; the server modules load when it runs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlnb.serve.limits import ServeLimits


def _serve(args: argparse.Namespace, open_store: Callable[[argparse.Namespace], Any]) -> int:
    import gc

    # Loading scikit-learn, pandas and the model makes ~1M objects and few cycles; collections
    # during it only cost start-up time.  The server freezes the heap and re-enables the
    # collector once the model is loaded (mlnb.serve.app.freeze_heap).
    gc.disable()
    from mlnb.serve.handle import run

    serve_limits = limits_from_args(args)
    open_store(args)
    run(args.model_uri, host=args.host, port=args.port, workers=args.workers, serve_limits=serve_limits)
    return 0


def limits_from_args(args: argparse.Namespace) -> ServeLimits:
    """The server's limits from the options of ``mlnb serve`` (checked: a bad value is one line)."""
    from mlnb.serve.handle import make_limits

    return make_limits(
        max_body_mb=args.max_body_mb,
        max_columns=args.max_columns,
        max_header_kb=args.max_header_kb,
        max_concurrency=args.max_concurrency,
        read_timeout=args.read_timeout,
        header_timeout=args.header_timeout,
        workers=args.predict_workers,
    )


def add_serve_parser(sub: Any, open_store: Callable[[argparse.Namespace], Any]) -> None:
    """Register ``mlnb serve MODEL_URI [--host] [--port] [--workers] [limits]``."""
    serve = sub.add_parser(
        "serve",
        help="serve a model over MLflow's REST protocol (/ping, /invocations)",
        description="Serve a logged or registered model, e.g. mlnb serve models:/churn@champion",
    )
    serve.add_argument("model_uri", help="runs:/<run_id>/<path> or models:/<name>/<version|stage|@alias>")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; other hosts open it up)"
    )
    serve.add_argument("--port", "-p", type=int, default=5000)
    serve.add_argument("--workers", "-w", type=int, default=1, help="uvicorn worker processes")
    limits = serve.add_argument_group(
        "limits", "what one request may cost; beyond them the server answers a JSON 4xx/503"
    )
    limits.add_argument("--max-body-mb", type=float, help="largest request body in MiB (413; default 16)")
    limits.add_argument("--max-columns", type=int, help="most columns a request may name (400; default 2048)")
    limits.add_argument(
        "--max-header-kb", type=float, help="largest request line + headers in KiB (431; default 64)"
    )
    limits.add_argument(
        "--max-concurrency",
        type=int,
        help="most /invocations requests in flight (503 + Retry-After; default 8; /ping is exempt)",
    )
    limits.add_argument(
        "--read-timeout", type=float, help="seconds a request body may take to arrive (408; default 30)"
    )
    limits.add_argument(
        "--header-timeout",
        type=float,
        help="seconds the request headers may take to arrive (408; default 10)",
    )
    limits.add_argument(
        "--predict-workers",
        type=int,
        help="processes per server process that decode bodies and predict (default 2; 0: a thread)",
    )
    serve.set_defaults(func=lambda args: _serve(args, open_store))
