"""Facial tracking: the per-frame action units a face tracker would read off the cartoon (:func:`synthesize_tracking`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ravdess_emotion.core.ravdess import RavdessName
from ravdess_emotion.corpus.demo.styles import (
    _ACTOR_SALT,
    _FACE_STYLES,
    _STRONG_FACTOR,
    _face_style,
    _FaceStyle,
    _plan_take,
    _smooth,
    _talking_envelope,
)
from ravdess_emotion.corpus.tracking import AU_INTENSITY_UNITS, AU_PRESENCE_UNITS

# --------------------------------------------------------------------------------------
# Facial tracking: the action units a face tracker would read off the cartoon
# --------------------------------------------------------------------------------------

_TRACKING_SALT = 0x0AF_ACE5  # separates the tracking streams from the take's and actor's others
_INTENSITY_INDEX = {unit: i for i, unit in enumerate(AU_INTENSITY_UNITS)}
_BLINK_RATE = 0.3  # blinks per second
_BLINK_WIDTH = 0.07  # s, Gaussian width of a blink's AU45 peak
# How much each AU's level varies from take to take: the main limit on telling emotions
# apart. Less for the lips, so that they still part with every syllable in every take.
_TAKE_OFFSET_SD = np.array([0.3 if unit in (25, 26) else 1.0 for unit in AU_INTENSITY_UNITS])

# FACS prototype units the cartoon does not draw (no chin, no lip tightening), as base
# intensities (0-5); strong takes exaggerate them like the drawn cues.
_UNDRAWN_UNITS: dict[str, dict[int, float]] = {
    "neutral": {},
    "calm": {},
    "happy": {},
    "sad": {4: 0.7, 17: 0.8},
    "angry": {17: 0.6, 23: 1.6},
    "fearful": {},
    "disgust": {17: 0.5},
    "surprised": {},
}


@dataclass(frozen=True)
class _TrackedActor:
    offset: np.ndarray  # (17,) baseline intensity per AU, what the tracker reads off a resting face
    gain: np.ndarray  # (17,) how strongly each AU shows on this face
    confidence: float  # typical tracking confidence
    lip_suck: float  # chance per frame of AU28 (presence only, no intensity)


@cache
def _tracked_actor(actor: int) -> _TrackedActor:
    rng = np.random.default_rng([_ACTOR_SALT, _TRACKING_SALT, actor])
    n_units = len(AU_INTENSITY_UNITS)
    return _TrackedActor(
        offset=rng.uniform(-0.2, 0.6, n_units),
        gain=np.exp(rng.normal(0.0, 0.25, n_units)),
        confidence=float(rng.uniform(0.88, 0.96)),
        lip_suck=float(rng.uniform(0.0, 0.06)),
    )


def _tracking_rng(name: RavdessName, seed: int) -> np.random.Generator:
    """The take's tracking-noise generator: apart from :func:`_take_rng`, so audio and video never change."""
    fields_ = (name.vocal_channel, name.emotion, name.intensity, name.statement, name.repetition, name.actor)
    return np.random.default_rng(np.random.SeedSequence([_TRACKING_SALT, seed, *fields_]))


def _face_units(name: RavdessName, style: _FaceStyle, opening: np.ndarray) -> np.ndarray:
    """The 17 AU intensities (frames, 17) the drawn face shows, before actor and tracker noise.

    Read off the same style :func:`render_face` draws: corners up (AU06, AU12) or down
    (AU15, AU17), inner and outer brow lift (AU01, AU02) or lowered, knit brows (AU04),
    wide (AU05) or narrowed eyes (AU07, AU45), a stretched mouth (AU20), the one-sided
    sneer (AU09, AU10) and the mouth opening per frame (AU25, AU26).
    """
    neutral = _FACE_STYLES["neutral"]
    smile = max(style.mouth_curve, 0.0)
    frown = max(-style.mouth_curve, 0.0)
    inner_lift = style.brow_raise + style.brow_tilt  # the inner brow end above its neutral place
    closing = max(1.0 - style.eye_open, 0.0)
    stretch = max(style.mouth_width - neutral.mouth_width - 0.8 * smile, 0.0)
    static = {
        1: 16.0 * max(inner_lift, 0.0),
        2: 16.0 * max(style.brow_raise, 0.0) + 10.0 * max(style.brow_arch - neutral.brow_arch, 0.0),
        4: 12.0 * max(-inner_lift, 0.0) + 20.0 * max(style.brow_inward, 0.0),
        5: 5.0 * max(style.eye_open - 1.0, 0.0),
        6: 14.0 * smile,
        7: 3.2 * closing,
        9: 10.0 * style.sneer,
        10: 14.0 * style.sneer,
        12: 18.0 * smile,
        15: 20.0 * frown,
        17: 6.0 * frown,
        20: 15.0 * stretch,
        45: 1.6 * closing,
    }
    factor = _STRONG_FACTOR if name.intensity == 2 else 1.0
    for unit, value in _UNDRAWN_UNITS[name.emotion_name].items():
        static[unit] = static.get(unit, 0.0) + factor * value
    units = np.zeros((len(opening), len(AU_INTENSITY_UNITS)))
    for unit, value in static.items():
        units[:, _INTENSITY_INDEX[unit]] = value
    units[:, _INTENSITY_INDEX[25]] = 28.0 * opening
    units[:, _INTENSITY_INDEX[26]] = 20.0 * np.clip(opening - 0.03, 0.0, None)
    return units


def synthesize_tracking(
    name: RavdessName, n_frames: int, rng: np.random.Generator, noise: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The per-frame action units a face tracker would report for one take's video.

    The intensities follow the cartoon of :func:`render_face` (see :func:`_face_units`;
    FACS prototype units the cartoon cannot show, such as AU23 in anger, are added
    small), with AU25/AU26 following the talking mouth frame by frame. On top: each
    actor's baseline and gain per AU, a per-take expressiveness and offset per AU,
    slow and fast per-frame noise and a few blinks (AU45). Presences are intensities
    above 1 after noise. One short run of frames (never all) is tracked with
    confidence below :data:`~ravdess_emotion.corpus.tracking.MIN_CONFIDENCE`, and holds
    garbage there, as a lost track does.

    Parameters
    ----------
    name
        The take (modality is ignored).
    n_frames
        Number of video frames; they span the take's duration evenly.
    rng
        The take's generator, in the same state as the one given to :func:`render_face`
        (only its syllable plan is drawn from it, so the mouth units are lip-synced).
    noise
        The tracking generator: every other random number (the demo uses a stream of
        its own, so that the audio and video stay the same with or without tracking).

    Returns
    -------
    units : numpy.ndarray
        float64, shape ``(n_frames, 35)``: :data:`~ravdess_emotion.corpus.tracking.AU_COLUMNS`.
    confidence : numpy.ndarray
        float64, shape ``(n_frames,)``, 0-1.
    """
    plan = _plan_take(name, rng)
    style = _face_style(name)
    actor = _tracked_actor(name.actor)
    n_units = len(AU_INTENSITY_UNITS)
    times = (np.arange(n_frames) + 0.5) * plan.duration / max(n_frames, 1)
    opening = style.mouth_open + style.talk * _talking_envelope(plan, times)
    cues = _face_units(name, style, opening)

    expressiveness = noise.uniform(0.7, 1.3)
    take_offset = noise.normal(0.0, _TAKE_OFFSET_SD)
    slow = np.stack([_smooth(column, 7) for column in noise.normal(0.0, 0.8, (n_units, n_frames))], 1)
    fast = noise.normal(0.0, 0.15, (n_frames, n_units))
    n_blinks = int(noise.poisson(_BLINK_RATE * plan.duration))
    blink_times = noise.uniform(0.0, plan.duration, n_blinks)
    blink_peaks = noise.uniform(2.5, 4.0, n_blinks)
    blinks = (blink_peaks * np.exp(-(((times[:, None] - blink_times) / _BLINK_WIDTH) ** 2))).sum(axis=1)
    intensity = actor.offset + actor.gain * (expressiveness * cues + take_offset) + slow + fast
    intensity[:, _INTENSITY_INDEX[45]] += blinks
    intensity = np.clip(intensity, 0.0, 5.0)

    presence_noise = noise.normal(0.0, 0.3, (n_frames, len(AU_PRESENCE_UNITS)))
    lip_suck = noise.uniform(size=n_frames) < actor.lip_suck
    presence = np.empty((n_frames, len(AU_PRESENCE_UNITS)))
    for column, unit in enumerate(AU_PRESENCE_UNITS):
        if unit in _INTENSITY_INDEX:
            presence[:, column] = intensity[:, _INTENSITY_INDEX[unit]] + presence_noise[:, column] > 1.0
        else:  # AU28 (lip suck) has no intensity output
            presence[:, column] = lip_suck

    confidence = np.clip(actor.confidence + noise.normal(0.0, 0.02, n_frames), 0.8, 0.99)
    # A lost track: one short run of frames, never all of them, with garbage units.
    n_lost = min(int(noise.integers(1, 2 + n_frames // 20)), (n_frames - 1) // 2)
    lost_start = int(noise.integers(0, n_frames - n_lost + 1))
    lost = slice(lost_start, lost_start + n_lost)
    confidence[lost] = noise.uniform(0.05, 0.6, n_lost)
    intensity[lost] = noise.uniform(0.0, 3.0, (n_lost, n_units))
    presence[lost] = noise.uniform(size=(n_lost, len(AU_PRESENCE_UNITS))) < 0.3
    return np.concatenate([intensity, presence], 1), confidence
