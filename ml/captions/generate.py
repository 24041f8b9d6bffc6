"""Caption generation from a trained model folder: many candidates drawn at once from the model's full next-word
distribution (vocabulary and copy combined) with temperature and nucleus (top-p) sampling, the template's box
layout enforced while decoding, then the candidates ranked and the best few shown.

Layout: each candidate fills k boxes, k drawn from how many boxes people filled on this template (kept with the
model; a template it never saw fills all of its boxes), capped by the template's geometry; a box has 1 to
MAX_BOX_TOKENS tokens (UNLEARNED_BOX_TOKENS on a template it never learned). Boxes past k stay empty, as people leave them.
Ranking: the model's own mean log-probability of the candidate, plus the title's presence (a word of the title,
or failing that the closest word vectors), plus fidelity to the template (how much likelier the caption is under
the template than under an unknown one), plus taste when a caption scorer is given (how much people would vote
for it: ml.scorer, its score less the mean of the candidates that fill as many boxes), less a penalty for a box
that repeats another, then picked greedily for variety (few shared word pairs).
Candidates with blocked words or that the safety checks flag are never shown (safety.py)."""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from .batches import Encoder, batches, collate, source_tokens, template_tokens
from .blocklist import is_blocked
from .data import CaptionRecord, TemplateInfo
from .model import CaptionModel, DecodingStep, pick_device
from .safety import offensive_reasons
from .storage import read_model
from .text import BOX, SEP, caption_tokens, is_content_word, split_boxes, tokenize
from .vocab import Vocabulary

MAX_BOX_TOKENS = 24
# A template the model never learned has no lengths of its own: its boxes end by the 16th token, which 90% of the
# corpus's boxes do (median 6).
UNLEARNED_BOX_TOKENS = 16
# Decoding defaults, picked on held-out titles (MODEL_CARD.md has the sweep).
TEMPERATURE, TOP_P, DRAWN = 0.9, 0.8, 12
NUCLEUS_CANDIDATES = 100  # the nucleus is looked for among the likeliest 100 words (transformers keeps 50 by default)
# Ranking weights: per-token log-probability (nats), title presence (0–1), fidelity (nats per token), variety.
LIKELIHOOD_WEIGHT, TITLE_WEIGHT, FIDELITY_WEIGHT, VARIETY_WEIGHT = 1.0, 1.0, 0.5, 1.0
REPEATED_BOX_PENALTY = 1.0
# Taste: the scorer's score difference is the log-odds that people vote for one caption more than another. The
# bundled scorer knows ImgFlip's taste, which read on 132 prompt captions helped as often as it hurt at 0.25 and 0.5
# (ml/scorer/README.md): a light weight, until the site's own votes have retrained it.
TASTE_WEIGHT = 0.25
FORMAT_SCORE = 2.0  # fidelity of a caption that takes up an unlearned template's own words (weighted as the rest)
Taste = Callable[[Sequence[Sequence[str]]], Sequence[float]]  # candidates' boxes -> scores (higher: voted for more)


@dataclass
class Candidate:
    tokens: list[str]  # the caption's tokens, boxes joined by BOX, without END
    log_prob: float  # under the model at temperature 1, summed over its tokens and END
    boxes: list[str]
    score: float = 0.0

    @property
    def n_tokens(self) -> int:
        return len(self.tokens) + 1


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
        self.config = dict(config)
        self.templates = {t.slug: t for t in templates}  # the templates the model was trained on
        self.encoder = Encoder(vocab, [t.slug for t in templates])
        self.extra_blocked = {word.lower() for word in extra_blocked}
        # Never written: the unknown word (a title's own rare words come by copying), the separator, blocked words.
        banned = [vocab.unk, vocab.sep] + [i for i, w in enumerate(vocab.words) if self._blocked_word(w)]
        self.banned = torch.tensor(banned, device=device)
        self.step = DecodingStep(model)
        # For the ranking's "close to the title" term: unit word vectors, computed once, not per request.
        with torch.no_grad():
            self.unit_vectors = F.normalize(model.embedding.weight, dim=1)

    def _blocked_word(self, word: str) -> bool:
        return is_blocked(word) or word in self.extra_blocked

    @classmethod
    def load(cls, model_dir: str | Path, device=None, extra_blocked: Iterable[str] = ()) -> "CaptionGenerator":
        device = pick_device(device)
        model, vocab, templates, config = read_model(model_dir, device)
        return cls(model, vocab, templates, config, device, extra_blocked)

    def known(self, template: TemplateInfo) -> TemplateInfo:
        """The model's own description of a template it learned (its words and box counts), else the given one
        with its geometry's box count."""
        learned = self.templates.get(template.slug)
        return replace(learned, n_boxes=template.n_boxes) if learned else template

    # --- generation ----------------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(
        self,
        title: str,
        template: TemplateInfo,
        *,
        n: int = 4,
        drawn: int = DRAWN,
        temperature: float = TEMPERATURE,
        top_p: float = TOP_P,
        seed: int | None = None,
        rank: bool = True,
        taste: Taste | None = None,
    ) -> list[list[str]]:
        """n captions, each a list of template.n_boxes box texts (some may be empty, see the module's doc).
        `drawn` candidates are sampled and the best n shown (rank=False: the first n drawn, as sampled)."""
        template = self.known(template)
        seed = random.randrange(2**31) if seed is None else seed
        generator = torch.Generator(self.device).manual_seed(seed)
        layout_generator = torch.Generator().manual_seed(seed)
        shown: list[Candidate] = []
        seen_texts: set[str] = set()
        for _ in range(3):  # more draws only if filtering left too few
            drawn_now = self._sample(title, template, max(drawn, n), temperature, top_p, generator, layout_generator)
            fresh = self._fresh(drawn_now, seen_texts)
            if rank:
                self._score(fresh, title, template, taste)
            shown = _pick(shown + fresh, n, rank)
            if len(shown) >= n:
                break
        return [candidate.boxes for candidate in shown]

    def _fresh(self, candidates: list[Candidate], seen_texts: set[str]) -> list[Candidate]:
        """Candidates not seen before, with no empty box before a written one, and that the safety checks pass."""
        unique = []
        for candidate in candidates:
            key = " ".join(candidate.tokens)
            if key not in seen_texts:
                seen_texts.add(key)
                unique.append(candidate)
        reasons = offensive_reasons([" / ".join(c.boxes) for c in unique])
        return [candidate for candidate, reason in zip(unique, reasons) if reason is None]

    def _source(self, title: str, template: TemplateInfo) -> tuple[Tensor, Tensor, list[str]]:
        tokens, segments = source_tokens(title, template)
        ids = torch.tensor([self.vocab.ids(tokens)], device=self.device)
        return ids, torch.tensor([segments], device=self.device), tokens

    def _box_targets(self, template: TemplateInfo, n: int, generator: torch.Generator) -> Tensor:
        """How many boxes each candidate fills: drawn from the template's box counts, within its geometry."""
        n_boxes = max(1, template.n_boxes)
        counts = torch.tensor(template.box_counts[:n_boxes], dtype=torch.float)
        if counts.sum() <= 0:
            return torch.full((n,), n_boxes, device=self.device)
        return (torch.multinomial(counts, n, replacement=True, generator=generator) + 1).to(self.device)

    def _sample(self, title, template, n, temperature, top_p, generator, layout_generator) -> list[Candidate]:
        model, vocab = self.model, self.vocab
        sources, segments, source_words = self._source(title, template)
        row = torch.tensor([self.encoder.template_rows.get(template.slug, model.unknown_template)], device=self.device)
        memory, mask, template_vec, state = model.encode(row, sources, segments, torch.tensor([sources.shape[1]]))
        memory, mask, template_vec = memory.expand(n, -1, -1), mask.expand(n, -1), template_vec.expand(n, -1)
        state = tuple(s[0].expand(n, -1).contiguous() for s in state)
        # The extended vocabulary: the words, then one slot per source position for the copy of a word the
        # vocabulary lacks (the title's rare words); copies of known words go to their own ids.
        size = len(vocab)
        copy_targets = torch.where(sources[0] == vocab.unk, size + torch.arange(sources.shape[1], device=self.device), sources[0])
        copyable = model.copyable(sources, mask[:1])[0]
        # Each copyable position's column in the extended vocabulary, once (a word may stand at two positions).
        copy_columns, copy_column_of = torch.unique(copy_targets[copyable], return_inverse=True)
        targets_k = self._box_targets(template, n, layout_generator)
        max_box = MAX_BOX_TOKENS if template.slug in self.encoder.template_rows else UNLEARNED_BOX_TOKENS
        words = torch.full((n,), vocab.end, device=self.device)
        boxes_done = torch.zeros(n, dtype=torch.long, device=self.device)
        box_len = torch.zeros(n, dtype=torch.long, device=self.device)
        log_prob = [0.0] * n
        tokens: list[list[int]] = [[] for _ in range(n)]
        written = torch.empty((n, 0), dtype=torch.long, device=self.device)  # the writing rows' tokens so far
        # The candidates still writing: a finished one leaves the batch, so the longest caption does not make
        # every other row pay for its last steps.
        writing = list(range(n))
        for _ in range(int(targets_k.max()) * (MAX_BOX_TOKENS + 1)):
            # In log space: p_gen · p_vocab for every word (the copy slots of words the vocabulary lacks have none),
            # and the copy mass added on the few copied columns only.
            log_probs, copy_lp, attention, state = self.step(template_vec, memory, mask, words, state, sources.shape[1])
            copied = attention[:, copyable] * copy_lp.exp().unsqueeze(1)
            mass = torch.zeros(len(writing), len(copy_columns), device=self.device).index_add_(1, copy_column_of, copied)
            log_probs[:, copy_columns] = torch.logaddexp(log_probs[:, copy_columns], mass.log())
            log_probs = self._constrain(log_probs, boxes_done, box_len, targets_k, written, max_box)
            chosen = _nucleus_draw(log_probs, temperature, top_p, generator)
            chosen_log_probs = log_probs.gather(1, chosen.unsqueeze(1)).squeeze(1).tolist()
            for row, (index, word) in enumerate(zip(writing, chosen.tolist())):
                tokens[index].append(word)
                log_prob[index] += chosen_log_probs[row]
            written = torch.cat([written, chosen.unsqueeze(1)], dim=1)
            is_box = chosen == vocab.box
            boxes_done, box_len = boxes_done + is_box.long(), torch.where(is_box, 0, box_len + 1)
            going = chosen != vocab.end
            if not going.any():
                break
            words = torch.where(chosen >= size, vocab.unk, chosen)  # a copied rare word reads as unknown
            if not going.all():
                keep = going.nonzero().flatten()
                writing = [writing[i] for i in keep.tolist()]
                words, boxes_done, box_len, targets_k = words[keep], boxes_done[keep], box_len[keep], targets_k[keep]
                written = written[keep]
                memory, mask, template_vec = memory[keep], mask[keep], template_vec[keep]
                state = tuple(s[keep] for s in state)
        candidates = []
        for ids, total in zip(tokens, log_prob):
            words_out = [vocab.words[i] if i < size else source_words[i - size] for i in ids[:-1]]
            candidates.append(Candidate(words_out, total, self._boxes(words_out, template.n_boxes)))
        return candidates

    @staticmethod
    def _boxes(tokens: list[str], n_boxes: int) -> list[str]:
        texts = split_boxes(tokens)[: max(1, n_boxes)]
        return texts + [""] * (max(1, n_boxes) - len(texts))

    def _constrain(self, log_probs: Tensor, boxes_done: Tensor, box_len: Tensor, targets_k: Tensor, written: Tensor, max_box: int) -> Tensor:
        """Mask what must not be written: banned words; BOX except to start a box that is due, END except after
        the last box; nothing but the separator once a box is full; a word just written (repetition guard),
        or one that would repeat a word pair of this caption."""
        vocab = self.vocab
        log_probs[:, self.banned] = -torch.inf
        rows = torch.arange(len(box_len), device=self.device)
        last_box = boxes_done >= targets_k - 1
        separator = torch.where(last_box, vocab.end, vocab.box)
        separator_score = log_probs[rows, separator].clone()
        log_probs[:, [vocab.box, vocab.end]] = -torch.inf
        log_probs[box_len >= max_box] = -torch.inf
        log_probs[rows, separator] = torch.where(box_len == 0, -torch.inf, separator_score)
        if written.shape[1]:
            last = written[:, -1]
            in_box = last != vocab.box
            log_probs[rows[in_box], last[in_box]] = -torch.inf
            # Every word that followed the last word before, within a box: writing it would repeat that pair.
            row, position = ((written[:, :-1] == last.unsqueeze(1)) & in_box.unsqueeze(1)).nonzero(as_tuple=True)
            following = written[row, position + 1]
            log_probs[row[following != vocab.box], following[following != vocab.box]] = -torch.inf
        return log_probs

    def _score(self, candidates: list[Candidate], title: str, template: TemplateInfo, taste: Taste | None = None) -> None:
        """Each candidate's ranking score (see the module's doc)."""
        if not candidates:
            return
        content = [word for word in tokenize(title) if is_content_word(word)]
        title_words = {_stem(word) for word in content}
        title_ids = [self.vocab.index[word] for word in content if word in self.vocab.index]
        fidelity = self._fidelity(candidates, title, template)
        liked = _taste_terms(taste, candidates) if taste else [0.0] * len(candidates)
        vectors = self.unit_vectors
        for candidate, lift, taste_term in zip(candidates, fidelity, liked):
            presence = 0.0
            if title_words:
                words = {_stem(t) for t in candidate.tokens}
                if words & title_words:
                    presence = 1.0
                else:
                    ids = self.vocab.content_ids([self.vocab.index[t] for t in candidate.tokens if t in self.vocab.index])
                    if ids and title_ids:
                        presence = 0.5 * float((vectors[ids] @ vectors[title_ids].T).max().clamp_min(0))
            written = [box for box in candidate.boxes if box]
            repeated = len(set(written)) < len(written)  # "wifi / wifi": a box that says what another said
            candidate.score = (LIKELIHOOD_WEIGHT * candidate.log_prob / candidate.n_tokens + TITLE_WEIGHT * presence + FIDELITY_WEIGHT * lift
                               + TASTE_WEIGHT * taste_term - REPEATED_BOX_PENALTY * repeated)  # fmt: skip

    @torch.no_grad()
    def rank_scores(self, title: str, template: TemplateInfo, captions: Sequence[Sequence[str]], taste: Taste | None = None) -> list[float]:
        """The ranking score generate() would give these captions (anyone's: people's, another model's) for a title."""
        template = self.known(template)
        records = [CaptionRecord(template.slug, tuple(box for box in boxes if box.strip()), title) for boxes in captions]
        log_probs, _ = self.caption_log_probs(records, {template.slug: template})
        candidates = []
        for record, boxes, log_prob in zip(records, captions, log_probs):
            candidates.append(Candidate(caption_tokens(record.boxes)[:-1], log_prob, list(boxes)))
        self._score(candidates, title, template, taste)
        return [candidate.score for candidate in candidates]

    def _fidelity(self, candidates: list[Candidate], title: str, template: TemplateInfo) -> list[float]:
        """Per token, how much likelier each caption is under its template than under an unknown one. A template
        the model never learned has nothing to compare with: there, a caption that takes up a word pair of the
        template's own words (its name, example lines: often its catchphrase) scores FORMAT_SCORE."""
        if template.slug not in self.encoder.template_rows:
            own = _word_pairs(template_tokens(template))
            return [FORMAT_SCORE if _word_pairs(c.tokens) & own else 0.0 for c in candidates]
        records = [CaptionRecord(template.slug, tuple(split_boxes(c.tokens)), title) for c in candidates]
        batch = collate([self.encoder.example(record, template) for record in records], self.vocab).to(self.device)
        batch.templates = torch.full_like(batch.templates, self.model.unknown_template)
        # Every candidate has the same source: encoded once, then shared.
        memory, mask, template_vec, state = self.model.encode(
            batch.templates[:1], batch.sources[:1], batch.segments[:1], batch.source_lengths[:1]
        )  # fmt: skip
        n = len(records)
        encoded = (memory.expand(n, -1, -1), mask.expand(n, -1), template_vec.expand(n, -1),
                   tuple(s.expand(-1, n, -1).contiguous() for s in state))  # fmt: skip
        real = torch.arange(batch.targets.shape[1], device=self.device) < batch.lengths.unsqueeze(1)
        without = torch.where(real, self.model.token_log_probs(batch, encoded), 0.0).sum(1)
        # Under the template, the log-probability is the one sampling summed: no second pass.
        return [(c.log_prob - float(w)) / c.n_tokens for c, w in zip(candidates, without)]

    # --- scoring -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def caption_log_probs(
        self, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo] | None = None,
        batch_size: int = 128, max_len: int | None = None,
    ) -> tuple[list[float], list[int]]:  # fmt: skip
        """Each record's caption log-probability (nats, its END included) for its title and template, and its
        token count; templates as log_likelihood takes them."""
        known = {**(templates or {}), **self.templates}
        sums, lengths = [], []
        for start in range(0, len(records), batch_size):
            chunk = records[start : start + batch_size]
            examples = [self.encoder.example(r, known.get(r.template) or TemplateInfo.from_slug(r.template), max_len)
                        for r in chunk]  # fmt: skip
            batch = collate(examples, self.vocab).to(self.device)
            real = torch.arange(batch.targets.shape[1], device=self.device) < batch.lengths.unsqueeze(1)
            sums += torch.where(real, self.model.token_log_probs(batch), 0.0).sum(1).tolist()
            lengths += batch.lengths.tolist()
        return sums, lengths

    @torch.no_grad()
    def log_likelihood(
        self,
        records: Iterable[CaptionRecord],
        templates: Mapping[str, TemplateInfo] | None = None,
        *,
        reference: Vocabulary | None = None,
        weighted: bool = False,
    ) -> tuple[float, float]:
        """Negative log-likelihood (nats) summed over every caption token, and the token count (with
        weighted=True, each token counts its record's weight). Templates not given (and not trained on) are
        described by their slug alone. Unknown words are one outcome, <unk>.

        Two models with different vocabularies are compared on the same tokens by passing the smaller vocabulary
        as `reference`: a word outside it is one outcome, whose probability is the sum over every such word of
        this model's vocabulary (and its <unk>), as the reference's <unk> is."""
        known = {**(templates or {}), **self.templates}
        records = list(records)
        examples = [self.encoder.example(r, known.get(r.template) or TemplateInfo.from_slug(r.template)) for r in records]
        outside = None
        if reference is not None and reference.words != self.vocab.words:
            outside = torch.tensor([i for i, w in enumerate(self.vocab.words) if w not in reference.index] + [self.vocab.unk],
                                   device=self.device)  # fmt: skip
        total = count = 0.0
        for batch in batches(examples, 128, self.vocab):
            batch = batch.to(self.device)
            real = torch.arange(batch.targets.shape[1], device=self.device) < batch.lengths.unsqueeze(1)
            log_probs = self.model.token_log_probs(batch) if outside is None else self._lumped(batch, outside)
            weights = batch.weights.unsqueeze(1).expand_as(real) if weighted else torch.ones_like(batch.weights).unsqueeze(1).expand_as(real)
            total -= float((log_probs * weights)[real].sum())
            count += float(weights[real].sum())
        return total, count

    def _lumped(self, batch, outside: Tensor) -> Tensor:
        """log p(target) with every word in `outside` one outcome: the full mixture distribution, then summed."""
        model = self.model
        memory, mask, template, state = model.encode(batch.templates, batch.sources, batch.segments, batch.source_lengths)
        features, gate, attention, _ = model._decode(template, memory, mask, batch.inputs, state, batch.lengths)
        flat = features.reshape(-1, features.shape[-1])
        probs = (model.head.log_prob(flat) + F.logsigmoid(gate).reshape(-1, 1)).exp()
        copy_weights = attention * model.copyable(batch.sources, mask).unsqueeze(1) * torch.sigmoid(-gate).unsqueeze(-1)
        sources = batch.sources.unsqueeze(1).expand_as(copy_weights).reshape(len(flat), -1)
        probs.scatter_add_(1, sources, copy_weights.reshape(len(flat), -1))
        targets = batch.targets.reshape(-1)
        is_outside = torch.zeros(probs.shape[1], dtype=torch.bool, device=self.device)
        is_outside[outside] = True
        own = probs.gather(1, targets.unsqueeze(1)).squeeze(1)
        lumped = probs[:, outside].sum(1)
        return torch.where(is_outside[targets], lumped, own).clamp_min(1e-30).log().view(batch.targets.shape)


def _nucleus_draw(log_probs: Tensor, temperature: float, top_p: float, generator: torch.Generator) -> Tensor:
    """One id per row: the likeliest (temperature <= 0), or a draw from the smallest set of likeliest words whose
    probability reaches top_p, at the temperature."""
    if temperature <= 0:
        return log_probs.argmax(-1)
    values, ids = log_probs.topk(min(NUCLEUS_CANDIDATES, log_probs.shape[1]), dim=-1)
    probs = torch.softmax(values / temperature, dim=-1)
    before = probs.cumsum(-1) - probs  # mass of the words ranked above each word
    probs = torch.where(before < top_p, probs, 0.0)
    return ids.gather(1, torch.multinomial(probs, 1, generator=generator)).squeeze(1)


def _taste_terms(taste: Taste, candidates: list[Candidate]) -> list[float]:
    """Each candidate's taste score less the mean of the candidates that fill as many boxes: taste reorders
    captions of one layout and never trades the layout drawn from the template's own (the ImgFlip scorer likes
    fewer boxes, "brace yourselves mondays are coming" over "brace yourselves / mondays are coming")."""
    scores = [float(score) for score in taste([c.boxes for c in candidates])]
    layouts = [sum(bool(box) for box in c.boxes) for c in candidates]
    means = {k: sum(s for s, n in zip(scores, layouts) if n == k) / layouts.count(k) for k in set(layouts)}
    return [score - means[k] for score, k in zip(scores, layouts)]


def _pick(candidates: list[Candidate], n: int, rank: bool) -> list[Candidate]:
    """The n to show: in drawn order, or greedily by score less a penalty for word pairs shared with those
    already picked (variety among the shown)."""
    if not rank:
        return candidates[:n]
    picked: list[Candidate] = []
    pool = list(candidates)
    while pool and len(picked) < n:
        best = max(pool, key=lambda c: c.score - VARIETY_WEIGHT * max((_overlap(c, p) for p in picked), default=0.0))
        picked.append(best)
        pool.remove(best)
    return picked


def _word_pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent pairs of tokens within a box or name, with a word in them (not two punctuation marks)."""
    return {(a, b) for a, b in zip(tokens, tokens[1:]) if a not in (BOX, SEP) and b not in (BOX, SEP) and (a.isalnum() or b.isalnum())}


def _pairs(candidate: Candidate) -> set[tuple[str, str]]:
    return set(zip(candidate.tokens, candidate.tokens[1:]))


def _overlap(a: Candidate, b: Candidate) -> float:
    pairs_a, pairs_b = _pairs(a), _pairs(b)
    return len(pairs_a & pairs_b) / max(1, min(len(pairs_a), len(pairs_b)))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word
