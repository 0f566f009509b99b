"""The same few runs, written to an mlnb store and to a real MLflow store, for search parity tests.

Runs are named by label (``r1`` …); filters refer to run ids and artifact URIs through
``{r1}``-style placeholders that :meth:`World.fill` replaces with each store's own values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunSpec:
    name: str
    start_time: int
    status: str
    end_time: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    # (key, value, timestamp, step); the latest value of a key is at the highest (step, timestamp)
    metrics: tuple[tuple[str, float, int, int], ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    datasets: tuple[tuple[str, str, str], ...] = ()  # (name, digest, context)


RUNS: dict[str, RunSpec] = {
    "r1": RunSpec(
        "alpha",
        1000,
        "FINISHED",
        2000,
        params={
            "generic_param": "p_val",
            "generic_2": "some value",
            "p_a": "abc",
            "my_param": "A",
            "cat dog": "pets",
        },
        metrics=(
            ("common", 1.0, 1, 0),
            ("measure_a", 1.0, 1, 0),
            ("m_a", 2.0, 2, 0),
            ("key1", 121.0, 1, 0),
            ("legit name", 0.5, 1, 0),
            ("X-Y-Z", 3.0, 1, 0),
            ("accuracy.2.0", 6.0, 1, 0),
        ),
        tags={
            "generic_tag": "p_val",
            "generic_2": "some value",
            "p_a": "abc",
            "version": "commit-hash",
            "t.a.g": "a",
        },
        datasets=(("name1", "digest1", "train"), ("name2", "digest2", "eval")),
    ),
    "r2": RunSpec(
        "beta",
        3000,
        "FAILED",
        4000,
        params={
            "generic_param": "p_val",
            "generic_2": "another value",
            "p_b": "ABC",
            "my_param": "A",
            "m": "tf",
            "p.a.r.a.m": "b",
        },
        metrics=(
            ("common", 1.0, 1, 0),
            ("measure_a", 200.0, 2, 0),
            ("measure_a", 400.0, 3, 0),
            ("m_b", 3.0, 2, 0),
            ("m_b", 4.0, 8, 0),  # the latest timestamp: the value searches see
            ("m_b", 8.0, 3, 0),
            ("key1", 123.0, 1, 0),
            ("acc", 0.95, 1, 0),
        ),
        tags={
            "generic_tag": "p_val",
            "generic_2": "another value",
            "p_b": "ABC",
            "tag1": "C",
            "source_name": "a notebook",
        },
        datasets=(("name1", "digest1", "train"), ("name3", "digest3", "eval")),
    ),
    "r3": RunSpec(
        "gamma",
        2000,
        "RUNNING",
        params={"my_param": "B", "m": "L'Hosp", "model": "LinearRegression", "model_class": "LR"},
        metrics=(
            ("key1", 125.0, 1, 0),
            ("rmse", 0.5, 1, 0),
            ("acc", 0.9, 1, 0),
            ("XYZ", 3.0, 1, 0),
            ("x", math.nan, 1, 0),
        ),
        tags={"tag1": "D"},
        datasets=(("name2", "digest2", "test"),),
    ),
    "r4": RunSpec(
        "Run Four",
        4000,
        "KILLED",
        5000,
        params={"lr": "0.01"},
        metrics=(("x", 1000.0, 1, 0),),
        tags={"env": "prod"},
    ),
}


@dataclass
class World:
    """Run ids and artifact URIs of :data:`RUNS` in one store; ``label_of`` maps ids back."""

    run_ids: dict[str, str]
    artifact_uris: dict[str, str]

    @property
    def label_of(self) -> dict[str, str]:
        return {v: k for k, v in self.run_ids.items()}

    def fill(self, text: str) -> str:
        for label, run_id in self.run_ids.items():
            text = text.replace("{uri_" + label + "}", self.artifact_uris[label])
            text = text.replace("{" + label + "}", run_id)
            text = text.replace("{" + label.upper() + "}", run_id.upper())
        return text


def build_mlnb(store: Any, experiment: str = "cases") -> tuple[str, World]:
    """Write :data:`RUNS` into an mlnb store; ``(experiment_id, world)``."""
    from mlnb.entities import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag, Metric

    exp_id = store.create_experiment(experiment)
    ids, uris = {}, {}
    for label, spec in RUNS.items():
        info = store.create_run(exp_id, run_name=spec.name, start_time=spec.start_time)
        run_id = info.run_id
        store.log_batch(
            run_id,
            metrics=[Metric(k, v, ts, step) for k, v, ts, step in spec.metrics],
            params=spec.params,
            tags=spec.tags,
            buffered=False,
        )
        if spec.datasets:
            inputs = [
                DatasetInput(Dataset(n, d, "code", "{}"), (InputTag(DATASET_CONTEXT_TAG, c),), (1,))
                for n, d, c in spec.datasets
            ]
            store.log_inputs(run_id, inputs)
        if spec.status != "RUNNING":
            store.update_run(run_id, status=spec.status, end_time=spec.end_time)
        ids[label] = run_id
        uris[label] = store.run_dir(run_id).as_uri()
    return exp_id, World(ids, uris)


def build_mlflow(tmp: Path, experiment: str = "cases") -> tuple[Any, str, World]:
    """Write :data:`RUNS` into a real MLflow store on a temp SQLite file; ``(client, exp_id, world)``."""
    from mlflow.entities import Dataset, DatasetInput, InputTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}")
    exp_id = client.create_experiment(experiment, artifact_location=(tmp / "artifacts").as_uri())
    ids, uris = {}, {}
    for label, spec in RUNS.items():
        run = client.create_run(exp_id, start_time=spec.start_time, run_name=spec.name)
        run_id = run.info.run_id
        for key, value in spec.params.items():
            client.log_param(run_id, key, value)
        for key, value, ts, step in spec.metrics:
            client.log_metric(run_id, key, value, timestamp=ts, step=step)
        for key, value in spec.tags.items():
            client.set_tag(run_id, key, value)
        if spec.datasets:
            client.log_inputs(
                run_id,
                datasets=[
                    DatasetInput(
                        Dataset(name=n, digest=d, source_type="local", source="memory"),
                        tags=[InputTag("mlflow.data.context", c)],
                    )
                    for n, d, c in spec.datasets
                ],
            )
        if spec.status != "RUNNING":
            client.set_terminated(run_id, spec.status, end_time=spec.end_time)
        ids[label] = run_id
        uris[label] = client.get_run(run_id).info.artifact_uri
    return client, exp_id, World(ids, uris)
