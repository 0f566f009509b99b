"""What a run recorded besides params and metrics: dataset inputs, artifact rows, and search
(a mixin of :class:`SqlStore`; artifact files themselves are written by mlnb.store.artifacts)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mlnb.entities import (
    DATASET_CONTEXT_TAG,
    ArtifactInfo,
    Dataset,
    DatasetInput,
    InputTag,
    PagedList,
    ViewType,
)
from mlnb.store import schema as t
from mlnb.store._common import lifecycle_stages, now_ms
from mlnb.store.base import SearchResult
from mlnb.store.values import check_text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mlnb.store.backend import UpsertInsert


class RunRecordsMixin:
    """Needs ``atomic``, ``reading``, ``insert``, ``_run_row``, ``check_writable`` and
    ``experiment_key`` from the store."""

    dialect: str
    artifact_root: Path

    if TYPE_CHECKING:

        def atomic(self) -> AbstractContextManager[sa.Connection]: ...
        def reading(self) -> AbstractContextManager[sa.Connection]: ...
        def insert(self, table: sa.Table) -> UpsertInsert: ...
        def _run_row(self, conn: sa.Connection, run_id: str) -> sa.Row[Any]: ...
        def check_writable(self, run_id: str) -> None: ...
        def experiment_key(self, experiment_id: str) -> int: ...

    # --- dataset inputs ---------------------------------------------------------------------------
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        import json

        self.check_writable(run_id)
        rows = []
        for d in datasets:
            ds = d.dataset
            rows.append(
                {
                    "run_id": run_id,
                    "digest": check_text(ds.digest, "dataset digest"),
                    "role": d.context or "",
                    "name": check_text(ds.name, "dataset name"),
                    "source": ds.source,
                    "source_type": ds.source_type,
                    "dataset_schema": ds.schema,
                    "profile": ds.profile,
                    "tags": json.dumps({t.key: t.value for t in d.tags if t.key != DATASET_CONTEXT_TAG}),
                    "shape": json.dumps(list(d.shape)),
                    "schema": json.dumps(list(d.columns)),
                    "created_time": now_ms(),
                }
            )
        if not rows:
            return
        stmt = self.insert(t.inputs).on_conflict_do_nothing(index_elements=["run_id", "digest", "role"])
        with self.atomic() as conn:
            conn.execute(stmt, rows)

    def _inputs(self, conn: sa.Connection, run_id: str) -> list[DatasetInput]:
        import json

        i = t.inputs
        rows = conn.execute(
            sa.select(i).where(i.c.run_id == run_id).order_by(i.c.created_time, i.c.role)
        ).all()
        out = []
        for r in rows:
            tags = [InputTag(k, v) for k, v in json.loads(r.tags or "{}").items()]
            if r.role:
                tags.append(InputTag(DATASET_CONTEXT_TAG, r.role))
            dataset = Dataset(
                r.name, r.digest, r.source_type or "code", r.source or "{}", r.dataset_schema, r.profile
            )
            out.append(
                DatasetInput(dataset, tuple(tags), tuple(json.loads(r.shape)), tuple(json.loads(r.schema)))
            )
        return out

    # --- artifacts (files are written by mlnb.store.artifacts) -----------------------------------
    def record_artifact(self, conn: sa.Connection, run_id: str, path: str, sha256: str, size: int) -> None:
        self.record_artifacts(conn, run_id, [(path, sha256, size)])

    def record_artifacts(self, conn: sa.Connection, run_id: str, rows: list[tuple[str, str, int]]) -> None:
        """Upsert ``(path, sha256, size)`` rows of one run in one statement (bound, executemany)."""
        if not rows:
            return
        stmt = self._artifact_upsert
        created = now_ms()
        conn.execute(
            stmt,
            [
                {"run_id": run_id, "path": p, "sha256": h, "size": n, "created_time": created}
                for p, h, n in rows
            ],
        )

    @functools.cached_property
    def _artifact_upsert(self) -> Any:
        # Built once per store: constructing the ON CONFLICT clause costs more than the insert.
        stmt = self.insert(t.artifacts)
        return stmt.on_conflict_do_update(
            index_elements=["run_id", "path"],
            set_={
                "sha256": stmt.excluded.sha256,
                "size": stmt.excluded.size,
                "created_time": stmt.excluded.created_time,
            },
        )

    def artifact_rows(self, run_id: str, prefix: str = "") -> dict[str, tuple[str, int]]:
        """``{path: (sha256, size)}`` of the run's artifacts at or below ``prefix``."""
        a = t.artifacts
        stmt = sa.select(a.c.path, a.c.sha256, a.c.size).where(a.c.run_id == run_id)
        if prefix:
            stmt = stmt.where(sa.or_(a.c.path == prefix, a.c.path.startswith(prefix + "/", autoescape=True)))
        with self.reading() as conn:
            self._run_row(conn, run_id)
            return {p: (h, s) for p, h, s in conn.execute(stmt.order_by(a.c.path)).all()}

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        """Direct children of ``path``: files with size and hash, directories with is_dir."""
        rows = self.artifact_rows(run_id, path)
        base = path + "/" if path else ""
        seen: dict[str, ArtifactInfo] = {}
        for full, (sha, size) in rows.items():
            if full == path:
                continue
            rest = full[len(base) :]
            head, sep, _ = rest.partition("/")
            child = base + head
            if sep:
                seen.setdefault(child, ArtifactInfo(child, True, None))
            else:
                seen[child] = ArtifactInfo(child, False, size, sha)
        return sorted(seen.values(), key=lambda info: info.path)

    # --- search -----------------------------------------------------------------------------------
    def search_runs_page(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        order_by: Sequence[str] | str | None,
        max_results: int,
        view_type: int,
        page_token: str | bytes | None,
    ) -> PagedList:
        """One page of runs with a token for the next (see :mod:`mlnb.store.run_pages`)."""
        from mlnb.store.run_pages import search_page

        return search_page(
            self, experiment_ids, filter_string, order_by, max_results, view_type, page_token
        )

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] | str | None = None,
        max_results: int = 100_000,
        view_type: int = ViewType.ACTIVE_ONLY,
        run_ids: Sequence[str] | None = None,
        experiment_names: Sequence[str] = (),
        text: str | None = None,
        details: bool = True,
    ) -> SearchResult:
        """Runs of the experiments ``experiment_ids`` plus those named ``experiment_names``
        (all experiments when both are empty) as a :class:`mlnb.store.base.SearchResult`.

        ``text`` keeps the runs whose name or a user tag value contains it (case-insensitive);
        ``details=False`` leaves out params, metrics and tags (the run columns only).
        """
        from mlnb.store.query import search

        exp_keys = [self.experiment_key(e) for e in experiment_ids]
        with self.reading() as conn:
            return search(
                conn,
                self.dialect,
                exp_keys,
                filter_string,
                order_by,
                max_results,
                lifecycle_stages(view_type),
                run_ids,
                experiment_names,
                self.artifact_root.as_uri() + "/",
                text=text,
                details=details,
            )
