"""On the user's photo the caption's bands stay off the faces: kept where they are when free, moved when a face
fills them, in their order top to bottom and inside the image."""

import pytest

from generator.placement import FACE_SHARE, boxes_off_faces, covered
from memes.layout import TOP_AND_BOTTOM

SIZE = (1000, 1000)


def check_layout(boxes):
    top, bottom = boxes
    assert 0 <= top.y and top.y + top.height <= bottom.y and bottom.y + bottom.height <= 1.0 + 1e-9
    assert (top.height, bottom.height) == (TOP_AND_BOTTOM[0].height, TOP_AND_BOTTOM[1].height)


def test_without_faces_the_bands_stay_top_and_bottom():
    assert boxes_off_faces([], SIZE) == list(TOP_AND_BOTTOM)


def test_a_face_between_the_bands_leaves_them_where_they_are():
    assert boxes_off_faces([(300, 250, 400, 450)], SIZE) == list(TOP_AND_BOTTOM)


def test_a_face_in_the_top_band_moves_it_below_the_face():
    face = (350, 120, 200, 200)  # the astronaut's place: her head reaches into the top band
    assert covered(TOP_AND_BOTTOM[0], [(0.35, 0.12, 0.2, 0.2)]) > FACE_SHARE

    boxes = boxes_off_faces([face], SIZE)

    check_layout(boxes)
    assert all(covered(box, [(0.35, 0.12, 0.2, 0.2)]) <= FACE_SHARE + 1e-9 for box in boxes)
    assert boxes[0].y == pytest.approx(0.32 - FACE_SHARE * 0.2)  # below the face, as near the top as allowed
    assert boxes[1] == TOP_AND_BOTTOM[1]


def test_a_face_in_the_bottom_band_moves_it_above_the_face():
    boxes = boxes_off_faces([(400, 600, 300, 350)], SIZE)

    check_layout(boxes)
    assert boxes[0] == TOP_AND_BOTTOM[0]
    assert boxes[1].y + boxes[1].height <= 0.6 + FACE_SHARE * 0.35 and boxes[1].y > 0.3  # just above the face


def test_faces_are_pixel_boxes_of_any_image_size():
    wide = boxes_off_faces([(700, 60, 400, 200)], (2000, 500))  # 0.35..0.55 across, 0.12..0.52 down
    assert wide == boxes_off_faces([(350, 120, 200, 400)], (1000, 1000))


def test_with_no_free_space_the_bands_cover_as_little_as_they_can():
    faces = [(20, 100, 300, 800), (650, 100, 300, 800)]  # two tall faces, from 0.1 to 0.9 down
    boxes = boxes_off_faces(faces, SIZE)

    check_layout(boxes)
    fractions = [(x / 1000, y / 1000, w / 1000, h / 1000) for x, y, w, h in faces]
    assert [box.y for box in boxes] == [0.0, 0.82]  # pushed to the edges
    assert all(covered(box, fractions) < covered(default, fractions) for box, default in zip(boxes, TOP_AND_BOTTOM))


def test_a_face_filling_the_photo_leaves_the_bands_where_they_are():
    assert boxes_off_faces([(0, 0, 1000, 1000)], SIZE) == list(TOP_AND_BOTTOM)  # every place covers as much
