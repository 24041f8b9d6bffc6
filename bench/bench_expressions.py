"""Photo mode's latency: face detection + the expression ensemble on a 1024-pixel-wide photo.

    .venv/bin/python bench/bench_expressions.py [--runs 20] [--threads 1]

Prints the median over the runs after warm-up, on CPU, and on CUDA too when there is a GPU. One thread by
default, as in a worker process per core: a batch of a few 64×64 crops gains nothing from more, and on busy
cores extra threads spin and slow it down many times over."""
import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import torch
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere: find `ml`
from ml.expressions import ExpressionEnsemble  # noqa: E402

WARM_UP_RUNS = 3


def median_ms(ensemble: ExpressionEnsemble, photo, runs: int) -> float:
    for _ in range(WARM_UP_RUNS):
        ensemble.read_photo(photo)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        ensemble.read_photo(photo)  # ends by copying the probabilities to the host, so CUDA work is finished too
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch and OpenCV CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)

    astronaut = data.astronaut()  # 512×512
    photo = cv2.resize(astronaut, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    cpu_ms = median_ms(ExpressionEnsemble.load(device="cpu"), photo, args.runs)
    print(f"expression_ms_median: {cpu_ms:.1f} ms")
    if torch.cuda.is_available():
        cuda_ms = median_ms(ExpressionEnsemble.load(device="cuda"), photo, args.runs)
        print(f"expression_cuda_ms_median: {cuda_ms:.1f} ms")


if __name__ == "__main__":
    main()
