"""``mlnb.autolog()`` / ``mlnb.sklearn.autolog()``: MLflow's scikit-learn autologging on mlnb's engine.

Two front ends share the capture engine of ``%%track``:

* **In IPython** (a notebook kernel, or any InteractiveShell), autolog instruments each cell
  as ``%%track`` does (:mod:`mlnb.capture.instrument`, installed at ``pre_run_cell`` and removed
  at ``post_run_cell``).  After the cell, every estimator a top-level ``fit`` fitted gets a run
  of its own (or logs into the run that was active during the fit), and metrics computed on its
  predictions are logged to that run under MLflow's post-training keys (``accuracy_score_X_test``,
  ``LogisticRegression_score_X_test``), also in later cells.  A run autolog starts ends with its
  cell (FINISHED, FAILED or KILLED): it never stays open.  A cell under ``%%track`` is left to
  ``%%track``: autolog logs nothing for it, so nothing is logged twice.
* **In a script** (and for the rest of the cell that calls ``autolog()``), ``fit`` of
  scikit-learn estimators is patched as MLflow patches it (:mod:`mlnb.capture.autolog_patch`): a
  fit outside an active run starts and ends its own run, a fit inside one logs into it.

``autolog(disable=True)`` removes the cell hooks and the patches.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mlnb.capture import autolog_cell, autolog_patch, autolog_state
from mlnb.capture import autolog_log as log
from mlnb.capture.autolog_log import AutologConfig
from mlnb.errors import InvalidParameter


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameter(f"autolog({name}=...) must be True or False, got {value!r}")
    return value


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "skops",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: Mapping[str, Any] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Log every scikit-learn ``fit`` as MLflow's autologging does, with MLflow's arguments.

    Each fitted estimator gets params (``get_params``, as MLflow logs them), the tags
    ``estimator_name`` and ``estimator_class``, ``training_*`` metrics, metrics computed on its
    predictions (``accuracy_score_X_test``), the train dataset and a ``model`` (skops).  Search
    estimators also get ``best_*`` params, ``best_cv_score``, ``cv_results.csv`` and a child run
    for each of the ``max_tuning_runs`` best candidates.  In a notebook a run started by
    autolog ends with the cell that started it; cells under ``%%track`` are logged by
    ``%%track`` only.

    Parameters
    ----------
    log_input_examples : bool
        Save the first rows of the training data with each model.
    log_model_signatures : bool
        Save each model's signature (inferred from the training data and its predictions).
    log_models : bool
        Save fitted estimators as models (artifact ``model``).
    log_datasets : bool
        Record the training data's fingerprint as the run's ``train`` input.
    log_traces : bool
        Accepted for ``mlflow.autolog`` compatibility (mlnb has no GenAI tracing).
    disable : bool
        Turn autologging off and undo everything autolog installed.
    exclusive : bool
        Do not log into runs the user started; only into runs autolog starts.
    disable_for_unsupported_versions : bool
        Accepted for compatibility; every scikit-learn version mlnb supports is supported.
    silent : bool
        Do not print autolog's warnings.
    max_tuning_runs : int or None
        Child runs of a search estimator: the best N candidates by rank (None: all).
    log_post_training_metrics : bool
        Log metrics computed on an autologged model's predictions.
    serialization_format : {"skops", "cloudpickle", "pickle"}
        How models are saved.  mlnb saves with skops; the other two allow a pickle fallback
        for estimators skops cannot save (loading those needs ``allow_pickle=True``).
    registered_model_name : str, optional
        Register every logged model as a new version of this registered model.
    pos_label : optional
        Positive class for binary ``training_*`` precision/recall/F1 (average "binary").
    extra_tags : dict, optional
        Tags added to every run autolog starts.
    exclude_flavors : list of str, optional
        ``mlflow.autolog`` compatibility: ``["sklearn"]`` turns autologging off.

    Examples
    --------
    >>> import mlnb  # doctest: +SKIP
    >>> mlnb.sklearn.autolog()  # doctest: +SKIP
    >>> model = LogisticRegression().fit(X_train, y_train)  # doctest: +SKIP
    >>> accuracy_score(y_test, model.predict(X_test))  # logged as accuracy_score_X_test  # doctest: +SKIP
    """
    for name, value in (
        ("log_input_examples", log_input_examples),
        ("log_model_signatures", log_model_signatures),
        ("log_models", log_models),
        ("log_datasets", log_datasets),
        ("log_traces", log_traces),
        ("disable", disable),
        ("exclusive", exclusive),
        ("disable_for_unsupported_versions", disable_for_unsupported_versions),
        ("silent", silent),
        ("log_post_training_metrics", log_post_training_metrics),
    ):
        _check_bool(name, value)
    if max_tuning_runs is not None and (
        isinstance(max_tuning_runs, bool) or not isinstance(max_tuning_runs, int) or max_tuning_runs < 0
    ):
        raise InvalidParameter(
            f"autolog(max_tuning_runs=...) must be a non-negative integer or None, got {max_tuning_runs!r}"
        )
    if serialization_format not in log.SERIALIZATION_FORMATS:
        raise InvalidParameter(
            f"autolog(serialization_format={serialization_format!r}) is not supported; "
            f"use one of {', '.join(map(repr, log.SERIALIZATION_FORMATS))}"
        )
    if registered_model_name is not None and not isinstance(registered_model_name, str):
        raise InvalidParameter(
            f"autolog(registered_model_name=...) must be a string, got {registered_model_name!r}"
        )
    if extra_tags is not None and not isinstance(extra_tags, Mapping):
        raise InvalidParameter(f"autolog(extra_tags=...) must be a dict of tag -> value, got {extra_tags!r}")
    if exclude_flavors is not None and not isinstance(exclude_flavors, list | tuple | set):
        raise InvalidParameter(
            f"autolog(exclude_flavors=...) must be a list of flavor names, got {exclude_flavors!r}"
        )
    if disable or (exclude_flavors and "sklearn" in exclude_flavors):
        autolog_state.configure(None)
        autolog_patch.uninstall()
        autolog_cell.unregister_all()
        return
    config = AutologConfig(
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        exclusive=exclusive,
        silent=silent,
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        serialization_format=serialization_format,
        registered_model_name=registered_model_name,
        pos_label=pos_label,
        extra_tags={str(k): str(v) for k, v in (extra_tags or {}).items()},
    )
    autolog_state.configure(config)
    # In a script the patched ``fit`` does all the work.  In IPython it covers only the rest of
    # the cell calling autolog() (already compiled, so not instrumented): the cell hooks remove
    # it when that cell ends, and instrument every later cell instead.
    autolog_patch.install()
    shell = _ipython()
    if shell is not None:
        autolog_cell.register(shell)


def _ipython() -> Any:
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython

        return get_ipython()
    except Exception:
        return None


__all__ = ["autolog"]
