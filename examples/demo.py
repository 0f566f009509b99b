"""Track a small synthetic hyper-parameter sweep, then query it with search_runs.

Run with ``bash scripts/demo.sh``; the runs go to ``./.mlnb`` (or ``MLNB_STORE``).
"""

from __future__ import annotations

import time

import numpy as np

import mlnb


def main() -> None:
    rng = np.random.default_rng(0)
    mlnb.set_experiment("demo-sweep")
    for c in (0.01, 0.1, 1.0, 10.0):
        with mlnb.start_run(run_name=f"lr-C{c}", tags={"family": "linear"}):
            mlnb.log_params({"C": c, "penalty": "l2"})
            loss = 1.0
            for epoch in range(20):
                loss *= 0.9 - 0.01 * np.log10(c + 1e-3) * rng.random()
                mlnb.log_metric("loss", loss, step=epoch)
            mlnb.log_metric("accuracy", 0.8 + 0.05 * np.log10(c * 10 + 1))
    time.sleep(0)  # metric points are written within 0.2 s; search_runs flushes first
    frame = mlnb.search_runs(
        experiment_names=["demo-sweep"],
        filter_string="metrics.accuracy > 0.8 AND tags.family = 'linear'",
        order_by=["metrics.accuracy DESC"],
    )
    cols = ["tags.mlflow.runName", "params.C", "metrics.accuracy", "metrics.loss", "status"]
    print(frame[cols].to_string(index=False))
    print(f"\nstore: {mlnb.get_store().location.uri}")


if __name__ == "__main__":
    main()
