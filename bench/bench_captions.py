"""The caption model alone, without Django: one request as the site makes it (DRAWN candidates drawn, 4 ranked and
shown) on one CPU thread (as a site worker runs it), a batch of 64 drawn at once, batched generation on CUDA when
there is a GPU, and the cost of training on the full ImgFlip corpus.

Run from the repository root: python bench/bench_captions.py [MODEL_DIR]
  MODEL_DIR (or env CAPTION_MODEL_DIR): default ml/captions/pretrained, the bundled model.
  Training figures need ../shared/data/captions/imgflip575k.jsonl.gz (env CAPTIONS_PATH) and the templates
  folder ../shared/data/templates (env TEMPLATES_DIR); env BENCH_TRAINING=0 skips them.
Timings are wall-clock medians: on a shared machine, they move with its load (printed first).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from ml.captions.batches import Encoder, batches  # noqa: E402
from ml.captions.data import TemplateInfo, load_dataset  # noqa: E402
from ml.captions.generate import CaptionGenerator  # noqa: E402
from ml.captions.model import CaptionModel  # noqa: E402
from ml.captions.training import TrainConfig, sample, templates_seen, train_epoch, train_word_vectors  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
NEW_TEMPLATE = TemplateInfo("bench-new", "Surprised Cat", 2, ("cat",), ("when you", "see it"))
TITLES = [
    "when the code works on the first try", "monday morning meeting", "my cat at 3 am", "exam week",
    "when the wifi goes down", "me explaining memes to my parents", "the weekend is over", "pizza for breakfast",
    "when you forget your password again", "deadline tomorrow", "my plants after one week", "gym on january second",
    "when the teacher says group project", "finally friday", "coffee before talking", "my bank account",
    "when someone spoils the movie", "online shopping at midnight", "the printer is broken again",
    "when the bus is late", "dogs vs cats", "summer vacation plans", "when mom calls you by full name",
    "debugging production on friday", "my diet starts tomorrow", "when the song gets stuck in your head",
    "working from home", "when you finally understand recursion", "the last slice of pizza", "alarm clock",
]
WARMUPS = 3
BATCH_N, BATCH_RUNS = 64, 5
CUDA_N, CUDA_RUNS = 256, 5
REQUEST_GOAL_MS, SHOWN = 150, 4
LSTM_BATCHES, LSTM_WARMUP_BATCHES, LSTM_THREADS = 40, 2, 2
# The network timed is the one the model folder was trained as (its config.json); these when it has none.
ARCHITECTURE = ("dim", "hidden", "encoder_hidden", "template_dim", "batch_size")


def elapsed_ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def generating(generator: CaptionGenerator, title: str, template: TemplateInfo, n: int, seed: int) -> Callable:
    """A request as the site makes it (n=SHOWN: drawn, ranked, shown), or n candidates drawn at once, unranked."""
    if n == SHOWN:
        return lambda: generator.generate(title, template, n=n, seed=seed)
    return lambda: generator.generate(title, template, n=n, drawn=n, seed=seed, rank=False)


def bench_cpu(model_dir: Path) -> None:
    """Requests on a template the model saw and on one it did not (interleaved, so that background load weighs on
    both alike), then a batch of 64 drawn at once against one request."""
    torch.set_num_threads(1)
    generator = CaptionGenerator.load(model_dir, device="cpu")
    seen = next(iter(generator.templates.values()))
    print(f"# model {generator.version}, seen template {seen.slug!r}, new template {NEW_TEMPLATE.slug!r}")
    for seed in range(WARMUPS):
        for template, n in ((seen, SHOWN), (NEW_TEMPLATE, SHOWN), (seen, BATCH_N)):
            generating(generator, TITLES[seed], template, n, seed)()
    single_seen, single_new = [], []
    for seed, title in enumerate(TITLES):
        single_seen.append(elapsed_ms(generating(generator, title, seen, SHOWN, seed)))
        single_new.append(elapsed_ms(generating(generator, title, NEW_TEMPLATE, SHOWN, seed)))
    batch = [elapsed_ms(generating(generator, TITLES[seed], seen, BATCH_N, seed)) for seed in range(BATCH_RUNS)]
    single_ms, batch_ms = statistics.median(single_seen), statistics.median(batch)
    print(f"caption_request_ms_median: {single_ms:.1f} ms")
    print(f"caption_request_ms_median_new_template: {statistics.median(single_new):.1f} ms")
    print(f"caption_request_ms_goal: {REQUEST_GOAL_MS} ms")
    print(f"caption_batch64_ms_median: {batch_ms:.1f} ms")
    print(f"caption_batch64_to_request_ratio: {batch_ms / single_ms:.1f} x")


def bench_cuda(model_dir: Path) -> None:
    if not torch.cuda.is_available():
        print("# no CUDA: skipped")
        return
    generator = CaptionGenerator.load(model_dir, device="cuda")
    template = next(iter(generator.templates.values()))
    for seed in range(WARMUPS):
        generating(generator, TITLES[seed], template, CUDA_N, seed)()
    times = []
    for seed in range(CUDA_RUNS):
        torch.cuda.synchronize()
        times.append(elapsed_ms(generating(generator, TITLES[seed], template, CUDA_N, seed)))
        torch.cuda.synchronize()
    print(f"# {torch.cuda.get_device_name()}")
    print(f"caption_cuda_per_second: {CUDA_N / (statistics.median(times) / 1000):.0f} captions/s")


def bench_training(captions: Path, templates_dir: Path, model_dir: Path) -> None:
    """word2vec on the whole training split, then a few LSTM batches timed and scaled to a full epoch; the same
    splits, encoder and model as `python -m ml.captions train` builds for the model folder's architecture."""
    trained_as = json.loads((model_dir / "config.json").read_text()) if (model_dir / "config.json").is_file() else {}
    config = TrainConfig(**{name: trained_as[name] for name in ARCHITECTURE if name in trained_as}, threads=LSTM_THREADS)
    start = time.perf_counter()
    templates, splits = load_dataset(captions, templates_dir, cold_templates=config.cold_templates, seed=config.seed)
    print(f"# dataset read in {time.perf_counter() - start:.1f} s: {len(splits.train)} training captions")

    start = time.perf_counter()
    vocab, vectors = train_word_vectors(splits.train, templates, config)
    print(f"word2vec_seconds: {time.perf_counter() - start:.1f} s")
    print(f"# word2vec: dim {config.dim}, {config.word2vec_epochs} epochs, 1 worker, vocabulary {len(vocab)}")

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    seen = templates_seen(splits.train, templates)
    encoder = Encoder(vocab, [t.slug for t in seen])
    records = sample(splits.train, (LSTM_WARMUP_BATCHES + LSTM_BATCHES) * config.batch_size, config.seed)
    examples = encoder.examples(records, templates, config.max_len)
    batch_list = batches(examples, config.batch_size, vocab, seed=config.seed)
    model = CaptionModel.from_config(torch.from_numpy(vectors), len(seen), asdict(config))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)  # the rate does not change the cost

    def run(some_batches) -> None:
        train_epoch(model, optimizer, schedule, tqdm(some_batches, disable=True), config, "cpu")

    run(batch_list[:LSTM_WARMUP_BATCHES])
    seconds = elapsed_ms(lambda: run(batch_list[LSTM_WARMUP_BATCHES:])) / 1000
    per_second = LSTM_BATCHES / seconds
    epoch_batches = math.ceil(len(splits.train) / config.batch_size)
    print(f"# seq2seq: decoder {config.hidden}, encoder 2x{config.encoder_hidden}, batches of {config.batch_size}, "
          f"{config.threads} threads, {LSTM_BATCHES} batches timed, {epoch_batches} in an epoch")  # fmt: skip
    print(f"lstm_batches_per_second: {per_second:.2f}")
    print(f"lstm_epoch_seconds_estimate: {epoch_batches / per_second:.0f} s")


def main() -> int:
    default_model = os.environ.get("CAPTION_MODEL_DIR", ROOT / "ml" / "captions" / "pretrained")
    model_dir = Path(sys.argv[1] if len(sys.argv) > 1 else default_model)
    captions = Path(os.environ.get("CAPTIONS_PATH", SHARED / "captions" / "imgflip575k.jsonl.gz"))
    templates_dir = Path(os.environ.get("TEMPLATES_DIR", SHARED / "templates"))
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if (model_dir / "weights.pt").is_file():
        bench_cpu(model_dir)
        bench_cuda(model_dir)
    else:
        print(f"# no caption model at {model_dir}: skipped")
    if os.environ.get("BENCH_TRAINING") == "0":
        print("# BENCH_TRAINING=0: training skipped")
    elif not captions.is_file():
        print(f"# no captions at {captions}: training skipped")
    else:
        bench_training(captions, templates_dir, model_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
