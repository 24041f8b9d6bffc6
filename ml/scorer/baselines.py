"""Baselines scored on the same pairs as the scorer. Each gives every meme a score; the direction (is longer better?)
and any setting are chosen on validation pairs, never on held-out ones.

- length: the caption's number of tokens (the scorer's tokens, boxes joined);
- likelihood: the caption model's mean log-probability per token (its END included) of the caption under the
  template, with an empty title (the corpus's titles are the posters', not the caption's):
  CaptionGenerator.caption_log_probs, one figure per meme (log_likelihood sums over all the records it is given);
- bag of words: scikit-learn logistic regression without intercept on the difference of the two captions' binary
  word and word-pair counts (CountVectorizer on the caption model's tokens), trained on the training pairs, C chosen
  on validation pairs; a meme's score is its counts times the weights."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from ml.captions.data import CaptionRecord
from ml.captions.generate import CaptionGenerator
from ml.captions.text import caption_tokens

from .data import Meme, Pair
from .evaluation import pair_metrics


def length_scores(memes: Sequence[Meme]) -> np.ndarray:
    return np.array([len(caption_tokens(meme.boxes)) - 1 for meme in memes], dtype=np.float64)


def likelihood_scores(generator: CaptionGenerator, memes: Sequence[Meme], batch_size: int = 128) -> np.ndarray:
    """Mean log-probability per token of each meme's caption under the caption model (empty title)."""
    records = [CaptionRecord(meme.template, meme.boxes, "") for meme in memes]
    sums, lengths = generator.caption_log_probs(records, batch_size=batch_size, max_len=48)
    return np.array(sums) / np.array(lengths)


def oriented(scores: np.ndarray, validation_scores: np.ndarray, validation_pairs: Sequence[Pair]) -> tuple[np.ndarray, int]:
    """The scores, negated when that ranks validation pairs better; and the sign used."""
    sign = 1 if pair_metrics(validation_scores, validation_pairs)["auc"] >= 0.5 else -1
    return sign * np.asarray(scores), sign


def caption_text(meme: Meme) -> str:
    return " ".join(caption_tokens(meme.boxes)[:-1])


class BagOfWords:
    """Logistic regression on the difference of two captions' word (and word-pair) indicators."""

    def __init__(self, C: float = 1.0, ngrams: int = 2, min_df: int = 3):
        self.C = C
        self.vectorizer = CountVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, binary=True,
                                          ngram_range=(1, ngrams), min_df=min_df)  # fmt: skip
        self.weights: np.ndarray | None = None

    def fit(self, memes: Sequence[Meme], pairs: Sequence[Pair], seed: int = 0) -> "BagOfWords":
        counts = self.vectorizer.fit_transform([caption_text(m) for m in memes]).tocsr()
        x, y = pair_design(counts, pairs, seed)
        model = LogisticRegression(C=self.C, fit_intercept=False, max_iter=2000, solver="liblinear")
        model.fit(x, y)
        self.weights = model.coef_.ravel()
        return self

    def scores(self, memes: Sequence[Meme]) -> np.ndarray:
        return np.asarray(self.vectorizer.transform([caption_text(m) for m in memes]) @ self.weights).ravel()

    @classmethod
    def tuned(cls, train: Sequence[Meme], train_pairs: Sequence[Pair], validation: Sequence[Meme],
              validation_pairs: Sequence[Pair], grid: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0),
              log: Callable[[str], None] = print) -> "BagOfWords":  # fmt: skip
        best, best_auc = None, -1.0
        for C in grid:
            model = cls(C=C).fit(train, train_pairs)
            auc = pair_metrics(model.scores(validation), validation_pairs)["auc"]
            log(f"bag of words C={C}: validation AUC {auc:.4f}")
            if auc > best_auc:
                best, best_auc = model, auc
        return best


def pair_design(counts: sparse.csr_matrix, pairs: Sequence[Pair], seed: int = 0) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows x_first − x_second, each pair in a random order; label 1 when the first is the better."""
    rng = np.random.default_rng(seed)
    better = np.array([p.better for p in pairs])
    worse = np.array([p.worse for p in pairs])
    flip = rng.random(len(pairs)) < 0.5
    first, second = np.where(flip, worse, better), np.where(flip, better, worse)
    return counts[first] - counts[second], (~flip).astype(int)
