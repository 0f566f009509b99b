"""A model's input example as a scoring-server request body, in MLflow's JSON layout.

DataFrames become ``{"dataframe_split": {"columns": [...], "data": [...]}}``; arrays, dicts of
arrays, lists, dicts and scalars become ``{"inputs": ...}``.  The JSON is indented by two spaces
and keeps ``NaN`` as MLflow writes it.
"""

from __future__ import annotations

import json
from typing import Any


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def convert_input_example_to_serving_input(input_example: Any) -> str | None:
    """The JSON body the scoring server takes for ``input_example`` (None for None).

    Examples
    --------
    >>> print(convert_input_example_to_serving_input(["a", "b"]))
    {
      "inputs": [
        "a",
        "b"
      ]
    }
    """
    import sys

    if input_example is None:
        return None
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(input_example, pd.Series):
        input_example = input_example.to_frame()
    if pd is not None and isinstance(input_example, pd.DataFrame):
        split: dict[str, Any] = {"columns": list(input_example.columns)}
        if split["columns"] == list(range(len(split["columns"]))):  # unnamed columns: MLflow omits them
            del split["columns"]
        split["data"] = [list(row) for row in input_example.itertuples(index=False, name=None)]
        body: dict[str, Any] = {"dataframe_split": split}
    elif isinstance(input_example, dict):
        body = {"inputs": {k: v for k, v in input_example.items()}}
    else:
        body = {"inputs": input_example}
    return json.dumps(body, indent=2, default=_default)
