"""The scorer network: a caption's words (the caption model's word2vec vectors, frozen and not stored here) and its
template -> one number, higher when people like the caption more. Trained on pairs of captions of one template
with a Bradley–Terry (pairwise logistic) loss: P(a is voted for more than b) = sigmoid(score(a) − score(b)).

    words -> frozen word2vec (64) -> bidirectional LSTM (2 × hidden), or a per-word layer ("pool")
          -> mean and max over the caption's tokens
          ++ the template's vector (a learned row per training template, a shared "unknown" row for the rest)
          ++ shape features (log tokens, boxes filled, share of unknown words, share of the longest box)
          -> MLP -> score
    + a learned weight for each of the `word_weights` commonest words and for each of `bigram_buckets` hashed word
      pairs, summed over the caption and divided by the square root of its length (what a bag-of-words regression
      learns, next to the vectors that generalise to rarer words)."""
from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

N_SHAPE_FEATURES = 4
ARCHITECTURE = ("encoder", "hidden", "template_dim", "word_weights", "bigram_buckets", "dropout")  # in config.json


class CaptionScorer(nn.Module):
    def __init__(
        self,
        vectors: Tensor,
        n_templates: int,
        *,
        encoder: str = "lstm",
        hidden: int = 64,
        template_dim: int = 16,
        word_weights: int = 10000,
        bigram_buckets: int = 0,
        dropout: float = 0.2,
        box_id: int = 1,
        unk_id: int = 0,
        pad_id: int = 2,
    ):
        super().__init__()
        vocab_size, dim = vectors.shape
        self.encoder_kind, self.box_id, self.unk_id, self.pad_id = encoder, box_id, unk_id, pad_id
        # The caption model's vectors: a buffer filled at load time, never saved with the scorer's weights.
        self.register_buffer("vectors", vectors.float().clone(), persistent=False)
        self.unknown_template = n_templates
        self.template_embedding = nn.Embedding(n_templates + 1, template_dim)
        if encoder == "lstm":
            self.encoder = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
            pooled = 4 * hidden
        elif encoder == "pool":
            self.encoder = nn.Sequential(nn.Linear(dim, 2 * hidden), nn.Tanh())
            pooled = 4 * hidden
        else:
            raise ValueError(f"unknown encoder {encoder!r}")
        self.word_weights = nn.Embedding(word_weights + 1, 1) if word_weights else None  # last row: every rarer word
        if self.word_weights is not None:
            nn.init.zeros_(self.word_weights.weight)
        # Word pairs hashed into buckets, each with a learned weight ("not funny" is not "funny").
        self.bigram_weights = nn.Embedding(bigram_buckets, 1) if bigram_buckets else None
        if self.bigram_weights is not None:
            nn.init.zeros_(self.bigram_weights.weight)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(pooled + template_dim + N_SHAPE_FEATURES, hidden), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )

    def forward(self, ids: Tensor, lengths: Tensor, templates: Tensor) -> Tensor:
        """ids (B, T) padded caption token ids (boxes joined by the BOX token, no END), lengths (B,), template rows
        (B,) -> scores (B,)."""
        mask = torch.arange(ids.shape[1], device=ids.device) < lengths.unsqueeze(1)
        vectors = self.dropout(self.vectors[ids])
        if self.encoder_kind == "lstm":
            packed = nn.utils.rnn.pack_padded_sequence(vectors, lengths.clamp_min(1).cpu(), batch_first=True, enforce_sorted=False)
            states = nn.utils.rnn.pad_packed_sequence(self.encoder(packed)[0], batch_first=True, total_length=ids.shape[1])[0]
        else:
            states = self.encoder(vectors)
        fmask = mask.unsqueeze(-1).float()
        mean = (states * fmask).sum(1) / fmask.sum(1).clamp_min(1)
        maxed = states.masked_fill(~mask.unsqueeze(-1), -1e4).max(1).values
        features = torch.cat([mean, maxed, self.template_embedding(templates), self.shape_features(ids, mask)], dim=-1)
        score = self.head(self.dropout(features)).squeeze(-1)
        if self.word_weights is not None:
            rows = ids.clamp_max(self.word_weights.num_embeddings - 1)
            words = mask & (ids != self.box_id)
            weights = self.word_weights(rows).squeeze(-1) * words
            score = score + weights.sum(1) / words.sum(1).clamp_min(1).sqrt()
        if self.bigram_weights is not None and ids.shape[1] > 1:
            pairs = mask[:, 1:]
            buckets = (ids[:, :-1] * 1_000_003 + ids[:, 1:]) % self.bigram_weights.num_embeddings
            weights = self.bigram_weights(buckets).squeeze(-1) * pairs
            score = score + weights.sum(1) / pairs.sum(1).clamp_min(1).sqrt()
        return score

    def shape_features(self, ids: Tensor, mask: Tensor) -> Tensor:
        n_tokens = mask.sum(1).float().clamp_min(1)
        is_box = (ids == self.box_id) & mask
        boxes = is_box.sum(1).float() + 1
        unknown = ((ids == self.unk_id) & mask).sum(1).float() / n_tokens
        # The longest box's share of the words: a caption all in one box reads differently from a set-up/punchline.
        box_index = is_box.long().cumsum(1).masked_fill(~mask | is_box, 0)
        counts = torch.zeros(len(ids), int(box_index.max()) + 1 if ids.numel() else 1, device=ids.device)
        counts.scatter_add_(1, box_index, (mask & ~is_box).float())
        longest = counts.max(1).values / (n_tokens - (boxes - 1)).clamp_min(1)
        return torch.stack([n_tokens.log() - 2.5, boxes - 2, unknown, longest - 0.7], dim=1)

    @classmethod
    def from_config(cls, vectors: Tensor, n_templates: int, config: Mapping) -> "CaptionScorer":
        return cls(vectors, n_templates, encoder=config["encoder"], hidden=config["hidden"],
                   template_dim=config["template_dim"], word_weights=config["word_weights"],
                   bigram_buckets=config.get("bigram_buckets", 0),
                   dropout=config["dropout"], box_id=config["box_id"], unk_id=config["unk_id"],
                   pad_id=config["pad_id"])  # fmt: skip
