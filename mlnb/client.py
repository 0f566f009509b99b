"""``mlnb.client``, MLflow's ``mlflow.client`` module: the home of :class:`MlflowClient`."""

from mlnb.registry.client import MlflowClient

__all__ = ["MlflowClient"]
