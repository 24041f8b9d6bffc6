"""Pairwise figures: accuracy (share of pairs where the memes people voted for more scores higher; ties count half),
AUC (each pair in both orders, label 1 for the order better-first, the score difference as the prediction: the
chance that a pair's difference ranks above a reversed pair's), and the calibration of sigmoid(score difference)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from .data import Pair


def differences(scores: np.ndarray, pairs: Sequence[Pair]) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    better = np.array([p.better for p in pairs], dtype=np.int64)
    worse = np.array([p.worse for p in pairs], dtype=np.int64)
    return scores[better] - scores[worse] if len(pairs) else np.zeros(0)


def pair_metrics(scores: np.ndarray, pairs: Sequence[Pair]) -> dict[str, float]:
    """Accuracy, AUC and counts of `pairs` (indexes into `scores`)."""
    return difference_metrics(differences(scores, pairs), pairs)


def difference_metrics(diff: np.ndarray, pairs: Sequence[Pair]) -> dict[str, float]:
    """Accuracy, AUC and counts from each pair's score difference (better − worse)."""
    if not len(diff):
        return {"accuracy": float("nan"), "auc": float("nan"), "pairs": 0, "memes": 0}
    accuracy = float(np.mean((diff > 0) + 0.5 * (diff == 0)))
    labels = np.concatenate([np.ones(len(diff)), np.zeros(len(diff))])
    auc = float(roc_auc_score(labels, np.concatenate([diff, -diff])))
    memes = len({p.better for p in pairs} | {p.worse for p in pairs})
    return {"accuracy": accuracy, "auc": auc, "pairs": len(pairs), "memes": memes}


def calibration(diff: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Each pair in both orders, P(first is better) = sigmoid(difference), in `bins` equal-count bins: the mean
    predicted probability, the observed share, and the count of each."""
    diff = np.asarray(diff, dtype=np.float64)
    predicted = 1 / (1 + np.exp(-np.concatenate([diff, -diff])))
    observed = np.concatenate([np.ones(len(diff)), np.zeros(len(diff))])
    order = np.argsort(predicted, kind="stable")
    rows = []
    for chunk in np.array_split(order, bins):
        if len(chunk):
            rows.append({"predicted": float(predicted[chunk].mean()), "observed": float(observed[chunk].mean()), "n": int(len(chunk))})
    return rows


def plot_calibration(rows: Sequence[dict], out: str | Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=100)
    ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", linewidth=1, label="perfect")
    predicted, observed = [r["predicted"] for r in rows], [r["observed"] for r in rows]
    errors = [1.96 * np.sqrt(max(o * (1 - o), 1e-9) / r["n"]) for o, r in zip(observed, rows)]
    ax.errorbar(predicted, observed, yerr=errors, marker="o", markersize=4, linewidth=1.2, capsize=2, label="scorer")
    ax.set_xlabel("predicted P(first caption voted more)")
    ax.set_ylabel("observed share")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
