"""The expression ensemble's time per face, member by member and in all (face detection apart: bench_expressions.py
times the whole photo), on one CPU thread as in a worker process per core. Goal: the whole ensemble ≤ 60 ms per face.

    .venv/bin/python bench/bench_expression_members.py [--runs 30]

Prints medians over the runs after warm-up: wall time, and the process's CPU time (the steadier of the two on a
busy machine: a core shared with other work stretches the wall time, not the CPU time), for one face and per face
of a photo with three."""
import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere: find `ml`
from ml.expressions import ExpressionEnsemble, detect_faces  # noqa: E402
from ml.expressions.faces import to_grey  # noqa: E402

WARM_UP_RUNS = 3
GOAL_MS = 60
HEAD = (slice(20, 210), slice(130, 320))  # the astronaut's head, to paste three times


def medians(work, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of work()."""
    for _ in range(WARM_UP_RUNS):
        work()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def three_heads() -> np.ndarray:
    head = data.astronaut()[HEAD]
    canvas = np.full((head.shape[0] + 40, 3 * (head.shape[1] + 40), 3), 128, np.uint8)
    for i in range(3):
        left = 20 + i * (head.shape[1] + 40)
        canvas[20 : 20 + head.shape[0], left : left + head.shape[1]] = head
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)

    ensemble = ExpressionEnsemble.load(device="cpu")
    image = data.astronaut()
    grey = to_grey(image)
    (face,) = detect_faces(image)
    views = (f"{m.name} ({len(m.views)} view{'s' * (len(m.views) > 1)})" for m in ensemble.members)
    print(f"# members: {', '.join(views)}")
    for member in ensemble.members:
        wall, cpu = medians(lambda: member.log_probabilities(image, grey, [face]), args.runs)
        print(f"expression_member_{member.name}_ms_median: {wall:.1f} ms")
        print(f"expression_member_{member.name}_cpu_ms_median: {cpu:.1f} ms")
    wall, cpu = medians(lambda: ensemble.read(image, face), args.runs)
    print(f"expression_ensemble_ms_per_face_median: {wall:.1f} ms")
    print(f"expression_ensemble_cpu_ms_per_face_median: {cpu:.1f} ms")
    print(f"expression_ensemble_ms_per_face_goal: {GOAL_MS} ms")

    group = three_heads()
    faces = detect_faces(group)
    wall, cpu = medians(lambda: ensemble._member_probabilities(group, faces), args.runs)
    print(f"expression_ensemble_ms_per_face_of_{len(faces)}_median: {wall / len(faces):.1f} ms")


if __name__ == "__main__":
    main()
