"""The drawing behind the CARLA-style stand-in (:mod:`cnn_course.datasets.carla`).

:func:`render` draws one street scene with PIL and its mask with the same geometry: a
road-level camera looking down a street (a perspective road to a vanishing point, straight or
curved, sometimes with a cross street), lane lines, curbs and sidewalks, building facades with
windows, walls, fences, trees and hedges, poles, traffic signs and lights, parked and moving
cars, pedestrians, benches and bins, under day, dusk or overcast light. One camera on one car
records every scene, as in a recorded drive: the same lens, height and bonnet in every frame.
The mask is drawn without anti-aliasing, so every id is exact. Everything random comes from
the ``rng`` a scene is given, so the same stream gives the same pixels.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from cnn_course.datasets.carla import (
    BRIDGE,
    BUILDING,
    COURSE_TAG,
    DYNAMIC,
    FENCE,
    GROUND,
    GUARDRAIL,
    HEIGHT,
    HOOD_CREST,
    HOOD_PAINT,
    NUM_CLASSES,
    OTHER,
    PEDESTRIAN,
    POLE,
    RAILTRACK,
    RIG_FOCAL,
    RIG_HEIGHT,
    RIG_HORIZON,
    ROAD,
    ROADLINE,
    SIDEWALK,
    SKY,
    STATIC,
    TERRAIN,
    TRAFFICLIGHT,
    TRAFFICSIGN,
    VEGETATION,
    VEHICLES,
    WALL,
    WATER,
    WIDTH,
)


def _colour(rng, rgb, spread=10.0) -> tuple[int, int, int]:
    """``rgb`` with independent jitter per channel, as an int triple for PIL."""
    jitter = rng.standard_normal(3).tolist()
    return tuple(int(min(255.0, max(0.0, c + spread * e)))
                 for c, e in zip(rgb, jitter, strict=True))


def _grey(rng, low, high, spread=5.0) -> tuple[int, int, int]:
    g = rng.uniform(low, high)
    return _colour(rng, (g, g, g), spread)


def _shade(rgb, factor) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, v * factor))) for v in rgb)


def _pick(rng, options):
    """One of ``options`` (a sequence of colours, or anything), chosen uniformly."""
    return options[int(rng.integers(len(options)))]


def _steps(start, stop, step) -> list[float]:
    """Like np.arange, as Python floats (numpy scalars would make the geometry much slower)."""
    return np.arange(start, stop, step).tolist()


def _mix(a, b, t) -> tuple[int, int, int]:
    return tuple(int(x * (1 - t) + y * t) for x, y in zip(a, b, strict=True))


# Body colours of cars: greys and silver dominate, as on real streets, but any hue occurs.
_CAR_COLOURS = (
    (40, 40, 42), (70, 72, 75), (120, 122, 125), (165, 168, 170), (200, 200, 202), (235, 235, 235),
    (150, 30, 30), (30, 60, 140), (120, 180, 230), (40, 110, 60), (90, 150, 70), (200, 170, 60),
    (210, 110, 40), (100, 60, 40), (60, 40, 90),
)
# Facades: concrete greys, plaster, brick, painted white, dark glass: a town's few materials.
_FACADE_COLOURS = (
    (130, 130, 130), (170, 168, 160), (100, 100, 105), (200, 195, 185), (150, 80, 60),
    (175, 110, 80), (215, 200, 165), (230, 230, 225), (70, 85, 100), (185, 150, 120),
)
_WALL_COLOURS = ((150, 150, 150), (180, 175, 165), (165, 90, 70), (90, 90, 95), (210, 205, 190))
_CLOTHES = ((30, 30, 35), (60, 60, 70), (120, 120, 125), (200, 200, 200), (40, 60, 120),
            (130, 170, 220), (60, 110, 60), (150, 40, 40), (200, 160, 60), (110, 80, 60),
            (90, 140, 80), (230, 120, 60))
_LEAVES = ((60, 110, 40), (80, 130, 50), (45, 90, 45), (100, 140, 60), (70, 100, 35),
           (150, 120, 40), (170, 90, 40), (110, 120, 50))


_CIRCLE = {n: [(math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)) for k in range(n)]
           for n in (8, 14, 24)}


class _Scene:
    """One street scene: a pinhole camera over a flat ground, the road bending with Z.

    World coordinates: lateral ``u`` (metres, right positive, 0 = the camera), height ``y``
    (metres above the ground) and depth ``z`` (metres ahead). A curved road shifts every
    point by ``bend * z**2`` sideways, so everything along the street follows the curve.
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        # One camera on one car for the whole set, as in a recorded drive: only the pitch of
        # the road moves the horizon a little.
        self.f = RIG_FOCAL
        self.cx = WIDTH / 2
        self.horizon = RIG_HORIZON + rng.uniform(-8, 8)
        self.cam_h = RIG_HEIGHT
        self.bend = float(rng.choice([0.0, 0.0, 1.0])) * rng.uniform(-0.0025, 0.0025)
        self.kind = rng.choice(["city", "city", "suburb", "rural"], p=[0.3, 0.25, 0.27, 0.18])
        self.light = rng.choice(["day", "day", "day", "dusk", "dusk", "overcast", "overcast"])
        self.image = Image.new("RGB", (WIDTH, HEIGHT))
        self.mask = Image.new("L", (WIDTH, HEIGHT), SKY)
        self.draw_image = ImageDraw.Draw(self.image)
        self.draw_mask = ImageDraw.Draw(self.mask)

    # -- projection -----------------------------------------------------------------------
    def point(self, u, y, z) -> tuple[float, float]:
        """Pixel position (x, v) of the point at lateral u, height y, depth z (in metres)."""
        z = z if z > 0.6 else 0.6
        return (self.cx + self.f * (u + self.bend * z * z) / z,
                self.horizon + self.f * (self.cam_h - y) / z)

    def points(self, u, y, z) -> list[tuple[float, float]]:
        """Pixel positions of many points at once: u, y, z are arrays (or numbers)."""
        u, y, z = np.broadcast_arrays(np.asarray(u, float), np.asarray(y, float),
                                      np.maximum(np.asarray(z, float), 0.6))
        x = self.cx + self.f * (u + self.bend * z * z) / z
        v = self.horizon + self.f * (self.cam_h - y) / z
        return list(zip(x.ravel().tolist(), v.ravel().tolist(), strict=True))

    def depths(self, z0, z1) -> list[float]:
        """Sample depths between z0 and z1: two for a straight road, more on a curve."""
        z0, z1 = max(float(z0), 0.6), max(float(z1), 0.7)
        n = 2 if self.bend == 0 else int(min(max(abs(z1 - z0) / 4, 2), 14))
        ratio = (z1 / z0) ** (1.0 / (n - 1))
        return [z0 * ratio**k for k in range(n)]

    def scale(self, z):
        """Pixels per metre at depth z (a number or an array)."""
        return self.f / np.maximum(z, 0.6)

    # -- primitives: each fills the image with a colour and, given a class, the mask --------
    def polygon(self, points, colour, cls=None) -> None:
        self.draw_image.polygon(points, fill=colour)
        if cls is not None:
            self.draw_mask.polygon(points, fill=cls)

    def ground(self, u0, u1, z0, z1, colour, cls=None) -> None:
        """A strip of the ground between lateral u0 < u1 and depths z0 < z1."""
        zs = self.depths(z0, z1)
        point = self.point
        self.polygon([point(u0, 0, z) for z in zs] + [point(u1, 0, z) for z in reversed(zs)],
                     colour, cls)

    def side(self, u, z0, z1, y0, y1, colour, cls=None) -> None:
        """A vertical plane along the street (a facade) at lateral u, from height y0 to y1."""
        zs = self.depths(z0, z1)
        point = self.point
        self.polygon([point(u, y0, z) for z in zs] + [point(u, y1, z) for z in reversed(zs)],
                     colour, cls)

    def front(self, u0, u1, z, y0, y1, colour, cls=None) -> None:
        """A vertical rectangle facing the camera at depth z."""
        (x0, v0), (x1, v1) = self.point(u0, y0, z), self.point(u1, y1, z)
        self.polygon([(x0, v0), (x1, v0), (x1, v1), (x0, v1)], colour, cls)

    def top(self, u0, u1, z0, z1, y, colour, cls=None) -> None:
        """A horizontal rectangle at height y (the top of a box, seen from above)."""
        point = self.point
        self.polygon([point(u0, y, z0), point(u1, y, z0), point(u1, y, z1), point(u0, y, z1)],
                     colour, cls)

    def disc(self, u, y, z, radius, colour, cls=None, squash=1.0) -> None:
        """A disc facing the camera (a polygon: faster than PIL's ellipse, and as exact)."""
        x, v = self.point(u, y, z)
        r = radius * self.f / max(z, 0.6)
        if r < 0.4:
            return
        sides = 8 if r < 6 else (14 if r < 30 else 24)
        rv = r * squash
        self.polygon([(x + r * c, v + rv * s) for c, s in _CIRCLE[sides]], colour, cls)

    def box(self, u0, u1, z0, z1, y0, y1, colour, cls, top_colour=None) -> None:
        """An axis-aligned box: the faces the camera sees, shaded."""
        if z1 <= 0.8:
            return
        z0 = max(z0, 0.8)
        if self.cam_h > y1:
            self.top(u0, u1, z0, z1, y1, top_colour or _shade(colour, 1.12), cls)
        for u, visible in ((u0, u0 + self.bend * z0 * z0 > 0), (u1, u1 + self.bend * z0 * z0 < 0)):
            if visible:
                self.side(u, z0, z1, y0, y1, _shade(colour, 0.8), cls)
        self.front(u0, u1, z0, y0, y1, colour, cls)


def _sky(scene: _Scene) -> tuple[int, int, int]:
    """Paint the sky, a vertical gradient (the mask starts as all sky); returns its colour at
    the horizon."""
    rng = scene.rng
    if scene.light == "day":  # deep blue to hazy white-blue
        top = _colour(rng, _mix((60, 125, 215), (175, 190, 205), rng.uniform(0, 0.7)), 12)
        low = _colour(rng, (185, 210, 235), 12)
    elif scene.light == "dusk":
        top = _colour(rng, (70, 80, 140), 15)
        low = _colour(rng, _pick(rng, [(235, 150, 95), (225, 130, 140), (200, 170, 120)]), 15)
    else:
        g = rng.uniform(110, 215)
        top = _colour(rng, (g - 15, g - 10, g), 6)
        low = _colour(rng, (g + 15, g + 15, g + 15), 6)
    rows = np.clip(np.arange(HEIGHT, dtype=float) / max(scene.horizon, 1.0), 0, 1)[:, None]
    column = np.asarray(top, float) * (1 - rows) + np.asarray(low, float) * rows  # (H, 3)
    strip = Image.fromarray(column.astype(np.uint8)[:, None, :])  # (H, 1, 3)
    scene.image.paste(strip.resize((WIDTH, HEIGHT), Image.Resampling.NEAREST))
    return tuple(int(c) for c in column[int(scene.horizon) - 1])


def _clouds(scene: _Scene, sky_low) -> None:
    rng = scene.rng
    for _ in range(rng.integers(0, 7)):
        x, v = rng.uniform(0, WIDTH), rng.uniform(-20, scene.horizon - 30)
        w, h = rng.uniform(40, 160), rng.uniform(8, 30)
        shade = _mix(sky_low, (245, 245, 245), rng.uniform(0.3, 0.8))
        for _ in range(3):
            dx, dv = rng.uniform(-w / 2, w / 2), rng.uniform(-h / 2, h / 2)
            top, bottom = v + dv - h / 2, min(v + dv + h / 2, scene.horizon - 1)
            if bottom > top + 1:  # image only: the mask stays sky
                scene.draw_image.ellipse((x + dx - w / 2, top, x + dx + w / 2, bottom), fill=shade)


def _skyline(scene: _Scene, sky_low) -> None:
    """Far away: a skyline, a tree line or hills at the horizon, hazy."""
    rng = scene.rng
    far = 180.0
    kind = {"city": "buildings", "suburb": rng.choice(["trees", "buildings"]),
            "rural": rng.choice(["trees", "hills"])}[scene.kind]
    haze = rng.uniform(0.35, 0.65)
    u = -300.0
    while u < 300:
        width = rng.uniform(8, 40)
        if kind == "buildings":
            colour = _mix(_grey(rng, 80, 170), sky_low, haze)
            scene.front(u, u + width, far, -1, rng.uniform(4, 16), colour, BUILDING)
        elif kind == "trees":
            colour = _mix(_colour(rng, _pick(rng, _LEAVES), 12), sky_low, haze)
            scene.disc(u, rng.uniform(2, 10), far, width / 2, colour, VEGETATION, squash=0.7)
            scene.front(u - width / 2, u + width / 2, far, -1, 4, colour, VEGETATION)
        else:
            colour = _mix(_colour(rng, (100, 120, 70), 15), sky_low, haze)
            scene.disc(u, 0, far * 2, width * 3, colour, TERRAIN, squash=0.25)
        u += width * rng.uniform(0.6, 1.3)


class _Street:
    """The layout of one street: lanes, sidewalks, building lines and a cross street."""

    def __init__(self, scene: _Scene):
        rng = scene.rng
        self.lane = rng.uniform(3.0, 3.8)
        # The streets of CARLA 0.8's two towns: one lane each way, the camera's car in the
        # right-hand one.
        lanes, mine = 2, 1
        self.left = -self.lane * (mine + rng.uniform(0.35, 0.65))
        self.right = self.left + self.lane * lanes
        self.lanes = lanes
        self.two_way = True
        self.far = 200.0
        if scene.kind == "city":
            self.walk = (rng.uniform(2.5, 6), rng.uniform(2.5, 6))
        elif scene.kind == "suburb":
            self.walk = (rng.uniform(1.5, 2.5), rng.uniform(1.5, 2.5))
        else:
            self.walk = (rng.uniform(1.0, 4.0), rng.uniform(1.0, 4.0))  # shoulders, not sidewalks
        self.verge = (0, 0)  # grass strips between the curb and the sidewalk
        if scene.kind == "suburb":
            self.verge = (rng.uniform(0.8, 2.5), rng.uniform(0.8, 2.5))
        self.cross = None
        if scene.kind != "rural" and scene.bend == 0 and rng.random() < 0.45:
            z0 = rng.uniform(14, 55)
            self.cross = (z0, z0 + rng.uniform(9, 16))

    def edge(self, s: int) -> float:
        """Lateral position of the road edge on side s (-1 left, +1 right)."""
        return self.left if s < 0 else self.right

    def line(self, s: int) -> float:
        """Lateral position of the building line on side s."""
        i = 0 if s < 0 else 1
        return self.edge(s) + s * (self.walk[i] + self.verge[i])

    def segments(self, z0, z1):
        """(z0, z1) pieces of the street outside the cross street and its sidewalks."""
        if self.cross is None:
            return [(z0, z1)]
        c0, c1 = self.cross
        w = max(self.walk)
        return [(z0, c0 - w), (c1 + w, z1)]


def _ground(scene: _Scene, street: _Street, shadows: list) -> None:
    """Ground, road, curbs, sidewalks, verges and road markings."""
    rng = scene.rng
    rural = scene.kind == "rural"
    # Beyond the street: grass, dirt or paving, up to the horizon.
    if rural or scene.kind == "suburb":
        colour = _colour(rng, _pick(rng, [(95, 125, 60), (120, 130, 70), (140, 120, 80)]), 12)
        cls = TERRAIN if rng.random() < 0.7 else GROUND
    else:
        colour, cls = _grey(rng, 90, 150), SIDEWALK
    scene.polygon([(-10, scene.horizon), (WIDTH + 10, scene.horizon), (WIDTH + 10, HEIGHT + 10),
                   (-10, HEIGHT + 10)], colour, cls)
    tinted = _pick(rng, [(95, 80, 70), (70, 75, 95), (110, 100, 80)])
    asphalt = _pick(rng, [_grey(rng, 50, 105, 4), _grey(rng, 50, 105, 4), _colour(rng, tinted, 10)])
    scene.ground(street.left, street.right, 0.6, street.far, asphalt, ROAD)
    # Patches and wear on the asphalt (image only).
    for _ in range(rng.integers(2, 9)):
        z = rng.uniform(3, 60)
        u = rng.uniform(street.left, street.right - 1)
        scene.ground(u, u + rng.uniform(0.5, 3), z, z + rng.uniform(1, 8),
                     _shade(asphalt, rng.uniform(0.8, 1.15)))
    tinted = _pick(rng, [(160, 95, 80), (195, 175, 145), (120, 140, 150)])  # bricks, stone
    pavement = _pick(rng, [_grey(rng, 125, 200, 6), _grey(rng, 125, 200, 6),
                           _colour(rng, tinted, 10)])
    if rural:
        pavement = _colour(rng, _pick(rng, [(120, 105, 85), (150, 140, 120), (95, 90, 80)]), 12)
    for s in (-1, 1):
        i = 0 if s < 0 else 1
        edge = street.edge(s)
        outer = edge + s * (street.walk[i] + street.verge[i])
        u0, u1 = sorted((edge, outer))
        for z0, z1 in street.segments(0.6, street.far):
            if rural:
                scene.ground(u0, u1, z0, z1, pavement, GROUND)
            else:
                scene.ground(u0, u1, z0, z1, pavement, SIDEWALK)
                if street.verge[i] > 0:
                    v0, v1 = sorted((edge + s * 0.3, edge + s * (0.3 + street.verge[i])))
                    scene.ground(v0, v1, z0, z1, _colour(rng, (90, 130, 60), 15), TERRAIN)
                # the curb: a low face along the road edge
                scene.side(edge, z0, z1, 0.0, 0.15, _shade(pavement, 1.1), SIDEWALK)
                # paving joints (image only)
                step = rng.uniform(1.5, 3.0)
                for z in _steps(max(z0, 2.0), min(z1, 40), step):
                    scene.ground(u0, u1, z, z + 0.06, _shade(pavement, 0.8))
    if street.cross is not None:
        c0, c1 = street.cross
        scene.ground(-150, 150, c0, c1, asphalt, ROAD)
        w = max(street.walk)
        for s in (-1, 1):
            edge = street.edge(s)
            lo, hi = sorted((edge, s * 150))
            scene.ground(lo, hi, c0 - w, c0, pavement, SIDEWALK)
            scene.ground(lo, hi, c1, c1 + w, pavement, SIDEWALK)
        # crosswalk across the main road, before the crossing
        if rng.random() < 0.8:
            paint = _grey(rng, 200, 245)
            u = street.left + 0.3
            while u < street.right - 0.5:
                scene.ground(u, u + 0.5, c0 - w + 0.5, c0 - 0.5, paint, ROADLINE)
                u += 1.0
    _markings(scene, street)
    # shadows cast on the ground by the buildings on the sunny side (image only)
    if scene.light != "overcast":
        shadows.extend(_cast_shadows(scene, street))


def _markings(scene: _Scene, street: _Street) -> None:
    rng = scene.rng
    white = _grey(rng, 190, 245)
    yellow = _colour(rng, (225, 190, 60), 15)
    width = rng.uniform(0.12, 0.2)
    dash, gap = rng.uniform(2.5, 4), rng.uniform(5, 9)
    phase = rng.uniform(0, dash + gap)
    for k in range(1, street.lanes):
        u = street.left + k * street.lane
        centre = street.two_way and k == street.lanes // 2
        if centre and rng.random() < 0.5:  # a solid yellow centre line
            for z0, z1 in street.segments(1, street.far):
                scene.ground(u - width / 2, u + width / 2, z0, z1, yellow, ROADLINE)
            continue
        for z0, z1 in street.segments(1, street.far):
            z = z0 - phase
            while z < min(z1, 90):
                if z + dash > z0:
                    scene.ground(u - width / 2, u + width / 2, max(z, z0), min(z + dash, z1), white,
                                 ROADLINE)
                z += dash + gap
    if rng.random() < 0.7:  # solid edge lines
        for u in (street.left + 0.25, street.right - 0.25 - width):
            for z0, z1 in street.segments(1, street.far):
                scene.ground(u, u + width, z0, z1, white, ROADLINE)


def _cast_shadows(scene: _Scene, street: _Street) -> list:
    """Ground polygons darkened by the buildings of one side (the sun is on the other)."""
    rng = scene.rng
    s = int(rng.choice([-1, 1]))
    reach = rng.uniform(2, 14) if scene.kind == "city" else rng.uniform(1, 5)
    line = street.line(s)
    polygons = []
    z = rng.uniform(0.6, 10)
    while z < 120:
        length = rng.uniform(8, 30)
        zs = scene.depths(z, z + length)
        polygons.append([scene.point(line, 0, z) for z in zs]
                        + [scene.point(line - s * reach, 0, z) for z in reversed(zs)])
        z += length + rng.uniform(3, 20)
    return polygons


def _facades(scene: _Scene, street: _Street) -> None:
    """What lines the street: buildings, walls, fences, hedges, trees; far pieces first."""
    rng = scene.rng
    pieces = []
    for s in (-1, 1):
        line = street.line(s)
        for z0, z1 in street.segments(rng.uniform(0.6, 4), 160):
            z = z0
            while z < z1:
                length = min(rng.uniform(8, 35), z1 - z)
                pieces.append((z, z + length, s, line, _piece_kind(scene, rng)))
                z += length + (rng.uniform(0, 6) if scene.kind != "city" else 0)
        if street.cross is not None:  # the buildings beyond the crossing, seen face on
            c0, c1 = street.cross
            z = c1 + max(street.walk)
            height = rng.uniform(6, 16) if scene.kind == "city" else rng.uniform(4, 8)
            colour = _colour(rng, _pick(rng, _FACADE_COLOURS), 12)
            pieces.append((z, z, s, line, ("front", height, colour)))
    pieces.sort(key=lambda p: -p[0])
    for z0, z1, s, line, kind in pieces:
        _piece(scene, street, z0, z1, s, line, kind)


def _piece_kind(scene: _Scene, rng):
    weights = {"city": [0.82, 0.06, 0.05, 0.03, 0.04],
               "suburb": [0.35, 0.12, 0.15, 0.28, 0.10],
               "rural": [0.05, 0.03, 0.12, 0.50, 0.30]}[scene.kind]
    return (rng.choice(["building", "wall", "fence", "hedge", "open"], p=weights),)


def _piece(scene: _Scene, street: _Street, z0, z1, s, line, kind) -> None:
    rng = scene.rng
    if kind[0] == "front":
        _, height, colour = kind
        far = line + s * 150
        scene.front(min(line, far), max(line, far), z0, 0, height, colour, BUILDING)
        _windows_front(scene, min(line, far), max(line, far), z0, height, colour)
        return
    what = kind[0]
    if what == "building":
        height = rng.uniform(6, 16) if scene.kind == "city" else rng.uniform(4, 9)
        colour = _colour(rng, _pick(rng, _FACADE_COLOURS), 14)
        lit = _shade(colour, 1.0 if s > 0 else 0.85)
        # the end wall facing the camera, then the facade
        scene.front(min(line, line + s * 12), max(line, line + s * 12), z0, 0, height,
                    _shade(colour, 0.7), BUILDING)
        scene.side(line, z0, z1, 0, height, lit, BUILDING)
        _windows(scene, line, z0, z1, height, lit)
    elif what == "wall":
        height = rng.uniform(1.0, 3.5)
        colour = _colour(rng, _pick(rng, _WALL_COLOURS), 12)
        scene.front(min(line, line + s * 0.4), max(line, line + s * 0.4), z0, 0, height,
                    _shade(colour, 0.8), WALL)
        scene.side(line, z0, z1, 0, height, colour, WALL)
        # a building behind a low wall, sometimes
        if height < 2.2 and rng.random() < 0.5 and scene.kind != "rural":
            _piece(scene, street, z0, z1, s, line + s * rng.uniform(3, 8), ("building",))
            scene.side(line, z0, z1, 0, height, colour, WALL)
    elif what == "fence":
        _fence(scene, line, z0, z1)
    elif what == "hedge":
        colour = _colour(rng, _pick(rng, _LEAVES), 14)
        height = rng.uniform(0.8, 2.5)
        scene.side(line, z0, z1, 0, height, colour, VEGETATION)
        for z in _steps(z0, z1, rng.uniform(1.0, 2.0)):  # a bumpy top
            scene.disc(line, height, z, rng.uniform(0.4, 0.9), colour, VEGETATION)
        if rng.random() < 0.5:  # a tree behind the hedge, drawn now: nearer pieces hide it
            _tree_at(scene, line + s * rng.uniform(1, 4), rng.uniform(z0, z1) + 1)[1]()
    else:  # open ground, with trees, sometimes water
        if rng.random() < 0.6:
            for _ in range(rng.integers(1, 4)):
                u = line + s * rng.uniform(0, 12)
                _tree_at(scene, u, rng.uniform(z0, z1) + 1)[1]()
        if scene.kind == "rural" and rng.random() < 0.15:  # water beside the road
            lo, hi = sorted((line, line + s * 60))
            scene.ground(lo, hi, z0, z1, _colour(rng, (80, 110, 130), 20), WATER)


def _windows(scene: _Scene, line, z0, z1, height, colour) -> None:
    """A grid of windows on a facade (image only: windows are part of the building)."""
    rng = scene.rng
    if scene.scale(z0) * 1.5 < 3:
        return
    glass = _pick(rng, [(40, 45, 55), (70, 80, 95), (120, 150, 190), (160, 190, 220),
                        _shade(colour, 0.55)])
    glass = _colour(rng, glass, 10)
    floor = rng.uniform(2.8, 3.6)
    spacing = rng.uniform(2.2, 4.0)
    win_w = spacing * rng.uniform(0.35, 0.7)
    win_h = floor * rng.uniform(0.4, 0.65)
    ys = np.arange(floor * 0.35, height - floor * 0.7, floor)
    zs = np.arange(z0 + spacing * 0.3, z1 - win_w, spacing)
    if len(ys) == 0 or len(zs) == 0:
        return
    zs = zs[scene.scale(zs + win_w) * win_h > 2.5]  # windows too small to see are skipped
    if len(zs) == 0:
        return
    Z0, Y0 = np.meshgrid(zs, ys)
    Z0, Y0 = Z0.ravel(), Y0.ravel()
    Z1, Y1 = Z0 + win_w, Y0 + win_h
    corners = scene.points(np.full(4 * Z0.size, line), np.stack([Y0, Y0, Y1, Y1], 1).ravel(),
                            np.stack([Z0, Z1, Z1, Z0], 1).ravel())
    lit = rng.random(Z0.size) < (0.15 if scene.light == "dusk" else 0.0)
    for k in range(Z0.size):
        pane = (230, 200, 120) if lit[k] else glass
        scene.polygon(corners[4 * k: 4 * k + 4], pane)
    if rng.random() < 0.6:  # a shop front on the ground floor
        scene.side(line, z0 + 0.5, z1 - 0.5, 0.3, min(2.6, height - 0.5), _colour(rng, glass, 15))


def _windows_front(scene: _Scene, u0, u1, z, height, colour) -> None:
    rng = scene.rng
    if scene.scale(z) < 4:
        return
    glass = _colour(rng, _pick(rng, [(40, 45, 55), (120, 150, 190), (90, 90, 100)]), 10)
    floor, spacing = rng.uniform(2.8, 3.6), rng.uniform(2.2, 4.0)
    for y in _steps(floor * 0.35, height - floor * 0.7, floor):
        for u in _steps(u0 + 1, u1 - 1, spacing):
            scene.front(u, u + spacing * 0.5, z, y, y + floor * 0.5, glass)


def _fence(scene: _Scene, line, z0, z1) -> None:
    rng = scene.rng
    height = rng.uniform(1.0, 2.2)
    colour = _pick(rng, [_grey(rng, 60, 190), _colour(rng, (110, 80, 50), 15),
                         _colour(rng, (60, 110, 60), 15), _colour(rng, (210, 205, 195), 8)])
    rail = 0.08
    for y in (height * 0.3, height - rail):
        scene.side(line, z0, z1, y, y + rail, colour, FENCE)
    step = rng.uniform(0.15, 0.4) if rng.random() < 0.5 else rng.uniform(1.5, 2.5)
    bar = min(step * 0.5, rng.uniform(0.05, 0.12))
    zs = _steps(z0, min(z1, 80), step)
    for z in zs:
        if scene.scale(z) * bar < 0.4 and z > 25:
            scene.side(line, z, min(z1, 80), 0, height, colour, FENCE)  # too far to resolve
            break
        scene.side(line, z, z + bar * 3, 0, height, colour, FENCE)


# -- objects on and along the street, drawn far to near ----------------------------------------

def _tree_at(scene: _Scene, u, z):
    rng = scene.rng
    z = max(z, 4.0)
    trunk = _colour(rng, _pick(rng, [(80, 60, 45), (110, 95, 80), (70, 70, 65)]), 10)
    leaves = _colour(rng, _pick(rng, _LEAVES), 14)
    height = rng.uniform(3.5, 10)
    crown = height * rng.uniform(0.25, 0.4)
    blobs = [(u + rng.normal(0, crown * 0.4), height - crown + rng.normal(0, crown * 0.3),
              crown * rng.uniform(0.5, 0.8), rng.uniform(0.8, 1.15))
             for _ in range(rng.integers(3, 7))]  # (u, y, radius, brightness) of the crown's parts

    def draw():
        scene.front(u - 0.15, u + 0.15, z, 0, height - crown, trunk, VEGETATION)
        for bu, by, r, light in blobs:
            scene.disc(bu, by, z, r, _shade(leaves, light), VEGETATION)

    return z, draw


def _car(scene: _Scene, u, z, facing_away=True, sideways=False):
    """A car (or a van) at lateral centre u with its nearest face at depth z."""
    rng = scene.rng
    body = _colour(rng, _pick(rng, _CAR_COLOURS), 8)
    glass = _colour(rng, (35, 40, 50), 8) if rng.random() < 0.7 else _shade(body, 0.45)
    van = rng.random() < 0.1
    width = rng.uniform(1.7, 2.0) if not van else rng.uniform(1.9, 2.3)
    length = rng.uniform(3.9, 4.9) if not van else rng.uniform(5, 7)
    low, belt, roof = 0.22, rng.uniform(0.85, 1.0), rng.uniform(1.35, 1.55)
    if van:
        belt = roof = rng.uniform(2.0, 2.8)
    if sideways:  # crossing: the long axis goes across
        u0, u1, z0, z1 = u - length / 2, u + length / 2, z, z + width
    else:
        u0, u1, z0, z1 = u - width / 2, u + width / 2, z, z + length

    def draw():
        dark = (20, 20, 22)
        # wheels under the body
        if sideways:
            for wu in (u0 + 0.5, u1 - 1.2):
                scene.front(wu, wu + 0.7, z0 - 0.01, 0, 0.65, dark, VEHICLES)
        else:
            for wu in (u0, u1 - 0.25):
                scene.front(wu, wu + 0.25, z0 + 0.5, 0, 0.4, dark, VEHICLES)
            for wz in (z0 + 0.6, z1 - 1.3):
                scene.box(u0 - 0.02, u1 + 0.02, wz, wz + 0.7, 0, 0.6, dark, VEHICLES)
        scene.box(u0, u1, z0, z1, low, belt, body, VEHICLES)
        if not van:  # the cabin: glass sides, roof in the body colour
            if sideways:
                c0, c1, d0, d1 = u0 + length * 0.28, u1 - length * 0.22, z0 + 0.1, z1 - 0.1
            else:
                c0, c1, d0, d1 = u0 + 0.12, u1 - 0.12, z0 + 1.1, z1 - 1.2
            scene.box(c0, c1, d0, d1, belt, roof, glass, VEHICLES, top_colour=_shade(body, 1.1))
        elif not sideways:
            scene.front(u0 + 0.15, u1 - 0.15, z0, belt * 0.65, belt * 0.9, glass, VEHICLES)
        # lights (image only, inside the near face)
        if not sideways:
            lamp = (200, 30, 30) if facing_away else (235, 235, 215)
            for lu in (u0 + 0.1, u1 - 0.35):
                scene.front(lu, lu + 0.25, z0, belt - 0.25, belt - 0.1, lamp)
            scene.front(u - 0.25, u + 0.25, z0, low + 0.15, low + 0.3, (225, 225, 225))

    return z, draw


def _pedestrian(scene: _Scene, u, z):
    rng = scene.rng
    height = rng.uniform(1.5, 1.9)
    top = _colour(rng, _pick(rng, _CLOTHES), 10)
    legs = _colour(rng, _pick(rng, _CLOTHES), 10)
    skin = _colour(rng, _pick(rng, [(230, 190, 160), (190, 140, 100), (120, 85, 60)]), 8)
    stride = rng.uniform(-0.15, 0.15)
    head = height * 0.13

    def draw():
        hip, shoulder = height * 0.5, height * 0.82
        for du in (-0.12 + stride, 0.02 - stride):
            scene.front(u + du, u + du + 0.13, z, 0, hip, legs, PEDESTRIAN)
        scene.front(u - 0.2, u + 0.2, z, hip - 0.05, shoulder, top, PEDESTRIAN)
        for du in (-0.29, 0.2):
            scene.front(u + du, u + du + 0.09, z, hip - 0.05, shoulder - 0.02, top, PEDESTRIAN)
        scene.disc(u, height - head / 2, z, head / 2, skin, PEDESTRIAN, squash=1.2)

    return z, draw


def _pole(scene: _Scene, street: _Street, s, z, street_light=True):
    rng = scene.rng
    u = street.edge(s) + s * rng.uniform(0.3, 0.7)
    colour = _grey(rng, 50, 170) if rng.random() < 0.8 else _colour(rng, (60, 90, 60), 10)
    height = rng.uniform(6, 9)

    def draw():
        scene.front(u - 0.09, u + 0.09, z, 0, height, colour, POLE)
        if street_light:
            arm = rng.uniform(1.2, 2.5)
            lo, hi = sorted((u, u - s * arm))
            scene.front(lo, hi, z, height - 0.12, height, colour, POLE)
            lamp = u - s * arm
            scene.front(lamp - 0.35, lamp + 0.35, z, height - 0.3, height - 0.05, colour, POLE)

    return z, draw


def _sign(scene: _Scene, street: _Street, s, z):
    rng = scene.rng
    u = street.edge(s) + s * rng.uniform(0.4, 1.0)
    pole = _grey(rng, 90, 180)
    height = rng.uniform(2.0, 3.0)
    size = rng.uniform(0.5, 0.9)
    shape = rng.choice(["disc", "triangle", "square", "board"])
    face = tuple(_pick(rng, [(190, 30, 30), (30, 70, 170), (30, 120, 60), (235, 235, 235),
                             (230, 190, 40), (110, 170, 220)]))
    face = _colour(rng, face, 10)
    back = s < 0 and rng.random() < 0.4  # seen from behind: a grey plate

    def draw():
        scene.front(u - 0.04, u + 0.04, z, 0, height, pole, POLE)
        colour = _grey(rng, 110, 160) if back else face
        if shape == "disc":
            scene.disc(u, height, z, size / 2, colour, TRAFFICSIGN)
            if not back:
                scene.disc(u, height, z, size / 2.9, (235, 235, 235))
        elif shape == "triangle":
            low, high = height - size / 3, height + size * 0.55
            pts = [scene.point(u - size / 2, low, z), scene.point(u + size / 2, low, z),
                   scene.point(u, high, z)]
            scene.polygon(pts, colour, TRAFFICSIGN)
        elif shape == "square":
            scene.front(u - size / 2, u + size / 2, z, height - size / 2, height + size / 2, colour,
                        TRAFFICSIGN)
        else:
            scene.front(u - size, u + size * 0.6, z, height, height + size * 0.8, colour,
                        TRAFFICSIGN)
            if not back:
                scene.front(u - size * 0.8, u + size * 0.4, z, height + size * 0.3,
                            height + size * 0.45, (235, 235, 235))

    return z, draw


def _traffic_light(scene: _Scene, street: _Street, s, z):
    rng = scene.rng
    u = street.edge(s) + s * rng.uniform(0.3, 0.8)
    pole = _grey(rng, 40, 120)
    housing = _colour(rng, _pick(rng, [(30, 30, 30), (60, 60, 55), (200, 170, 40)]), 8)
    height = rng.uniform(2.6, 3.4)
    over = rng.random() < 0.5  # hanging over the road on an arm
    lit = int(rng.integers(0, 3))

    def draw():
        scene.front(u - 0.08, u + 0.08, z, 0, height + (2.5 if over else 0), pole, POLE)
        hu, hy = u, height
        if over:
            hu = u - s * rng.uniform(2.5, 4.5)
            lo, hi = sorted((u, hu))
            scene.front(lo, hi, z, height + 2.3, height + 2.45, pole, POLE)
            hy = height + 1.3
        scene.front(hu - 0.18, hu + 0.18, z, hy - 0.5, hy + 0.5, housing, TRAFFICLIGHT)
        for k, lamp in enumerate(((230, 40, 30), (240, 180, 30), (40, 220, 90))):
            colour = lamp if k == lit else _shade(lamp, 0.3)
            scene.disc(hu, hy + 0.3 - 0.3 * k, z - 0.01, 0.1, colour)

    return z, draw


def _street_furniture(scene: _Scene, street: _Street, s, z):
    """Benches, bins, bollards (Static); bins on wheels, trolleys (Dynamic); cones (Other)."""
    rng = scene.rng
    i = 0 if s < 0 else 1
    u = street.edge(s) + s * rng.uniform(0.3, max(0.4, street.walk[i] - 0.5))
    what = rng.choice(["bench", "bin", "bollard", "cart", "cone", "box"], p=[0.25, 0.2, 0.15, 0.15,
                                                                             0.15, 0.1])

    def draw():
        if what == "bench":
            colour = _colour(rng, _pick(rng, [(110, 80, 50), (60, 90, 60), (90, 90, 95)]), 10)
            scene.box(u - 0.25, u + 0.25, z, z + 1.8, 0.4, 0.5, colour, STATIC)
            scene.box(u - 0.25 + s * 0.2, u + 0.05 + s * 0.2, z, z + 1.8, 0.5, 0.9, colour, STATIC)
            for dz in (0.1, 1.6):
                scene.box(u - 0.2, u + 0.2, z + dz, z + dz + 0.1, 0, 0.4, colour, STATIC)
        elif what == "bin":
            colour = _colour(rng, _pick(rng, [(40, 80, 50), (90, 90, 90), (40, 40, 40)]), 10)
            scene.box(u - 0.25, u + 0.25, z, z + 0.5, 0, 0.95, colour, STATIC)
        elif what == "bollard":
            colour = _grey(rng, 60, 200)
            for dz in (0, 1.5, 3.0):
                scene.box(u - 0.08, u + 0.08, z + dz, z + dz + 0.16, 0, 0.9, colour, STATIC)
        elif what == "cart":
            colour = _colour(rng, _pick(rng, [(40, 90, 150), (150, 150, 150), (60, 120, 60)]), 10)
            scene.box(u - 0.35, u + 0.35, z, z + 0.7, 0.1, 1.1, colour, DYNAMIC)
        elif what == "cone":
            colour = _colour(rng, (235, 110, 30), 10)
            for dz in (0, 1.2, 2.4):
                pts = [scene.point(u - 0.18, 0, z + dz), scene.point(u + 0.18, 0, z + dz),
                       scene.point(u, 0.7, z + dz)]
                scene.polygon(pts, colour, OTHER)
        else:
            colour = _colour(rng, _pick(rng, [(150, 120, 80), (100, 100, 100)]), 12)
            scene.box(u - 0.4, u + 0.4, z, z + 0.8, 0, rng.uniform(0.4, 1.0), colour, OTHER)

    return z, draw


def _bridge(scene: _Scene, street: _Street):
    rng = scene.rng
    z = rng.uniform(30, 80)
    y0 = rng.uniform(5, 7)
    colour = _grey(rng, 100, 180)

    def draw():
        scene.front(-200, 200, z, y0, y0 + rng.uniform(1.2, 2.5), colour, BRIDGE)
        for s in (-1, 1):
            u = street.edge(s) + s * rng.uniform(1, 3)
            scene.front(u - 0.6, u + 0.6, z + 0.5, 0, y0, _shade(colour, 0.85), BRIDGE)

    return z, draw


def _guard_rail(scene: _Scene, street: _Street, s) -> None:
    rng = scene.rng
    u = street.edge(s) + s * 0.5
    colour = _grey(rng, 120, 200)
    z0, z1 = rng.uniform(0.6, 20), rng.uniform(40, 160)
    scene.side(u, z0, z1, 0.5, 0.8, colour, GUARDRAIL)
    for z in _steps(z0, min(z1, 60), 2.0):
        scene.side(u, z, z + 0.1, 0, 0.5, _shade(colour, 0.7), GUARDRAIL)


def _hood(scene: _Scene, sky_low) -> None:
    """The bonnet of the camera's own car along the bottom edge, in every frame: the same
    shape and paint (one car drives the whole set), tagged Vehicles as CARLA tags it. Its
    shine reflects the sky."""
    rng = scene.rng
    crest = HOOD_CREST
    depth = HEIGHT - crest
    outline = [(-20, HEIGHT + 5), (-20, crest + depth * 0.55), (WIDTH * 0.2, crest + depth * 0.1),
               (WIDTH * 0.5, crest), (WIDTH * 0.8, crest + depth * 0.1),
               (WIDTH + 20, crest + depth * 0.55), (WIDTH + 20, HEIGHT + 5)]
    scene.polygon(outline, _colour(rng, HOOD_PAINT, 3), VEHICLES)
    shine = [(WIDTH * 0.3, crest + depth * 0.25), (WIDTH * 0.7, crest + depth * 0.25),
             (WIDTH * 0.62, crest + depth * 0.45), (WIDTH * 0.38, crest + depth * 0.45)]
    scene.polygon(shine, _mix(HOOD_PAINT, sky_low, rng.uniform(0.25, 0.45)))


def _objects(scene: _Scene, street: _Street) -> list:
    rng = scene.rng
    objects = []
    city = scene.kind == "city"
    # traffic in the lanes
    for k in range(street.lanes):
        centre = street.left + street.lane * (k + 0.5)
        oncoming = street.two_way and k < street.lanes // 2
        mine = street.left + street.lane * k <= 0 < street.left + street.lane * (k + 1)
        z = rng.uniform(12 if mine else 5, 30)
        while z < 120:
            if rng.random() < (0.65 if city else 0.45):
                u = centre + rng.normal(0, 0.25)
                objects.append(_car(scene, u, z, facing_away=not oncoming))
            z += rng.uniform(8, 35)
    # parked cars along the curbs (not in the camera's lane)
    for s in (-1, 1):
        if scene.kind == "rural" or rng.random() < 0.2 or abs(street.edge(s)) < street.lane:
            continue
        z = rng.uniform(2, 15)
        while z < 90:
            if rng.random() < 0.7:
                u = street.edge(s) - s * rng.uniform(1.0, 1.3)
                objects.append(_car(scene, u, z))
            z += rng.uniform(5, 9)
    # crossing traffic
    if street.cross is not None:
        c0, c1 = street.cross
        for _ in range(rng.integers(0, 3)):
            objects.append(_car(scene, rng.uniform(-40, 40), rng.uniform(c0 + 0.5, c1 - 2.5),
                                sideways=True))
        for s in (-1, 1):
            if rng.random() < 0.7:
                objects.append(_traffic_light(scene, street, s, c0 - max(street.walk) + 0.5))
    # poles, signs, furniture, trees, pedestrians along each side
    for s in (-1, 1):
        i = 0 if s < 0 else 1
        spacing = rng.uniform(15, 35)
        z = rng.uniform(2, spacing)
        while z < 150:
            objects.append(_pole(scene, street, s, z, street_light=rng.random() < 0.8))
            z += spacing
        for _ in range(rng.integers(0, 3)):
            objects.append(_sign(scene, street, s, rng.uniform(4, 70)))
        if scene.kind != "rural":
            for _ in range(rng.poisson(2.0 if city else 0.8)):
                objects.append(_street_furniture(scene, street, s, rng.uniform(3, 50)))
            if rng.random() < (0.5 if city else 0.7):
                spacing = rng.uniform(8, 16)
                for z in _steps(rng.uniform(4, 4 + spacing), 120, spacing):
                    u = street.edge(s) + s * rng.uniform(0.8, max(1.0, street.walk[i] - 0.5))
                    objects.append(_tree_at(scene, u, z))
            walkers = rng.poisson(6 if city else 1.5)
            for _ in range(walkers):
                u = street.edge(s) + s * rng.uniform(0.4, street.walk[i])
                objects.append(_pedestrian(scene, u, rng.uniform(3, 45)))
        else:
            for _ in range(rng.poisson(5)):
                u = street.line(s) + s * rng.uniform(-1, 15)
                objects.append(_tree_at(scene, u, rng.uniform(5, 120)))
    if street.cross is not None and rng.random() < 0.6:  # people on the crosswalk
        c0 = street.cross[0] - max(street.walk)
        for _ in range(rng.integers(1, 5)):
            objects.append(_pedestrian(scene, rng.uniform(street.left, street.right),
                                       rng.uniform(c0 + 0.5, street.cross[0] - 0.5)))
    if rng.random() < 0.12:
        objects.append(_bridge(scene, street))
    return objects


_GRAIN = (3.0, 6.0)  # standard deviation of the sensor grain, in grey levels
# How strongly each class's surface is mottled (leaves and grass most, paint least).
_MOTTLE = np.full(NUM_CLASSES, 0.03, dtype=np.float32)
_MOTTLE[[VEGETATION, TERRAIN, GROUND, WATER]] = (0.15, 0.10, 0.08, 0.06)
_MOTTLE[[ROAD, SIDEWALK, BUILDING]] = (0.05, 0.04, 0.04)
# Flat ground, where cast shadows fall.
_FLAT = np.zeros(NUM_CLASSES, dtype=bool)
_FLAT[[ROAD, ROADLINE, SIDEWALK, TERRAIN, GROUND, RAILTRACK, WATER]] = True


def _finish(scene: _Scene, shadows: list, sky_low, rng) -> Image.Image:
    """Shadows, texture, light, colour cast, haze near the horizon and sensor grain.

    Works on each colour plane separately (fast in numpy). Noise comes in 4x4 blocks: it
    reads as texture and grain, and keeps the PNG files small (full-resolution noise would
    make them three times bigger).
    """
    f32 = np.float32
    mask = np.asarray(scene.mask)
    blotch = rng.standard_normal((HEIGHT // 4, WIDTH // 4), dtype=f32).repeat(4, 0).repeat(4, 1)
    factor = 1.0 + _MOTTLE[mask] * blotch  # (H, W)
    if shadows:  # the buildings' shadows darken the ground (not what stands on it)
        layer = Image.new("L", (WIDTH, HEIGHT), 0)
        draw = ImageDraw.Draw(layer)
        for points in shadows:
            draw.polygon(points, fill=1)
        shaded = (np.asarray(layer) == 1) & _FLAT[mask]
        factor[shaded] *= rng.uniform(0.45, 0.7)
    if scene.light == "overcast":
        gain = np.array([0.86, 0.88, 0.92]) * rng.uniform(0.85, 1.05)
    elif scene.light == "dusk":
        gain = np.array([1.0, 0.8, 0.66]) * rng.uniform(0.6, 0.85)
    else:
        gain = np.ones(3) * rng.uniform(0.8, 1.2)
    gain = gain * rng.uniform(0.93, 1.07, 3)  # the scene's colour cast
    # haze: rows near the horizon fade towards the sky's colour there (distance)
    dist = np.abs(np.arange(HEIGHT, dtype=f32) - f32(scene.horizon))
    weight = (rng.uniform(0.15, 0.45) * np.exp(-dist / rng.uniform(12, 35))).astype(f32)[:, None]
    factor *= 1.0 - weight
    grain = rng.standard_normal((HEIGHT // 4, WIDTH // 4), dtype=f32) * f32(rng.uniform(*_GRAIN))
    grain = grain.repeat(4, 0).repeat(4, 1)  # (H, W)
    planes = [np.asarray(band, dtype=f32) for band in scene.image.split()]
    if scene.light == "overcast":  # washed-out colours
        grey = (planes[0] + planes[1] + planes[2]) * f32(0.4 / 3)
        planes = [plane * f32(0.6) + grey for plane in planes]
    bands = []
    for plane, g, h in zip(planes, gain.tolist(), sky_low, strict=True):
        plane *= factor
        plane *= f32(g)
        plane += grain
        plane += weight * f32(h * g)
        np.clip(plane, 0, 255, out=plane)
        bands.append(Image.fromarray(plane.astype(np.uint8)))
    return Image.merge("RGB", bands)


def render(rng: np.random.Generator) -> tuple[Image.Image, Image.Image]:
    """One street scene as PIL images: (RGB image, "L" mask of class ids)."""
    scene = _Scene(rng)
    sky_low = _sky(scene)
    _clouds(scene, sky_low)
    _skyline(scene, sky_low)
    street = _Street(scene)
    shadows: list = []
    _ground(scene, street, shadows)
    if scene.kind == "rural":
        for s in (-1, 1):
            if rng.random() < 0.5:
                _guard_rail(scene, street, s)
    _facades(scene, street)
    objects = _objects(scene, street)
    objects.sort(key=lambda item: -item[0])
    for _, draw in objects:
        draw()
    _hood(scene, sky_low)
    image = _finish(scene, shadows, sky_low, rng)
    return image, Image.fromarray(COURSE_TAG[np.asarray(scene.mask)])
