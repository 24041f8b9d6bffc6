"""Where a template's lines go: a box's geometry and style as the renderer reads it, and the colours it can draw.

Pure Python and Pillow, no Django: the template's TextBox rows become these, and the renderer draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageColor


@dataclass(frozen=True)
class TextBox:
    x: float = 0.0  # left edge, fraction of image width (memegen anchor_x)
    y: float = 0.0  # top edge, fraction of image height (anchor_y)
    width: float = 1.0  # fraction of width (scale_x)
    height: float = 0.2  # fraction of height (scale_y)
    align: str = "center"  # "center" | "left" | "right"
    angle: float = 0.0  # degrees, counter-clockwise like memegen
    style: str = "upper"  # "upper" | "none" (as typed) | "mock" (aLtErNaTiNg) | "lower" | "title" | "default"
    color: str = "white"  # any Pillow colour string / #hex
    font: str = "thick"  # "thick" (Anton) | "thin" (Noto Sans) | "comic" (Kalam); unknown -> thick
    outline: str = ""  # colour of the letters' edge; "" picks black, or white around dark text
    start: float = 0.0  # on an animation: the box shows from this fraction of its running time (memegen's start)
    stop: float = 1.0  # ... until this one (memegen's stop)


TOP_AND_BOTTOM: tuple[TextBox, TextBox] = (
    TextBox(x=0.025, y=0.02, width=0.95, height=0.18),
    TextBox(x=0.025, y=0.80, width=0.95, height=0.18),
)


def is_colour(value: str) -> bool:
    """Whether Pillow can read value as a colour (a name or #hex)."""
    try:
        ImageColor.getrgb(value)
    except (ValueError, AttributeError):
        return False
    return True
