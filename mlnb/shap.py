"""``mlnb.shap``: MLflow's ``mlflow.shap.log_explanation``, computed with mlnb's fast explainers.

The files land in the run exactly where and as MLflow writes them. For interactive explanations
(panels, plots, caching, one-hot grouping) use ``mlnb.explain``.
"""

from __future__ import annotations

from mlnb.analysis.shap_log import log_explanation

__all__ = ["log_explanation"]
