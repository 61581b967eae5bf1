"""The face: a talking cartoon drawn with OpenCV for one take (:func:`render_face`)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ravdess_emotion.core.ravdess import RavdessName
from ravdess_emotion.corpus.demo.styles import _actor_traits, _face_style, _plan_take, _talking_envelope

# --------------------------------------------------------------------------------------
# Face
# --------------------------------------------------------------------------------------

_SHIFT = 4  # OpenCV sub-pixel bits: coordinates are multiplied by 16
_SCALE = 1 << _SHIFT
_MOUTH_S = np.linspace(-1.0, 1.0, 13)  # positions across the mouth, left to right
_WHITE = (245, 245, 240)
_IRIS = (45, 35, 30)
_BROW = (40, 30, 25)
_MOUTH_INSIDE = (55, 12, 18)


def _fixed(x: np.ndarray | Sequence[float] | float) -> np.ndarray:
    """Pixel coordinates as OpenCV fixed-point integers (``_SHIFT`` fractional bits)."""
    return np.round(np.asarray(x, dtype=np.float64) * _SCALE).astype(np.int32)


def _point(x: float, y: float) -> tuple[int, int]:
    return round(x * _SCALE), round(y * _SCALE)


def render_face(
    name: RavdessName, n_frames: int, size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Draw a talking cartoon face for one take.

    A face (skin ellipse under a hair cap, two eyes, two brows, a nose and a mouth)
    about 70% of the frame height on a plain grey background. The actor sets skin and
    hair colour, face width and size, background grey, head position and how much the
    head sways; the emotion and intensity set mouth shape, brow height and angle and
    eye openness. The mouth opens with each syllable of the take's voice.

    Parameters
    ----------
    name
        The take (modality is ignored).
    n_frames
        Number of frames; they span the take's duration evenly.
    size
        ``(width, height)`` in pixels.
    rng
        The take's generator; pass one in the same state as the one given to
        :func:`synthesize_voice` for a lip-synced pair.

    Returns
    -------
    numpy.ndarray
        uint8 RGB frames, shape ``(n_frames, height, width, 3)``.
    """
    plan = _plan_take(name, rng)
    style = _face_style(name)
    actor = _actor_traits(name.actor)
    width, height = size
    times = (np.arange(n_frames) + 0.5) * plan.duration / max(n_frames, 1)
    opening = style.mouth_open + style.talk * _talking_envelope(plan, times)

    face_h = actor.face_scale * height
    half_h = face_h / 2
    half_w = half_h * actor.face_aspect
    sway_phase = rng.uniform(0, 2 * np.pi, 2)
    sway_hz = rng.uniform(0.3, 0.6, 2)
    dx = actor.sway * height * np.sin(2 * np.pi * sway_hz[0] * times + sway_phase[0])
    dy = 0.6 * actor.sway * height * np.sin(2 * np.pi * sway_hz[1] * times + sway_phase[1])
    head = np.stack([width / 2 + actor.offset[0] * width + dx, height / 2 + actor.offset[1] * height + dy], 1)
    # Everything but the mouth is fixed relative to the head: lay it out once, in
    # fixed point, and only add the head position per frame (drawing is the hot loop).
    head_fixed = _fixed(head)
    head_list = head_fixed.tolist()

    line = max(1, round(0.08 * face_h))
    lip_line = max(1, round(0.06 * face_h))
    lid_line = max(1, round(0.03 * face_h))
    eye_half_h = max(0.075 * face_h * style.eye_open, 0.4)
    iris_r = 0.055 * face_h
    hair_centre = _point(0, -0.08 * face_h)
    hair_axes = _point(half_w * 1.08, half_h * 0.98)
    face_axes = _point(half_w, half_h)
    eye_axes = _point(0.3 * half_w, eye_half_h)
    iris_axes = _point(iris_r, min(iris_r, eye_half_h))
    eye_y = -0.09 * face_h
    eye_centres = [_point(side * 0.42 * half_w, eye_y) for side in (-1, 1)]
    brow_y = -0.26 * face_h - style.brow_raise * face_h
    brows = []
    for side in (-1, 1):
        inner_x = side * (0.12 * half_w - style.brow_inward * face_h)
        outer_x = side * 0.75 * half_w
        inner_y = brow_y - style.brow_tilt * face_h
        mid = ((inner_x + outer_x) / 2, (inner_y + brow_y) / 2 - style.brow_arch * face_h)
        brows.append(_fixed([(outer_x, brow_y), mid, (inner_x, inner_y)]))
    nose_line = (_point(0, -0.04 * face_h), _point(0.03 * face_h, 0.1 * face_h))
    nose_colour = tuple(int(c * 0.78) for c in actor.skin)

    # Mouth: a centre line bent by the smile or frown (and one-sided sneer), opened
    # more below than above, as a jaw drops. Shape (n_frames, points, 2).
    xs = np.broadcast_to(_MOUTH_S * style.mouth_width * half_w, (n_frames, len(_MOUTH_S)))
    centre_line = (
        0.27 * face_h
        + style.mouth_curve * face_h * (0.3 - _MOUTH_S**2)
        - style.sneer * face_h * np.clip(_MOUTH_S, 0, None) ** 2
    )
    gap = opening[:, None] * face_h * np.sqrt(1 - _MOUTH_S**2)
    upper, lower = centre_line - 0.35 * gap, centre_line + 0.65 * gap
    outlines = _fixed(np.concatenate([np.stack([xs, upper], 2), np.stack([xs, lower], 2)[:, ::-1]], 1))
    outlines += head_fixed[:, None, :]
    show_teeth = style.teeth > 0
    if show_teeth:
        teeth_edge = upper + style.teeth * gap
        teeth = _fixed(np.concatenate([np.stack([xs, upper], 2), np.stack([xs, teeth_edge], 2)[:, ::-1]], 1))
        teeth += head_fixed[:, None, :]

    frames = np.empty((n_frames, height, width, 3), np.uint8)
    aa, shift = cv2.LINE_AA, _SHIFT
    for i in range(n_frames):
        frame = frames[i]
        frame[:] = actor.background
        hx, hy = head_list[i]
        cv2.ellipse(
            frame, (hx + hair_centre[0], hy + hair_centre[1]), hair_axes, 0, 0, 360, actor.hair, -1, aa, shift
        )
        cv2.ellipse(frame, (hx, hy), face_axes, 0, 0, 360, actor.skin, -1, aa, shift)
        for (ex, ey), brow in zip(eye_centres, brows, strict=True):
            cv2.ellipse(frame, (hx + ex, hy + ey), eye_axes, 0, 0, 360, _WHITE, -1, aa, shift)
            cv2.ellipse(frame, (hx + ex, hy + ey), iris_axes, 0, 0, 360, _IRIS, -1, aa, shift)
            # A dark upper lid makes openness readable even when the eye is a few pixels.
            cv2.ellipse(frame, (hx + ex, hy + ey), eye_axes, 0, 180, 360, _BROW, lid_line, aa, shift)
            cv2.polylines(frame, [brow + head_fixed[i]], False, _BROW, line, aa, shift)
        (ax_, ay_), (bx_, by_) = nose_line
        cv2.line(frame, (hx + ax_, hy + ay_), (hx + bx_, hy + by_), nose_colour, max(1, line // 2), aa, shift)
        cv2.fillPoly(frame, [outlines[i]], _MOUTH_INSIDE, aa, shift)
        if show_teeth and opening[i] > 0.01:
            cv2.fillPoly(frame, [teeth[i]], _WHITE, aa, shift)
        cv2.polylines(frame, [outlines[i]], True, actor.lips, lip_line, aa, shift)
    return frames
