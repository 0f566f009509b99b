"""Dataset fingerprints: what was trained on, as hash + shape + schema (never the data)."""

from __future__ import annotations

import hashlib
from typing import Any

from mlnb.entities import DatasetInput
from mlnb.errors import InvalidParameter

ROLES = ("train", "eval", "test", "validation", "other")


def fingerprint(
    data: Any, name: str | None = None, role: str = "train", source: str | None = None
) -> DatasetInput:
    """Describe a DataFrame, Series or array by content hash, shape and column types."""
    import numpy as np

    digest = hashlib.sha256()
    if hasattr(data, "columns") and hasattr(data, "dtypes"):  # pandas DataFrame
        import pandas as pd

        hashed = pd.util.hash_pandas_object(data, index=False).to_numpy()
        digest.update(hashed.tobytes())
        schema = [{"name": str(c), "type": str(t)} for c, t in data.dtypes.items()]
        shape = list(data.shape)
    elif hasattr(data, "dtype") and hasattr(data, "name") and hasattr(data, "index"):  # Series
        import pandas as pd

        digest.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
        schema = [{"name": str(data.name), "type": str(data.dtype)}]
        shape = [len(data)]
    else:
        try:
            arr = np.asarray(data)
        except Exception as exc:
            raise InvalidParameter(
                f"cannot fingerprint a {type(data).__name__}: give a DataFrame, Series or array"
            ) from exc
        if arr.dtype == object:
            digest.update(repr(arr.tolist()).encode("utf-8", "surrogatepass"))
        else:
            digest.update(np.ascontiguousarray(arr).tobytes())
        schema = [{"name": "", "type": str(arr.dtype)}]
        shape = list(arr.shape)
    for item in schema:
        digest.update(f"{item['name']}:{item['type']};".encode("utf-8", "surrogatepass"))
    digest.update(repr(shape).encode())
    hexdigest = digest.hexdigest()
    if role not in ROLES:
        raise InvalidParameter(f"dataset role {role!r} is not one of {', '.join(ROLES)}")
    return DatasetInput(name or f"dataset_{hexdigest[:8]}", hexdigest, role, shape, schema, source)


def log_input(
    data: Any,
    context: str = "train",
    name: str | None = None,
    source: str | None = None,
    run_id: str | None = None,
) -> DatasetInput:
    """Record that the run used ``data`` (its fingerprint, shape and schema) in role ``context``."""
    from mlnb.tracking.fluent import _run_id_or_active
    from mlnb.tracking.state import get_store

    info = fingerprint(data, name, context, source)
    get_store().log_inputs(_run_id_or_active(run_id), [info])
    return info
