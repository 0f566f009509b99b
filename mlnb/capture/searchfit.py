"""Progress of a GridSearchCV / RandomizedSearchCV fit in a tracked cell: candidates x folds.

scikit-learn has no callback API.  What it has is one ``sklearn.utils.parallel.Parallel`` per
round of candidates, and joblib calls that object's ``print_progress`` each time a batch of
fits ends (on the cell's thread with one job, on joblib's callback thread with several).  While
a search's ``fit`` runs, and only then, :class:`SearchFitProgress` wraps those two methods of
scikit-learn's ``Parallel`` class: the first ``Parallel`` called on the cell's thread is the
search's round when its tasks are ``_fit_and_score`` calls, and its completed task count drives
the bar; nested ones (a forest's trees inside a candidate) and the final refit pass through
untouched.  The originals come back when the fit returns or raises,
or, at the latest, when the cell ends.
"""

from __future__ import annotations

import threading
from typing import Any

from mlnb.display.progress import Progress, progress


def is_search_estimator(obj: Any) -> bool:
    """A scikit-learn search CV, fitted or not (without importing scikit-learn)."""
    try:
        return any(c.__name__ == "BaseSearchCV" for c in type(obj).__mro__) and hasattr(obj, "cv")
    except Exception:
        return False


def planned_fits(search: Any) -> int | None:
    """Candidates x folds of an unfitted search, or None when that is not known beforehand."""
    if type(search).__name__.startswith("Halving"):
        return None  # successive halving decides its rounds as it goes
    try:
        from sklearn.base import is_classifier
        from sklearn.model_selection import ParameterGrid, check_cv

        if hasattr(search, "param_grid"):
            candidates = len(ParameterGrid(search.param_grid))
        elif hasattr(search, "param_distributions"):
            candidates = int(search.n_iter)
            try:  # lists only: sampled without replacement, at most the whole grid
                candidates = min(candidates, len(ParameterGrid(search.param_distributions)))
            except (TypeError, ValueError):
                pass
        else:
            return None
        folds = check_cv(search.cv, classifier=is_classifier(search.estimator)).get_n_splits()
        return int(candidates) * int(folds)
    except Exception:  # e.g. LeaveOneOut needs the data to count its splits
        return None


class SearchFitProgress:
    """Shows the progress of at most one search fit at a time."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._restore: list[tuple[Any, str, Any]] = []

    def starting(self, obj: Any) -> None:
        """``obj.fit(...)`` is about to be called on the cell's thread."""
        if not is_search_estimator(obj):
            return
        self.stop()
        bar = progress(planned_fits(obj), f"fitting {type(obj).__name__}", unit="fit")
        try:
            self._patch(bar)
        except Exception:  # an unknown scikit-learn layout: fit without a bar
            self._undo()
            bar.close()
            return
        self._bar = bar

    def stop(self) -> None:
        """The fit returned or raised (or the cell ended): restore joblib's methods, drop the bar."""
        self._undo()
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()

    def _undo(self) -> None:
        restore, self._restore = self._restore, []
        for cls, name, original in reversed(restore):
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)

    def _patch(self, bar: Progress) -> None:
        from sklearn.utils import parallel as sk_parallel

        cls = sk_parallel.Parallel
        call = cls.__call__
        report = cls.print_progress
        owner = threading.get_ident()
        state: dict[str, Any] = {"outer": None, "counting": False, "base": 0}

        def __call__(self: Any, iterable: Any) -> Any:
            if state["outer"] is not None or threading.get_ident() != owner:
                return call(self, iterable)  # nested, or another thread's: not the search's
            state["outer"] = self

            def tasks() -> Any:  # the search's rounds are the calls that run _fit_and_score
                for i, task in enumerate(iterable):
                    if i == 0:
                        function = getattr(task[0], "function", task[0])
                        state["counting"] = getattr(function, "__name__", "") == "_fit_and_score"
                    yield task

            try:
                return call(self, tasks())
            finally:
                if state["counting"]:
                    state["base"] += self.n_completed_tasks
                state["outer"], state["counting"] = None, False

        def print_progress(self: Any) -> None:
            report(self)
            if self is state["outer"] and state["counting"]:
                try:
                    bar.set(state["base"] + self.n_completed_tasks)
                except Exception:
                    pass

        for name, wrapper in (("__call__", __call__), ("print_progress", print_progress)):
            self._restore.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, wrapper)
