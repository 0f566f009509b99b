"""Step bookkeeping shared by the example scripts (it never imports mlflow or mlnb).

Each example is cut into named steps.  A step prints ``STEP <name> OK`` when its block ran, or
``STEP <name> FAIL <ExceptionType>: <first line of the message>`` and lets the script go on, so
one unsupported call costs only the steps that depend on it.  The harness counts these lines.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def step(name: str) -> Iterator[None]:
    """Run the block as one step named ``name`` and print its outcome."""
    try:
        yield
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"STEP {name} FAIL {type(exc).__name__}: {message}"[:400], flush=True)
        traceback.print_exc(file=sys.stderr)
    else:
        print(f"STEP {name} OK", flush=True)


def done() -> None:
    """Mark the end of the script, so a crash outside a step is told apart from a clean finish."""
    print("SCRIPT DONE", flush=True)
