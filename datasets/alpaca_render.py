"""The drawing behind the alpaca stand-ins (:mod:`cnn_course.datasets.alpaca`).

:func:`render_scene` draws one picture with PIL: a background (pasture, farm, street, room,
water), then its subject (an alpaca, another animal, an object or people, see ``ANIMALS`` and
``OBJECTS``), clutter and a photographic finish (lighting, colour cast, blur, noise).
Everything random comes from the ``rng`` a picture is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

FUR = {
    "white": (238, 235, 226), "cream": (230, 214, 182), "beige": (203, 176, 136),
    "fawn": (182, 138, 92), "brown": (122, 84, 55), "dark brown": (78, 54, 38),
    "grey": (148, 143, 138), "black": (44, 41, 39),
}
FUR_WEIGHTS = {"white": 0.22, "cream": 0.16, "beige": 0.15, "fawn": 0.12, "brown": 0.14,
               "dark brown": 0.08, "grey": 0.06, "black": 0.07}


# --------------------------------------------------------------------------- small helpers


def _clip(color) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(c)))) for c in color)


def _jitter(rng: np.random.Generator, color, amount: float = 12.0) -> tuple[int, int, int]:
    """The colour with a common brightness shift and a small per-channel shift."""
    shift = rng.normal(0, amount)
    return _clip(c + shift + rng.normal(0, amount / 3) for c in color)


def _shade(color, factor: float) -> tuple[int, int, int]:
    return _clip(c * factor for c in color)


def _fur(rng: np.random.Generator) -> tuple[int, int, int]:
    names = list(FUR_WEIGHTS)
    p = np.array([FUR_WEIGHTS[n] for n in names])
    return _jitter(rng, FUR[names[rng.choice(len(names), p=p / p.sum())]], 10)


def _ellipse(draw: ImageDraw.ImageDraw, cx, cy, rx, ry, fill) -> None:
    draw.ellipse([cx - abs(rx), cy - abs(ry), cx + abs(rx), cy + abs(ry)], fill=fill)


def _thick_line(draw, p, q, width, fill) -> None:
    """A segment with round ends."""
    draw.line([p, q], fill=fill, width=max(1, int(round(width))))
    for x, y in (p, q):
        _ellipse(draw, x, y, width / 2, width / 2, fill)


class _Frame:
    """Local animal coordinates (x forward, y up, body length 1) -> image pixels."""

    def __init__(self, x0: float, ground: float, scale: float, facing: int):
        self.x0, self.ground, self.scale, self.facing = x0, ground, scale, facing

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return self.x0 + self.facing * x * self.scale, self.ground - y * self.scale

    def r(self, length: float) -> float:
        return length * self.scale


def _curl(draw, rng, f: _Frame, x, y, r, color, shade: float) -> None:
    """One lock of fleece: a shadow crescent under a lighter disc."""
    px, py = f(x, y)
    radius = f.r(r)
    _ellipse(draw, px + 0.3 * radius, py + 0.3 * radius, radius, radius, _shade(color, 0.62))
    _ellipse(draw, px, py, radius * 0.85, radius * 0.85, _jitter(rng, _shade(color, shade), 4))


def _fluffy(draw, rng, f: _Frame, cx, cy, rx, ry, color, bumps: int = 40, lumpy: float = 0.3):
    """A woolly blob: an ellipse covered with curls of slightly varied shade."""
    x, y = f(cx, cy)
    _ellipse(draw, x, y, f.r(rx), f.r(ry), _shade(color, 0.85))
    small = min(rx, ry)
    for _ in range(bumps):
        angle = rng.uniform(0, 2 * math.pi)
        radius = math.sqrt(rng.uniform(0.05, 1.0))
        bx, by = cx + math.cos(angle) * rx * radius, cy + math.sin(angle) * ry * radius
        br = small * rng.uniform(0.6, 1.0) * lumpy
        shade = rng.uniform(0.92, 1.12) - (0.08 if math.sin(angle) < -0.3 else 0.0)
        _curl(draw, rng, f, bx, by, br, color, shade)


def _fluffy_column(draw, rng, f: _Frame, p, q, width, color, steps: int = 9, curl: float = 1.0):
    """A woolly neck from local point p to q; ``curl`` scales the locks (smaller for close-ups)."""
    (x1, y1), (x2, y2) = f(*p), f(*q)
    _thick_line(draw, (x1, y1), (x2, y2), f.r(width) * 0.9, _shade(color, 0.92))
    sides = (-1, 1) if curl >= 1 else (-1, 0, 1)
    for k in range(steps):
        t = k / (steps - 1)
        cx, cy = p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t
        for side in sides:
            bx = cx + side * width * rng.uniform(0.2, 0.42)
            _curl(draw, rng, f, bx, cy + rng.uniform(-0.03, 0.03),
                  width * rng.uniform(0.22, 0.34) * curl, color, rng.uniform(0.95, 1.12))


def _legs(draw, rng, f: _Frame, xs, top, length, width, color, hoof=None, woolly_top=0.0):
    for i, x in enumerate(xs):
        c = _shade(color, 0.8 if i % 2 == 0 else 1.0)
        kick = rng.uniform(-0.05, 0.05)
        p, q = f(x, top), f(x + kick, 0.02)
        _thick_line(draw, p, q, f.r(width), c)
        if woolly_top:
            mx, my = f(x, top - woolly_top / 2)
            _ellipse(draw, mx, my, f.r(width * 0.8), f.r(woolly_top / 2), c)
        if hoof:
            hx, hy = f(x + kick, 0.02)
            _ellipse(draw, hx, hy, f.r(width * 0.6), f.r(width * 0.35), hoof)


# --------------------------------------------------------------------------- backgrounds


SKIES = [((96, 150, 215), (190, 218, 243)), ((160, 166, 178), (212, 214, 220)),
         ((226, 160, 120), (150, 160, 205)), ((70, 120, 190), (160, 200, 235)),
         ((200, 205, 210), (240, 240, 238))]
GROUNDS = [(86, 136, 58), (150, 146, 80), (62, 102, 50), (128, 116, 78), (110, 150, 70),
           (170, 160, 120)]


def _noise_field(rng, h, w, cells: int, amplitude: float) -> np.ndarray:
    """Smooth random blotches (h, w) in [-amplitude, amplitude]."""
    small = rng.uniform(-1, 1, size=(cells, cells)).astype(np.float32)
    img = Image.fromarray(((small + 1) * 127.5).astype(np.uint8)).resize((w, h), Image.BILINEAR)
    return (np.asarray(img, dtype=np.float32) / 127.5 - 1) * amplitude


def _background(rng: np.random.Generator, w: int, h: int, kind: str | None = None):
    """A random scene without subject; returns (image, horizon_y, kind)."""
    kind = kind or rng.choice(["pasture", "fence", "hills", "farm", "street", "room"],
                              p=[0.3, 0.2, 0.18, 0.12, 0.1, 0.1])
    horizon = int(h * rng.uniform(0.25, 0.6))
    ys = np.arange(h, dtype=np.float32)[:, None, None]
    if kind == "room":
        wall = np.array(_jitter(rng, rng.choice([(205, 195, 175), (170, 180, 190), (220, 215, 205),
                                                 (150, 120, 100)]), 15), np.float32)
        floor = np.array(_jitter(rng, rng.choice([(120, 90, 60), (160, 150, 140), (90, 80, 70)]),
                                 15), np.float32)
        top, bottom = wall, floor
        sky_top, sky_bottom = wall * 1.05, wall * 0.9
    else:
        sky_top, sky_bottom = (np.array(c, np.float32) for c in SKIES[rng.integers(len(SKIES))])
        if kind == "street":
            ground = (118, 118, 120)
        elif kind == "water":
            ground = (60, 110, 150)
        else:
            ground = GROUNDS[rng.integers(len(GROUNDS))]
        top = np.array(_jitter(rng, ground, 12), np.float32) * 1.1
        bottom = np.array(_jitter(rng, ground, 12), np.float32) * 0.85
    t_sky = np.clip(ys / max(horizon, 1), 0, 1)
    t_ground = np.clip((ys - horizon) / max(h - horizon, 1), 0, 1)
    sky = sky_top + (sky_bottom - sky_top) * t_sky
    ground_rgb = top + (bottom - top) * t_ground
    img = np.where(ys < horizon, sky, ground_rgb) * np.ones((1, w, 1), np.float32)
    blot = _noise_field(rng, h, w, int(rng.integers(4, 10)), 14)[:, :, None]
    img = img + np.where(ys >= horizon, blot, blot * 0.3)
    if kind not in ("room", "street", "water"):  # fine grass texture
        img[horizon:] += rng.normal(0, 9, size=(h - horizon, w, 1)).astype(np.float32)
    image = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    if kind in ("pasture", "fence", "hills", "farm"):
        _clouds(draw, rng, w, horizon)
        _hills(draw, rng, w, h, horizon, tall=kind == "hills")
        for _ in range(int(rng.integers(0, 4))):
            _distant_tree(draw, rng, rng.uniform(0, w), horizon + rng.uniform(0, 6),
                          rng.uniform(0.05, 0.14) * h)
        _grass_strokes(draw, rng, w, h, horizon, int(rng.integers(40, 140)))
        if kind == "farm":
            _barn(draw, rng, rng.uniform(0.05, 0.8) * w, horizon + 4, rng.uniform(0.12, 0.25) * h)
        if kind == "fence":
            _fence(draw, rng, w, h, horizon + (h - horizon) * rng.uniform(0.05, 0.5))
    elif kind == "street":
        _buildings(draw, rng, w, h, horizon)
        draw.rectangle([0, horizon + (h - horizon) * 0.15, w, horizon + (h - horizon) * 0.2],
                       fill=(150, 148, 140))
    elif kind == "room":
        y = horizon
        draw.line([(0, y), (w, y)], fill=(90, 80, 70), width=max(1, h // 80))
        if rng.random() < 0.6:  # a window or a picture on the wall
            x = rng.uniform(0.05, 0.7) * w
            bw, bh = rng.uniform(0.15, 0.3) * w, rng.uniform(0.1, 0.2) * h
            fill = (170, 200, 230) if rng.random() < 0.5 else _jitter(rng, (140, 100, 80), 40)
            draw.rectangle([x, y * 0.25, x + bw, y * 0.25 + bh], fill=fill, outline=(80, 70, 60),
                           width=max(1, h // 100))
    elif kind == "water":
        for _ in range(int(rng.integers(20, 60))):  # ripples
            x, y = rng.uniform(0, w), rng.uniform(horizon, h)
            length = rng.uniform(0.03, 0.12) * w
            draw.line([(x, y), (x + length, y)], fill=(150, 185, 210), width=1)
    return image, horizon, kind


def _clouds(draw, rng, w, horizon):
    for _ in range(int(rng.integers(0, 4))):
        cx, cy = rng.uniform(0, w), rng.uniform(0.05, 0.7) * horizon
        color = _jitter(rng, (240, 242, 245), 6)
        for _ in range(5):
            r = rng.uniform(0.03, 0.07) * w
            _ellipse(draw, cx + rng.uniform(-2, 2) * r, cy + rng.uniform(-0.4, 0.4) * r, r * 1.4,
                     r * 0.7, color)


def _hills(draw, rng, w, h, horizon, tall=False):
    for layer in range(int(rng.integers(1, 3))):
        height = (rng.uniform(0.15, 0.45) if tall else rng.uniform(0.03, 0.12)) * h
        n = int(rng.integers(3, 7))
        xs = np.linspace(-0.1 * w, 1.1 * w, n)
        peaks = horizon - height * rng.uniform(0.2, 1.0, n)
        ridge = list(zip(xs, peaks, strict=True))
        points = [(xs[0], horizon + 2), *ridge, (xs[-1], horizon + 2)]
        base = (110, 120, 140) if tall else (95, 130, 80)
        draw.polygon([(float(x), float(y)) for x, y in points],
                     fill=_jitter(rng, _shade(base, 1.0 + 0.12 * layer), 14))


def _grass_strokes(draw, rng, w, h, horizon, n):
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(horizon, h)
        depth = (y - horizon) / max(h - horizon, 1)
        length = (2 + 10 * depth) * h / 200
        color = _jitter(rng, (70, 110, 45) if rng.random() < 0.6 else (150, 160, 90), 20)
        draw.line([(x, y), (x + rng.uniform(-0.4, 0.4) * length, y - length)], fill=color, width=1)


def _distant_tree(draw, rng, x, y, size):
    draw.rectangle([x - size * 0.06, y - size * 0.4, x + size * 0.06, y], fill=(80, 60, 40))
    _ellipse(draw, x, y - size * 0.65, size * 0.3, size * 0.38, _jitter(rng, (50, 95, 45), 15))


def _barn(draw, rng, x, y, size):
    color = _jitter(rng, (150, 50, 40) if rng.random() < 0.6 else (140, 120, 100), 15)
    draw.rectangle([x, y - size, x + size * 1.3, y], fill=color)
    draw.polygon([(x - size * 0.1, y - size), (x + size * 0.65, y - size * 1.5),
                  (x + size * 1.4, y - size)], fill=_shade(color, 0.7))
    draw.rectangle([x + size * 0.45, y - size * 0.6, x + size * 0.85, y], fill=_shade(color, 0.5))


def _fence(draw, rng, w, h, y):
    color = _jitter(rng, (120, 90, 60) if rng.random() < 0.7 else (215, 215, 210), 15)
    post_h = rng.uniform(0.08, 0.18) * h
    width = max(1, int(h / 120))
    for dy in (0.3, 0.75):
        draw.line([(0, y - post_h * dy), (w, y - post_h * dy)], fill=color, width=width)
    spacing = rng.uniform(0.08, 0.2) * w
    x = rng.uniform(0, spacing)
    while x < w:
        draw.rectangle([x, y - post_h, x + width * 2, y], fill=_shade(color, 0.85))
        x += spacing


def _buildings(draw, rng, w, h, horizon):
    x = -rng.uniform(0, 0.1) * w
    while x < w:
        bw, bh = rng.uniform(0.12, 0.3) * w, rng.uniform(0.1, 0.9) * horizon
        color = _jitter(rng, rng.choice([(150, 140, 130), (180, 170, 150), (120, 110, 110),
                                         (170, 120, 90)]), 15)
        draw.rectangle([x, horizon - bh, x + bw, horizon], fill=color)
        for wy in np.arange(horizon - bh + 0.06 * h, horizon - 0.04 * h, 0.08 * h):
            for wx in np.arange(x + 0.02 * w, x + bw - 0.04 * w, 0.06 * w):
                draw.rectangle([wx, wy, wx + 0.025 * w, wy + 0.035 * h], fill=(90, 110, 130))
        x += bw + rng.uniform(0, 0.05) * w


# --------------------------------------------------------------------------- animals


def draw_alpaca(draw, rng, f: _Frame, neck_length: float | None = None, color=None) -> None:
    """An alpaca in local coordinates: woolly body, long upright neck, small head, upright ears.

    With a short ``neck_length`` (about 0.1 to 0.25) the same animal is a hard negative.
    """
    color = color or _fur(rng)
    legs = rng.uniform(0.36, 0.48)
    body_h = rng.uniform(0.46, 0.6)
    body_y = legs + body_h / 2
    neck = rng.uniform(0.6, 0.85) if neck_length is None else neck_length
    tilt = rng.uniform(-0.08, 0.16)
    leg_color = color if rng.random() < 0.7 else _fur(rng)
    _legs(draw, rng, f, (-0.36, -0.24, 0.22, 0.34), body_y, legs + 0.08, 0.1, leg_color,
          woolly_top=0.12)
    _fluffy(draw, rng, f, -0.52, body_y + 0.08, 0.08, 0.09, color, bumps=6, lumpy=0.5)  # tail
    _fluffy(draw, rng, f, 0.0, body_y, 0.5, body_h / 2, color, bumps=45)
    base = (0.32, body_y + body_h * 0.2)
    top = (0.36 + tilt, body_y + body_h / 2 + neck)
    _fluffy_column(draw, rng, f, base, top, 0.22, color)
    _alpaca_head(draw, rng, f, top, color, 1.0)


def _alpaca_head(draw, rng, f, top, color, size):
    hx, hy = top[0] + 0.05 * size, top[1] + 0.04 * size
    face = color if rng.random() < 0.75 else _shade(color, rng.uniform(0.6, 0.8))
    x, y = f(hx, hy)
    _ellipse(draw, x, y, f.r(0.14 * size), f.r(0.12 * size), face)
    sx, sy = f(hx + 0.13 * size, hy - 0.04 * size)  # muzzle
    muzzle = _shade(face, rng.uniform(0.75, 1.05))
    _ellipse(draw, sx, sy, f.r(0.085 * size), f.r(0.065 * size), muzzle)
    nx, ny = f(hx + 0.2 * size, hy - 0.03 * size)
    _ellipse(draw, nx, ny, f.r(0.02 * size), f.r(0.018 * size), (35, 30, 28))
    ex, ey = f(hx + 0.04 * size, hy + 0.03 * size)
    _ellipse(draw, ex, ey, f.r(0.025 * size), f.r(0.025 * size), (25, 22, 20))
    for dx, lean in ((-0.07, -0.02), (-0.01, 0.02)):  # two upright, pointed ears
        bx, by = hx + dx * size, hy + 0.08 * size
        pts = [f(bx - 0.03 * size, by), f(bx + lean * size, by + 0.16 * size),
               f(bx + 0.03 * size, by)]
        draw.polygon(pts, fill=_shade(face, 0.85))
    for _ in range(6):  # woolly top-knot between the ears
        px, py = f(hx + rng.uniform(-0.1, 0.04) * size, hy + rng.uniform(0.06, 0.13) * size)
        r = f.r(rng.uniform(0.03, 0.05) * size)
        _ellipse(draw, px, py, r, r, _jitter(rng, color, 5))


def draw_sheep(draw, rng, f: _Frame, color=None) -> None:
    """A sheep: round woolly body, no neck, head at body level with ears sticking sideways."""
    color = color or _fur(rng)
    legs = rng.uniform(0.2, 0.32)
    body_h = rng.uniform(0.55, 0.72)
    body_y = legs + body_h / 2
    dark = rng.random() < 0.45
    face = _jitter(rng, (40, 36, 34), 8) if dark else _shade(color, rng.uniform(0.8, 0.95))
    _legs(draw, rng, f, (-0.34, -0.22, 0.2, 0.32), body_y, legs + 0.06, 0.08,
          face if dark else _shade(color, 0.75))
    _fluffy(draw, rng, f, 0.0, body_y, 0.52, body_h / 2, color, bumps=60)
    grazing = rng.random() < 0.35
    hx = 0.52 + rng.uniform(0.0, 0.08)
    hy = body_y + (-body_h * 0.4 if grazing else rng.uniform(-0.05, body_h * 0.3))
    x, y = f(hx, hy)
    _ellipse(draw, x, y, f.r(0.12), f.r(0.1), face)
    sx, sy = f(hx + 0.1, hy - 0.04)
    _ellipse(draw, sx, sy, f.r(0.08), f.r(0.06), _shade(face, 0.95))
    for dy in (0.02, 0.05):  # ears: sideways, drooping
        ex, ey = f(hx - 0.08, hy + dy)
        ex2, ey2 = f(hx - 0.2, hy + dy - 0.04)
        _thick_line(draw, (ex, ey), (ex2, ey2), f.r(0.05), _shade(face, 0.9))
    _fluffy(draw, rng, f, hx - 0.05, hy + 0.08, 0.1, 0.06, color, bumps=5, lumpy=0.5)
    ex, ey = f(hx + 0.03, hy + 0.02)
    _ellipse(draw, ex, ey, f.r(0.02), f.r(0.02), (20, 18, 16) if not dark else (200, 190, 170))


def draw_short_neck(draw, rng, f: _Frame, color=None) -> None:
    """Alpaca-like but with a short neck (a hard negative: woolly, upright ears)."""
    draw_alpaca(draw, rng, f, neck_length=rng.uniform(0.0, 0.08), color=color)


def draw_horse(draw, rng, f: _Frame, color=None) -> None:
    """A horse: smooth body, long legs, neck slanting forward, mane and tail."""
    color = color or _jitter(rng, [(120, 80, 50), (60, 40, 30), (200, 190, 175), (150, 110, 70),
                                   (35, 32, 30), (170, 165, 160)][rng.integers(6)], 10)
    legs = rng.uniform(0.55, 0.7)
    body_h = rng.uniform(0.38, 0.46)
    body_y = legs + body_h / 2
    mane = _shade(color, 0.45)
    tail = [f(-0.5, body_y + 0.1), f(-0.62, body_y - 0.25), f(-0.55, body_y - 0.4)]
    draw.line(tail, fill=mane, width=max(1, int(f.r(0.07))))
    _legs(draw, rng, f, (-0.36, -0.26, 0.26, 0.36), body_y, legs + 0.06, 0.08, color,
          hoof=(30, 28, 26))
    x, y = f(0, body_y)
    _ellipse(draw, x, y, f.r(0.55), f.r(body_h / 2), color)
    angle = math.radians(rng.uniform(35, 60))
    length = rng.uniform(0.45, 0.6)
    base = (0.38, body_y + 0.05)
    top = (base[0] + math.cos(angle) * length, base[1] + math.sin(angle) * length)
    draw.polygon([f(base[0] - 0.12, base[1] + 0.14), f(top[0] - 0.06, top[1] + 0.05),
                  f(top[0] + 0.07, top[1] - 0.04), f(base[0] + 0.14, base[1] - 0.12)], fill=color)
    draw.line([f(base[0] - 0.12, base[1] + 0.15), f(top[0] - 0.06, top[1] + 0.06)], fill=mane,
              width=max(1, int(f.r(0.06))))
    head_angle = angle - math.radians(rng.uniform(80, 110))
    tip = (top[0] + math.cos(head_angle) * 0.32, top[1] + math.sin(head_angle) * 0.32)
    _thick_line(draw, f(*top), f(*tip), f.r(0.14), color)
    _thick_line(draw, f(*top), f(top[0] * 0.5 + tip[0] * 0.5, top[1] * 0.5 + tip[1] * 0.5),
                f.r(0.17), color)
    ex, ey = f(top[0] + 0.03, top[1] - 0.02)
    _ellipse(draw, ex, ey, f.r(0.02), f.r(0.02), (20, 18, 16))
    ear = [f(top[0] - 0.04, top[1] + 0.04), f(top[0] - 0.05, top[1] + 0.13),
           f(top[0] + 0.01, top[1] + 0.05)]
    draw.polygon(ear, fill=_shade(color, 0.85))


def draw_giraffe(draw, rng, f: _Frame, color=None) -> None:
    """A giraffe: spotted, very long legs and neck (smooth, not woolly)."""
    color = color or _jitter(rng, (214, 170, 96), 12)
    spot = _shade(color, 0.5)
    legs = rng.uniform(0.75, 0.9)
    body_h = 0.42
    body_y = legs + body_h / 2
    _legs(draw, rng, f, (-0.3, -0.2, 0.22, 0.32), body_y, legs + 0.06, 0.07, color)
    x, y = f(0, body_y)
    _ellipse(draw, x, y, f.r(0.45), f.r(body_h / 2), color)
    base = (0.3, body_y + 0.1)
    top = (0.3 + rng.uniform(0.15, 0.4), body_y + rng.uniform(0.85, 1.1))
    draw.polygon([f(base[0] - 0.12, base[1]), f(top[0] - 0.04, top[1]), f(top[0] + 0.05, top[1]),
                  f(base[0] + 0.14, base[1] - 0.1)], fill=color)
    for _ in range(22):  # patches
        t = rng.uniform(0, 1)
        if rng.random() < 0.5:
            px, py = rng.uniform(-0.4, 0.4), body_y + rng.uniform(-0.15, 0.15)
        else:
            px, py = base[0] + (top[0] - base[0]) * t, base[1] + (top[1] - base[1]) * t
        cx, cy = f(px, py)
        _ellipse(draw, cx, cy, f.r(0.04), f.r(0.035), spot)
    tip = (top[0] + 0.26, top[1] - 0.06)
    _thick_line(draw, f(*top), f(*tip), f.r(0.11), color)
    for dx in (-0.03, 0.03):
        _thick_line(draw, f(top[0] + dx, top[1]), f(top[0] + dx, top[1] + 0.1), f.r(0.025), spot)


def draw_dog(draw, rng, f: _Frame, color=None) -> None:
    """A dog: smooth body, short neck, snout, floppy or pointed ears, tail."""
    color = color or _fur(rng)
    legs = rng.uniform(0.32, 0.45)
    body_h = rng.uniform(0.32, 0.42)
    body_y = legs + body_h / 2
    _thick_line(draw, f(-0.45, body_y + 0.08), f(-0.62, body_y + rng.uniform(0.05, 0.35)),
                f.r(0.07), color)
    _legs(draw, rng, f, (-0.33, -0.24, 0.24, 0.33), body_y, legs + 0.04, 0.09, color)
    x, y = f(0, body_y)
    _ellipse(draw, x, y, f.r(0.5), f.r(body_h / 2), color)
    if rng.random() < 0.3:  # patches
        px, py = f(rng.uniform(-0.3, 0.2), body_y + 0.05)
        _ellipse(draw, px, py, f.r(0.15), f.r(0.1), _fur(rng))
    hx, hy = 0.52, body_y + body_h / 2 + rng.uniform(0.05, 0.2)
    _thick_line(draw, f(0.35, body_y), f(hx, hy), f.r(0.2), color)
    x, y = f(hx, hy)
    _ellipse(draw, x, y, f.r(0.15), f.r(0.13), color)
    sx, sy = f(hx + 0.15, hy - 0.04)
    _ellipse(draw, sx, sy, f.r(0.1), f.r(0.065), color)
    nx, ny = f(hx + 0.24, hy - 0.03)
    _ellipse(draw, nx, ny, f.r(0.03), f.r(0.025), (25, 22, 20))
    ex, ey = f(hx + 0.05, hy + 0.04)
    _ellipse(draw, ex, ey, f.r(0.022), f.r(0.022), (20, 18, 16))
    if rng.random() < 0.6:  # floppy ear
        ex, ey = f(hx - 0.06, hy - 0.02)
        _ellipse(draw, ex, ey, f.r(0.05), f.r(0.11), _shade(color, 0.7))
    else:
        draw.polygon([f(hx - 0.1, hy + 0.08), f(hx - 0.06, hy + 0.24), f(hx - 0.01, hy + 0.1)],
                     fill=_shade(color, 0.85))


def draw_cat(draw, rng, f: _Frame, color=None) -> None:
    """A cat: low smooth body, round head with pointed ears, long curved tail, sometimes stripes."""
    color = color or _jitter(rng, [(150, 145, 140), (210, 140, 70), (40, 38, 36), (235, 232, 225),
                                   (120, 95, 70)][rng.integers(5)], 10)
    legs = rng.uniform(0.22, 0.3)
    body_h = rng.uniform(0.3, 0.38)
    body_y = legs + body_h / 2
    tail = [f(-0.45, body_y), f(-0.65, body_y + 0.15), f(-0.6, body_y + 0.45)]
    draw.line(tail, fill=color, width=max(1, int(f.r(0.07))))
    _legs(draw, rng, f, (-0.32, -0.24, 0.24, 0.32), body_y, legs + 0.03, 0.08, color)
    x, y = f(0, body_y)
    _ellipse(draw, x, y, f.r(0.48), f.r(body_h / 2), color)
    if rng.random() < 0.4:
        for k in range(5):
            sx, sy = f(-0.3 + 0.13 * k, body_y + 0.08)
            sx2, sy2 = f(-0.3 + 0.13 * k, body_y - 0.08)
            draw.line([(sx, sy), (sx2, sy2)], fill=_shade(color, 0.6), width=max(1, int(f.r(0.03))))
    hx, hy = 0.48, body_y + body_h * 0.45
    x, y = f(hx, hy)
    _ellipse(draw, x, y, f.r(0.16), f.r(0.14), color)
    for dx in (-0.1, 0.04):
        ear = [f(hx + dx, hy + 0.08), f(hx + dx + 0.03, hy + 0.24), f(hx + dx + 0.08, hy + 0.1)]
        draw.polygon(ear, fill=color)
    for dx in (0.0, 0.08):
        ex, ey = f(hx + dx, hy + 0.02)
        _ellipse(draw, ex, ey, f.r(0.025), f.r(0.03), (90, 160, 70))
    wx, wy = f(hx + 0.12, hy - 0.05)
    for dy in (-0.03, 0.0, 0.03):
        draw.line([(wx, wy), f(hx + 0.28, hy - 0.05 + dy)], fill=(220, 220, 215), width=1)


def draw_bird(draw, rng, f: _Frame, color=None, flying: bool | None = None) -> None:
    """A bird standing on the ground or flying (body length 1)."""
    color = color or _jitter(rng, [(60, 60, 70), (200, 60, 40), (60, 90, 160), (230, 230, 225),
                                   (150, 120, 80), (230, 200, 60)][rng.integers(6)], 12)
    flying = rng.random() < 0.4 if flying is None else flying
    body_y = 0.6 if flying else 0.35
    if not flying:
        for dx in (-0.05, 0.08):
            draw.line([f(dx, 0.2), f(dx, 0.0)], fill=(200, 140, 60), width=max(1, int(f.r(0.03))))
    draw.polygon([f(-0.3, body_y + 0.05), f(-0.62, body_y + 0.15), f(-0.6, body_y - 0.05)],
                 fill=_shade(color, 0.8))
    x, y = f(0, body_y)
    _ellipse(draw, x, y, f.r(0.36), f.r(0.2), color)
    hx, hy = 0.32, body_y + 0.18
    x, y = f(hx, hy)
    _ellipse(draw, x, y, f.r(0.14), f.r(0.13), color)
    draw.polygon([f(hx + 0.1, hy + 0.04), f(hx + 0.3, hy - 0.01), f(hx + 0.1, hy - 0.05)],
                 fill=(230, 170, 50))
    ex, ey = f(hx + 0.04, hy + 0.03)
    _ellipse(draw, ex, ey, f.r(0.025), f.r(0.025), (15, 15, 15))
    wing = _shade(color, 0.7)
    if flying:
        draw.polygon([f(-0.15, body_y + 0.05), f(0.05, body_y + 0.75), f(0.2, body_y + 0.05)],
                     fill=wing)
    else:
        x, y = f(-0.06, body_y + 0.02)
        _ellipse(draw, x, y, f.r(0.24), f.r(0.11), wing)


ANIMALS: dict[str, Callable] = {
    "alpaca": draw_alpaca, "sheep": draw_sheep, "short_neck": draw_short_neck,
    "horse": draw_horse, "giraffe": draw_giraffe, "dog": draw_dog, "cat": draw_cat,
    "bird": draw_bird,
}
# (height / body length, body length as a fraction of the image's shorter side)
ANIMAL_SHAPE = {"alpaca": (1.95, (0.38, 0.62)), "short_neck": (1.35, (0.32, 0.6)),
                "sheep": (1.1, (0.32, 0.62)), "horse": (1.7, (0.3, 0.5)),
                "giraffe": (2.3, (0.22, 0.38)), "dog": (1.1, (0.3, 0.6)),
                "cat": (0.95, (0.28, 0.55)), "bird": (1.0, (0.18, 0.4))}


# --------------------------------------------------------------------------- objects


def draw_house(draw, rng, x, ground, size):
    wall = _jitter(rng, [(210, 190, 160), (180, 80, 60), (230, 230, 220), (150, 160, 170),
                         (200, 170, 90)][rng.integers(5)], 12)
    w, h = size * rng.uniform(1.0, 1.5), size * rng.uniform(0.6, 0.9)
    draw.rectangle([x - w / 2, ground - h, x + w / 2, ground], fill=wall)
    roof = _jitter(rng, [(120, 50, 40), (70, 70, 80), (100, 80, 60)][rng.integers(3)], 10)
    draw.polygon([(x - w * 0.6, ground - h), (x, ground - h - size * rng.uniform(0.4, 0.7)),
                  (x + w * 0.6, ground - h)], fill=roof)
    draw.rectangle([x - w * 0.08, ground - h * 0.5, x + w * 0.08, ground], fill=_shade(roof, 0.8))
    for side in (-1, 1):
        wx = x + side * w * 0.3
        draw.rectangle([wx - w * 0.09, ground - h * 0.75, wx + w * 0.09, ground - h * 0.45],
                       fill=(140, 175, 210), outline=(240, 240, 240), width=max(1, int(size / 60)))


def draw_tree(draw, rng, x, ground, size):
    trunk = _jitter(rng, (95, 65, 40), 10)
    draw.rectangle([x - size * 0.07, ground - size * 0.6, x + size * 0.07, ground], fill=trunk)
    leaf = _jitter(rng, [(50, 110, 45), (80, 130, 50), (170, 120, 40), (40, 80, 40)][
        rng.integers(4)], 12)
    if rng.random() < 0.25:  # conifer
        for k in range(3):
            y = ground - size * (0.3 + 0.3 * k)
            half = size * (0.45 - 0.1 * k)
            draw.polygon([(x - half, y), (x, y - size * 0.5), (x + half, y)], fill=leaf)
        return
    for _ in range(9):
        cx, cy = x + rng.uniform(-0.3, 0.3) * size, ground - size * rng.uniform(0.65, 1.05)
        r = size * rng.uniform(0.2, 0.32)
        _ellipse(draw, cx, cy, r, r, _jitter(rng, leaf, 10))


def draw_car(draw, rng, x, ground, size):
    body = _jitter(rng, [(190, 30, 30), (30, 60, 150), (230, 230, 230), (40, 40, 45),
                         (200, 180, 40), (120, 120, 125)][rng.integers(6)], 10)
    w, h = size * 1.6, size * 0.35
    wheel = size * 0.17
    draw.rectangle([x - w / 2, ground - wheel - h, x + w / 2, ground - wheel * 0.7], fill=body)
    draw.polygon([(x - w * 0.3, ground - wheel - h), (x - w * 0.18, ground - wheel - h * 2),
                  (x + w * 0.18, ground - wheel - h * 2), (x + w * 0.32, ground - wheel - h)],
                 fill=body)
    low, high = ground - wheel - h * 1.05, ground - wheel - h * 1.8
    draw.polygon([(x - w * 0.25, low), (x - w * 0.16, high), (x + w * 0.16, high),
                  (x + w * 0.26, low)], fill=(150, 180, 205))  # windows
    for wx in (x - w * 0.3, x + w * 0.3):
        _ellipse(draw, wx, ground - wheel, wheel, wheel, (25, 25, 25))
        _ellipse(draw, wx, ground - wheel, wheel * 0.45, wheel * 0.45, (170, 170, 175))


def draw_bicycle(draw, rng, x, ground, size):
    color = _jitter(rng, [(200, 30, 30), (30, 30, 30), (40, 90, 170), (60, 140, 60)][
        rng.integers(4)], 10)
    r = size * 0.35
    width = max(1, int(size / 30))
    back, front = (x - size * 0.55, ground - r), (x + size * 0.55, ground - r)
    for cx, cy in (back, front):
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(30, 30, 30), width=width + 1)
    seat = (x - size * 0.15, ground - r - size * 0.55)
    pedal = (x, ground - r)
    bar = (x + size * 0.42, ground - r - size * 0.6)
    draw.line([back, pedal, seat, back], fill=color, width=width)
    draw.line([pedal, (bar[0] - size * 0.05, bar[1] + size * 0.12), seat], fill=color, width=width)
    draw.line([front, bar], fill=color, width=width)
    draw.line([(bar[0] - size * 0.12, bar[1]), (bar[0] + size * 0.05, bar[1])], fill=(30, 30, 30),
              width=width + 1)
    _ellipse(draw, seat[0], seat[1], size * 0.1, size * 0.03, (30, 30, 30))


def draw_chair(draw, rng, x, ground, size):
    color = _jitter(rng, [(120, 80, 45), (160, 120, 70), (40, 40, 40), (200, 60, 50),
                          (220, 220, 215)][rng.integers(5)], 10)
    width = max(2, int(size * 0.07))
    seat_y = ground - size * 0.5
    for lx in (x - size * 0.3, x + size * 0.3):
        draw.line([(lx, seat_y), (lx, ground)], fill=color, width=width)
    draw.rectangle([x - size * 0.36, seat_y - size * 0.07, x + size * 0.36, seat_y], fill=color)
    back_x = x - size * 0.33
    draw.line([(back_x, seat_y), (back_x, seat_y - size * 0.6)], fill=color, width=width)
    draw.line([(back_x + size * 0.4, seat_y), (back_x + size * 0.4, seat_y - size * 0.1)],
              fill=_shade(color, 0.7), width=width)
    for k in range(3):
        y = seat_y - size * (0.2 + 0.17 * k)
        draw.line([(back_x, y), (back_x + size * 0.15, y - size * 0.05)], fill=color, width=width)


def draw_boat(draw, rng, x, ground, size):
    hull = _jitter(rng, [(150, 40, 30), (240, 240, 235), (60, 60, 110), (140, 100, 60)][
        rng.integers(4)], 10)
    draw.polygon([(x - size * 0.8, ground - size * 0.3), (x + size * 0.8, ground - size * 0.3),
                  (x + size * 0.55, ground), (x - size * 0.6, ground)], fill=hull)
    draw.line([(x, ground - size * 0.3), (x, ground - size * 1.5)], fill=(80, 60, 40),
              width=max(1, int(size / 25)))
    sail = _jitter(rng, (240, 238, 230), 10)
    draw.polygon([(x + size * 0.05, ground - size * 1.45), (x + size * 0.7, ground - size * 0.4),
                  (x + size * 0.05, ground - size * 0.4)], fill=sail)
    if rng.random() < 0.6:
        jib = [(x - size * 0.05, ground - size * 1.3), (x - size * 0.55, ground - size * 0.4),
               (x - size * 0.05, ground - size * 0.4)]
        draw.polygon(jib, fill=_shade(sail, 0.9))


def draw_flower(draw, rng, x, ground, size):
    stem = (60, 120, 50)
    head = (x + rng.uniform(-0.1, 0.1) * size, ground - size * rng.uniform(0.7, 1.0))
    draw.line([(x, ground), head], fill=stem, width=max(1, int(size / 25)))
    _ellipse(draw, x + size * 0.12, ground - size * 0.35, size * 0.12, size * 0.05, stem)
    petal = _jitter(rng, [(230, 60, 80), (250, 210, 50), (240, 240, 245), (160, 80, 200),
                          (250, 140, 40)][rng.integers(5)], 12)
    n = int(rng.integers(5, 9))
    for k in range(n):
        a = 2 * math.pi * k / n
        px, py = head[0] + math.cos(a) * size * 0.16, head[1] + math.sin(a) * size * 0.16
        _ellipse(draw, px, py, size * 0.11, size * 0.11, petal)
    _ellipse(draw, head[0], head[1], size * 0.09, size * 0.09, _jitter(rng, (120, 80, 30), 20))


def draw_person(draw, rng, x, ground, size):
    """A person-like shape (clutter): legs, coat, arms, head."""
    coat = _jitter(rng, [(40, 60, 120), (150, 40, 40), (60, 60, 60), (200, 180, 120),
                         (80, 120, 70)][rng.integers(5)], 15)
    skin = _jitter(rng, [(230, 200, 170), (190, 140, 100), (120, 85, 60)][rng.integers(3)], 8)
    w = size * 0.28
    for dx in (-w * 0.25, w * 0.25):
        draw.line([(x + dx, ground - size * 0.45), (x + dx, ground)], fill=(50, 50, 60),
                  width=max(1, int(w * 0.35)))
    draw.rounded_rectangle([x - w / 2, ground - size * 0.85, x + w / 2, ground - size * 0.42],
                           radius=max(1, int(w * 0.3)), fill=coat)
    for dx in (-w * 0.6, w * 0.6):
        draw.line([(x + dx, ground - size * 0.8), (x + dx * 1.1, ground - size * 0.5)], fill=coat,
                  width=max(1, int(w * 0.25)))
    _ellipse(draw, x, ground - size * 0.93, w * 0.33, w * 0.38, skin)


OBJECTS: dict[str, tuple[Callable, tuple[float, float]]] = {  # drawer, size / shorter side
    "house": (draw_house, (0.3, 0.55)), "tree": (draw_tree, (0.35, 0.7)),
    "car": (draw_car, (0.25, 0.45)), "bicycle": (draw_bicycle, (0.35, 0.6)),
    "chair": (draw_chair, (0.4, 0.75)), "boat": (draw_boat, (0.3, 0.5)),
    "flower": (draw_flower, (0.45, 0.8)), "people": (draw_person, (0.4, 0.8)),
}


# --------------------------------------------------------------------------- scenes


def _place_animal(draw, rng, kind, w, h, horizon, scale_range=None, crop=True):
    """Draw one animal of ``kind`` at a random place standing on the ground."""
    height_ratio, default_range = ANIMAL_SHAPE[kind]
    low, high = scale_range or default_range
    side = min(w, h)
    body = side * rng.uniform(low, high)
    body = min(body, 0.92 * h / height_ratio)  # the head stays in the picture
    facing = 1 if rng.random() < 0.5 else -1
    ground_low = max(horizon + 0.15 * (h - horizon), height_ratio * body * 0.9)
    ground = rng.uniform(min(ground_low, h * 0.97), h * 0.98)
    margin = 0.15 if crop and rng.random() < 0.15 else 0.6  # sometimes partly out of frame
    x0 = rng.uniform(body * margin, w - body * margin)
    if kind == "bird":
        flying = rng.random() < 0.4
        if flying:
            ground = rng.uniform(0.3, 0.9) * horizon + 0.3 * body  # in the sky
        draw_bird(draw, rng, _Frame(x0, ground, body, facing), flying=flying)
    else:
        ANIMALS[kind](draw, rng, _Frame(x0, ground, body, facing))
    return ground


def _place_object(draw, rng, kind, w, h, horizon):
    drawer, (low, high) = OBJECTS[kind]
    size = min(w, h) * rng.uniform(low, high)
    ground = rng.uniform(horizon + 0.15 * (h - horizon), h * 0.98)
    x = rng.uniform(0.25 * w, 0.75 * w)
    drawer(draw, rng, x, ground, size)


def _clutter(draw, rng, w, h, horizon, amount: float):
    """People, trees and bushes around the subject."""
    for _ in range(rng.poisson(amount)):
        what = rng.choice(["people", "tree", "bush", "post"])
        ground = rng.uniform(horizon, h)
        depth = (ground - horizon) / max(h - horizon, 1)
        size = min(w, h) * (0.1 + 0.5 * depth) * rng.uniform(0.6, 1.0)
        x = rng.uniform(0, w)
        if what == "people":
            draw_person(draw, rng, x, ground, size)
        elif what == "tree":
            draw_tree(draw, rng, x, ground, size * 0.8)
        elif what == "bush":
            _ellipse(draw, x, ground - size * 0.15, size * 0.35, size * 0.2,
                     _jitter(rng, (60, 100, 50), 15))
        else:
            draw.rectangle([x, ground - size * 0.5, x + size * 0.06, ground],
                           fill=_jitter(rng, (110, 85, 60), 10))


def _foreground(draw, rng, w, h):
    """Occluders in front of the subject: tall grass, a fence, a post."""
    choice = rng.choice(["grass", "fence", "post"])
    if choice == "grass":
        for _ in range(int(rng.integers(40, 120))):
            x = rng.uniform(0, w)
            length = rng.uniform(0.08, 0.3) * h
            draw.line([(x, h), (x + rng.uniform(-0.05, 0.05) * w, h - length)],
                      fill=_jitter(rng, (80, 120, 50), 25), width=max(1, int(w / 120)))
    elif choice == "fence":
        _fence(draw, rng, w, h, h * rng.uniform(0.85, 1.0))
    else:
        x = rng.uniform(0, w)
        draw.rectangle([x, h * rng.uniform(0.2, 0.6), x + w * rng.uniform(0.04, 0.1), h],
                       fill=_jitter(rng, (100, 75, 50), 15))


def _alpaca_closeup(draw, rng, w, h):
    """Head and neck filling the frame (many alpaca photos are portraits)."""
    color = _fur(rng)
    size = min(w, h) * rng.uniform(1.2, 1.8)
    facing = 1 if rng.random() < 0.5 else -1
    f = _Frame(w * rng.uniform(0.3, 0.7) - facing * size * 0.3, h * 1.05, size, facing)
    top = (0.3 + rng.uniform(-0.05, 0.1), h * rng.uniform(0.5, 0.75) / size)
    _fluffy(draw, rng, f, 0.0, -0.05, 0.55, 0.22, color, bumps=90, lumpy=0.18)  # shoulders
    _fluffy_column(draw, rng, f, (0.25, 0.0), top, 0.24, color, steps=16, curl=0.55)
    _alpaca_head(draw, rng, f, top, color, 1.1)


def _sheep_closeup(draw, rng, w, h):
    """A hard negative framed like a portrait: woolly back with the head in front, no neck."""
    color = _fur(rng)
    size = min(w, h) * rng.uniform(1.0, 1.4)
    facing = 1 if rng.random() < 0.5 else -1
    f = _Frame(w * 0.5 - facing * size * 0.35, h * 1.2, size, facing)
    draw_sheep(draw, rng, f, color)


def render_scene(rng: np.random.Generator, w: int, h: int, subject: str) -> Image.Image:
    """One photo-like picture of ``subject`` ("alpaca", an animal, an object, "scene")."""
    kind = None
    if subject == "boat" or (subject == "bird" and rng.random() < 0.2):
        kind = "water"
    elif subject == "chair" and rng.random() < 0.6:
        kind = "room"
    image, horizon, kind = _background(rng, w, h, kind)
    draw = ImageDraw.Draw(image)
    _clutter(draw, rng, w, h, horizon, 0.4 if subject != "scene" else 2.5)
    if subject == "alpaca":
        roll = rng.random()
        if roll < 0.12:
            _alpaca_closeup(draw, rng, w, h)
        else:
            if roll < 0.3:  # a small herd: a second animal behind, sometimes a sheep
                other = "sheep" if rng.random() < 0.3 else "alpaca"
                _place_animal(draw, rng, other, w, h, horizon, (0.18, 0.3))
            _place_animal(draw, rng, "alpaca", w, h, horizon)
    elif subject == "sheep" and rng.random() < 0.2:
        _sheep_closeup(draw, rng, w, h)
    elif subject in ANIMALS:
        if subject in ("sheep", "short_neck", "horse") and rng.random() < 0.25:
            _place_animal(draw, rng, subject, w, h, horizon, (0.18, 0.3))  # herd
        _place_animal(draw, rng, subject, w, h, horizon)
    elif subject in OBJECTS:
        _place_object(draw, rng, subject, w, h, horizon)
    elif subject != "scene":
        raise ValueError(f"unknown subject {subject!r}")
    if rng.random() < 0.3:
        _foreground(draw, rng, w, h)
    return _photo_finish(image, rng)


def _photo_finish(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Lighting, colour cast, blur and sensor noise."""
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    pixels = np.asarray(image, dtype=np.float32)
    brightness = rng.uniform(0.7, 1.25)
    contrast = rng.uniform(0.75, 1.2)
    cast = rng.normal(1.0, 0.05, size=3).astype(np.float32)
    mean = pixels.mean()
    pixels = ((pixels - mean) * contrast + mean) * brightness * cast
    pixels += rng.normal(0, rng.uniform(2, 9), size=pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
