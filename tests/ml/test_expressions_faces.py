"""Finding faces: one on the astronaut, none on the coffee cup, each of several pasted faces once, largest first."""
import cv2
import numpy as np
from skimage import data

from ml.expressions import detect_faces

ASTRONAUT_HEAD = (slice(20, 210), slice(130, 320))  # rows, columns around her face with some margin


def composite_of_heads(scales=(1.0, 1.4, 0.8)) -> np.ndarray:
    """A grey canvas with the astronaut's head pasted side by side at several sizes."""
    heads = [cv2.resize(data.astronaut()[ASTRONAUT_HEAD], None, fx=s, fy=s) for s in scales]
    canvas = np.full((max(h.shape[0] for h in heads) + 40, sum(h.shape[1] + 40 for h in heads), 3), 128, np.uint8)
    left = 20
    for head in heads:
        canvas[20 : 20 + head.shape[0], left : left + head.shape[1]] = head
        left += head.shape[1] + 40
    return canvas


def test_the_astronaut_has_one_face():
    (face,) = detect_faces(data.astronaut())
    assert 170 < face.x < 190 and 55 < face.y < 80 and 80 < face.width < 110


def test_boxes_from_a_scaled_down_photo_map_back():
    large = cv2.resize(data.astronaut(), (2048, 2048))
    (face,) = detect_faces(large)
    assert 680 < face.x < 760 and 220 < face.y < 320 and 320 < face.width < 440


def test_a_photo_without_faces_has_none():
    assert detect_faces(data.coffee()) == []
    assert detect_faces(data.rocket()) == []


def test_every_face_is_found_once_largest_first():
    faces = detect_faces(composite_of_heads())

    assert len(faces) == 3
    assert [face.area for face in faces] == sorted((face.area for face in faces), reverse=True)
    assert faces[1].x < faces[0].x < faces[2].x  # largest is the 1.4× head in the middle, smallest the 0.8× right
