"""Renderers of the offline stand-ins for Happy House (faces) and SIGNS (hands).

Every image is drawn with PIL at twice the final size (128 x 128) and reduced to
64 x 64 RGB; lighting, colour casts and sensor noise are then applied to the
whole batch with numpy. All randomness comes from the ``numpy.random.Generator``
passed in, so the same generator state gives the same pixels.

- :func:`render_faces` draws a person in a cluttered room: label 1 = smiling
  (mouth corners up, closed or open with teeth), label 0 = not smiling (neutral,
  frown, open "o" mouth or clenched teeth). Smiling eyes, raised cheeks and the
  eyebrows' tilt are weaker cues, only correlated with the label. The mouth is a
  few pixels tall and moves with the face (position, size, tilt), so a linear model
  on raw pixels cannot find it while a small CNN does.
- :func:`render_hands` draws a hand showing ``k`` fingers (k = 0..5) over a
  varied background: for k <= 4 the raised fingers are the first k of index,
  middle, ring and little finger with the thumb folded across the palm; for
  k = 5 the thumb is out as well. Left and right hands, moderate rotations.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

SIZE = 64  # final image side
SCALE = 2  # supersampling factor
CANVAS = SIZE * SCALE

SKIN_TONES = np.array([
    (255, 226, 200), (244, 204, 170), (234, 186, 146), (214, 160, 118), (190, 134, 96),
    (160, 108, 74), (128, 84, 58), (98, 64, 44), (250, 214, 190), (226, 176, 140),
], dtype=float)
HAIR_COLOURS = np.array([
    (20, 16, 14), (52, 36, 26), (90, 60, 34), (140, 100, 60), (196, 160, 100),
    (230, 206, 150), (150, 60, 30), (120, 120, 120), (200, 200, 200), (60, 40, 60),
], dtype=float)


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256, muted: float = 0.0
            ) -> tuple[int, int, int]:
    """A random colour; ``muted`` in [0, 1] pulls it towards grey (0.5 halves the saturation)."""
    c = rng.integers(low, high, size=3).astype(float)
    return tuple(int(v) for v in c + (c.mean() - c) * muted)


def _jitter(rng: np.random.Generator, base: np.ndarray, amount: float) -> tuple[int, int, int]:
    return tuple(int(c) for c in np.clip(base + rng.normal(0, amount, size=3), 0, 255))


def _scaled(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, c * factor))) for c in colour)


def _gradient_background(rng: np.random.Generator) -> Image.Image:
    """A two-colour linear gradient in a random direction, as a CANVAS x CANVAS image."""
    a = np.array(_colour(rng, 30, 240, muted=0.5), dtype=np.float32)
    b = np.clip(a + rng.normal(0, 40, size=3), 0, 255).astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    t = np.linspace(-1, 1, CANVAS, dtype=np.float32)
    ramp = (np.cos(angle) * t[None, :] + np.sin(angle) * t[:, None]) * 0.5 + 0.5  # (H, W) in [0, 1]
    pixels = a + (b - a) * ramp[..., None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _clutter(draw: ImageDraw.ImageDraw, rng: np.random.Generator, count: int) -> None:
    """Random rectangles, ellipses, lines, frames and plants: furniture, posters, cables."""
    for _ in range(count):
        kind = rng.integers(0, 5)
        x0, y0 = rng.integers(-20, CANVAS, size=2)
        w, h = rng.integers(8, 70, size=2)
        box = [int(x0), int(y0), int(x0 + w), int(y0 + h)]
        colour = _colour(rng, 0, 256, muted=0.4)
        if kind == 0:
            draw.rectangle(box, fill=colour)
        elif kind == 1:
            draw.ellipse(box, fill=colour)
        elif kind == 2:
            draw.line(box, fill=colour, width=int(rng.integers(1, 6)))
        elif kind == 3:  # a picture frame or a window
            draw.rectangle(box, outline=colour, width=int(rng.integers(2, 6)),
                           fill=_colour(rng, 40, 256) if rng.random() < 0.6 else None)
            if rng.random() < 0.5:
                cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
                draw.line([box[0], cy, box[2], cy], fill=colour, width=2)
                draw.line([cx, box[1], cx, box[3]], fill=colour, width=2)
        else:  # a plant: a few green leaves
            for _ in range(int(rng.integers(3, 7))):
                lx, ly = x0 + rng.normal(0, 10, size=2)
                lw, lh = rng.integers(6, 18, size=2)
                draw.ellipse([int(lx), int(ly), int(lx + lw), int(ly + lh)],
                             fill=(int(rng.integers(20, 80)), int(rng.integers(90, 180)),
                                   int(rng.integers(20, 80))))


def _finish(images: list[Image.Image], rng: np.random.Generator, noise: tuple[float, float]
            ) -> np.ndarray:
    """Reduce to 64 x 64, then lighting (gain, gradient, colour cast) and noise: (m, 64, 64, 3)."""
    batch = np.stack([np.asarray(im.reduce(SCALE), dtype=np.float32) for im in images])
    m = len(images)
    gain = rng.uniform(0.7, 1.2, size=(m, 1, 1, 1))
    cast = rng.uniform(0.9, 1.1, size=(m, 1, 1, 3))
    angle = rng.uniform(0, 2 * math.pi, size=(m, 1, 1, 1))
    strength = rng.uniform(0.0, 0.45, size=(m, 1, 1, 1))
    t = np.linspace(-1, 1, SIZE)
    ramp = np.cos(angle) * t[None, None, :, None] + np.sin(angle) * t[None, :, None, None]
    batch = batch * gain * cast * (1 + strength * ramp)
    sigma = rng.uniform(*noise, size=(m, 1, 1, 1))
    batch = batch + sigma * rng.standard_normal(batch.shape, dtype=np.float32)
    return np.clip(np.rint(batch), 0, 255).astype(np.uint8)


def _box(x: float, y: float, rx: float, ry: float) -> list[float]:
    """The bounding box of an ellipse centred at (x, y) with radii rx, ry."""
    return [x - rx, y - ry, x + rx, y + ry]


# ----------------------------------------------------------------------------- faces

def _mouth(draw: ImageDraw.ImageDraw, rng: np.random.Generator, smiling: bool, cx: float,
           y: float, width: float, skin: tuple[int, int, int]) -> None:
    """A mouth centred at (cx, y), ``width`` canvas pixels wide."""
    if rng.random() < 0.6:
        lip = _scaled(skin, rng.uniform(0.35, 0.55))
    else:
        lip = (int(rng.integers(120, 200)), int(rng.integers(30, 70)), int(rng.integers(40, 80)))
    dark = (int(rng.integers(30, 70)), int(rng.integers(5, 25)), int(rng.integers(10, 30)))
    teeth = _colour(rng, 215, 256)
    half = width / 2
    thick = int(round(width * rng.uniform(0.13, 0.19)))  # lips thicken with the mouth
    if smiling:
        style = rng.choice(["closed", "open", "wide"], p=[0.45, 0.35, 0.2])
        depth = width * rng.uniform(0.35, 0.6)  # how far the middle sits below the corners
        if style == "open":  # a D-shaped open smile: flat top (teeth), round bottom
            draw.chord(_box(cx, y, half, depth), 0, 180, fill=dark, outline=lip, width=thick - 1)
            if rng.random() < 0.7:
                draw.chord([cx - half * 0.8, y - depth * 0.6, cx + half * 0.8, y + depth * 0.5],
                           0, 180, fill=teeth)
            draw.line([cx - half, y, cx + half, y], fill=lip, width=thick)
        else:  # corners up: the lower part of an ellipse
            arc_half = half * (1.15 if style == "wide" else 1.0)
            draw.arc([cx - arc_half, y - depth * 1.2, cx + arc_half, y + depth * 0.8], 15, 165,
                     fill=lip, width=thick + 1)
    else:
        style = rng.choice(["neutral", "frown", "o", "teeth"], p=[0.4, 0.4, 0.12, 0.08])
        if style == "neutral":
            tilt = rng.uniform(-0.08, 0.08) * width
            draw.line([cx - half, y - tilt, cx + half, y + tilt], fill=lip, width=thick + 1)
        elif style == "frown":  # corners down: the upper part of an ellipse
            depth = width * rng.uniform(0.18, 0.45)
            draw.arc([cx - half, y - depth * 0.4, cx + half, y + depth * 1.6], 195, 345,
                     fill=lip, width=thick + 1)
        elif style == "o":
            rx, ry = half * rng.uniform(0.35, 0.6), half * rng.uniform(0.4, 0.8)
            draw.ellipse(_box(cx, y, rx, ry), fill=dark, outline=lip, width=thick)
        else:  # clenched teeth: a flat band of teeth between straight lips
            h = width * rng.uniform(0.12, 0.22)
            draw.rectangle(_box(cx, y, half * 0.9, h), fill=teeth, outline=lip, width=thick)
            draw.line([cx - half * 0.9, y, cx + half * 0.9, y], fill=_scaled(teeth, 0.7), width=1)


def _eyes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, smiling: bool, cx: float,
          cy: float, rx: float, ry: float, hair: tuple[int, int, int]) -> None:
    """Eyes, eyebrows and sometimes glasses.

    Two cues only correlated with the label: smiling eyes (closed upward arcs, 35% of
    smiling faces; not smiling faces blink with straight lines 10% of the time) and the
    eyebrows' tilt (inner ends down more often when not smiling).
    """
    eye_y = cy - ry * rng.uniform(0.05, 0.2)
    eye_dx = rx * rng.uniform(0.32, 0.45)
    eye_r = rx * rng.uniform(0.09, 0.16)
    iris = _colour(rng, 10, 120)
    closed = rng.random() < (0.35 if smiling else 0.1)
    brow = _scaled(hair, 0.8)
    brow_tilt = (rng.uniform(-0.12, 0.04) if smiling else rng.uniform(-0.04, 0.14)) * rx
    lash = (40, 30, 30)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if closed and smiling:
            draw.arc([ex - eye_r * 1.2, eye_y - eye_r, ex + eye_r * 1.2, eye_y + eye_r * 1.4],
                     200, 340, fill=lash, width=3)
        elif closed:  # a blink
            draw.line([ex - eye_r * 1.2, eye_y, ex + eye_r * 1.2, eye_y], fill=lash, width=3)
        else:
            draw.ellipse(_box(ex, eye_y, eye_r * 1.3, eye_r), fill=(245, 245, 240))
            draw.ellipse(_box(ex, eye_y, eye_r * 0.7, eye_r * 0.7), fill=iris)
        by = eye_y - eye_r * rng.uniform(1.8, 2.6)
        lift = side * brow_tilt * 0.5
        draw.line([ex - eye_r * 1.4, by + lift, ex + eye_r * 1.4, by - lift], fill=brow,
                  width=int(rng.integers(2, 4)))
    if rng.random() < 0.3:  # glasses
        frame = _colour(rng, 0, 120) if rng.random() < 0.7 else _colour(rng, 120, 256)
        lens = eye_r * 2.1
        for side in (-1, 1):
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape(_box(cx + side * eye_dx, eye_y, lens, lens * 0.8), outline=frame, width=2)
        draw.line([cx - eye_dx + lens, eye_y, cx + eye_dx - lens, eye_y], fill=frame, width=2)


def _face_layer(rng: np.random.Generator, smiling: bool, cx: float, cy: float, rx: float,
                ry: float, skin: tuple[int, int, int]) -> Image.Image:
    """Head, hair and features on a transparent layer (rotated as one piece by the caller)."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    hair = _jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 10)
    hair_style = rng.choice(["bald", "short", "long", "fringe", "bun"],
                            p=[0.1, 0.35, 0.25, 0.2, 0.1])
    if hair_style == "long":  # hair behind the head, down to the shoulders
        draw.rounded_rectangle([cx - rx * 1.2, cy - ry * 1.15, cx + rx * 1.2, cy + ry * 1.1],
                               radius=rx, fill=hair)
    if hair_style == "bun":
        draw.ellipse([cx - rx * 0.4, cy - ry * 1.45, cx + rx * 0.4, cy - ry * 0.75], fill=hair)
    for side in (-1, 1):  # ears, then the head
        draw.ellipse([cx + side * rx * 0.97 - rx * 0.16, cy - ry * 0.2,
                      cx + side * rx * 0.97 + rx * 0.16, cy + ry * 0.15], fill=_scaled(skin, 0.92))
    draw.ellipse(_box(cx, cy, rx, ry), fill=skin)
    if hair_style in ("short", "long", "bun"):
        draw.chord([cx - rx * 1.05, cy - ry * 1.12, cx + rx * 1.05, cy + ry * 0.2], 180, 360,
                   fill=hair)
    elif hair_style == "fringe":
        draw.chord([cx - rx * 1.05, cy - ry * 1.12, cx + rx * 1.05, cy + ry * 0.05], 170, 370,
                   fill=hair)
    if rng.random() < (0.5 if smiling else 0.15):  # raised cheeks: a blush, more often smiling
        for side in (-1, 1):
            draw.ellipse(_box(cx + side * rx * 0.55, cy + ry * 0.2, rx * 0.15, ry * 0.1),
                         fill=_scaled(skin, 0.9))
    _eyes(draw, rng, smiling, cx, cy, rx, ry, hair)
    nose_y = cy + ry * rng.uniform(0.12, 0.25)
    nose = _scaled(skin, 0.75)
    if rng.random() < 0.5:
        draw.arc([cx - rx * 0.12, nose_y - ry * 0.1, cx + rx * 0.12, nose_y + ry * 0.05], 0, 180,
                 fill=nose, width=2)
    else:
        draw.line([cx, nose_y - ry * 0.2, cx + rx * 0.08, nose_y], fill=nose, width=2)
    mouth_y = cy + ry * rng.uniform(0.45, 0.6)
    mouth_w = rx * rng.uniform(0.7, 1.0)
    _mouth(draw, rng, smiling, cx + rng.normal(0, rx * 0.03), mouth_y, mouth_w, skin)
    if rng.random() < 0.12:  # a moustache
        draw.rounded_rectangle([cx - mouth_w * 0.5, mouth_y - ry * 0.2,
                                cx + mouth_w * 0.5, mouth_y - ry * 0.1], radius=3, fill=hair)
    return layer


def render_faces(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Faces for ``labels`` (1 = smiling, 0 = not): (m, 64, 64, 3) uint8."""
    images = []
    for label in labels:
        image = _gradient_background(rng)
        draw = ImageDraw.Draw(image)
        if rng.random() < 0.6:  # a floor
            floor_y = int(rng.integers(80, 120))
            draw.rectangle([0, floor_y, CANVAS, CANVAS], fill=_colour(rng, 40, 220))
        _clutter(draw, rng, int(rng.integers(2, 8)))
        rx = rng.uniform(34, 44)  # the head's radii, in canvas pixels
        ry = rx * rng.uniform(1.15, 1.35)
        cx = CANVAS / 2 + rng.uniform(-7, 7)
        cy = CANVAS / 2 + rng.uniform(-7, 3)
        # shoulders and neck (the head is rotated on its own)
        shirt = _colour(rng, 0, 256, muted=0.3)
        draw.ellipse([cx - rx * 2.2, cy + ry * 0.9, cx + rx * 2.2, cy + ry * 3.2], fill=shirt)
        skin = _jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 8)
        draw.rectangle([cx - rx * 0.4, cy + ry * 0.5, cx + rx * 0.4, cy + ry * 1.15],
                       fill=_scaled(skin, 0.9))
        face = _face_layer(rng, bool(label), cx, cy, rx, ry, skin)
        face = face.rotate(float(rng.uniform(-6, 6)), resample=Image.BILINEAR, center=(cx, cy))
        image.paste(face, (0, 0), face)
        images.append(image)
    return _finish(images, rng, noise=(2.0, 8.0))


# ----------------------------------------------------------------------------- hands

def _capsule(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float],
             width: float, fill: tuple[int, int, int],
             outline: tuple[int, int, int] | None = None) -> None:
    """A thick segment with round ends from a to b (an outline first, when given)."""
    for colour, w in ((outline, width + 4), (fill, width)) if outline else ((fill, width),):
        r = w / 2
        draw.line([a, b], fill=colour, width=int(round(w)))
        for x, y in (a, b):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)


class _Pose:
    """Hand coordinates (x right, y down, palm centre at 0) to canvas coordinates."""

    def __init__(self, ox: float, oy: float, angle: float, scale: float, mirror: int):
        self.ox, self.oy, self.scale, self.mirror = ox, oy, scale, mirror
        self.cos, self.sin = math.cos(angle), math.sin(angle)

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        x, y = x * self.scale * self.mirror, y * self.scale
        return (self.ox + self.cos * x - self.sin * y, self.oy + self.sin * x + self.cos * y)


def _draw_hand(draw: ImageDraw.ImageDraw, rng: np.random.Generator, k: int) -> None:
    """A hand with k raised fingers (see the module's docstring), drawn onto ``draw``."""
    skin = _jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 8)
    crease = _scaled(skin, rng.uniform(0.6, 0.78))
    scale = rng.uniform(0.9, 1.1)
    angle = math.radians(rng.uniform(-15, 15))
    mirror = -1 if rng.random() < 0.5 else 1  # a left or a right hand
    at = _Pose(CANVAS / 2 + rng.uniform(-6, 6), CANVAS * 0.66 + rng.uniform(-5, 5), angle, scale,
               mirror)
    pw, ph = rng.uniform(44, 50), rng.uniform(42, 48)  # palm width, height
    fw = pw / 4 * rng.uniform(0.8, 0.92)  # finger width
    spread = math.radians(rng.uniform(5, 12))  # fan angle between neighbouring fingers
    lengths = np.array([0.92, 1.0, 0.93, 0.74]) * ph * rng.uniform(0.85, 1.0)
    # the wrist, and most of the time a sleeve, from the palm to beyond the bottom edge
    for half, top, colour in ((pw * 0.4, 0.0, skin), (pw * 0.53, ph * rng.uniform(0.9, 1.3), None)):
        if colour is None:
            if rng.random() < 0.3:
                break
            colour = _colour(rng, 0, 256, muted=0.2)
        draw.polygon([at(-half, top), at(half, top), at(half, ph * 4), at(-half, ph * 4)],
                     fill=colour)
    # the palm: a rounded rectangle, the inner polygon grown by fw / 2 (+ grow)
    x0, x1, y0, y1 = -pw / 2 + fw / 2, pw / 2 - fw / 2, -ph / 2 + fw / 2, ph / 2 - fw / 2
    inner = [at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1)]

    def palm(colour: tuple[int, int, int], grow: float) -> None:
        draw.polygon(inner, fill=colour)
        for j in range(4):
            _capsule(draw, inner[j], inner[(j + 1) % 4], (fw + grow) * scale, colour)

    # the palm's outline, the fingers (each with its own outline), then the palm over their bases
    palm(crease, 4)
    bases = [-pw / 2 + fw * 0.55 + i * (pw - fw * 1.1) / 3 for i in range(4)]
    for i, bx in enumerate(bases):  # index, middle, ring, little
        by = -ph / 2 + fw * 0.4
        theta = (i - 1.5) * spread
        length = lengths[i] if i < k else lengths[i] * rng.uniform(0.18, 0.3)  # raised or folded
        tip = (bx + math.sin(theta) * length, by - math.cos(theta) * length)
        _capsule(draw, at(bx, by), at(*tip), fw * scale, skin, crease)
    palm(skin, 0)
    for bx in bases[k:]:  # folded fingers show their knuckles as creases on the palm's top
        y = -ph / 2 + fw * 0.9
        draw.line([at(bx - fw * 0.35, y), at(bx + fw * 0.35, y)], fill=crease, width=2)
    # the thumb: out to the side for k = 5, folded across the palm otherwise
    base = (-pw / 2 + fw * 0.3, ph * 0.3)
    if k == 5:
        theta = math.radians(rng.uniform(35, 65))
        length = ph * rng.uniform(0.75, 0.9)
        tip = (base[0] - math.sin(theta) * length, base[1] - math.cos(theta) * length)
    else:
        tip = (base[0] + pw * rng.uniform(0.5, 0.75), base[1] - ph * rng.uniform(0.15, 0.35))
    _capsule(draw, at(*base), at(*tip), fw * scale * 1.1, skin, crease)


def render_hands(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Hands showing ``labels`` fingers (0..5): (m, 64, 64, 3) uint8."""
    if len(labels) and not (0 <= int(np.min(labels)) and int(np.max(labels)) <= 5):
        raise ValueError(f"a hand shows 0 to 5 fingers, got labels {sorted(set(labels.tolist()))}")
    images = []
    for k in labels:
        image = _gradient_background(rng)
        draw = ImageDraw.Draw(image)
        _clutter(draw, rng, int(rng.integers(0, 3)))
        _draw_hand(draw, rng, int(k))
        images.append(image)
    return _finish(images, rng, noise=(2.0, 8.0))
