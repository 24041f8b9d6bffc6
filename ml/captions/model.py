"""The network: a sequence-to-sequence LSTM over word2vec vectors, with attention and a copy (pointer) mechanism.

Encoder: a bidirectional LSTM over the source (the title's words, then the template's: name, example lines,
alternative names, keywords), each word vector plus a segment vector (title or template).
Decoder: an LSTM over the caption's word vectors and the template's vector (a learned row for templates seen in
training, a shared "unknown" row for the rest, which are known by their words alone). At each step it attends
over the encoder's states (Luong's "general" score), and writes either a word of the vocabulary (an adaptive
softmax over [state; context; template]) or a word of the source, with the attention as the copy distribution
(See et al.'s pointer-generator): p(w) = p_gen · p_vocab(w) + (1 − p_gen) · Σ attention on source positions
holding w. So a title's words, rare ones included, and a new template's catchphrase can be written out.
The attention is computed from the decoder's state without feeding it back in, so training runs the decoder
over whole sequences at once (cuDNN on a GPU), and decoding costs one LSTM step and one attention per word."""
from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .batches import Batch
from .text import BOX, END, SEP, SPECIALS

CUTOFFS = (2000, 10000)
# Separators are never copied from the source. An unknown word is: in training and scoring it stands for "a word
# outside the vocabulary", and when generating, the copy writes the actual word at that position of the title.
NOT_COPIED = tuple(SPECIALS.index(token) for token in (BOX, END, SEP))  # the vocabulary puts SPECIALS first


class CaptionModel(nn.Module):
    def __init__(
        self,
        vectors: Tensor,
        n_templates: int,
        *,
        hidden: int = 384,
        encoder_hidden: int = 192,
        template_dim: int = 64,
        dropout: float = 0.2,
        cutoffs: list[int] | None = None,
    ):
        super().__init__()
        vocab_size, dim = vectors.shape
        self.hidden_size = hidden
        self.embedding = nn.Embedding.from_pretrained(vectors.clone(), freeze=False)
        self.segment_embedding = nn.Embedding(2, dim)
        self.unknown_template = n_templates
        self.template_embedding = nn.Embedding(n_templates + 1, template_dim)
        self.encoder = nn.LSTM(dim, encoder_hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * encoder_hidden + template_dim, 2 * hidden)
        self.decoder = nn.LSTM(dim + template_dim, hidden, batch_first=True)
        self.attention = nn.Linear(hidden, 2 * encoder_hidden, bias=False)
        self.output = nn.Linear(hidden + 2 * encoder_hidden + template_dim, hidden)
        self.copy_gate = nn.Linear(hidden + 2 * encoder_hidden + dim, 1)
        self.dropout = nn.Dropout(dropout)
        # A fine-tuned model keeps its base's cutoffs: its new words join the last cluster.
        cutoffs = cutoffs or [c for c in CUTOFFS if c < vocab_size - 1] or [vocab_size // 2]
        self.head = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab_size, cutoffs, div_value=4.0)
        self.register_buffer("not_copied", torch.tensor(NOT_COPIED, dtype=torch.long), persistent=False)

    # --- encoder -------------------------------------------------------------------------------------------
    def encode(self, templates: Tensor, sources: Tensor, segments: Tensor, source_lengths: Tensor):
        """-> (memory (B, S, 2E), keys-ready mask (B, S) of real positions, template vectors (B, D), start state)."""
        vectors = self.dropout(self.embedding(sources) + self.segment_embedding(segments))
        packed = pack_padded_sequence(vectors, source_lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, (h, _) = self.encoder(packed)
        memory = pad_packed_sequence(output, batch_first=True, total_length=sources.shape[1])[0]
        mask = torch.arange(sources.shape[1], device=sources.device) < source_lengths.unsqueeze(1)
        template = self.template_embedding(templates)
        h0, c0 = torch.tanh(self.bridge(torch.cat([h[0], h[1], template], dim=-1))).chunk(2, dim=-1)
        return memory, mask, template, (h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous())

    # --- decoder -------------------------------------------------------------------------------------------
    def _attend(self, states: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """states (B, T, H) -> attention (B, T, S) and context (B, T, 2E)."""
        scores = self.attention(states) @ memory.transpose(1, 2)
        attention = torch.softmax(scores.masked_fill(~mask.unsqueeze(1), -torch.inf), dim=-1)
        return attention, attention @ memory

    def _decode(self, template: Tensor, memory: Tensor, mask: Tensor, words: Tensor, state, lengths: Tensor | None = None):
        """Decoder states for input words (B, T) -> (features for the vocabulary head (B, T, H), copy gate logits
        (B, T), attention (B, T, S), new state)."""
        vectors = self.dropout(self.embedding(words))
        inputs = torch.cat([vectors, template.unsqueeze(1).expand(-1, words.shape[1], -1)], dim=-1)
        if lengths is None:
            states, state = self.decoder(inputs, state)
        else:
            packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
            states, state = self.decoder(packed, state)
            states = pad_packed_sequence(states, batch_first=True, total_length=words.shape[1])[0]
        attention, context = self._attend(states, memory, mask)
        features = torch.cat([states, context, template.unsqueeze(1).expand(-1, words.shape[1], -1)], dim=-1)
        features = self.dropout(torch.tanh(self.output(features)))
        gate = self.copy_gate(torch.cat([states, context, vectors], dim=-1)).squeeze(-1)
        return features, gate, attention, state

    def copyable(self, sources: Tensor, mask: Tensor) -> Tensor:
        return mask & ~torch.isin(sources, self.not_copied)

    def token_log_probs(self, batch: Batch, encoded=None) -> Tensor:
        """log p(target) of every caption token (B, T) under the mixture; padded positions are garbage. `encoded`:
        what `encode` gave for this batch's sources and templates, when the caller has it already."""
        memory, mask, template, state = encoded or self.encode(batch.templates, batch.sources, batch.segments, batch.source_lengths)
        features, gate, attention, _ = self._decode(template, memory, mask, batch.inputs, state, batch.lengths)
        shape = batch.targets.shape
        vocab_log_probs = self.head(features.reshape(-1, features.shape[-1]), batch.targets.reshape(-1)).output.view(shape)
        copy_mask = (batch.sources.unsqueeze(1) == batch.targets.unsqueeze(2)) & self.copyable(batch.sources, mask).unsqueeze(1)
        copy_mass = (attention * copy_mask).sum(-1)
        copy_log_probs = torch.where(copy_mass > 0, copy_mass.clamp_min(1e-30).log(), -torch.inf)
        return torch.logaddexp(F.logsigmoid(gate) + vocab_log_probs, F.logsigmoid(-gate) + copy_log_probs)

    def token_losses(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Negative log-likelihood (nats) of every real target token, flattened, with each token's weight."""
        log_probs = self.token_log_probs(batch)
        real = torch.arange(batch.targets.shape[1], device=log_probs.device) < batch.lengths.unsqueeze(1)
        return -log_probs[real], batch.weights.unsqueeze(1).expand_as(real)[real]

    @classmethod
    def from_config(cls, vectors: Tensor, n_templates: int, config: Mapping) -> "CaptionModel":
        return cls(
            vectors,
            n_templates,
            hidden=config["hidden"],
            encoder_hidden=config["encoder_hidden"],
            template_dim=config["template_dim"],
            dropout=config["dropout"],
            cutoffs=config.get("cutoffs"),
        )


class DecodingStep:
    """The decoder's step for generation (the arithmetic of CaptionModel._decode for one word), with the weights
    laid out once for the small batches of decoding: the LSTM cell's two products fused into one, the adaptive
    head's first products (its shortlist and its clusters' projections) fused into one, every matrix transposed
    and contiguous. A generation step is mostly these products on a dozen rows, and on a CPU that layout takes
    1.5 ms a step where nn.Module calls took 2.3 (the same values to float rounding). Built from a model that no
    longer trains: it keeps its own copy of the weights."""

    def __init__(self, model: CaptionModel):
        decoder, head = model.decoder, model.head
        with torch.no_grad():
            self.embedding = model.embedding.weight.detach()
            self.cell = torch.cat([decoder.weight_ih_l0, decoder.weight_hh_l0], dim=1).t().contiguous()
            self.cell_bias = (decoder.bias_ih_l0 + decoder.bias_hh_l0).detach()
            self.attention = model.attention.weight.t().contiguous()
            self.output = model.output.weight.t().contiguous()
            self.output_bias = model.output.bias.detach()
            self.copy_gate = model.copy_gate.weight.t().contiguous()
            self.copy_gate_bias = model.copy_gate.bias.detach()
            self.first = torch.cat([head.head.weight] + [cluster[0].weight for cluster in head.tail]).t().contiguous()
            self.clusters = [cluster[1].weight.t().contiguous() for cluster in head.tail]
        self.first_sizes = [head.head.out_features] + [cluster[0].out_features for cluster in head.tail]
        self.shortlist, self.cutoffs = head.shortlist_size, head.cutoffs

    def __call__(self, template: Tensor, memory: Tensor, mask: Tensor, words: Tensor, state: tuple[Tensor, Tensor],
                 extra_columns: int = 0):  # fmt: skip
        """The last words (B,) and the LSTM state ((B, H), (B, H)) -> (log p_gen + log p_vocab (B, V + extra_columns),
        the extra columns -inf; log(1 − p_gen) (B,); attention (B, S); state)."""
        vectors = self.embedding[words]
        h, c = state
        gates = torch.addmm(self.cell_bias, torch.cat([vectors, template, h], dim=1), self.cell)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        scores = torch.bmm(memory, (h @ self.attention).unsqueeze(2)).squeeze(2)
        attention = torch.softmax(scores.masked_fill(~mask, -torch.inf), dim=1)
        context = torch.bmm(attention.unsqueeze(1), memory).squeeze(1)
        features = torch.tanh(torch.addmm(self.output_bias, torch.cat([h, context, template], dim=1), self.output))
        gate = torch.addmm(self.copy_gate_bias, torch.cat([h, context, vectors], dim=1), self.copy_gate).squeeze(1)
        shortlist, *projections = (features @ self.first).split(self.first_sizes, dim=1)
        # The shortlist's softmax also gives each cluster's log-probability (its columns past the shortlist).
        head = torch.log_softmax(shortlist, dim=1) + F.logsigmoid(gate).unsqueeze(1)
        log_probs = head.new_empty((len(words), self.cutoffs[-1] + extra_columns))
        log_probs[:, : self.shortlist] = head[:, : self.shortlist]
        for index, (projection, weights) in enumerate(zip(projections, self.clusters)):
            start, stop = self.cutoffs[index], self.cutoffs[index + 1]
            cluster = torch.log_softmax(projection @ weights, dim=1)
            torch.add(cluster, head[:, self.shortlist + index].unsqueeze(1), out=log_probs[:, start:stop])
        log_probs[:, self.cutoffs[-1] :] = -torch.inf
        return log_probs, F.logsigmoid(-gate), attention, (h, c)


def pick_device(device: str | torch.device | None = None) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
