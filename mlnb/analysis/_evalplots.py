"""Evaluation plots (matplotlib object API), named like MLflow's evaluation artifacts."""

from __future__ import annotations

from typing import Any

from mlnb.analysis._plots import figure
from mlnb.display.format import number


def _confusion(curves: dict) -> Any:
    import numpy as np
    from sklearn.metrics import confusion_matrix

    classes = curves["classes"]
    cm = confusion_matrix(curves["y_true"], curves["y_pred"], labels=classes)
    fig = figure(3.6, 3.8)
    ax = fig.add_subplot()
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    ticks = range(len(classes))
    ax.set_xticks(ticks, [str(c) for c in classes])
    ax.set_yticks(ticks, [str(c) for c in classes])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix", fontsize=10)
    return fig


def _line(x: Any, y: Any, xlabel: str, ylabel: str, title: str, diagonal: bool) -> Any:
    fig = figure(3.6, 3.8)
    ax = fig.add_subplot()
    ax.plot(x, y, color="#008bfb")
    if diagonal:
        ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    return fig


def _calibration(curves: dict) -> Any:
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(curves["is_pos"], curves["score"], n_bins=10)
    return _line(
        prob_pred, prob_true, "mean predicted probability", "fraction of positives", "Calibration", True
    )


def _regression(curves: dict) -> dict[str, Any]:
    y_true, y_pred = curves["y_true"], curves["y_pred"]
    resid = figure(3.8, 3.6)
    ax = resid.add_subplot()
    ax.scatter(y_pred, y_true - y_pred, s=8, color="#008bfb")
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("residual (true - predicted)")
    ax.set_title("Residuals", fontsize=10)
    pvt = figure(3.8, 3.6)
    ax = pvt.add_subplot()
    ax.scatter(y_true, y_pred, s=8, color="#008bfb")
    lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([lo, hi], [lo, hi], color="#999", lw=0.8, ls="--")
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title("Predicted vs true", fontsize=10)
    return {"residuals_plot": resid, "predicted_vs_true_plot": pvt}


def figures(model_type: str, curves: dict) -> dict[str, Any]:
    """Figures by artifact name (without ``.png``)."""
    if model_type == "regressor":
        return _regression(curves)
    out = {"confusion_matrix": _confusion(curves)}
    if "fpr" in curves:
        out["roc_curve_plot"] = _line(
            curves["fpr"], curves["tpr"], "false positive rate", "true positive rate", "ROC", True
        )
        out["precision_recall_curve_plot"] = _line(
            curves["recall"], curves["precision"], "recall", "precision", "Precision-recall", False
        )
        if curves.get("probabilities"):
            out["calibration_curve_plot"] = _calibration(curves)
    return out


def _one_vs_rest(curves: dict, kind: str) -> Any:
    import numpy as np
    from sklearn import metrics as skm

    fig = figure(4.2, 3.8)
    ax = fig.add_subplot()
    y_true, proba = np.asarray(curves["y_true"]), np.asarray(curves["proba"])
    for i, label in enumerate(curves["classes"]):
        is_pos = (y_true == label).astype(int)
        if kind == "roc":
            x, y, _ = skm.roc_curve(is_pos, proba[:, i])
            ax.plot(x, y, label=f"{label} (AUC={number(skm.auc(x, y))})")
        elif kind == "pr":
            precision, recall, _ = skm.precision_recall_curve(is_pos, proba[:, i])
            ap = skm.average_precision_score(is_pos, proba[:, i])
            ax.plot(recall, precision, label=f"{label} (AP={number(ap)})")
        else:
            from sklearn.calibration import calibration_curve

            prob_true, prob_pred = calibration_curve(is_pos, proba[:, i], n_bins=10)
            ax.plot(prob_pred, prob_true, marker=".", label=str(label))
    if kind != "pr":
        ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    labels = {
        "roc": ("false positive rate", "true positive rate", "ROC (one vs rest)"),
        "pr": ("recall", "precision", "Precision-recall (one vs rest)"),
        "calibration": ("mean predicted probability", "fraction of positives", "Calibration"),
    }[kind]
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(labels[2], fontsize=10)
    ax.legend(fontsize=7)
    return fig


def multiclass_figures(curves: dict, max_classes: int = 10) -> dict[str, Any]:
    """Per-class (one-vs-rest) curves for a multiclass model with probabilities, as MLflow logs them."""
    if curves.get("proba") is None:
        return {}
    out = {"calibration_curve_plot": _one_vs_rest(curves, "calibration")}
    if len(curves["classes"]) <= max_classes:
        out["roc_curve_plot"] = _one_vs_rest(curves, "roc")
        out["precision_recall_curve_plot"] = _one_vs_rest(curves, "pr")
    return out
