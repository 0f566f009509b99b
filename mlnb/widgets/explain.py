"""The explain panel: global bar, beeswarm, per-row waterfall and dependence plot, live.

``mlnb.explain(...)`` returns an :class:`mlnb.analysis.explanation.Explanation` whose display
is this panel (an anywidget drawn by ``static/explain.js``) plus a static PNG/HTML fallback for
viewers without a kernel (GitHub, nbviewer, nbconvert).
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets as tl

from mlnb.analysis.explain import explain as _explain
from mlnb.analysis.explanation import Explanation
from mlnb.widgets._base import STATIC
from mlnb.widgets._fallback import display_method


class ExplainPanel(anywidget.AnyWidget):
    """Interactive SHAP summary of an :class:`Explanation`.

    The class chooser (multiclass), row chooser (waterfall) and feature chooser (dependence) are
    synced back: ``panel.output_index``, ``panel.row`` and ``panel.feature``.
    """

    _esm = STATIC / "explain.js"
    _css = STATIC / "explain.css"

    payload = tl.Dict().tag(sync=True)
    output_index = tl.Int(0).tag(sync=True)
    row = tl.Int(0).tag(sync=True)
    feature = tl.Int(0).tag(sync=True)

    _ipython_display_ = display_method("explain", lambda panel: panel.explanation._static_bundle())

    def __init__(self, explanation: Explanation, *, max_rows: int = 1000, **kwargs: Any) -> None:
        payload = explanation.payload(max_rows=max_rows)
        importance = payload["outputs"][payload["default_output"]]["importance"]
        top = max(range(len(importance)), key=importance.__getitem__) if importance else 0
        super().__init__(payload=payload, output_index=payload["default_output"], feature=top, **kwargs)
        self.explanation = explanation


def explain(model: Any, X: Any, **kwargs: Any) -> Explanation:
    """SHAP explanation of ``model`` on ``X``, shown as an interactive panel.

    Same parameters as :func:`mlnb.analysis.explain.explain` (documented there): the explainer
    is picked from the model, values are cached by (model hash, data fingerprint) and logged to
    the run. Displaying the result shows the panel; ``.panel()`` returns it as a widget.

    Examples
    --------
    >>> e = mlnb.explain(pipe, X_train)  # doctest: +SKIP
    >>> e.importance().head()  # doctest: +SKIP
    """
    result = _explain(model, X, **kwargs)
    result._view = ExplainPanel
    return result


# help(mlnb.explain) shows the full parameter list
explain.__doc__ = _explain.__doc__
