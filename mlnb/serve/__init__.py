"""The MLflow-compatible scoring server (ASGI on uvicorn).

``mlnb.serve`` is both this package and the function that starts a server from a notebook:
the package is callable, so ``mlnb.serve(uri)`` works whichever of the two Python resolved.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from mlnb.serve.handle import serve

        return serve(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
