"""``search_runs``: the store's search as a pandas DataFrame with MLflow's column names."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, overload

from mlnb.entities import Run, RunData, RunInfo, ViewType
from mlnb.errors import InvalidParameter
from mlnb.tracking.state import get_store

if TYPE_CHECKING:
    import pandas as pd


def _experiment_scope(
    experiment_ids: Sequence[str] | str | None,
    experiment_names: Sequence[str] | str | None,
    search_all: bool,
) -> tuple[list[str], list[str]]:
    """``(ids, names)`` to search; the store resolves names in the search's own read."""
    if experiment_ids and experiment_names:
        raise InvalidParameter(
            "pass experiment_ids or experiment_names to search_runs, not both (as in MLflow)"
        )
    if search_all and not experiment_ids and not experiment_names:
        return [], []  # the store searches every experiment when given none
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    if isinstance(experiment_names, str):
        experiment_names = [experiment_names]
    ids = [str(e) for e in experiment_ids or []]
    names = list(experiment_names or [])
    if not ids and not names:
        from mlnb.tracking.experiments import current_experiment_id

        ids = [current_experiment_id()]
    return ids, names


def resolve_experiment_ids(
    experiment_ids: Sequence[str] | str | None,
    experiment_names: Sequence[str] | str | None,
    search_all: bool,
) -> list[str]:
    """The experiment ids a search covers, names resolved now (the compare panel's helper)."""
    ids, names = _experiment_scope(experiment_ids, experiment_names, search_all)
    store = get_store()
    if not ids and not names:  # search_all
        return [e.experiment_id for e in store.list_experiments(ViewType.ALL)]
    if names:
        ids += store.experiment_ids_named(names)
    return ids


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | str | None = None,
    run_ids: Sequence[str] | None = None,
) -> pd.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    *,
    output_format: Literal["list"],
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | str | None = None,
    run_ids: Sequence[str] | None = None,
) -> list[Run]: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | str | None = None,
    run_ids: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | str | None = None,
    run_ids: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Find runs with MLflow's filter language (plus ``OR`` and parentheses).

    Returns a pandas DataFrame with columns ``run_id, experiment_id, status, artifact_uri,
    start_time, end_time`` then ``metrics.*``, ``params.*`` and ``tags.*``, or a list of
    :class:`Run` with ``output_format="list"``.

    Examples
    --------
    >>> mlnb.search_runs(experiment_names=["churn"],
    ...                  filter_string="metrics.f1 > 0.7 AND params.model = 'rf'",
    ...                  order_by=["metrics.f1 DESC"])  # doctest: +SKIP
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameter(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    store = get_store()
    ids, names = _experiment_scope(experiment_ids, experiment_names, search_all_experiments)
    result = store.search_runs(
        ids, filter_string or None, order_by, max_results, run_view_type, run_ids, experiment_names=names
    )
    if output_format == "list":
        return _as_runs(store, result)
    return _as_frame(store, result)


def _as_runs(store: Any, result: Any) -> list[Run]:
    out = []
    for i, row in enumerate(result.runs):
        info = RunInfo(
            run_id=row["run_id"],
            run_name=row["name"],
            experiment_id=str(row["experiment_id"]),
            status=row["status"],
            start_time=row["start_time"],
            end_time=row["end_time"],
            lifecycle_stage=row["lifecycle_stage"],
            artifact_uri=store.run_dir(row["run_id"]).as_uri(),
            user_id=row["user_id"],
            parent_run_id=row["parent_run_id"],
        )

        out.append(
            Run(info, RunData(_pick(result.params, i), _pick(result.metrics, i), _pick(result.tags, i)))
        )
    return out


def _pick(columns: dict[str, list[Any]], i: int) -> dict[str, Any]:
    return {k: v[i] for k, v in columns.items() if v[i] is not None}


def _as_frame(store: Any, result: Any) -> pd.DataFrame:
    rows = result.rows
    if not rows:
        return _as_frame_from_lists(store, result)
    run_id, experiment_id, _name, status, start, end = list(zip(*rows, strict=True))[:6]
    start_time, end_time = _utc_from_ms(start), _utc_from_ms(end)
    if start_time is None or end_time is None:  # all runs unfinished, or times out of range
        return _as_frame_from_lists(store, result)
    root = store.artifact_root.as_uri() + "/"
    names = ["run_id", "experiment_id", "status", "artifact_uri"]
    texts = [run_id, [str(e) for e in experiment_id], status, [root + r for r in run_id]]
    for kind, columns in (("params", result.params), ("tags", result.tags)):
        for key in sorted(columns):
            names.append(f"{kind}.{key}")
            texts.append(columns[key])
    metric_keys = sorted(result.metrics)
    block = result.metric_block
    if block is None or len(block) != len(metric_keys):
        block = [result.metrics[k] for k in metric_keys]
    return _frame_builder()(
        len(rows),
        names,
        texts,
        [start_time, end_time],
        [f"metrics.{k}" for k in metric_keys],
        block,
    )


def _utc_from_ms(values: Sequence[int | None]) -> Any:
    """Epoch milliseconds as a UTC datetime array (microsecond unit), ``None`` as NaT.

    ``None`` when pandas' own conversion should decide (no value at all, or beyond what the
    vectorised path converts exactly).
    """
    import numpy as np
    import pandas as pd

    present = values if _complete(values) else [v for v in values if v is not None]
    if not present or min(present) < -_MS_LIMIT or max(present) > _MS_LIMIT:
        return None
    nat = np.iinfo(np.int64).min
    ms = np.array(values if present is values else [nat if v is None else v for v in values], dtype="int64")
    return pd.array(ms.view("M8[ms]").astype("M8[us]"), dtype=pd.DatetimeTZDtype("us", "UTC"))


_MS_LIMIT = 9_000_000_000_000_000  # milliseconds whose microseconds still fit in int64


def _complete(values: Sequence[int | None]) -> TypeGuard[Sequence[int]]:
    return None not in values


@cache
def _frame_builder() -> Any:
    """``build(n, text_names, texts, [start, end], metric_names, metric_columns) -> DataFrame``.

    The frame equals ``pd.DataFrame`` of the plain lists: text columns get the dtype pandas
    infers for strings, metrics are float64 (``None`` becomes NaN).  With pyarrow-backed
    strings (pandas 3 with pyarrow) all text goes into pyarrow in one call and the frame is
    assembled from its blocks, which costs a fraction of the inference per column.  Built
    once per process (it looks at the installed pandas).
    """
    import numpy as np
    import pandas as pd

    inferred = pd.Series(["x"]).dtype
    if isinstance(inferred, pd.StringDtype) and inferred.storage == "pyarrow":
        import pyarrow as pa

        try:
            from pandas.api.internals import create_dataframe_from_blocks
        except ImportError:  # pandas < 3
            create_dataframe_from_blocks = None
        strings, large = pd.arrays.ArrowStringArray, pa.large_string()

        def text_columns(n: int, texts: list[Any]) -> list[Any]:
            every = strings(pa.array(list(chain.from_iterable(texts)), type=large), dtype=inferred)
            return [every[i * n : (i + 1) * n] for i in range(len(texts))]  # views, no copies

    else:
        create_dataframe_from_blocks = None
        object_text = not isinstance(inferred, pd.StringDtype)

        def text_columns(n: int, texts: list[Any]) -> list[Any]:
            if object_text:
                return [np.array(values, dtype=object) for values in texts]
            return [pd.array(values, dtype=inferred) for values in texts]

    def build(
        n: int,
        names: list[str],
        texts: list[Any],
        times: list[Any],
        metric_names: list[str],
        metrics: Any,
    ) -> pd.DataFrame:
        text = text_columns(n, texts)
        # one conversion for every metric (None, a key the run lacks, becomes NaN)
        block = np.asarray(metrics, dtype="float64").reshape(len(metrics), n)
        columns = [*names[:4], "start_time", "end_time", *metric_names, *names[4:]]
        if create_dataframe_from_blocks is None:
            data = dict(zip(columns[:4], text[:4], strict=True))
            data.update(zip(("start_time", "end_time"), times, strict=True))
            data.update(zip(metric_names, block, strict=True))
            data.update(zip(names[4:], text[4:], strict=True))
            return pd.DataFrame(data, copy=False)
        k = len(metric_names)
        index, placements = _layout(tuple(columns), len(text), k)
        arrays = [*text[:4], *times, *([block] if k else []), *text[4:]]
        blocks = list(zip(arrays, placements, strict=True))
        return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(n), columns=index)

    @lru_cache(maxsize=64)
    def _layout(columns: tuple[str, ...], texts: int, k: int) -> tuple[Any, list[Any]]:
        """The column index and each block's column positions (searches repeat their columns)."""
        at = [np.array([i]) for i in range(6)]
        if k:
            at.append(np.arange(6, 6 + k))
        at += [np.array([i + 2 + k]) for i in range(4, texts)]
        return pd.Index(list(columns)), at

    return build


def _as_frame_from_lists(store: Any, result: Any) -> pd.DataFrame:
    """The frame through pandas' own inference, from lists built value by value as MLflow builds
    them, so that the corner cases come out with MLflow's dtypes too: no runs (six float64
    columns), every run unfinished (a naive ``datetime64[s]`` end_time of NaT), times beyond
    the fast path's range."""
    import numpy as np
    import pandas as pd

    runs = result.runs
    root = store.artifact_root.as_uri()

    def when(ms: int | None) -> Any:
        return pd.to_datetime(ms, unit="ms", utc=True)

    data: dict[str, Any] = {
        "run_id": [r["run_id"] for r in runs],
        "experiment_id": [str(r["experiment_id"]) for r in runs],
        "status": [r["status"] for r in runs],
        "artifact_uri": [f"{root}/{r['run_id']}" for r in runs],
        "start_time": [when(r["start_time"]) for r in runs],
        "end_time": [when(r["end_time"]) for r in runs],
    }
    for key in sorted(result.metrics):
        data[f"metrics.{key}"] = np.asarray(result.metrics[key], dtype="float64")
    for key in sorted(result.params):
        data[f"params.{key}"] = list(result.params[key])
    for key in sorted(result.tags):
        data[f"tags.{key}"] = list(result.tags[key])
    return pd.DataFrame(data)

