"""Caption generation from a trained model directory: sampling or beam search, batched over candidates, with
the template's box count and per-box length bounds enforced by masking, and blocked words never emitted."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor

from .batches import Encoder, batches, collate
from .blocklist import is_blocked
from .data import CaptionRecord, TemplateInfo
from .model import AdaptiveSoftmaxHead, CaptionModel, pick_device
from .storage import read_model
from .text import split_boxes
from .vocab import Vocabulary

MAX_BOX_TOKENS = 20
# Sampling defaults, picked on held-out titles (MODEL_CARD.md): the lower the temperature, the more typical of
# their template the captions, and the more they repeat themselves and the training captions (the bundled
# 1x512 model: fidelity 67 % at 0.5 and 63 % at 0.7, copies 8.7 % and 4.5 %, distinct-2 0.48 and 0.58).
TEMPERATURE, TOP_K = 0.7, 40
OnWord = Callable[[int, str], None]


class CaptionGenerator:
    def __init__(
        self,
        model: CaptionModel,
        vocab: Vocabulary,
        templates: Sequence[TemplateInfo],
        config: Mapping,
        device: torch.device,
        extra_blocked: Iterable[str] = (),
    ):
        self.model, self.vocab, self.device = model, vocab, device
        self.version: str = config["version"]
        self.templates = {t.slug: t for t in templates}  # the templates the model was trained on
        self.encoder = Encoder(vocab, [t.slug for t in templates])
        extra = {word.lower() for word in extra_blocked}
        banned = [vocab.unk] + [i for i, w in enumerate(vocab.words) if is_blocked(w) or w in extra]
        self.banned = torch.tensor(banned, device=device)
        if isinstance(model.head, AdaptiveSoftmaxHead):
            # Blocked ids per level of the head's tree: among the frequent words, then within each cluster.
            ends = model.head.cluster_starts[1:] + [len(vocab.words)]
            self.banned_shortlist = self.banned[self.banned < model.head.shortlist_size]
            self.banned_in_cluster = [
                self.banned[(self.banned >= start) & (self.banned < end)] - start
                for start, end in zip(model.head.cluster_starts, ends)
            ]

    @classmethod
    def load(cls, model_dir: str | Path, device=None, extra_blocked: Iterable[str] = ()) -> "CaptionGenerator":
        device = pick_device(device)
        model, vocab, templates, config = read_model(model_dir, device)
        return cls(model, vocab, templates, config, device, extra_blocked)

    @torch.no_grad()
    def generate(
        self,
        title: str,
        template: TemplateInfo,
        *,
        n: int = 4,
        method: str = "sample",
        temperature: float = TEMPERATURE,
        top_k: int = TOP_K,
        beam_width: int = 5,
        seed: int | None = None,
        on_word: OnWord | None = None,
    ) -> list[list[str]]:
        """n candidates, each exactly template.n_boxes non-empty box texts. on_word(candidate, word) receives
        words as they are decoded (BOX marks the move to the next box); beam search can only report its
        candidates once the search ends. temperature <= 0 samples greedily (nearest word, for regression)."""
        if method not in ("sample", "beam"):
            raise ValueError(f"method must be 'sample' or 'beam', not {method!r}")
        example = self.encoder.example(CaptionRecord(template.slug, (), title), template)
        condition = self.model.condition(*collate([example], self.vocab.end).to(self.device).condition_inputs())
        n_boxes = max(1, template.n_boxes)
        if method == "sample":
            generator = torch.Generator(self.device)
            if seed is None:
                generator.seed()
            else:
                generator.manual_seed(seed)
            captions = self._sample(condition.expand(n, -1), n_boxes, temperature, top_k, generator, on_word)
        else:
            captions = self._beam(condition, n_boxes, max(beam_width, n))[:n]
            for index, tokens in enumerate(captions if on_word else []):
                for token in tokens[:-1]:
                    on_word(index, token)
        return [split_boxes(tokens) for tokens in captions]

    def _constrain(self, log_probs: Tensor, boxes_done: Tensor, box_len: Tensor, n_boxes: int, banned: Tensor) -> Tensor:
        """Mask blocked words and what would break the layout: a box ends only when it has a word; BOX only before
        the last box, END only after it; a full box must end. Columns past the vocabulary's first ones (the
        adaptive head's clusters) are masked with the rest of a full box's row."""
        log_probs[:, banned] = -torch.inf
        rows = torch.arange(len(box_len), device=self.device)
        separator = torch.where(boxes_done >= n_boxes - 1, self.vocab.end, self.vocab.box)
        separator_score = log_probs[rows, separator].clone()
        log_probs[:, [self.vocab.box, self.vocab.end]] = -torch.inf
        log_probs[box_len >= MAX_BOX_TOKENS] = -torch.inf
        log_probs[rows, separator] = torch.where(box_len == 0, -torch.inf, separator_score)
        return log_probs

    def _advance(self, tokens: Tensor, boxes_done: Tensor, box_len: Tensor) -> tuple[Tensor, Tensor]:
        is_box = tokens == self.vocab.box
        return boxes_done + is_box.long(), torch.where(is_box, 0, box_len + 1)

    def _sample(self, condition, n_boxes, temperature, top_k, generator, on_word) -> list[list[str]]:
        n = condition.shape[0]
        words = torch.full((n,), self.vocab.end, device=self.device)  # END also marks the start
        state = self.model.start_state(condition)
        boxes_done = box_len = torch.zeros(n, dtype=torch.long, device=self.device)
        captions: list[list[str]] = [[] for _ in range(n)]
        # The candidates still writing: a finished one leaves the batch, so the longest caption does not make
        # every other row pay for its last steps.
        writing = list(range(n))
        for _ in range(n_boxes * (MAX_BOX_TOKENS + 1)):
            hidden, state = self.model.advance(condition, words, state)
            words = self._next_words(hidden, boxes_done, box_len, n_boxes, temperature, top_k, generator)
            for index, word in zip(writing, words.tolist()):
                captions[index].append(self.vocab.words[word])
                if on_word and word != self.vocab.end:
                    on_word(index, self.vocab.words[word])
            boxes_done, box_len = self._advance(words, boxes_done, box_len)
            going = words != self.vocab.end
            if not going.any():
                break
            if not going.all():
                keep = going.nonzero().flatten()
                writing = [writing[i] for i in keep.tolist()]
                words, boxes_done, box_len, condition = words[keep], boxes_done[keep], box_len[keep], condition[keep]
                state = tuple(s[:, keep] for s in state)
        return captions

    def _next_words(self, hidden, boxes_done, box_len, n_boxes, temperature, top_k, generator) -> Tensor:
        head = self.model.head
        if not isinstance(head, AdaptiveSoftmaxHead):
            log_probs = head.log_probs(hidden, self.model.embedding.weight)
            return _draw(self._constrain(log_probs, boxes_done, box_len, n_boxes, self.banned), temperature, top_k, generator)
        # Down the adaptive head's tree: a frequent word or a cluster first, then a word of the cluster for the rows
        # that drew one. Only those rows pay for scoring the cluster, so a batch costs little more than the head;
        # with top_k >= the vocabulary and temperature 1 the draws follow the model's distribution exactly
        # (blocked words aside), and otherwise top-k and temperature apply at each level.
        shortlist = head.shortlist_log_probs(hidden)
        words = _draw(self._constrain(shortlist, boxes_done, box_len, n_boxes, self.banned_shortlist), temperature, top_k, generator)
        for cluster, (start, banned) in enumerate(zip(head.cluster_starts, self.banned_in_cluster)):
            rows = (words == head.shortlist_size + cluster).nonzero().flatten()
            if len(rows):
                in_cluster = head.cluster_log_probs(hidden[rows], cluster)
                in_cluster[:, banned] = -torch.inf
                words[rows] = start + _draw(in_cluster, temperature, top_k, generator)
        return words

    def _beam(self, condition: Tensor, n_boxes: int, width: int) -> list[list[str]]:
        """Beam search; finished captions ranked by mean log-probability per token, so length is not punished."""
        state = self.model.start_state(condition)
        words = torch.full((1,), self.vocab.end, device=self.device)
        scores = torch.zeros(1, device=self.device)
        boxes_done = box_len = torch.zeros(1, dtype=torch.long, device=self.device)
        beams: list[list[int]] = [[]]
        finished: list[tuple[float, list[int]]] = []
        while len(finished) < width and beams:
            log_probs, state = self.model.step(condition.expand(len(beams), -1), words, state)
            log_probs = self._constrain(log_probs, boxes_done, box_len, n_boxes, self.banned)
            total = (scores.unsqueeze(1) + log_probs).flatten()
            top_scores, top_index = total.topk(min(2 * width, total.numel()))
            keep = []
            for score, flat in zip(top_scores.tolist(), top_index.tolist()):
                beam, token = divmod(flat, log_probs.shape[1])
                if score == -torch.inf or len(keep) == width:
                    break
                if token == self.vocab.end:
                    finished.append((score / (len(beams[beam]) + 1), beams[beam] + [token]))
                else:
                    keep.append((beam, token, score))
            origin = torch.tensor([beam for beam, _, _ in keep], dtype=torch.long, device=self.device)
            words = torch.tensor([token for _, token, _ in keep], dtype=torch.long, device=self.device)
            scores = torch.tensor([score for _, _, score in keep], device=self.device)
            state = tuple(s[:, origin] for s in state)
            boxes_done, box_len = self._advance(words, boxes_done[origin], box_len[origin])
            beams = [beams[beam] + [token] for beam, token, _ in keep]
        finished.sort(key=lambda item: -item[0])
        return [[self.vocab.words[i] for i in tokens] for _, tokens in finished]

    @torch.no_grad()
    def log_likelihood(
        self, records: Iterable[CaptionRecord], templates: Mapping[str, TemplateInfo] | None = None
    ) -> tuple[float, int]:
        """Negative log-likelihood (nats) summed over every caption token, and the token count. Templates not
        given (and not trained on) are described by their slug alone."""
        known = {**self.templates, **(templates or {})}
        examples = [
            self.encoder.example(r, known.get(r.template) or TemplateInfo.from_slug(r.template)) for r in records
        ]
        total, n_tokens = 0.0, 0
        for batch in batches(examples, 256, self.vocab.end):
            nll, _ = self.model.token_losses(batch.to(self.device), nll=True)
            total += float(nll.sum())
            n_tokens += nll.numel()
        return total, n_tokens


def _draw(log_probs: Tensor, temperature: float, top_k: int, generator: torch.Generator) -> Tensor:
    """One id per row: the likeliest (temperature <= 0), or a draw among the top k at the temperature (softmax
    over k values, not the whole row)."""
    if temperature <= 0:
        return log_probs.argmax(-1)
    top_values, top_ids = log_probs.topk(min(top_k, log_probs.shape[1]), dim=-1, sorted=False)
    probs = torch.softmax(top_values / temperature, dim=-1)
    return top_ids.gather(1, torch.multinomial(probs, 1, generator=generator)).squeeze(1)
