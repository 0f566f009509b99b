"""Dataset digests equal to MLflow's, so a dataset keeps its identity across the two libraries.

Both are the first 8 hex digits of an md5 (a fingerprint, not a security measure) over:

- pandas: the row hashes (``pd.util.hash_pandas_object``, index included) of the first 10,000
  rows restricted to the numeric columns and the columns holding only ``str`` values, then the
  row count and every column name;
- numpy: for the features and then the targets (each an array or a dict of arrays, by sorted
  key), the hashes of the first 10,000 flattened values (their count, when the values cannot be
  hashed) and each dimension of the shape.
"""

from __future__ import annotations

import hashlib
from typing import Any

MAX_ROWS = 10_000


def _md5_8(elements: list[Any]) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    for element in elements:
        md5.update(element)
    return md5.hexdigest()[:8]


def _text_columns(df: Any) -> Any:
    """Columns whose every value is exactly a ``str`` (all columns of an empty frame)."""
    import numpy as np

    if len(df) == 0:
        return df.columns
    keep = []
    for position, dtype in enumerate(df.dtypes):
        # numbers, datetimes and booleans never hold str values: skip the per-value check
        if dtype.kind in "biufcmM" and not hasattr(dtype, "categories"):
            keep.append(False)
            continue
        values = df.iloc[:, position]
        if dtype.kind == "O" and dtype.name in ("str", "string"):  # pandas text: str unless missing
            keep.append(not bool(values.isna().any()))
        else:
            keep.append(all(type(v) is str for v in values))
    return df.columns[np.array(keep, dtype=bool)]


def pandas_digest(df: Any) -> str:
    """MLflow's digest of a DataFrame."""
    import numpy as np
    import pandas as pd

    head = df.head(MAX_ROWS)
    columns = _text_columns(df).union(head.select_dtypes(include=[np.number]).columns)
    hashed = pd.util.hash_pandas_object(head[columns]).values
    return _md5_8([hashed, np.int64(len(df))] + [str(c).encode() for c in df.columns])


def numpy_digest(features: Any, targets: Any = None) -> str:
    """MLflow's digest of numpy features (and targets), each an array or a dict of arrays."""
    import numpy as np
    import pandas as pd

    elements: list[Any] = []

    def add(array: Any) -> None:
        flat = array.flatten()[:MAX_ROWS]
        try:
            elements.append(pd.util.hash_array(flat))
        except TypeError:
            elements.append(np.int64(flat.size))
        elements.extend(np.int64(n) for n in array.shape)

    for item in (features, targets):
        if item is None:
            continue
        if isinstance(item, dict):
            for key in sorted(item):
                add(item[key])
        else:
            add(item)
    return _md5_8(elements)
