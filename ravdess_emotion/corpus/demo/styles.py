"""What a demo take is: the emotion cues, the actors' traits and the take plan.

The emotion styles of the voice and the face (one rule for every actor, relative to the
neutral style, exaggerated for strong intensity), the nuisance traits fixed per actor
number, and the syllable plan that the voice, the talking mouth and the tracking share.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache
from typing import TypeVar

import numpy as np

from ravdess_emotion.core.ravdess import RavdessName, actor_gender

MIN_DURATION = 2.5
MAX_DURATION = 3.5
"""Bounds of a take's length, seconds."""

_ACTOR_SALT = 0x5EED_AC7  # separates the actor-trait streams from any take stream
_STRONG_FACTOR = 1.6  # how much strong intensity (02) exaggerates every cue


# --------------------------------------------------------------------------------------
# Emotion cues: one rule for all actors, given relative to the neutral style
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VoiceStyle:
    pitch_shift: float  # semitones above the actor's base pitch
    pitch_range: float  # semitones of accent on stressed syllables (melody scale in song)
    contour: float  # semitones of rise (+) or fall (-) over the phrase
    level_db: float  # RMS of the voiced parts, dBFS
    rate: float  # syllables per second (speech; song is slower)
    duty: float  # voiced fraction of each syllable's slot
    brightness_db: float  # high-shelf gain above ~1.2 kHz
    harshness: float  # 0-1: glottal pulses (flat harmonics), jitter, shimmer
    breathiness: float  # aspiration noise relative to voicing
    tremolo: float  # semitones of 7 Hz vibrato, with a matching amplitude tremolo


@dataclass(frozen=True)
class _FaceStyle:
    mouth_curve: float  # corner lift, fraction of face height (+ smile, - frown)
    mouth_open: float  # resting opening, fraction of face height
    mouth_width: float  # fraction of face width
    talk: float  # extra opening at a syllable's peak, fraction of face height
    sneer: float  # lift of one corner only, fraction of face height
    teeth: float  # fraction of the opening filled by upper teeth
    brow_raise: float  # fraction of face height (+ up)
    brow_tilt: float  # inner end above the outer end, fraction of face height
    brow_inward: float  # inner ends pulled towards the nose, fraction of face height
    brow_arch: float  # middle of the brow above the ends, fraction of face height
    eye_open: float  # 1 = neutral


_VOICE_STYLES: dict[str, _VoiceStyle] = {
    "neutral": _VoiceStyle(0.0, 2.0, -1.5, -22.0, 4.3, 0.75, 0.0, 0.10, 0.06, 0.0),
    "calm": _VoiceStyle(-1.0, 1.2, -1.0, -27.0, 3.4, 0.88, -4.0, 0.0, 0.08, 0.0),
    "happy": _VoiceStyle(4.0, 6.0, -1.0, -17.0, 5.0, 0.70, 6.0, 0.20, 0.05, 0.0),
    "sad": _VoiceStyle(-3.0, 0.6, -2.5, -33.0, 2.6, 0.70, -14.0, 0.05, 0.45, 0.15),
    "angry": _VoiceStyle(2.0, 4.0, -3.0, -12.0, 5.2, 0.72, 12.0, 0.90, 0.10, 0.0),
    "fearful": _VoiceStyle(6.0, 3.0, 1.0, -21.0, 5.8, 0.62, 3.0, 0.25, 0.30, 0.8),
    "disgust": _VoiceStyle(-2.0, 2.5, -2.0, -24.0, 2.6, 0.93, -3.0, 0.45, 0.15, 0.0),
    "surprised": _VoiceStyle(5.0, 4.0, 7.0, -16.0, 4.0, 0.75, 7.0, 0.10, 0.12, 0.0),
}

_Style = TypeVar("_Style", _VoiceStyle, _FaceStyle)

_FACE_STYLES: dict[str, _FaceStyle] = {
    "neutral": _FaceStyle(0.00, 0.00, 0.50, 0.06, 0.00, 0.0, 0.00, 0.00, 0.00, 0.015, 1.00),
    "calm": _FaceStyle(0.02, 0.00, 0.36, 0.04, 0.00, 0.0, 0.01, 0.00, 0.00, 0.020, 0.25),
    "happy": _FaceStyle(0.14, 0.09, 0.66, 0.05, 0.00, 0.5, 0.02, 0.00, 0.00, 0.030, 0.55),
    "sad": _FaceStyle(-0.12, 0.00, 0.44, 0.04, 0.00, 0.0, 0.00, 0.09, 0.00, 0.000, 0.70),
    "angry": _FaceStyle(-0.02, 0.00, 0.50, 0.03, 0.00, 0.0, -0.07, -0.11, 0.05, 0.000, 0.60),
    "fearful": _FaceStyle(-0.05, 0.06, 0.64, 0.05, 0.00, 0.0, 0.06, 0.08, 0.02, 0.000, 1.45),
    "disgust": _FaceStyle(-0.04, 0.05, 0.46, 0.04, 0.16, 0.5, -0.04, 0.00, 0.00, 0.010, 0.40),
    "surprised": _FaceStyle(0.00, 0.18, 0.32, 0.04, 0.00, 0.0, 0.14, 0.00, 0.00, 0.050, 1.55),
}


def _exaggerate(style: _Style, neutral: _Style, factor: float) -> _Style:
    """Move every field of ``style`` away from ``neutral`` by ``factor``."""
    changes = {
        f.name: getattr(neutral, f.name) + factor * (getattr(style, f.name) - getattr(neutral, f.name))
        for f in fields(style)
    }
    return replace(style, **changes)


def _voice_style(name: RavdessName) -> _VoiceStyle:
    neutral = _VOICE_STYLES["neutral"]
    style = _VOICE_STYLES[name.emotion_name]
    if name.intensity == 2:
        style = _exaggerate(style, neutral, _STRONG_FACTOR)
        # Rate is a ratio: exaggerate it multiplicatively so it stays positive; keep the
        # other cues where the synthesiser still sounds like a voice.
        style = replace(
            style,
            rate=neutral.rate * (_VOICE_STYLES[name.emotion_name].rate / neutral.rate) ** _STRONG_FACTOR,
            duty=float(np.clip(style.duty, 0.5, 0.95)),
            harshness=float(np.clip(style.harshness, 0.0, 1.2)),
            breathiness=max(style.breathiness, 0.0),
            tremolo=max(style.tremolo, 0.0),
        )
    return style


def _face_style(name: RavdessName) -> _FaceStyle:
    style = _FACE_STYLES[name.emotion_name]
    if name.intensity == 2:
        style = _exaggerate(style, _FACE_STYLES["neutral"], _STRONG_FACTOR)
        style = replace(
            style,
            mouth_open=max(style.mouth_open, 0.0),
            eye_open=max(style.eye_open, 0.2),
            talk=max(style.talk, 0.01),
            teeth=min(max(style.teeth, 0.0), 0.8),
        )
    return style


# --------------------------------------------------------------------------------------
# Actors: nuisance traits fixed per actor number
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Actor:
    base_f0: float  # Hz
    formant_scale: float  # vocal-tract length: female voices have higher formants
    level_offset_db: float
    brightness_offset_db: float
    rate_factor: float
    noise_floor_db: float  # recording noise, dBFS
    skin: tuple[int, int, int]  # RGB
    hair: tuple[int, int, int]
    lips: tuple[int, int, int]
    background: int  # grey level
    face_scale: float  # face height / frame height
    face_aspect: float  # face width / face height
    offset: tuple[float, float]  # head centre offset, fractions of frame width and height
    sway: float  # head motion amplitude, fraction of frame height


@cache
def _actor_traits(actor: int) -> _Actor:
    rng = np.random.default_rng([_ACTOR_SALT, actor])
    male = actor_gender(actor) == "male"
    # Skin from light to medium-dark; kept light enough that the dark mouth and brows contrast.
    shade = rng.uniform(0.0, 1.0)
    light, dark = np.array([238, 200, 172]), np.array([150, 102, 72])
    skin = (light + shade * (dark - light) + rng.uniform(-8, 8, 3)).round().astype(int)
    hair_palette = [(35, 25, 20), (70, 45, 25), (120, 80, 40), (25, 25, 28), (150, 120, 70)]
    hair = hair_palette[int(rng.integers(len(hair_palette)))]
    lips = tuple(int(v) for v in (skin * np.array([0.55, 0.25, 0.28])).round())
    return _Actor(
        base_f0=float(rng.uniform(100, 140) if male else rng.uniform(180, 240)),
        formant_scale=float(rng.uniform(0.95, 1.03) if male else rng.uniform(1.10, 1.20)),
        level_offset_db=float(rng.uniform(-2, 2)),
        brightness_offset_db=float(rng.uniform(-1.5, 1.5)),
        rate_factor=float(rng.uniform(0.92, 1.08)),
        noise_floor_db=float(rng.uniform(-66, -58)),
        skin=(int(skin[0]), int(skin[1]), int(skin[2])),
        hair=hair,
        lips=(lips[0], lips[1], lips[2]),
        background=int(rng.integers(70, 191)),
        face_scale=float(rng.uniform(0.63, 0.69)),
        face_aspect=float(rng.uniform(0.76, 0.90) if male else rng.uniform(0.72, 0.86)),
        offset=(float(rng.uniform(-0.015, 0.015)), float(rng.uniform(-0.015, 0.015))),
        sway=float(rng.uniform(0.003, 0.008)),
    )


# --------------------------------------------------------------------------------------
# The take plan: syllable timing shared by the voice and the talking mouth
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Syllable:
    onset: float  # s, start of voicing
    length: float  # s, voiced part
    vowel: str
    consonant: str  # onset consonant ("" for none)
    stress: float  # 0-1
    pitch: float  # semitones: the accent (speech) or the melody note (song)


@dataclass(frozen=True)
class _TakePlan:
    duration: float  # s
    syllables: tuple[_Syllable, ...]


# (vowel, onset consonant, stress) per syllable of "Kids are talking by the door" and
# "Dogs are sitting by the door"; the sung versions join syllables into five notes.
_SPEECH_SYLLABLES: dict[int, tuple[tuple[str, str, float], ...]] = {
    1: (
        ("ih", "k", 1),
        ("ah", "", 0),
        ("aw", "t", 1),
        ("ih", "k", 0),
        ("ah", "b", 0.5),
        ("uh", "dh", 0),
        ("aw", "d", 1),
    ),
    2: (
        ("aw", "d", 1),
        ("ah", "", 0),
        ("ih", "s", 1),
        ("ih", "t", 0),
        ("ah", "b", 0.5),
        ("uh", "dh", 0),
        ("aw", "d", 1),
    ),
}
# Sung: (vowel, onset consonant, stress, melody note in semitones above the tonic).
_SONG_NOTES: dict[int, tuple[tuple[str, str, float, float], ...]] = {
    1: (("ih", "k", 1, 0), ("aw", "t", 1, 2), ("ih", "k", 0, 4), ("ah", "b", 0.5, 2), ("aw", "d", 1, 0)),
    2: (("aw", "d", 1, 0), ("ih", "s", 1, 4), ("ih", "t", 0, 2), ("ah", "b", 0.5, 5), ("aw", "d", 1, 0)),
}
_SONG_RATE_FACTOR = 0.42  # notes per second relative to the speech syllable rate


def _plan_take(name: RavdessName, rng: np.random.Generator) -> _TakePlan:
    """Syllable timing and pitch targets; the first draws from a take's generator."""
    style = _voice_style(name)
    actor = _actor_traits(name.actor)
    sung = name.channel == "song"
    rate = style.rate * actor.rate_factor
    if sung:
        units = list(_SONG_NOTES[name.statement])
        # Sung rate follows the spoken rate only partly: a sad song is slow, not dragging.
        neutral_rate = _VOICE_STYLES["neutral"].rate
        rate = neutral_rate * _SONG_RATE_FACTOR * (rate / neutral_rate) ** 0.5
    else:
        units = [(v, c, s, 0.0) for v, c, s in _SPEECH_SYLLABLES[name.statement]]
    stresses = np.array([u[2] for u in units])
    # Stressed syllables take longer; the mean slot stays 1/rate.
    weights = (0.8 + 0.45 * stresses) * rng.uniform(0.88, 1.12, len(units))
    slots = weights / weights.mean() / rate
    lead = rng.uniform(0.22, 0.4)
    tail = rng.uniform(0.25, 0.45)
    room = MAX_DURATION - lead - tail
    if slots.sum() > room:  # very slow strong takes: squeeze rather than overrun 3.5 s
        slots *= room / slots.sum()
    duration = float(np.clip(lead + slots.sum() + tail, MIN_DURATION, MAX_DURATION))
    accents = rng.uniform(0.6, 1.0, len(units))
    melody_scale = float(np.clip(style.pitch_range / _VOICE_STYLES["neutral"].pitch_range, 0.5, 2.0))
    syllables = []
    start = lead
    for (vowel, consonant, stress, note), slot, accent in zip(units, slots, accents, strict=True):
        pitch = note * melody_scale if sung else stress * style.pitch_range * accent
        syllables.append(_Syllable(start, slot * style.duty, vowel, consonant, float(stress), float(pitch)))
        start += slot
    return _TakePlan(duration, tuple(syllables))


def _syllable_envelope(syllable: _Syllable, t: np.ndarray) -> np.ndarray:
    """Amplitude (0-1) of one syllable at times ``t`` (s): quick attack, softer release."""
    rel = t - syllable.onset
    attack = min(0.04, 0.3 * syllable.length)
    release = min(0.08, 0.4 * syllable.length)
    rise = np.clip(rel / attack, 0.0, 1.0)
    fall = np.clip((syllable.length - rel) / release, 0.0, 1.0)
    shape = (rise * rise * (3 - 2 * rise)) * (fall * fall * (3 - 2 * fall))
    decay = 1.0 - 0.2 * np.clip(rel / syllable.length, 0.0, 1.0)
    return (0.75 + 0.25 * syllable.stress) * shape * decay


def _talking_envelope(plan: _TakePlan, t: np.ndarray) -> np.ndarray:
    """Sum of the syllable envelopes at times ``t`` (s), 0-1."""
    total = np.zeros_like(t)
    for syllable in plan.syllables:
        total += _syllable_envelope(syllable, t)
    return np.clip(total, 0.0, 1.0)


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over ``width`` samples, O(n) via a cumulative sum."""
    if width <= 1:
        return x
    padded = np.concatenate([np.full(width // 2, x[0]), x, np.full(width - width // 2 - 1, x[-1])])
    cumsum = np.concatenate([[0.0], np.cumsum(padded)])
    return (cumsum[width:] - cumsum[:-width]) / width
