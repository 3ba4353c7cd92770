"""Draw the Teams app icons: a chat bubble carrying a two-arrow sync symbol (helpdesk chat + device sync).

- ``color.png``: 192x192, opaque, white bubble on the brand blue, the sync arrows in the same blue.
- ``outline.png``: 32x32, only white pixels on a transparent background (what Teams requires), the arrows cut out
  of a filled bubble so they stay legible at that size.

Both are drawn large and scaled down with Lanczos (supersampling), which gives clean anti-aliased edges.
Run ``python manifest/draw_icons.py`` after changing the design; the PNGs are committed.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (15, 108, 189)  # #0F6CBD, also the manifest's accentColor
ACCENT_DARK = (10, 77, 140)
WHITE = (255, 255, 255)

# The symbol, in a unit box (0..1 on both axes); y grows downwards as in Pillow.
BUBBLE = (0.0, 0.04, 1.0, 0.80)
BUBBLE_RADIUS = 0.22
TAIL = [(0.20, 0.70), (0.47, 0.70), (0.15, 0.98)]
SYNC_CENTER = (0.5, 0.42)
SYNC_RADIUS = 0.215
SYNC_STROKE = 0.085
OUTLINE_SYNC_STROKE = 0.105  # thicker, to survive 32 px
# Two clockwise arcs (degrees, 0 = 3 o'clock, clockwise), each ending in an arrowhead.
SYNC_ARCS = [(205.0, 330.0), (25.0, 150.0)]


def _box(unit_box: tuple[float, float, float, float], rect: tuple[float, float, float, float]) -> list[float]:
    x0, y0, size_x, size_y = rect
    return [
        x0 + unit_box[0] * size_x,
        y0 + unit_box[1] * size_y,
        x0 + unit_box[2] * size_x,
        y0 + unit_box[3] * size_y,
    ]


def _point(p: tuple[float, float], rect: tuple[float, float, float, float]) -> tuple[float, float]:
    return rect[0] + p[0] * rect[2], rect[1] + p[1] * rect[3]


def bubble_mask(size: int, rect: tuple[float, float, float, float]) -> Image.Image:
    """White (255) where the chat bubble is: a rounded rectangle with a tail at the bottom left."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    draw.rounded_rectangle(_box(BUBBLE, rect), radius=BUBBLE_RADIUS * rect[2], fill=255)
    draw.polygon([_point(p, rect) for p in TAIL], fill=255)
    return mask


def sync_mask(size: int, rect: tuple[float, float, float, float], stroke: float = SYNC_STROKE) -> Image.Image:
    """White (255) where the two sync arrows are: thick arcs with arrowheads pointing clockwise."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = _point(SYNC_CENTER, rect)
    radius = SYNC_RADIUS * rect[2]
    stroke = stroke * rect[2]
    outer = radius + stroke / 2  # Pillow draws the arc's width inwards from its bounding box
    for start, end in SYNC_ARCS:
        draw.arc([cx - outer, cy - outer, cx + outer, cy + outer], start, end, fill=255, width=round(stroke))
        t = math.radians(end)
        base = (cx + radius * math.cos(t), cy + radius * math.sin(t))
        tangent = (-math.sin(t), math.cos(t))  # direction of clockwise travel
        normal = (math.cos(t), math.sin(t))
        half_width, length = 1.45 * stroke, 1.75 * stroke
        draw.polygon(
            [
                (base[0] + normal[0] * half_width, base[1] + normal[1] * half_width),
                (base[0] - normal[0] * half_width, base[1] - normal[1] * half_width),
                (base[0] + tangent[0] * length, base[1] + tangent[1] * length),
            ],
            fill=255,
        )
    return mask


def draw_color(size: int = 192, supersample: int = 4) -> Image.Image:
    """The full-colour icon: opaque blue square with a soft diagonal gradient, white bubble, blue arrows."""
    big = size * supersample
    vertical = Image.linear_gradient("L").resize((big, big))
    diagonal = Image.blend(vertical, vertical.transpose(Image.Transpose.ROTATE_90), 0.5)
    shade = diagonal.transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: round(v * 0.6))
    background = Image.composite(
        Image.new("RGB", (big, big), ACCENT_DARK), Image.new("RGB", (big, big), ACCENT), shade
    )
    symbol = 0.60 * big
    rect = ((big - symbol) / 2, (big - symbol) / 2 + 0.01 * big, symbol, symbol)
    image = Image.composite(Image.new("RGB", (big, big), WHITE), background, bubble_mask(big, rect))
    image = Image.composite(Image.new("RGB", (big, big), ACCENT), image, sync_mask(big, rect))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_outline(size: int = 32, supersample: int = 8) -> Image.Image:
    """The outline icon: white bubble with the arrows cut out, on full transparency; every pixel is white."""
    big = size * supersample
    margin = 1 * supersample
    rect = (margin, margin, big - 2 * margin, big - 2 * margin)
    mask = ImageChops.subtract(bubble_mask(big, rect), sync_mask(big, rect, stroke=OUTLINE_SYNC_STROKE))
    alpha = mask.resize((size, size), Image.Resampling.LANCZOS)
    image = Image.new("RGBA", (size, size), (*WHITE, 0))
    image.putalpha(alpha)
    return image


def main(out_dir: Path = HERE) -> None:
    draw_color().save(out_dir / "color.png", optimize=True)
    draw_outline().save(out_dir / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
