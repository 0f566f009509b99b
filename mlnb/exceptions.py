"""MLflow's ``mlflow.exceptions`` under mlnb: ``except MlflowException`` catches every mlnb error.

Every error mlnb raises on purpose is an :class:`~mlnb.errors.MlnbError` and carries MLflow's
``error_code`` (``RESOURCE_DOES_NOT_EXIST``, ``INVALID_PARAMETER_VALUE``, ...), so MLflow code
that catches ``MlflowException`` and tests ``error_code`` runs unchanged.

Examples
--------
>>> from mlnb.exceptions import MlflowException
>>> try:
...     mlnb.get_run("0" * 32)  # doctest: +SKIP
... except MlflowException as e:
...     e.error_code
'RESOURCE_DOES_NOT_EXIST'
"""

from __future__ import annotations

from mlnb.errors import MlnbError

MlflowException = MlnbError

__all__ = ["MlflowException"]
