"""The ``mlnb serve`` subcommand (parser only; the server modules load when it runs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def _serve(args: argparse.Namespace, open_store: Callable[[argparse.Namespace], Any]) -> int:
    import gc

    # Loading scikit-learn, pandas and the model makes ~1M objects and few cycles; collections
    # during it only cost start-up time.  The server freezes the heap and re-enables the
    # collector once the model is loaded (mlnb.serve.app.freeze_heap).
    gc.disable()
    from mlnb.serve.handle import run

    open_store(args)
    run(args.model_uri, host=args.host, port=args.port, workers=args.workers)
    return 0


def add_serve_parser(sub: Any, open_store: Callable[[argparse.Namespace], Any]) -> None:
    """Register ``mlnb serve MODEL_URI [--host] [--port] [--workers]``."""
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
    serve.set_defaults(func=lambda args: _serve(args, open_store))
