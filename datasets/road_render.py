"""The drawing behind the road-scene stand-in (:mod:`cnn_course.datasets.road`).

A world in metres seen by a pinhole dashboard camera, drawn with Pillow in painter's order
(far to near) with occlusion bookkeeping, so that every drawn object is labelled with the box
of its visible part. :func:`render` draws one scene from an :class:`Rng`, the scalar random
stream of one image; :func:`make_noise_bank` makes the sensor noise the scenes share.
"""

from __future__ import annotations

import hashlib
import math
import random

import numpy as np

from cnn_course.datasets.road import (
    BICYCLE,
    BUS,
    CAR,
    MOTORBIKE,
    PERSON,
    STOP_SIGN,
    TRAFFIC_LIGHT,
    TRUCK,
)


class Rng:
    """Scalar random draws for the renderer, with the names of numpy's Generator methods.

    Built on ``random.Random.random()`` alone, whose sequence Python keeps stable across
    versions, and much faster than numpy for single numbers. Seeded from any
    key (hashed), so each image has its own stream.
    """

    def __init__(self, key):
        digest = hashlib.sha256(repr(key).encode()).digest()
        self.random = random.Random(int.from_bytes(digest[:8], "little")).random

    def uniform(self, low=0.0, high=1.0, size=None):
        if size is not None:
            return np.array([low + (high - low) * self.random() for _ in range(size)])
        return low + (high - low) * self.random()

    def normal(self, mean=0.0, sigma=1.0, size=None):
        if size is not None:
            return np.array([self.normal(mean, sigma) for _ in range(size)])
        u, v = self.random(), self.random()
        return mean + sigma * math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2 * math.pi * v)

    def integers(self, low, high=None):
        if high is None:
            low, high = 0, low
        return min(high - 1, low + int(self.random() * (high - low)))

    def choice(self, options, p=None):
        n = options if isinstance(options, int) else len(options)
        if p is None:
            index = min(n - 1, int(self.random() * n))
        else:
            u, total, index = self.random() * float(sum(p)), 0.0, n - 1
            for i, weight in enumerate(p):
                total += weight
                if u < total:
                    index = i
                    break
        return index if isinstance(options, int) else options[index]

    def poisson(self, lam):
        limit, k, prod = math.exp(-lam), 0, self.random()
        while prod > limit:
            k += 1
            prod *= self.random()
        return k

    def exponential(self, scale=1.0):
        return -scale * math.log(1.0 - self.random())

    def child(self):
        """An independent stream for one object (its look does not depend on what is drawn)."""
        return Rng(self.random())


REF_W, REF_H = 1280.0, 720.0  # the camera is defined on a 1280x720 frame and scaled


class _Camera:
    def __init__(self, width, height, focal, x_vanish, y_horizon, height_m, curve):
        self.f, self.xv, self.yh, self.h, self.curve = focal, x_vanish, y_horizon, height_m, curve
        self.sx, self.sy = width / REF_W, height / REF_H

    def project(self, x, y, z):
        z = max(z, 0.3)
        return ((self.xv + self.f * x / z) * self.sx,
                (self.yh + self.f * (self.h - y) / z) * self.sy)

    def road_x(self, z):
        """Lateral offset of the road centre at depth z (the road curves as x = c z^2)."""
        return self.curve * z * z

    def heading(self, z):
        return math.atan(2.0 * self.curve * z)


def _circle(cx, cy, rx, ry, n=12, start=0.0):
    return [(cx + rx * math.cos(start + 2 * math.pi * i / n),
             cy + ry * math.sin(start + 2 * math.pi * i / n)) for i in range(n)]


def _clip(c):
    return tuple(min(255, max(0, int(round(v)))) for v in c)


def _mix(a, b, t):
    return tuple(x + (y - x) * t for x, y in zip(a, b, strict=True))


EMIT = "emit"  # a colour (r, g, b, EMIT) is a light source: not shaded, tinted or hazed


class _Item:
    """Something drawn in depth order: an object with labels, or a prop that only occludes.

    An object may be built lazily: ``build(item)`` fills its primitives only if a coarse test
    on ``bounds`` (world corners of a box around it) does not already show it hidden.
    """

    def __init__(self, depth, labels=(), build=None, bounds=None):
        self.depth = depth
        self.prims: list[tuple[list, tuple, int | None]] = []  # (points, colour, tag)
        self.labels: list[int] = list(labels)  # class id per tag; no labels: a prop
        self.boxes: list[tuple[int, int, int, int]] = []
        self.bounds = bounds
        self._build = build

    def build(self):
        if self._build is not None:
            build, self._build = self._build, None
            build(self)


def _corners(x, z, theta, length, width, height, y0=0.0):
    """The 8 world corners of a box of the given size centred at (x, z), heading theta."""
    st, ct = math.sin(theta), math.cos(theta)
    out = []
    for a in (-length / 2, length / 2):
        for s in (-width / 2, width / 2):
            for y in (y0, height):
                out.append((x + a * st + s * ct, y, z + a * ct - s * st))
    return out


class _Scene:
    """One frame: camera, light, palette; draws solids and billboards into items."""

    def __init__(self, rng, width, height, ss):
        self.rng, self.width, self.height, self.ss = rng, width, height, ss
        r = rng.random()
        self.time = "day" if r < 0.58 else ("overcast" if r < 0.78 else "dusk")
        r = rng.random()
        self.setting = "urban" if r < 0.5 else ("suburban" if r < 0.8 else "highway")
        focal = rng.uniform(950, 1150)
        self.cam = _Camera(width * ss, height * ss, focal, REF_W / 2 + rng.normal(0, 45),
                           rng.uniform(0.41, 0.51) * REF_H, rng.uniform(1.3, 1.6),
                           float(np.clip(rng.normal(0, 0.0007), -0.0016, 0.0016)))
        exposure = rng.uniform(0.9, 1.08)
        if self.time == "day":
            self.tint = np.array([1.0, 1.0, 1.0]) * exposure * rng.uniform(0.96, 1.04, 3)
            self.sky = ((rng.uniform(40, 90), rng.uniform(95, 140), rng.uniform(180, 225)),
                        (rng.uniform(175, 210), rng.uniform(200, 222), rng.uniform(220, 240)))
            self.ambient, self.diffuse = 0.58, 0.5
        elif self.time == "overcast":
            grey = rng.uniform(140, 175)
            self.tint = np.array([0.9, 0.91, 0.94]) * exposure
            self.sky = ((grey - 10, grey - 6, grey), (grey + 40, grey + 42, grey + 45))
            self.ambient, self.diffuse = 0.78, 0.22
        else:
            self.tint = np.array([0.66, 0.56, 0.6]) * exposure
            self.sky = ((rng.uniform(30, 60), rng.uniform(35, 55), rng.uniform(80, 120)),
                        (rng.uniform(220, 250), rng.uniform(130, 175), rng.uniform(80, 120)))
            self.ambient, self.diffuse = 0.72, 0.3
        self.haze = np.array(self.sky[1]) * (0.92 if self.time != "dusk" else 0.7)
        self.haze_range = rng.uniform(180, 400)
        sun = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.9), 1.0,
                        rng.uniform(-0.6, 0.6)])
        self.sun = tuple(float(v) for v in sun / np.linalg.norm(sun))
        self.min_h, self.min_w = 0.013 * height, 0.0066 * width  # smallest labelled box
        self._tint = tuple(float(v) for v in self.tint)
        self._haze = tuple(float(v) for v in self.haze)

    # colours ----------------------------------------------------------------------------
    def paint(self, colour, z=0.0, shade=1.0, t=None):
        """The colour seen at depth z under light `shade` (t: haze fraction, from z if None)."""
        if len(colour) == 4:
            return colour[:3]
        if t is None:
            t = 1.0 - math.exp(-max(z, 0.0) / self.haze_range)
        k = shade * (1 - t)
        tr, tg, tb = self._tint
        hr, hg, hb = self._haze
        return (min(255, max(0, int(colour[0] * tr * k + hr * t + 0.5))),
                min(255, max(0, int(colour[1] * tg * k + hg * t + 0.5))),
                min(255, max(0, int(colour[2] * tb * k + hb * t + 0.5))))

    # geometry -----------------------------------------------------------------------------
    def solid(self, item, pose, faces, tag=0):
        """Draw the visible faces of a convex solid (back faces culled, so any order is right).

        pose = (x, z, theta, length): local (a, s, y) -> world, a along the length (0 = rear),
        s across, y up; theta 0 heads away from the camera. faces: list of (local points,
        colour, decals); a decal is (uv rectangle (u0, u1, v0, v1) or uv points or local
        points, colour), computed only when its face is visible.
        """
        x0, z0, theta, length = pose
        st, ct = math.sin(theta), math.cos(theta)
        half = length / 2
        haze = 1.0 - math.exp(-max(z0, 0.0) / self.haze_range)
        paint = self.paint
        cam = self.cam
        f, xv, yh, ch, sx, sy = cam.f, cam.xv, cam.yh, cam.h, cam.sx, cam.sy
        sun_x, sun_y, sun_z = self.sun

        def world(pts):
            return [(x0 + (a - half) * st + s * ct, y, z0 + (a - half) * ct - s * st)
                    for a, s, y in pts]

        def project(pts):  # local points -> pixels
            out = []
            for a, s, y in pts:
                a -= half
                z = z0 + a * ct - s * st
                q = f / (z if z > 0.3 else 0.3)
                out.append(((xv + (x0 + a * st + s * ct) * q) * sx, (yh + (ch - y) * q) * sy))
            return out

        ends = faces[0][0] + faces[1][0]
        la = sum(p[0] for p in ends) / len(ends)
        ls = sum(p[1] for p in ends) / len(ends)
        cy = sum(p[2] for p in ends) / len(ends)
        cx, cz = x0 + (la - half) * st + ls * ct, z0 + (la - half) * ct - ls * st
        for pts, colour, decals in faces:
            p0, p1, p2 = world(pts[:3])
            ux, uy, uz = p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]
            vx, vy, vz = p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]
            nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
            fx, fy, fz = (p0[0] + p2[0]) / 2, (p0[1] + p2[1]) / 2, (p0[2] + p2[2]) / 2
            if nx * (fx - cx) + ny * (fy - cy) + nz * (fz - cz) < 0:
                nx, ny, nz = -nx, -ny, -nz
            if nx * fx + ny * (fy - ch) + nz * fz >= 0:
                continue  # faces away from the camera
            norm = math.sqrt(nx * nx + ny * ny + nz * nz) or 1.0
            light = max(0.0, (nx * sun_x + ny * sun_y + nz * sun_z) / norm)
            shade = self.ambient + self.diffuse * light
            item.prims.append((project(pts), paint(colour, 0, shade, haze), tag))
            for spec, dcolour in decals:
                local = spec if isinstance(spec[0], tuple) and len(spec[0]) == 3 else _uv(pts, spec)
                item.prims.append((project(local), paint(dcolour, 0, shade, haze), tag))

    def pixels(self, size, z):
        """Approximate height in final pixels of `size` metres at depth z."""
        return self.cam.f * size / max(z, 0.3) * self.cam.sy / self.ss

    def board(self, item, x, z, shapes, tag=0):
        """Flat shapes facing the camera at depth z: shapes = [(points (dx, y), colour)]."""
        cam = self.cam
        haze = 1.0 - math.exp(-max(z, 0.0) / self.haze_range)
        for pts, colour in shapes:
            item.prims.append(([cam.project(x + dx, y, z) for dx, y in pts],
                               self.paint(colour, z, 1.0, haze), tag))

    def ground(self, item, pts, colour, z):
        """A flat shape on the road (a shadow): drawn with the item, not part of its silhouette."""
        item.prims.append(([self.cam.project(x, 0.0, zz) for x, zz in pts],
                           self.paint(colour, z), None))


# local-coordinate helpers: a along the length, s across, y up ---------------------------------

def _box(a0, a1, s0, s1, y0, y1, colour, decals=None, top=True):
    decals = decals or {}
    faces = {
        "rear": [(a0, s0, y0), (a0, s1, y0), (a0, s1, y1), (a0, s0, y1)],
        "front": [(a1, s0, y0), (a1, s1, y0), (a1, s1, y1), (a1, s0, y1)],
        "left": [(a0, s0, y0), (a1, s0, y0), (a1, s0, y1), (a0, s0, y1)],
        "right": [(a0, s1, y0), (a1, s1, y0), (a1, s1, y1), (a0, s1, y1)],
    }
    if top:
        faces["top"] = [(a0, s0, y1), (a0, s1, y1), (a1, s1, y1), (a1, s0, y1)]
    return [(pts, colour, decals.get(name, ())) for name, pts in faces.items()]


def _frustum(r0, f0, r1, f1, wb, wt, y0, y1, colour, decals=None):
    """A cabin: bottom a in [r0, f0] half-width wb at y0, top a in [r1, f1] half-width wt at y1."""
    decals = decals or {}
    faces = {
        "rear": [(r0, -wb, y0), (r0, wb, y0), (r1, wt, y1), (r1, -wt, y1)],
        "front": [(f0, -wb, y0), (f0, wb, y0), (f1, wt, y1), (f1, -wt, y1)],
        "left": [(r0, -wb, y0), (f0, -wb, y0), (f1, -wt, y1), (r1, -wt, y1)],
        "right": [(r0, wb, y0), (f0, wb, y0), (f1, wt, y1), (r1, wt, y1)],
        "top": [(r1, -wt, y1), (r1, wt, y1), (f1, wt, y1), (f1, -wt, y1)],
    }
    return [(pts, colour, decals.get(name, ())) for name, pts in faces.items()]


def _wheel(ac, r, s0, s1, colour=(28, 28, 30), hub=(120, 120, 125), n=10):
    """A wheel: an n-sided prism across s, centre at (a=ac, y=r)."""
    ring = _circle(ac, r, r, r, n, start=math.pi / n)
    hub_ring = _circle(ac, r, r * 0.5, r * 0.5, 8)
    faces = []
    for s in (s0, s1):
        faces.append(([(a, s, y) for a, y in ring], colour,
                      [([(a, s, y) for a, y in hub_ring], hub)] if n >= 8 else []))
    for i in range(n):
        (a1, y1), (a2, y2) = ring[i], ring[(i + 1) % n]
        faces.append(([(a1, s0, y1), (a2, s0, y2), (a2, s1, y2), (a1, s1, y1)], colour, []))
    return faces


def _uv(face, uvs):
    """Points at (u, v) of a quadrilateral face (bilinear; u along its first edge)."""
    if not isinstance(uvs[0], tuple):
        u0, u1, v0, v1 = uvs
        uvs = ((u0, v0), (u1, v0), (u1, v1), (u0, v1))
    (a0, b0, c0), (a1, b1, c1), (a2, b2, c2), (a3, b3, c3) = face[0], face[1], face[2], face[3]
    out = []
    for u, v in uvs:
        w0, w1, w2, w3 = (1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v
        out.append((w0 * a0 + w1 * a1 + w2 * a2 + w3 * a3, w0 * b0 + w1 * b1 + w2 * b2 + w3 * b3,
                    w0 * c0 + w1 * c1 + w2 * c2 + w3 * c3))
    return out


def _uv_circle(uc, vc, ru, rv, n=10):
    return [(uc + ru * math.cos(2 * math.pi * i / n), vc + rv * math.sin(2 * math.pi * i / n))
            for i in range(n)]


# palettes -------------------------------------------------------------------------------------

CAR_COLOURS = [((235, 235, 232), 5), ((25, 25, 28), 4), ((150, 152, 158), 4), ((95, 98, 104), 3),
               ((30, 60, 130), 2), ((160, 25, 30), 2), ((190, 185, 170), 1), ((35, 90, 60), 1),
               ((200, 120, 30), 0.4), ((220, 200, 60), 0.3), ((90, 40, 100), 0.3),
               ((100, 140, 190), 0.6)]
BUS_COLOURS = [(230, 180, 20), (220, 220, 215), (180, 30, 35), (40, 90, 170), (40, 130, 80),
               (235, 120, 30)]
CAB_COLOURS = [(190, 30, 30), (235, 235, 235), (40, 70, 150), (230, 190, 40), (50, 100, 60),
               (120, 120, 125), (20, 20, 22)]
CARGO_COLOURS = [(225, 225, 220), (200, 200, 200), (150, 40, 40), (60, 90, 150), (220, 130, 40),
                 (110, 110, 105), (235, 235, 210)]
GLASS = (38, 48, 62)
SHIRTS = [(200, 40, 40), (40, 70, 160), (230, 230, 225), (30, 30, 32), (60, 130, 70),
          (230, 180, 40), (120, 60, 140), (220, 120, 150), (100, 100, 100), (160, 120, 80),
          (50, 160, 200)]
PANTS = [(40, 55, 95), (30, 30, 32), (90, 90, 95), (170, 150, 110), (60, 50, 40), (120, 30, 40)]
SKINS = [(240, 200, 170), (225, 180, 140), (190, 140, 100), (140, 95, 65), (95, 65, 45)]
HAIR = [(30, 25, 20), (70, 45, 25), (150, 110, 60), (200, 180, 120), (110, 110, 110)]


def _pick(rng, weighted):
    weights = np.array([w for _, w in weighted], dtype=np.float64)
    return weighted[int(rng.choice(len(weighted), p=weights / weights.sum()))][0]


def _jitter(rng, colour, amount=12):
    return tuple(float(np.clip(c + rng.normal(0, amount), 0, 255)) for c in colour)


# objects --------------------------------------------------------------------------------------

def _car(S: _Scene, item, x, z, theta, rng, parked=False):
    """A car (sedan, hatchback or SUV) centred at (x, z), heading theta."""
    kind = rng.choice(3, p=[0.45, 0.3, 0.25])
    length = [4.6, 4.0, 4.7][kind] + rng.uniform(-0.2, 0.2)
    width = [1.8, 1.72, 1.88][kind] + rng.uniform(-0.05, 0.05)
    height = [1.45, 1.5, 1.75][kind] + rng.uniform(-0.05, 0.05)
    clear, r = [0.2, 0.2, 0.28][kind], [0.31, 0.3, 0.36][kind]
    belt = clear + (height - clear) * [0.52, 0.5, 0.55][kind]
    trunk, back = [(0.9, 0.55), (0.25, 0.3), (0.12, 0.15)][kind]
    hood, wind = [(1.2, 0.7), (0.95, 0.65), (1.0, 0.55)][kind]
    colour = _jitter(rng, _pick(rng, CAR_COLOURS), 8)
    lamps_on = S.time == "dusk" and not parked
    tail = (255, 40, 35, EMIT) if lamps_on else (165, 25, 30)
    head = (255, 250, 225, EMIT) if lamps_on else (215, 218, 215)
    dark = (30, 30, 32)
    body = {
        "rear": [((0, 1, 0, 0.25), dark), ((0.03, 0.22, 0.6, 0.88), tail),
                 ((0.78, 0.97, 0.6, 0.88), tail), ((0.38, 0.62, 0.3, 0.5), (225, 225, 215))],
        "front": [((0, 1, 0, 0.22), dark), ((0.04, 0.24, 0.62, 0.86), head),
                  ((0.76, 0.96, 0.62, 0.86), head), ((0.3, 0.7, 0.3, 0.6), (40, 40, 44))],
        "left": [((0.02, 0.98, 0.0, 0.12), dark), ((0.5, 0.51, 0.12, 0.95), (0, 0, 0))],
        "right": [((0.02, 0.98, 0.0, 0.12), dark), ((0.5, 0.51, 0.12, 0.95), (0, 0, 0))],
    }
    glass = {
        "rear": [((0.07, 0.93, 0.08, 0.9), GLASS)],
        "front": [((0.05, 0.95, 0.06, 0.92), _mix(GLASS, (80, 95, 110), 0.3))],
        "left": [((0.07, 0.47, 0.1, 0.88), GLASS), ((0.53, 0.93, 0.1, 0.88), GLASS)],
        "right": [((0.07, 0.47, 0.1, 0.88), GLASS), ((0.53, 0.93, 0.1, 0.88), GLASS)],
    }
    half = width / 2
    axles = (0.8 + r * 0.3, length - 0.85 - r * 0.3)
    _shadow(S, item, x, z, theta, length, width)
    pose = (x, z, theta, length)
    _wheels(S, item, pose, width, axles, r, 0.02, 0.22)
    S.solid(item, pose, _box(0, length, -half, half, clear, belt, colour, body))
    S.solid(item, pose, _frustum(trunk, length - hood, trunk + back, length - hood - wind,
                                 half - 0.06, half - 0.2, belt, height, colour, glass))


def _wheels(S, item, pose, width, axles, r, inset, tyre):
    """The wheels that can be seen: both axles on a visible side, the near axle on the other."""
    x, z, theta, length = pose
    st, ct, hl, hw = math.sin(theta), math.cos(theta), length / 2, width / 2
    rear_seen = st * (x - hl * st) + ct * (z - hl * ct) > 0
    front_seen = st * (x + hl * st) + ct * (z + hl * ct) < 0
    left_seen = ct * (x - hw * ct) - st * (z + hw * st) > 0
    right_seen = ct * (x + hw * ct) - st * (z - hw * st) < 0
    size = S.pixels(2 * r, z)
    n = 10 if size > 40 else (8 if size > 14 else 6)
    for side, seen in ((-1, left_seen), (1, right_seen)):
        s0, s1 = (-hw + inset, -hw + inset + tyre) if side < 0 else (hw - inset - tyre, hw - inset)
        for a in axles:
            if seen or (rear_seen if a < hl else front_seen):
                S.solid(item, pose, _wheel(a, r, s0, s1, n=n))


def _shadow(S, item, x, z, theta, length, width):
    sin_t, cos_t = math.sin(theta), math.cos(theta)
    pts = []
    for a, s in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
        a, s = a * (length + 0.3), s * (width + 0.25)
        pts.append((x + a * sin_t + s * cos_t, z + a * cos_t - s * sin_t))
    S.ground(item, pts, (22, 22, 24), z)


def _bus(S: _Scene, item, x, z, theta, rng):
    length, width, height = rng.uniform(10.5, 12.5), 2.55, rng.uniform(3.0, 3.3)
    clear, r = 0.35, 0.5
    colour = _jitter(rng, BUS_COLOURS[int(rng.integers(len(BUS_COLOURS)))], 8)
    lamps_on = S.time == "dusk"
    tail = (255, 40, 35, EMIT) if lamps_on else (165, 25, 30)
    head = (255, 250, 225, EMIT) if lamps_on else (215, 218, 215)
    n_win = int(length / 1.6)
    side = [((0.0, 1.0, 0.0, 0.06), (30, 30, 32))]
    for i in range(n_win):
        u0 = 0.06 + 0.86 * i / n_win
        side.append(((u0, u0 + 0.86 / n_win - 0.012, 0.46, 0.85), GLASS))
    band = _mix(colour, (255, 255, 255), 0.4) if sum(colour) < 500 else _mix(colour, (0, 0, 0), 0.5)
    side.append(((0.0, 1.0, 0.3, 0.36), band))
    decals = {
        "rear": [((0.1, 0.9, 0.62, 0.86), GLASS), ((0.05, 0.16, 0.12, 0.3), tail),
                 ((0.84, 0.95, 0.12, 0.3), tail), ((0.0, 1.0, 0.0, 0.07), (30, 30, 32)),
                 ((0.4, 0.6, 0.1, 0.18), (225, 225, 215))],
        "front": [((0.04, 0.96, 0.42, 0.86), _mix(GLASS, (80, 95, 110), 0.3)),
                  ((0.15, 0.85, 0.89, 0.97), (25, 25, 25)), ((0.3, 0.7, 0.91, 0.95),
                                                             (255, 170, 40, EMIT)),
                  ((0.05, 0.17, 0.12, 0.22), head), ((0.83, 0.95, 0.12, 0.22), head),
                  ((0.0, 1.0, 0.0, 0.07), (30, 30, 32))],
        "left": side, "right": side,
    }
    _shadow(S, item, x, z, theta, length, width)
    pose = (x, z, theta, length)
    half = width / 2
    _wheels(S, item, pose, width, (2.4, length - 2.7), r, 0.05, 0.3)
    S.solid(item, pose, _box(0, length, -half, half, clear, height, colour, decals))


def _truck(S: _Scene, item, x, z, theta, rng):
    cargo_len, cargo_h = rng.uniform(5.5, 8.5), rng.uniform(3.3, 3.9)
    cab_len, cab_h, width = 2.3, rng.uniform(2.7, 3.0), 2.5
    length = cargo_len + cab_len + 0.3
    cab = _jitter(rng, CAB_COLOURS[int(rng.integers(len(CAB_COLOURS)))], 6)
    cargo = _jitter(rng, CARGO_COLOURS[int(rng.integers(len(CARGO_COLOURS)))], 6)
    lamps_on = S.time == "dusk"
    tail = (255, 40, 35, EMIT) if lamps_on else (165, 25, 30)
    head = (255, 250, 225, EMIT) if lamps_on else (215, 218, 215)
    dark, r, half = (35, 35, 37), 0.5, width / 2
    cargo_decals = {
        "rear": [((0.495, 0.505, 0.02, 0.98), (60, 60, 60)), ((0.0, 1.0, 0.0, 0.03), (60, 60, 60))],
        "left": [((0.0, 1.0, 0.0, 0.04), (60, 60, 60))],
        "right": [((0.0, 1.0, 0.0, 0.04), (60, 60, 60))],
    }
    if rng.random() < 0.5:
        stripe = CAB_COLOURS[int(rng.integers(len(CAB_COLOURS)))]
        for name in ("left", "right"):
            cargo_decals[name].append(((0.05, 0.95, 0.35, 0.55), stripe))
    cab_decals = {
        "front": [((0.06, 0.94, 0.55, 0.9), _mix(GLASS, (80, 95, 110), 0.3)),
                  ((0.25, 0.75, 0.12, 0.42), (40, 40, 42)), ((0.03, 0.18, 0.1, 0.2), head),
                  ((0.82, 0.97, 0.1, 0.2), head), ((0.0, 1.0, 0.0, 0.07), dark)],
        "left": [((0.55, 0.92, 0.55, 0.88), GLASS), ((0.45, 0.46, 0.05, 0.9), (40, 40, 40))],
        "right": [((0.55, 0.92, 0.55, 0.88), GLASS), ((0.45, 0.46, 0.05, 0.9), (40, 40, 40))],
    }
    chassis_decals = {"rear": [((0.02, 0.16, 0.3, 0.7), tail), ((0.84, 0.98, 0.3, 0.7), tail),
                               ((0.4, 0.6, 0.2, 0.6), (225, 225, 215))]}
    _shadow(S, item, x, z, theta, length, width)
    pose = (x, z, theta, length)
    _wheels(S, item, pose, width, (1.0, 2.1, length - 1.3), r, 0.05, 0.35)
    S.solid(item, pose, _box(0, length - 0.2, -half + 0.2, half - 0.2, 0.5, 1.0, dark,
                             chassis_decals))
    parts = [(cargo_len / 2, _box(0, cargo_len, -half, half, 1.0, cargo_h, cargo, cargo_decals)),
             (length - cab_len / 2, _box(length - cab_len, length, -half + 0.05, half - 0.05, 0.6,
                                         cab_h, cab, cab_decals))]
    sin_t, cos_t = math.sin(theta), math.cos(theta)
    # draw the farther of cargo box and cab first
    parts.sort(key=lambda p: -math.hypot(x + (p[0] - length / 2) * sin_t,
                                         z + (p[0] - length / 2) * cos_t))
    for _, faces in parts:
        S.solid(item, pose, faces)


def _two_wheeler(S: _Scene, item, x, z, theta, rng, motor=True):
    """A motorbike or bicycle with its rider: two labels (the vehicle tag 0, the rider tag 1)."""
    length = 2.0 if motor else 1.75
    r = 0.32 if motor else 0.35
    pose = (x, z, theta, length)
    dark = (30, 30, 32)
    colour = _jitter(rng, CAB_COLOURS[int(rng.integers(len(CAB_COLOURS)))], 8)
    S.solid(item, pose, _wheel(0.35, r, -0.06, 0.06, n=12), tag=0)
    if motor:
        S.solid(item, pose, _box(0.2, 1.55, -0.17, 0.17, 0.42, 0.8, colour,
                                 {"rear": [((0.3, 0.7, 0.65, 0.9), (255, 40, 35, EMIT)
                                           if S.time == "dusk" else (170, 30, 30))]}), tag=0)
        S.solid(item, pose, _box(0.25, 0.75, 0.12, 0.26, 0.3, 0.42, (150, 150, 155)), tag=0)
    else:
        S.solid(item, pose, _box(0.35, 1.4, -0.03, 0.03, 0.55, 0.62, colour), tag=0)
        S.solid(item, pose, _box(0.6, 0.66, -0.03, 0.03, 0.3, 0.9, colour), tag=0)
    S.solid(item, pose, _wheel(length - 0.35, r, -0.06, 0.06, n=12), tag=0)
    # rider: legs, torso, arms, head
    shirt, pants = SHIRTS[int(rng.integers(len(SHIRTS)))], PANTS[int(rng.integers(len(PANTS)))]
    seat = 0.85 if motor else 0.95
    for s in (-1, 1):
        S.solid(item, pose, _box(0.65, 1.05, s * 0.22 - 0.07, s * 0.22 + 0.07, 0.3, seat + 0.1,
                                 pants), tag=1)
    S.solid(item, pose, _frustum(0.65, 1.0, 0.75, 1.05, 0.19, 0.21, seat, seat + 0.6, shirt), tag=1)
    hand = length - 0.55
    S.solid(item, pose, _box(hand - 0.05, hand, -0.36, 0.36, seat + 0.22, seat + 0.26, dark), tag=0)
    for s in (-1, 1):
        S.solid(item, pose, _box(0.95, hand, s * 0.24 - 0.05, s * 0.24 + 0.05, seat + 0.3,
                                 seat + 0.5, shirt), tag=1)
    helmet = (SHIRTS[int(rng.integers(len(SHIRTS)))] if motor or rng.random() < 0.6
              else HAIR[int(rng.integers(len(HAIR)))])
    head_y, head_r = seat + 0.77, 0.13 if motor else 0.11
    sin_t, cos_t = math.sin(theta), math.cos(theta)
    a = 0.9 - length / 2
    hx, hz = x + a * sin_t, z + a * cos_t
    u, v = S.cam.project(hx, head_y, hz)
    ru, rv = S.cam.f * head_r / hz * S.cam.sx, S.cam.f * head_r * 1.1 / hz * S.cam.sy
    item.prims.append((_circle(u, v, ru, rv, 12), S.paint(helmet, hz), 1))


def _person(S: _Scene, item, x, z, rng):
    """A pedestrian facing the camera, seen from behind or walking sideways."""
    h = rng.uniform(1.55, 1.9)
    view = rng.choice(3, p=[0.35, 0.25, 0.4])  # front, back, side (walking)
    shirt = _jitter(rng, SHIRTS[int(rng.integers(len(SHIRTS)))], 10)
    pants = _jitter(rng, PANTS[int(rng.integers(len(PANTS)))], 8)
    skin = SKINS[int(rng.integers(len(SKINS)))]
    hair = HAIR[int(rng.integers(len(HAIR)))]
    hip, shoulder, neck = 0.5 * h, 0.8 * h, 0.84 * h
    head_r = 0.062 * h
    head_y = h - head_r * 1.1
    shapes = []
    if view == 2:
        stride = rng.uniform(0.2, 0.55) * rng.choice([-1, 1])
        lean = rng.uniform(-0.04, 0.04)
        for sign in (1, -1):
            foot = sign * stride / 2
            shapes.append(([(-0.06, hip), (0.06, hip), (foot + 0.06, 0.05), (foot - 0.06, 0.05)],
                           pants))
            shapes.append(([(foot - 0.07, 0.0), (foot + 0.1 * np.sign(stride or 1), 0.0),
                            (foot + 0.1 * np.sign(stride or 1), 0.07), (foot - 0.07, 0.07)],
                           (30, 28, 26)))
        shapes.append(([(-0.13 + lean, shoulder), (0.13 + lean, shoulder), (0.11, hip - 0.03),
                        (-0.11, hip - 0.03)], shirt))
        swing = -stride * 0.6
        shapes.append(([(-0.04, shoulder - 0.02), (0.04, shoulder - 0.02), (swing + 0.04, 0.46 * h),
                        (swing - 0.04, 0.46 * h)], shirt))
        half_w = 0.13
    else:
        spread = rng.uniform(0.0, 0.06)
        for sign in (-1, 1):
            shapes.append(([(sign * 0.015, hip), (sign * 0.15, hip), (sign * (0.14 + spread), 0.06),
                            (sign * (0.03 + spread), 0.06)], pants))
            shapes.append(([(sign * (0.03 + spread), 0.0), (sign * (0.15 + spread), 0.0),
                            (sign * (0.15 + spread), 0.07), (sign * (0.03 + spread), 0.07)],
                           (30, 28, 26)))
        shapes.append(([(-0.2, shoulder), (0.2, shoulder), (0.16, hip - 0.03), (-0.16, hip - 0.03)],
                       shirt))
        for sign in (-1, 1):
            out = sign * rng.uniform(0.0, 0.06)
            shapes.append(([(sign * 0.17, shoulder), (sign * 0.25, shoulder - 0.04),
                            (sign * 0.26 + out, 0.47 * h), (sign * 0.19 + out, 0.47 * h)], shirt))
            shapes.append(([(sign * 0.19 + out, 0.47 * h), (sign * 0.26 + out, 0.47 * h),
                            (sign * 0.25 + out, 0.42 * h), (sign * 0.2 + out, 0.42 * h)], skin))
        half_w = 0.2
    shapes.append(([(-0.05, shoulder - 0.02), (0.05, shoulder - 0.02), (0.05, neck + 0.04),
                    (-0.05, neck + 0.04)], skin))
    shapes.append((_circle(0, head_y, head_r * 0.9, head_r * 1.1, 12), skin if view != 1 else hair))
    if view != 1:
        shapes.append((_circle(0, head_y + head_r * 0.45, head_r * 0.93, head_r * 0.7, 10), hair))
    if rng.random() < 0.25:  # a bag at the side
        side = rng.choice([-1, 1]) * (half_w + 0.06)
        bag = _jitter(rng, (90, 60, 40), 20)
        shapes.append(([(side - 0.09, 0.62 * h), (side + 0.09, 0.62 * h), (side + 0.09, 0.45 * h),
                        (side - 0.09, 0.45 * h)], bag))
    S.ground(item, [(x - 0.3, z - 0.1), (x + 0.3, z - 0.1), (x + 0.3, z + 0.3), (x - 0.3, z + 0.3)],
             (25, 25, 25), z)
    S.board(item, x, z, shapes)


def _traffic_light(S: _Scene, x, y0, z, state, rng, housing=(28, 30, 28)):
    """A housing with three lamps facing the camera, bottom at height y0 (the labelled part)."""
    w, h = 0.34, 0.95
    lit = {"red": 0, "amber": 1, "green": 2}[state]
    lamps = [(255, 45, 35, EMIT), (255, 185, 30, EMIT), (60, 235, 140, EMIT)]
    off = [(85, 35, 30), (85, 70, 30), (30, 70, 50)]
    decals = []
    for i, v in enumerate((0.82, 0.5, 0.18)):
        decals.append((_uv_circle(0.5, v, 0.32, 0.32 * w / h, 12),
                       lamps[i] if i == lit else off[i]))
    faces = _box(0, 0.25, -w / 2, w / 2, y0, y0 + h, housing, {"front": decals})
    item = _Item(math.hypot(x, z))
    S.solid(item, (x, z, math.pi, 0.25), faces)
    item.labels = [TRAFFIC_LIGHT]
    return item


def _stop_sign(S: _Scene, x, z, y_centre, rng):
    r = rng.uniform(0.33, 0.4)
    outer = _circle(0, y_centre, r, r, 8, start=math.pi / 8)
    inner = _circle(0, y_centre, r * 0.88, r * 0.88, 8, start=math.pi / 8)
    text = [(-0.62 * r, y_centre - 0.17 * r), (0.62 * r, y_centre - 0.17 * r),
            (0.62 * r, y_centre + 0.17 * r), (-0.62 * r, y_centre + 0.17 * r)]
    item = _Item(math.hypot(x, z))
    S.board(item, x, z, [(outer, (235, 235, 235)), (inner, (190, 20, 30))])
    # the word STOP: four letters in white strokes (a wide bar where the sign is too small)
    u0, v0 = S.cam.project(x - 0.62 * r, y_centre + 0.17 * r, z)
    u1, v1 = S.cam.project(x + 0.62 * r, y_centre - 0.17 * r, z)
    if u1 - u0 > 24:
        for pts in _stop_letters(u0, v0, u1, v1):
            item.prims.append((pts, S.paint((240, 240, 240), z), 0))
    else:
        S.board(item, x, z, [(text, (235, 225, 225))])
    item.labels = [STOP_SIGN]
    return item


def _stop_letters(u0, v0, u1, v1):
    """Polygons of the word STOP inside a box (block letters made of strokes)."""
    w, h = (u1 - u0) / 4, v1 - v0
    t = max(1.0, 0.18 * w)  # stroke thickness

    def rect(x0, y0, x1, y1):
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    out = []
    for i, letter in enumerate("STOP"):
        a, b = u0 + i * w + 0.12 * w, u0 + (i + 1) * w - 0.12 * w
        if letter == "S":
            out += [rect(a, v0, b, v0 + t), rect(a, v0, a + t, v0 + h / 2),
                    rect(a, v0 + h / 2 - t / 2, b, v0 + h / 2 + t / 2),
                    rect(b - t, v0 + h / 2, b, v1), rect(a, v1 - t, b, v1)]
        elif letter == "T":
            out += [rect(a, v0, b, v0 + t), rect((a + b) / 2 - t / 2, v0, (a + b) / 2 + t / 2, v1)]
        elif letter == "O":
            out += [rect(a, v0, b, v0 + t), rect(a, v1 - t, b, v1), rect(a, v0, a + t, v1),
                    rect(b - t, v0, b, v1)]
        else:
            out += [rect(a, v0, a + t, v1), rect(a, v0, b, v0 + t), rect(b - t, v0, b, v0 + h / 2),
                    rect(a, v0 + h / 2 - t / 2, b, v0 + h / 2 + t / 2)]
    return out


# props (occlude, never labelled) ----------------------------------------------------------------

def _pole(S, x, z, top, colour=(85, 88, 90), radius=0.07):
    """A pole seen as a flat bar with a lit half (props are flat: cheap, and thin anyway)."""
    item = _Item(math.hypot(x, z))
    lit = tuple(c * 1.25 for c in colour)
    S.board(item, x, z, [([(-radius, 0), (radius, 0), (radius, top), (-radius, top)], colour),
                         ([(-radius * 0.2, 0), (radius * 0.6, 0), (radius * 0.6, top),
                           (-radius * 0.2, top)], lit)], tag=-1)
    return item


def _bar(S, item, x0, x1, y0, y1, z, colour):
    """A horizontal bar across the view (an arm over the road) at depth z."""
    S.board(item, 0.0, z, [([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour)], tag=-1)


def _street_lamp(S, x, z, side, arm):
    item = _pole(S, x, z, 8.0, (110, 112, 115), 0.1)
    end = x - side * arm
    _bar(S, item, min(x, end), max(x, end), 7.85, 7.95, z, (110, 112, 115))
    _bar(S, item, end - 0.3, end + 0.3, 7.75, 7.95, z, (90, 92, 95))
    lamp = (255, 235, 180, EMIT) if S.time == "dusk" else (200, 200, 190)
    S.board(item, end, z, [(_circle(0, 7.72, 0.2, 0.06, 8), lamp)], tag=-1)
    return item


def _tree(S, x, z, rng, scale=1.0):
    item = _Item(math.hypot(x, z))
    trunk_h = rng.uniform(1.8, 3.0) * scale
    crown = rng.uniform(1.4, 2.6) * scale
    trunk = (rng.uniform(70, 100), rng.uniform(55, 70), rng.uniform(40, 50))
    green = (rng.uniform(40, 90), rng.uniform(90, 140), rng.uniform(35, 65))
    shapes = [([(-0.12 * scale, 0), (0.12 * scale, 0), (0.1 * scale, trunk_h + crown * 0.5),
                (-0.1 * scale, trunk_h + crown * 0.5)], trunk)]
    for _ in range(int(rng.integers(3, 5))):
        dx, dy = rng.uniform(-0.5, 0.5) * crown, rng.uniform(0.4, 1.3) * crown
        rr = crown * rng.uniform(0.6, 0.9)
        shade = rng.uniform(0.75, 1.15)
        shapes.append((_circle(dx, trunk_h + dy, rr, rr * rng.uniform(0.8, 1.0), 11),
                       tuple(c * shade for c in green)))
    S.board(item, x, z, shapes, tag=-1)
    return item


def _sign(S, x, z, rng):
    item = _pole(S, x, z, 2.6, (150, 152, 155), 0.04)
    kind = rng.integers(3)
    if kind == 0:  # blue square (parking)
        shapes = [([(-0.3, 2.2), (0.3, 2.2), (0.3, 2.8), (-0.3, 2.8)], (30, 70, 160)),
                  ([(-0.08, 2.3), (0.08, 2.3), (0.08, 2.7), (-0.08, 2.7)], (235, 235, 235))]
    elif kind == 1:  # speed limit: white disc with a red ring
        shapes = [(_circle(0, 2.45, 0.32, 0.32, 14), (200, 30, 30)),
                  (_circle(0, 2.45, 0.25, 0.25, 14), (235, 235, 235)),
                  ([(-0.12, 2.4), (0.12, 2.4), (0.12, 2.5), (-0.12, 2.5)], (30, 30, 30))]
    else:  # green direction panel
        shapes = [([(-0.6, 2.1), (0.6, 2.1), (0.6, 2.8), (-0.6, 2.8)], (30, 110, 60)),
                  ([(-0.45, 2.4), (0.45, 2.4), (0.45, 2.5), (-0.45, 2.5)], (230, 230, 230))]
    S.board(item, x, z, shapes, tag=-1)
    return item


# the scene ------------------------------------------------------------------------------------

def _layout(S: _Scene):
    """Lanes from left to right: list of (centre x, width, direction) with the ego lane at x = 0."""
    rng = S.rng
    width = rng.uniform(3.2, 3.7)
    if S.setting == "urban":
        same, opp = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    elif S.setting == "suburban":
        same, opp = 1, 1
    else:
        same, opp = int(rng.integers(2, 4)), 0
    lanes = []
    if S.setting != "highway" and rng.random() < 0.5:
        lanes.append((2.4, 0))
    lanes += [(width, -1)] * opp + [(width, 1)] * same
    if S.setting != "highway" and rng.random() < 0.55:
        lanes.append((2.4, 0))
    ego = [i for i, (_, d) in enumerate(lanes) if d == 1][int(rng.integers(same))]
    edges = np.concatenate([[0.0], np.cumsum([w for w, _ in lanes])])
    shift = (edges[ego] + edges[ego + 1]) / 2
    out = [((edges[i] + edges[i + 1]) / 2 - shift, w, d) for i, (w, d) in enumerate(lanes)]
    return out, edges[0] - shift, edges[-1] - shift


def _sky(S: _Scene):
    from PIL import Image

    cam, rng = S.cam, S.rng
    width, height = int(S.width * S.ss), int(S.height * S.ss)
    horizon = cam.yh * cam.sy
    rows = np.arange(height, dtype=np.float64)[:, None]
    t = np.clip(rows / max(horizon, 1.0), 0, 1) ** 0.8
    top, low = np.array(S.sky[0]), np.array(S.sky[1])
    if S.time == "dusk":
        mid = np.array([150.0, 90.0, 120.0])
        colours = np.where(t < 0.5, top + (mid - top) * (t / 0.5),
                           mid + (low - mid) * ((t - 0.5) / 0.5))
    else:
        colours = top + (low - top) * t
    strip = np.ascontiguousarray(np.clip(colours, 0, 255).astype(np.uint8)[:, None, :])
    image = Image.fromarray(strip).resize((width, height), Image.Resampling.NEAREST)
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    if S.time == "dusk" and rng.random() < 0.6:
        u, v = rng.uniform(0.1, 0.9) * width, horizon - rng.uniform(10, 60) * cam.sy
        rad = 14 * cam.sx
        draw.ellipse((u - rad * 2.2, v - rad * 2.2 * cam.sy / cam.sx, u + rad * 2.2,
                      v + rad * 2.2 * cam.sy / cam.sx), fill=(250, 190, 120))
        draw.ellipse((u - rad, v - rad * cam.sy / cam.sx, u + rad, v + rad * cam.sy / cam.sx),
                     fill=(255, 240, 200))
    if S.time != "dusk":
        for _ in range(int(rng.integers(0, 6))):
            u, v = rng.uniform(0, width), rng.uniform(0.05, 0.7) * horizon
            w, h = rng.uniform(60, 220) * cam.sx, rng.uniform(12, 35) * cam.sy
            base = (240, 242, 245) if S.time == "day" else (190, 192, 196)
            for _ in range(4):
                du, dv = rng.uniform(-0.6, 0.6) * w, rng.uniform(-0.5, 0.3) * h
                draw.ellipse((u + du - w / 2, v + dv - h / 2, u + du + w / 2, v + dv + h / 2),
                             fill=_clip(_mix(base, S.sky[1], rng.uniform(0.0, 0.4))))
    return image, draw


def _background(S: _Scene, draw, lanes, x_left, x_right, crossing):
    """Skyline or hills, ground, road, markings, crosswalk, buildings: everything that never
    hides an object."""
    cam, rng = S.cam, S.rng
    W, H = S.width * S.ss, S.height * S.ss
    horizon = cam.yh * cam.sy
    haze = _clip(S.haze)
    # distant skyline or hills
    if S.setting == "urban":
        u = -20.0
        while u < W:
            w, h = rng.uniform(15, 60) * cam.sx, rng.uniform(8, 70) * cam.sy
            colour = _clip(_mix(haze, (90, 95, 110), rng.uniform(0.2, 0.45)) * S.tint)
            draw.rectangle((u, horizon - h, u + w, horizon + 1), fill=colour)
            u += w * rng.uniform(0.6, 1.1)
    else:
        xs = np.linspace(0, W, 24)
        hs = np.abs(np.cumsum(rng.normal(0, 4, 24))) * cam.sy + rng.uniform(3, 25) * cam.sy
        colour = _clip(_mix(haze, (70, 100, 70), rng.uniform(0.25, 0.5)) * S.tint)
        draw.polygon([(0, horizon + 1)] + [(x, horizon - h) for x, h in zip(xs, hs, strict=True)]
                     + [(W, horizon + 1)], fill=colour)
    # ground in bands that fade into the haze
    if S.setting == "urban":
        ground = (150, 148, 140)
    elif S.setting == "suburban":
        ground = (rng.uniform(70, 110), rng.uniform(110, 140), rng.uniform(50, 70))
    else:
        ground = (rng.uniform(110, 150), rng.uniform(120, 145), rng.uniform(70, 90))
    zs = [2.0 * (300.0 / 2.0) ** (i / 16) for i in range(17)]
    for z_near, z_far in zip(zs[:-1], zs[1:], strict=True):
        v0, v1 = cam.project(0, 0, z_far)[1], min(cam.project(0, 0, z_near)[1] + 1, H)
        if v0 < v1:
            draw.rectangle((0, v0, W, v1), fill=S.paint(ground, z_near))
    if cam.project(0, 0, 2.0)[1] < H:
        draw.rectangle((0, cam.project(0, 0, 2.0)[1], W, H), fill=S.paint(ground, 2.0))

    def strip(xa, xb, z0, z1, colour, n=None, y=0.0):
        """A band on the ground between lateral offsets xa..xb (road coordinates), z0..z1."""
        n = n or max(2, int(2.5 * math.log(z1 / z0)) + 1)
        steps = [z0 * (z1 / z0) ** (i / n) for i in range(n + 1)]
        for za, zb in zip(steps[:-1], steps[1:], strict=True):
            ra, rb = cam.road_x(za), cam.road_x(zb)
            draw.polygon([cam.project(xa + ra, y, za), cam.project(xb + ra, y, za),
                          cam.project(xb + rb, y, zb), cam.project(xa + rb, y, zb)],
                         fill=S.paint(colour, za))

    asphalt = (rng.uniform(70, 100),) * 3
    asphalt = (asphalt[0], asphalt[0] + rng.uniform(-3, 3), asphalt[0] + rng.uniform(0, 6))
    if S.setting != "highway":
        walk_w = rng.uniform(2.5, 4.5) if S.setting == "urban" else rng.uniform(1.5, 2.5)
        walk = (rng.uniform(165, 195),) * 3
        strip(x_left - walk_w, x_left, 1.0, 300.0, walk)
        strip(x_right, x_right + walk_w, 1.0, 300.0, walk)
        strip(x_left - 0.2, x_left, 1.0, 300.0, (200, 200, 195))  # curbs
        strip(x_right, x_right + 0.2, 1.0, 300.0, (200, 200, 195))
    else:
        walk_w = 0.0
        strip(x_left - 1.0, x_right + 2.5, 1.0, 300.0, asphalt)  # shoulders
    strip(x_left, x_right, 1.0, 300.0, asphalt, n=20)
    for _ in range(int(rng.integers(0, 4))):  # patches
        xa = rng.uniform(x_left, x_right - 1)
        za = rng.uniform(4, 60)
        strip(xa, xa + rng.uniform(0.5, 2.5), za, za + rng.uniform(1, 6),
              _mix(asphalt, (40, 40, 40), rng.uniform(-0.15, 0.25)), n=2)
    if crossing is not None:
        z0, z1 = crossing
        strip(-400, 400, z0, z1, asphalt, n=3)
    # lane markings
    white, yellow = (225, 225, 220), (225, 190, 60)
    dash, period, phase = 3.0, rng.uniform(9, 12), rng.uniform(0, 10)

    def line(xc, colour, dashed, width=0.15):
        if dashed:  # dashes of 3 m every `period` metres
            spans = [(period * k - phase, period * k - phase + dash) for k in range(1, 18)]
        else:
            cuts = [1.5 * 1.3 ** k for k in range(17)]
            spans = list(zip(cuts[:-1], cuts[1:], strict=True))
        for za, zb in spans:
            za = max(za, 1.5)
            if zb <= za or (crossing is not None and zb > crossing[0] - 4.5 and za < crossing[1]):
                continue
            strip(xc - width / 2, xc + width / 2, za, zb, colour, n=1)

    edges = [x_left]
    for xc, w, _ in lanes:
        edges.append(xc + w / 2)
    for i, (xc, w, d) in enumerate(lanes):
        left_edge = xc - w / 2
        if i == 0:
            if d != 0:
                line(left_edge + 0.2, white, False)
            continue
        prev = lanes[i - 1][2]
        if prev == 0 or d == 0:
            continue  # no line next to a parking lane
        if prev == -1 and d == 1:
            line(left_edge - 0.12, yellow, False, 0.12)
            line(left_edge + 0.12, yellow, rng.random() < 0.3, 0.12)
        else:
            line(left_edge, white, True)
    if lanes[-1][2] != 0:
        line(x_right - 0.2, white, False)
    if crossing is not None:  # crosswalk and stop line before the intersection
        z0 = crossing[0]
        x = x_left + 0.3
        while x < x_right - 0.5:
            strip(x, x + 0.5, z0 - 3.5, z0 - 0.5, white, n=1)
            x += 1.0
        same = [xc for xc, _, d in lanes if d == 1]
        if same:
            strip(min(same) - 1.7, max(same) + 1.7, z0 - 4.6, z0 - 4.2, white, n=1)
    if S.setting == "highway":
        for xg in (x_left - 0.8, x_right + 2.3):
            strip_v = []
            for i in range(30):
                z = 2.0 * (250 / 2.0) ** (i / 29)
                strip_v.append((cam.project(xg + cam.road_x(z), 0.75, z),
                                cam.project(xg + cam.road_x(z), 0.45, z), z))
            for (a0, b0, za), (a1, b1, _) in zip(strip_v[:-1], strip_v[1:], strict=True):
                draw.polygon([a0, a1, b1, b0], fill=S.paint((170, 172, 175), za))
    return walk_w


def _buildings(S: _Scene, draw, x_left, x_right, walk_w, crossing):
    cam, rng = S.cam, S.rng
    items = []
    for side in (-1, 1):
        if S.setting == "urban":
            base = (x_left - walk_w) if side < 0 else (x_right + walk_w)
        else:
            base = (x_left - walk_w - rng.uniform(6, 12)) if side < 0 else (
                x_right + walk_w + rng.uniform(6, 12))
        z = rng.uniform(-10, 5)
        while z < 130:
            length = rng.uniform(8, 25) if S.setting == "urban" else rng.uniform(9, 14)
            gap = rng.uniform(0, 2) if S.setting == "urban" else rng.uniform(6, 20)
            if crossing is not None and z + length > crossing[0] - 1 and z < crossing[1] + 1:
                z = crossing[1] + 1.5
                continue
            if S.setting == "urban" or rng.random() < 0.8:
                items.append((side, base, z, length))
            z += length + gap
    # far first
    items.sort(key=lambda b: -(b[2] + b[3] / 2))
    for side, base, z, length in items:
        if S.setting == "urban":
            height = rng.uniform(6, 35)
            colour = _jitter(rng, [(150, 80, 60), (200, 190, 170), (170, 170, 175), (110, 115, 125),
                                   (220, 215, 200), (120, 140, 160), (180, 150, 120)]
                             [int(rng.integers(7))], 10)
            depth = rng.uniform(10, 20)
        else:
            height = rng.uniform(4.5, 7)
            colour = _jitter(rng, [(230, 225, 210), (200, 170, 130), (170, 190, 200),
                                   (210, 200, 170), (150, 110, 90)][int(rng.integers(5))], 10)
            depth = rng.uniform(8, 12)
        zm = max(z + length / 2, 1.0)
        xm = base + side * depth / 2 + cam.road_x(zm)
        theta = cam.heading(zm)
        floors = max(1, int(height / 3.3))
        lit = S.time == "dusk"
        item = _Item(0.0)
        window = (60, 75, 95) if not lit else (70, 70, 80)
        # windows: a band per floor, then pillars over them (a grid with few polygons)
        bands = [((0.03, 0.97, (i + 0.35) / floors, (i + 0.78) / floors),
                  (255, 220, 140, EMIT) if lit and rng.random() < 0.35 else window)
                 for i in range(floors)]
        n_cols = max(1, int(length / 3.0))
        pillars = [((c / n_cols - 0.025, c / n_cols + 0.025, 0.0, 1.0), colour)
                   for c in range(1, n_cols)]
        if S.setting != "urban":
            bands = [((0.2, 0.4, 0.3, 0.7), window), ((0.6, 0.8, 0.3, 0.7), window)]
            pillars = [((0.45, 0.55, 0.0, 0.55), (120, 80, 50))]
        face = "right" if side < 0 else "left"
        floor_px = S.pixels(3.3, max(z, 1.0))
        if floor_px < 3:  # too far for windows to show
            bands, pillars = [], []
        elif floor_px < 8:
            pillars = pillars[::2]
        pose = (xm, zm, theta, length)
        S.solid(item, pose, _box(0, length, -depth / 2, depth / 2, 0, height, colour,
                                 {face: bands + pillars, "rear": bands[-1:]}))
        if S.setting != "urban":  # a pitched roof
            roof = _jitter(rng, (120, 60, 50), 15)
            ridge = height + rng.uniform(1.5, 3)
            S.solid(item, pose, [
                ([(0, -depth / 2, height), (length, -depth / 2, height), (length, 0, ridge),
                  (0, 0, ridge)], roof, []),
                ([(0, depth / 2, height), (length, depth / 2, height), (length, 0, ridge),
                  (0, 0, ridge)], roof, []),
                ([(0, -depth / 2, height), (0, depth / 2, height), (0, 0, ridge)], colour, []),
                ([(length, -depth / 2, height), (length, depth / 2, height), (length, 0, ridge)],
                 colour, []),
            ])
        for pts, colour_, _ in item.prims:
            draw.polygon(pts, fill=colour_)


_SIZES = {0: (4.9, 1.95, 1.85), 1: (12.6, 2.6, 3.35), 2: (11.2, 2.55, 3.95), 3: (2.0, 0.8, 1.8),
          4: (1.8, 0.8, 1.75)}  # largest length, width, height per kind of vehicle


def _vehicle(S, x, z, theta, rng, kind=0, parked=False):
    """A lazily built vehicle centred at (x, z): kind 0 car, 1 bus, 2 truck, 3 motorbike,
    4 bicycle; a parked one is a car with its lights off."""
    kind = 0 if parked else kind
    if S.pixels(1.4, z - 2.0) < S.min_h:
        return None  # too far to be labelled: not drawn either
    child = rng.child()
    labels = {0: [CAR], 1: [BUS], 2: [TRUCK], 3: [MOTORBIKE, PERSON], 4: [BICYCLE, PERSON]}[kind]

    def build(item):
        if kind == 0:
            _car(S, item, x, z, theta, child, parked)
        elif kind == 1:
            _bus(S, item, x, z, theta, child)
        elif kind == 2:
            _truck(S, item, x, z, theta, child)
        else:
            _two_wheeler(S, item, x, z, theta, child, motor=kind == 3)

    return _Item(math.hypot(x, z), labels, build, _corners(x, z, theta, *_SIZES[kind]))


def _pedestrian(S, x, z, rng):
    if S.pixels(1.9, z) < S.min_h:
        return None
    child = rng.child()
    return _Item(math.hypot(x, z), [PERSON], lambda item: _person(S, item, x, z, child),
                 _corners(x, z, 0.0, 0.3, 0.7, 1.9))


_TRAFFIC = {  # car, bus, truck, motorbike, bicycle
    "urban": [0.8, 0.07, 0.07, 0.03, 0.03],
    "suburban": [0.83, 0.03, 0.1, 0.02, 0.02],
    "highway": [0.72, 0.05, 0.22, 0.01, 0.0],
}


def _populate(S: _Scene, lanes, x_left, x_right, walk_w, crossing):
    """Objects and props of the scene as items."""
    cam, rng = S.cam, S.rng
    weights = _TRAFFIC[S.setting]
    items = []
    mean_gap = {"urban": 10.0, "suburban": 18.0, "highway": 22.0}[S.setting]

    def blocked(z0, z1):
        return crossing is not None and z1 > crossing[0] - 5 and z0 < crossing[1] + 1

    for xc, _, direction in lanes:
        if direction == 0:  # parking lane
            if rng.random() < 0.3:
                continue
            z = rng.uniform(4.5, 12)
            side_theta = 0.0 if xc > 0 else math.pi
            while z < 70:
                if rng.random() < 0.6 and not blocked(z - 2.5, z + 2.5):
                    x = xc + rng.normal(0, 0.1) + cam.road_x(z)
                    items.append(_vehicle(S, x, z, side_theta + cam.heading(z), rng, parked=True))
                z += 4.6 + rng.uniform(0.8, 4.0)
            continue
        z = rng.uniform(5, 12) if abs(xc) < 0.5 else rng.uniform(2.5, 25)  # near end
        while z < 150:
            kind = int(rng.choice(5, p=weights))
            length = _SIZES[kind][0] - 0.3
            zc = z + length / 2
            if not blocked(z, z + length):
                x = xc + rng.normal(0, 0.15) + cam.road_x(zc)
                theta = cam.heading(zc) + rng.normal(0, 0.02) + (math.pi if direction < 0 else 0.0)
                items.append(_vehicle(S, x, zc, theta, rng, kind=kind))
            z += length + 1.5 + rng.exponential(mean_gap)
    # cross traffic in the intersection
    if crossing is not None:
        z0, z1 = crossing
        for _ in range(int(rng.integers(0, 4))):
            direction = rng.choice([-1, 1])
            zc = z0 + (z1 - z0) * (0.3 if direction > 0 else 0.7) + rng.normal(0, 0.2)
            xc = rng.uniform(-35, 35) + cam.road_x(zc)
            items.append(_vehicle(S, xc, zc, direction * math.pi / 2, rng,
                                  kind=int(rng.choice(5, p=[0.85, 0.05, 0.08, 0.02, 0.0]))))
    # pedestrians
    n_walk = {"urban": rng.poisson(5.0), "suburban": rng.poisson(1.5), "highway": 0}[S.setting]
    for _ in range(n_walk):
        side = rng.choice([-1, 1])
        z = rng.uniform(7, 55)
        off = rng.uniform(0.4, max(0.5, walk_w - 0.3))
        x = (x_left - off if side < 0 else x_right + off) + cam.road_x(z)
        items.append(_pedestrian(S, x, z, rng))
    if crossing is not None and S.setting == "urban":
        for _ in range(rng.poisson(2.5)):
            z = crossing[0] - rng.uniform(0.8, 3.2)
            x = rng.uniform(x_left + 0.3, x_right - 0.3) + cam.road_x(z)
            items.append(_pedestrian(S, x, z, rng))
    # traffic lights and stop signs at the intersection
    if crossing is not None:
        z0, z1 = crossing
        if S.setting == "urban" or rng.random() < 0.35:
            state = ["red", "amber", "green"][int(rng.choice(3, p=[0.45, 0.15, 0.4]))]
            housing = (28, 30, 28) if rng.random() < 0.7 else (190, 160, 40)
            posts = [(x_right + 0.7, z0 - 5.0), (x_left - 0.7, z0 - 5.0)]
            if rng.random() < 0.6:
                posts += [(x_right + 0.7, z1 + 1.0), (x_left - 0.7, z1 + 1.0)]
            for px, pz in posts:
                if rng.random() < 0.8:
                    px += cam.road_x(pz)
                    y0 = rng.uniform(2.3, 2.8)
                    items.append(_pole(S, px, pz + 0.2, y0 + 0.2))
                    items.append(_traffic_light(S, px, y0, pz, state, rng, housing))
            if rng.random() < 0.6:  # a mast arm over the lanes
                pz = z0 - 5.0 + rng.uniform(-1, 1) if rng.random() < 0.5 else z1 + 1.0
                px = x_right + 0.6 + cam.road_x(pz)
                top = rng.uniform(5.8, 6.6)
                item = _pole(S, px, pz + 0.2, top + 0.15, (90, 95, 100), 0.13)
                _bar(S, item, x_left + 1.5 + cam.road_x(pz), px, top - 0.1, top + 0.05, pz + 0.2,
                     (90, 95, 100))
                items.append(item)
                for xc, _, direction in lanes:
                    if direction == 1 or rng.random() < 0.4:
                        items.append(_traffic_light(S, xc + cam.road_x(pz), top - 1.15, pz, state,
                                                    rng, housing))
        else:
            for px in ([x_right + 0.6] + ([x_left - 0.6] if rng.random() < 0.5 else [])):
                pz = z0 - 5.5
                px += cam.road_x(pz)
                yc = rng.uniform(2.0, 2.4)
                items.append(_pole(S, px, pz + 0.1, yc))
                items.append(_stop_sign(S, px, pz, yc, rng))
    # street lamps, trees, signs
    lamp_every = rng.uniform(25, 40)
    sides = [(-1, x_left - 0.6), (1, x_right + 0.6)] if rng.random() < 0.5 else [
        (int(rng.choice([-1, 1])), None)]
    for side, xs in sides:
        xs = xs if xs is not None else (x_left - 0.6 if side < 0 else x_right + 0.6)
        z = rng.uniform(5, lamp_every)
        while z < 130:
            if not blocked(z - 1, z + 1):
                items.append(_street_lamp(S, xs + cam.road_x(z), z, side, rng.uniform(1.2, 2.0)))
            z += lamp_every
    n_trees = {"urban": rng.poisson(2), "suburban": rng.poisson(7), "highway": rng.poisson(9)}
    for _ in range(n_trees[S.setting]):
        side = rng.choice([-1, 1])
        z = rng.uniform(5, 120)
        if blocked(z - 2, z + 2):
            continue
        if S.setting == "urban":
            off = walk_w - 0.6
        elif S.setting == "suburban":
            off = walk_w + rng.uniform(0.8, 5)
        else:
            off = rng.uniform(4.5, 20)
        x = (x_left - off if side < 0 else x_right + off) + cam.road_x(z)
        items.append(_tree(S, x, z, rng, rng.uniform(0.9, 1.6)))
    for _ in range(rng.poisson(1.0)):
        side = rng.choice([-1, 1])
        z = rng.uniform(6, 80)
        x = (x_left - 0.5 if side < 0 else x_right + 0.5) + cam.road_x(z)
        items.append(_sign(S, x, z, rng))
    return [item for item in items if item is not None]


def _hidden(S: _Scene, bounds, taken) -> bool:
    """Coarse test: the projected box of `bounds` is mostly outside the image or already taken."""
    k = 1.0 / S.ss
    pts = [S.cam.project(*p) for p in bounds]
    x0, x1 = min(p[0] for p in pts) * k, max(p[0] for p in pts) * k
    y0, y1 = min(p[1] for p in pts) * k, max(p[1] for p in pts) * k
    area = max(x1 - x0, 1e-6) * max(y1 - y0, 1e-6)
    cx0, cy0 = max(int(x0), 0), max(int(y0), 0)
    cx1, cy1 = min(int(math.ceil(x1)), S.width), min(int(math.ceil(y1)), S.height)
    if cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) < 0.4 * area:
        return True
    return np.asarray(taken.crop((cx0, cy0, cx1, cy1))).mean() > 0.6


def _resolve(S: _Scene, items, image_draw):
    """Decide which items are drawn (visible enough), find their visible boxes, draw them.

    Near to far, each labelled item's silhouette is rasterised (at the final resolution) in
    its own box; pixels already taken by nearer items are hidden. An item under 40 % visible
    (occluded or cut by the border) or with a box too small is dropped and not drawn at all.
    Then the kept items are drawn far to near.
    """
    from PIL import Image, ImageDraw

    W, H, k = S.width, S.height, 1.0 / S.ss
    taken = Image.new("L", (W, H), 0)
    taken_draw = ImageDraw.Draw(taken)
    kept = []
    for item in sorted(items, key=lambda it: it.depth):
        if item.bounds is not None and _hidden(S, item.bounds, taken):
            continue
        item.build()
        shapes = [(pts if k == 1 else [(px * k, py * k) for px, py in pts], tag)
                  for pts, _, tag in item.prims if tag is not None]
        if not item.labels:
            for pts, _ in shapes:
                taken_draw.polygon(pts, fill=1)
            kept.append(item)
            continue
        xs = [p[0] for pts, _ in shapes for p in pts]
        ys = [p[1] for pts, _ in shapes for p in pts]
        x0, y0 = math.floor(min(xs)), math.floor(min(ys))
        x1, y1 = math.ceil(max(xs)) + 1, math.ceil(max(ys)) + 1
        if x1 <= 0 or y1 <= 0 or x0 >= W or y0 >= H or (x1 - x0) * (y1 - y0) > 9 * W * H:
            continue
        masks = {}
        for key in [None] + (list(range(len(item.labels))) if len(item.labels) > 1 else []):
            scratch = Image.new("L", (x1 - x0, y1 - y0), 0)
            draw = ImageDraw.Draw(scratch)
            for pts, tag in shapes:
                if key is None or tag == key:
                    draw.polygon([(px - x0, py - y0) for px, py in pts], fill=1)
            masks[key] = np.asarray(scratch, dtype=bool)
        full = masks[None]
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
        window = (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))
        visible = full[window] & (np.asarray(taken.crop((cx0, cy0, cx1, cy1))) == 0)
        amodal = int(full.sum())
        if amodal == 0 or visible.sum() < 0.4 * amodal:
            continue
        boxes = []
        for index in range(len(item.labels)):
            own = visible if len(item.labels) == 1 else visible & masks[index][window]
            rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
            if len(rows) == 0:
                break
            box = (cx0 + int(cols[0]), cy0 + int(rows[0]), cx0 + int(cols[-1]) + 1,
                   cy0 + int(rows[-1]) + 1)
            if box[2] - box[0] < S.min_w or box[3] - box[1] < S.min_h:
                break
            boxes.append(box)
        if len(boxes) < len(item.labels):
            continue
        item.boxes = boxes
        taken.paste(1, (cx0, cy0, cx1, cy1), Image.fromarray(visible.astype(np.uint8) * 255))
        kept.append(item)
    for item in sorted(kept, key=lambda it: -it.depth):
        for pts, colour, _ in item.prims:
            image_draw.polygon(pts, fill=colour)
    return kept


def render(rng, width, height, noise_bank, ss=1):
    """One scene -> (PIL RGB image of width x height, list of (class id, (x0, y0, x1, y1)))."""
    from PIL import ImageChops

    S = _Scene(rng, width, height, ss)
    lanes, x_left, x_right = _layout(S)
    crossing = None
    if (S.setting == "urban" and rng.random() < 0.7) or (S.setting == "suburban"
                                                          and rng.random() < 0.4):
        z0 = rng.uniform(14, 55)
        crossing = (z0, z0 + rng.uniform(9, 14))
    image, draw = _sky(S)
    walk_w = _background(S, draw, lanes, x_left, x_right, crossing)
    if S.setting != "highway":
        _buildings(S, draw, x_left, x_right, walk_w, crossing)
    items = _populate(S, lanes, x_left, x_right, walk_w, crossing)
    kept = _resolve(S, items, draw)
    if ss > 1:
        image = image.reduce(ss)
    labels = []
    for item in kept:
        labels += list(zip(item.labels, item.boxes, strict=True))
    labels.sort(key=lambda lb: (lb[1][0], lb[1][1], lb[0]))
    noise = noise_bank[int(rng.integers(len(noise_bank)))]
    ox = int(rng.integers(0, noise.width - width + 1))
    oy = int(rng.integers(0, noise.height - height + 1))
    image = ImageChops.add(image, noise.crop((ox, oy, ox + width, oy + height)), 1.0, -128)
    return image, labels


def make_noise_bank(seed, width, height):
    from PIL import Image

    rng = np.random.default_rng([seed, 99, width, height])
    bank = []
    for sigma in (2.0, 3.5, 5.0):
        field = rng.normal(128.0, sigma, (height + 64, width + 64, 3))
        bank.append(Image.fromarray(np.clip(np.round(field), 0, 255).astype(np.uint8)))
    return bank
