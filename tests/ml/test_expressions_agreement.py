"""The members agree where a face is plain: the astronaut rendered as uploads differ (mirrored, turned, reframed,
lit differently, compressed) is found and read happy by every member (ml.expressions.agreement prints the whole
table, with the renderings and the LFW faces where they part ways)."""
import pytest
import torch

from ml.expressions import ExpressionEnsemble, detect_faces
from ml.expressions.agreement import agreement, astronaut_renderings, lfw_faces

PLAIN = ("original", "mirrored", "rotated -10°", "rotated 10°", "cropped: head and shoulders", "lighting: dim",
         "lighting: bright", "lighting: side shadow", "grey", "jpeg q10")  # fmt: skip


@pytest.fixture(scope="module")
def ensemble():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a worker: on busy cores, more threads are many times slower
    yield ExpressionEnsemble.load(device="cpu")
    torch.set_num_threads(threads)


def test_every_member_reads_the_plain_renderings_happy(ensemble):
    renderings = astronaut_renderings()
    faces = [(name, renderings[name], detect_faces(renderings[name])[0]) for name in PLAIN]

    result = agreement(ensemble, "plain", faces)

    assert result.faces == len(PLAIN) and result.all_agree == 1.0
    assert all(counts == {"happy": len(PLAIN)} for counts in result.labels.values())


def test_the_lfw_subset_has_100_faces():
    faces = lfw_faces(side=64)
    assert len(faces) == 100 and faces[0].shape == (64, 64, 3)
