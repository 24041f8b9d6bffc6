"""The network: an LSTM language model over word2vec vectors, conditioned on a title and a template.

Condition = tanh(template row + projected mean vector of the template's words + projected mean title vector).
The template row is learned for templates seen in training; every other template shares the "unknown" row and
is told apart by its words alone, which is what makes a template added today get sensible captions.
The condition sets the LSTM's first hidden state and is fed again beside every word vector."""
from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .batches import Batch

class SoftmaxHead(nn.Module):
    """A softmax over the whole vocabulary tied to the word vectors: logit(w) = projected hidden · vector(w) + bias(w).
    Tying keeps the head small (vocabulary × dim, not vocabulary × hidden) and lets rare words borrow from what
    word2vec learned about their neighbours."""

    def __init__(self, hidden: int, vocab_size: int, dim: int):
        super().__init__()
        self.projection = nn.Linear(hidden, dim)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def log_probs(self, hidden: Tensor, vectors: Tensor) -> Tensor:
        return torch.log_softmax(self.projection(hidden) @ vectors.T + self.bias, dim=-1)

    def nll(self, hidden: Tensor, targets: Tensor, vectors: Tensor) -> Tensor:
        return F.cross_entropy(self.projection(hidden) @ vectors.T + self.bias, targets, reduction="none")

    loss = nll


class RegressionHead(nn.Module):
    """The original Slowmeme's head: predicts the next word's (frozen) word2vec vector with a cosine loss;
    decoding takes the nearest words. For perplexity, similarities become a distribution:
    softmax(cosine / temperature), the temperature fitted after training (see training.calibrate_temperature)."""

    def __init__(self, hidden: int, vocab_size: int, dim: int):
        super().__init__()
        self.projection = nn.Linear(hidden, dim)
        self.register_buffer("temperature", torch.tensor(0.1))

    def similarities(self, hidden: Tensor, vectors: Tensor) -> Tensor:
        return F.normalize(self.projection(hidden), dim=-1) @ F.normalize(vectors, dim=1).T

    def loss(self, hidden: Tensor, targets: Tensor, vectors: Tensor) -> Tensor:
        predicted = F.normalize(self.projection(hidden), dim=-1)
        return 1 - (predicted * F.normalize(vectors[targets], dim=-1)).sum(-1)

    def nll(self, hidden: Tensor, targets: Tensor, vectors: Tensor) -> Tensor:
        return -self.log_probs(hidden, vectors).gather(-1, targets.unsqueeze(-1)).squeeze(-1)

    def log_probs(self, hidden: Tensor, vectors: Tensor) -> Tensor:
        return torch.log_softmax(self.similarities(hidden, vectors) / self.temperature, dim=-1)


class AdaptiveSoftmaxHead(nn.Module):
    """An untied, exact softmax over the vocabulary made cheap by frequency clusters (the vocabulary is sorted by
    frequency): full rank, where the tied head is limited to the word vectors' few dimensions."""

    CUTOFFS = (2000, 10000)

    def __init__(self, hidden: int, vocab_size: int, dim: int, cutoffs: list[int] | None = None):
        super().__init__()
        # A fine-tuned model keeps its base's cutoffs: its new words join the last cluster.
        cutoffs = cutoffs or [c for c in self.CUTOFFS if c < vocab_size - 1] or [vocab_size // 2]
        self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab_size, cutoffs, div_value=4.0)

    def nll(self, hidden: Tensor, targets: Tensor, vectors: Tensor) -> Tensor:
        return -self.adaptive(hidden, targets).output

    loss = nll

    def log_probs(self, hidden: Tensor, vectors: Tensor) -> Tensor:
        return self.adaptive.log_prob(hidden)

    @property
    def shortlist_size(self) -> int:
        """Words 0 … shortlist_size − 1 are scored by the head itself; its next columns stand for the clusters."""
        return self.adaptive.shortlist_size

    @property
    def cluster_starts(self) -> list[int]:
        """The first word id of each tail cluster (cluster i covers cluster_starts[i] … the next cutoff − 1)."""
        return self.adaptive.cutoffs[:-1]

    def shortlist_log_probs(self, hidden: Tensor) -> Tensor:
        """(B, shortlist + clusters): each frequent word's log-probability, then each cluster's total."""
        return torch.log_softmax(self.adaptive.head(hidden), dim=-1)

    def cluster_log_probs(self, hidden: Tensor, cluster: int) -> Tensor:
        """(B, cluster size): log-probabilities of a cluster's words given that the next word is in the cluster."""
        return torch.log_softmax(self.adaptive.tail[cluster](hidden), dim=-1)


HEAD_CLASSES = {"softmax": SoftmaxHead, "adaptive": AdaptiveSoftmaxHead, "regression": RegressionHead}


class CaptionModel(nn.Module):
    def __init__(
        self,
        vectors: Tensor,
        n_templates: int,
        *,
        hidden: int = 256,
        layers: int = 1,
        condition_dim: int = 64,
        head: str = "softmax",
        dropout: float = 0.1,
        tune_vectors: bool = True,
        cutoffs: list[int] | None = None,
    ):
        super().__init__()
        if head not in HEAD_CLASSES:
            raise ValueError(f"head must be one of {sorted(HEAD_CLASSES)}, not {head!r}")
        vocab_size, dim = vectors.shape
        self.layers, self.hidden_size = layers, hidden
        # The regression head's targets are these vectors: tuning them would let all words collapse together.
        self.embedding = nn.Embedding.from_pretrained(vectors.clone(), freeze=head == "regression" or not tune_vectors)
        self.unknown_template = n_templates
        self.template_embedding = nn.Embedding(n_templates + 1, condition_dim)
        self.content_projection = nn.Linear(dim, condition_dim)
        self.title_projection = nn.Linear(dim, condition_dim)
        self.initial_state = nn.Linear(condition_dim, layers * hidden)
        self.lstm = nn.LSTM(dim + condition_dim, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        head_options = {"cutoffs": cutoffs} if head == "adaptive" else {}
        self.head = HEAD_CLASSES[head](hidden, vocab_size, dim, **head_options)

    def mean_vectors(self, ids: Tensor, offsets: Tensor) -> Tensor:
        """Mean word vector of each bag of ids (bags given by offsets into the flat ids); an empty bag is zero."""
        return F.embedding_bag(ids, self.embedding.weight, offsets, mode="mean")

    def condition(self, templates: Tensor, titles: Tensor, title_offsets: Tensor, texts: Tensor, text_offsets: Tensor) -> Tensor:
        return torch.tanh(
            self.template_embedding(templates)
            + self.content_projection(self.mean_vectors(texts, text_offsets))
            + self.title_projection(self.mean_vectors(titles, title_offsets))
        )

    def start_state(self, condition: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.tanh(self.initial_state(condition)).view(-1, self.layers, self.hidden_size).transpose(0, 1)
        return h.contiguous(), torch.zeros_like(h)

    def _inputs(self, condition: Tensor, words: Tensor) -> Tensor:
        vectors = self.dropout(self.embedding(words))
        return torch.cat([vectors, condition.unsqueeze(1).expand(-1, words.shape[1], -1)], dim=-1)

    def hidden_states(self, condition: Tensor, inputs: Tensor, lengths: Tensor) -> Tensor:
        """LSTM outputs for padded input words (B, L); positions past a row's length are garbage."""
        packed = pack_padded_sequence(self._inputs(condition, inputs), lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed, self.start_state(condition))
        return self.dropout(pad_packed_sequence(output, batch_first=True, total_length=inputs.shape[1])[0])

    def advance(self, condition: Tensor, words: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One decoding step for a batch: the last words (B,) -> the LSTM's output (B, hidden) and state."""
        output, state = self.lstm(self._inputs(condition, words.unsqueeze(1)), state)
        return output[:, 0], state

    def step(self, condition: Tensor, words: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One decoding step for a batch: the last words (B,) -> next-word log-probabilities (B, V) and state."""
        hidden, state = self.advance(condition, words, state)
        return self.head.log_probs(hidden, self.embedding.weight), state

    def token_losses(self, batch: Batch, *, nll: bool = False) -> tuple[Tensor, Tensor]:
        """Training loss (or, with nll=True, negative log-likelihood in nats) of every real target token,
        flattened, with each token's weight (its record's)."""
        condition = self.condition(*batch.condition_inputs())
        hidden = self.hidden_states(condition, batch.inputs, batch.lengths)
        mask = torch.arange(batch.inputs.shape[1], device=hidden.device) < batch.lengths.unsqueeze(1)
        score = self.head.nll if nll else self.head.loss
        return score(hidden[mask], batch.targets[mask], self.embedding.weight), batch.weights.unsqueeze(1).expand_as(mask)[mask]

    @classmethod
    def from_config(cls, vectors: Tensor, n_templates: int, config: Mapping) -> "CaptionModel":
        return cls(
            vectors,
            n_templates,
            hidden=config["hidden"],
            layers=config["layers"],
            condition_dim=config["condition_dim"],
            head=config["head"],
            dropout=config["dropout"],
            tune_vectors=config["tune_vectors"],
            cutoffs=config.get("cutoffs"),
        )


def pick_device(device: str | torch.device | None = None) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
