"""Training plots: loss per epoch, and a 2-D PCA map of the word vectors with a few word groups picked out."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # not pyplot: no global state, no display backend needed

from .vocab import Vocabulary

WORD_GROUPS = {
    "animals": ("cat", "dog", "bird", "fish", "horse", "cow"),
    "time": ("monday", "friday", "weekend", "morning", "tonight", "tomorrow"),
    "feelings": ("happy", "sad", "angry", "mad", "scared", "bored"),
    "people": ("mom", "dad", "wife", "girlfriend", "teacher", "boss"),
    "food": ("pizza", "beer", "coffee", "bacon", "cake", "food"),
}


def plot_losses(history: Sequence[dict], path: Path) -> None:
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    epochs = [entry["epoch"] for entry in history]
    axes.plot(epochs, [entry["train_loss"] for entry in history], "o-", label="train")
    if any("heldout_loss" in entry for entry in history):
        axes.plot(epochs, [entry.get("heldout_loss") for entry in history], "s-", label="held-out")
    axes.set(xlabel="epoch", ylabel="loss per token", title="Caption model loss")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_word_vectors(vocab: Vocabulary, vectors: np.ndarray, path: Path, n_background: int = 2000) -> None:
    """PCA axes fitted on the most frequent words, drawn grey; each group's words coloured and labelled."""
    frequent = vectors[: min(n_background, len(vectors))]
    mean = frequent.mean(axis=0)
    _, _, components = np.linalg.svd(frequent - mean, full_matrices=False)

    def project(rows: np.ndarray) -> np.ndarray:
        return (rows - mean) @ components[:2].T
    figure = Figure(figsize=(8, 6))
    axes = figure.subplots()
    background = project(frequent)
    axes.scatter(background[:, 0], background[:, 1], s=2, c="lightgrey")
    for name, words in WORD_GROUPS.items():
        known = [w for w in words if w in vocab.index]
        if not known:
            continue
        points = project(vectors[[vocab.index[w] for w in known]])
        axes.scatter(points[:, 0], points[:, 1], s=25, label=name)
        for word, (x, y) in zip(known, points):
            axes.annotate(word, (x, y), fontsize=8)
    axes.set(title="Word vectors, first two principal components")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_version_comparison(rows: Sequence[tuple[str, dict[str, float]]], path) -> None:
    """Perplexity of each version (x) on each held-out set (one line per set); path may be a file object."""
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    names = [name for name, _ in rows]
    for set_name in sorted({key for _, values in rows for key in values}):
        axes.plot(range(len(rows)), [values.get(set_name, np.nan) for _, values in rows], "o-", label=set_name)
    axes.set_xticks(range(len(rows)), [name[-28:] for name in names], rotation=30, ha="right", fontsize=7)
    axes.set(ylabel="perplexity (lower is better)", title="Caption model versions on held-out captions")
    if rows:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100, format="png")


def plot_experiment(history: Sequence[dict], path) -> None:
    """A live experiment over time: the candidate's up-vote share minus the control's, with its interval, and the
    votes counted; path may be a file object."""
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    votes = [sum(entry[arm]["ups"] + entry[arm]["downs"] for arm in ("control", "candidate")) for entry in history]
    axes.fill_between(votes, [entry["low"] for entry in history], [entry["high"] for entry in history], alpha=0.3)
    axes.plot(votes, [entry["estimate"] for entry in history], "o-", label="candidate − control")
    axes.axhline(0.0, color="grey", linewidth=1)
    axes.set(xlabel="votes counted", ylabel="difference in up-vote share", title="Live experiment")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100, format="png")
