"""Synthetic demo data in the RAVDESS layout, so the pipeline runs without the 25 GB download.

Every take gets the three files a RAVDESS take has, plus the facial tracking file that
the RAVDESS Facial Landmark Tracking release has per audio-video trial, named and
foldered the same way (``Actor_NN/MM-CC-EE-II-SS-RR-AA.ext``):

- ``03-...wav``: audio-only, 48 kHz 16-bit PCM mono, 2.5-3.5 s;
- ``01-...mp4``: H.264 video of a drawn, talking face with an AAC copy of the same voice;
- ``02-...mp4``: the same H.264 frames without an audio track;
- ``01-...csv``: per-frame action units of that face, as OpenFace writes them (one row
  per video frame, same frame rate; see :func:`synthesize_tracking` and
  :func:`~ravdess_emotion.corpus.tracking.tracking_text`).

This is not RAVDESS and contains no recording of anyone: the voice is a formant
synthesiser and the face is a cartoon drawn with OpenCV. What it keeps from RAVDESS is
the layout and the experimental design: 24 actors (odd male, even female), 8 emotions
in speech and 6 in song, two intensities, two statements, two repetitions.

The emotion cues are the same rule for every actor (relative to the actor's own
voice and face), while actors differ in nuisance ways (pitch, formants, loudness,
skin tone, face shape, background, head position; per-AU baseline and gain of the
tracking), so a model trained on some actors can be tested on others, as with the real
data. The cues are deliberately bold: they survive 13 MFCCs at 22,050 Hz and 8 frames
downscaled to 32x32 pixels. The action units follow the drawn face (smile: AU06 and
AU12, raised brows: AU01 and AU02, ...) with take-to-take and tracker noise, so that a
linear model on clip means tells the emotions of unseen actors apart well, not perfectly.

Everything is deterministic: a take's random numbers come from ``(seed, take fields)``
and an actor's traits from the actor number, never from process order. The tracking
noise has streams of its own, so the WAV and MP4 files are the same with or without it.

Command line::

    python -m ravdess_emotion.corpus.demo data/demo --actors 1-24 --seed 0
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np
import soundfile as sf
from joblib.externals.loky import ProcessPoolExecutor
from scipy import signal
from tqdm import tqdm

from ravdess_emotion.core.files import TEMPORARY_SUFFIX, atomic_path, available_cores, temporary_path
from ravdess_emotion.core.ravdess import (
    EMOTIONS,
    SONG_EMOTIONS,
    SYNTHETIC_MARKER,
    RavdessName,
    actor_folder,
    actor_gender,
    parse_actor_list,
)
from ravdess_emotion.corpus.tracking import AU_INTENSITY_UNITS, AU_PRESENCE_UNITS, tracking_text

SAMPLE_RATE = 48000
"""Sample rate of the WAV files and of :func:`synthesize_voice`, Hz (as RAVDESS)."""

MIN_DURATION = 2.5
MAX_DURATION = 3.5
"""Bounds of a take's length, seconds."""

_CONTROL_RATE = 500.0  # Hz; pitch and tremolo move slowly, so build them at a coarse rate
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


# --------------------------------------------------------------------------------------
# Voice
# --------------------------------------------------------------------------------------

_VOWEL_FORMANTS: dict[str, tuple[float, float, float, float]] = {  # Hz, adult male (Peterson & Barney)
    "ih": (390, 1990, 2550, 3600),
    "ah": (730, 1090, 2440, 3400),
    "aw": (570, 840, 2410, 3400),
    "uh": (520, 1190, 2390, 3400),
}
_FORMANT_BANDWIDTHS = (80.0, 100.0, 140.0, 200.0)  # Hz
_CONSONANT_BANDS: dict[str, tuple[float, float, float, float]] = {
    # low Hz, high Hz, length s, level relative to the vowel
    "k": (1500, 3500, 0.030, 0.35),
    "t": (3000, 7000, 0.025, 0.35),
    "d": (2500, 5000, 0.018, 0.2),
    "b": (300, 1200, 0.015, 0.2),
    "s": (4000, 10000, 0.100, 0.18),
    "dh": (1000, 4000, 0.040, 0.08),
}


@cache
def _vowel_filter(vowel: str, formant_scale: float, sample_rate: int) -> np.ndarray:
    """Cascade of unity-DC-gain two-pole resonators (Klatt style) as second-order sections."""
    sections = []
    for formant, bandwidth in zip(_VOWEL_FORMANTS[vowel], _FORMANT_BANDWIDTHS, strict=True):
        radius = np.exp(-np.pi * bandwidth / sample_rate)
        theta = 2 * np.pi * min(formant * formant_scale, 0.45 * sample_rate) / sample_rate
        a1, a2 = -2 * radius * np.cos(theta), radius * radius
        sections.append([1 + a1 + a2, 0.0, 0.0, 1.0, a1, a2])
    return np.array(sections)


@cache
def _band_filter(low: float, high: float, sample_rate: int) -> np.ndarray:
    return signal.butter(2, [low, min(high, 0.45 * sample_rate)], btype="band", fs=sample_rate, output="sos")


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over ``width`` samples, O(n) via a cumulative sum."""
    if width <= 1:
        return x
    padded = np.concatenate([np.full(width // 2, x[0]), x, np.full(width - width // 2 - 1, x[-1])])
    cumsum = np.concatenate([[0.0], np.cumsum(padded)])
    return (cumsum[width:] - cumsum[:-width]) / width


def synthesize_voice(
    name: RavdessName, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Speak (or sing) one take with a formant synthesiser.

    A sawtooth glottal source, plus a flat-spectrum pulse train for harsh voices and
    aspiration noise for breathy ones, is shaped by syllable envelopes and filtered by
    four vowel formants per syllable; consonant noise bursts precede some syllables; the
    result is tilted, levelled and softly limited. The actor sets base pitch,
    formant scale, loudness and speaking rate; the emotion and intensity set pitch level,
    range and contour, loudness, rate, brightness, harshness, breathiness and tremolo.

    Parameters
    ----------
    name
        The take (modality is ignored). Song takes are five sustained notes.
    rng
        The take's generator. Given a generator in the same state,
        :func:`render_face` moves the mouth in time with this voice.
    sample_rate
        Output sample rate, Hz.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n_samples,)``, values in [-1, 1]; 2.5-3.5 s long.
    """
    plan = _plan_take(name, rng)
    style = _voice_style(name)
    actor = _actor_traits(name.actor)
    sung = name.channel == "song"
    n_samples = round(plan.duration * sample_rate)
    t = np.arange(n_samples) / sample_rate

    # Pitch in semitones above the actor's base, built at the control rate.
    n_control = int(plan.duration * _CONTROL_RATE) + 2
    tc = np.arange(n_control) / _CONTROL_RATE
    centres = np.array([s.onset + s.length / 2 for s in plan.syllables])
    progress = (centres - centres[0]) / max(centres[-1] - centres[0], 1e-6)
    contour = style.contour * (progress**2 if style.contour > 0 else progress)
    targets = style.pitch_shift + contour + np.array([s.pitch for s in plan.syllables])
    if sung:
        # Steady notes with a short glide between them.
        note_index = np.clip(
            np.searchsorted([s.onset for s in plan.syllables], tc, side="right") - 1, 0, None
        )
        semitones = _smooth(targets[note_index], int(0.04 * _CONTROL_RATE))
        semitones = semitones + 0.25 * np.sin(2 * np.pi * 5.5 * tc)  # natural singing vibrato
    else:
        semitones = np.interp(tc, centres, targets)
    wobble = _smooth(rng.standard_normal(n_control), 8) * (0.15 + 0.8 * style.harshness)
    tremolo_phase = 2 * np.pi * 7.0 * tc + rng.uniform(0, 2 * np.pi)
    semitones = semitones + wobble + style.tremolo * np.sin(tremolo_phase)
    f0 = np.interp(t, tc, actor.base_f0 * 2.0 ** (semitones / 12))

    # Glottal source: sawtooth (harmonics fall 6 dB/octave) + pulses (flat harmonics).
    phase = np.cumsum(f0 / sample_rate)
    period_index = phase.astype(np.int64)
    saw = 1.0 - 2.0 * (phase - period_index)
    pulses = np.diff(period_index, prepend=0).astype(np.float64)
    shimmer = 1.0 + 0.35 * style.harshness * rng.standard_normal(period_index[-1] + 1)
    voiced = (saw + 20.0 * style.harshness * pulses) * shimmer[period_index]
    aspiration = rng.standard_normal(n_samples) * style.breathiness * 3.0 * (0.6 + 0.4 * (1 - saw) / 2)
    source = voiced + aspiration
    if style.tremolo:
        source *= 1.0 + 0.25 * style.tremolo * np.sin(np.interp(t, tc, tremolo_phase))

    # Each syllable through its own vowel filter, overlap-added; the tail lets resonances ring.
    out = np.zeros(n_samples)
    voicing = np.zeros(n_samples)
    ring = int(0.03 * sample_rate)
    for syllable in plan.syllables:
        start = max(int(syllable.onset * sample_rate), 0)
        stop = min(int((syllable.onset + syllable.length) * sample_rate) + 1, n_samples)
        envelope = _syllable_envelope(syllable, t[start:stop])
        voicing[start:stop] += envelope
        excitation = np.zeros(stop - start + ring)
        excitation[: stop - start] = source[start:stop] * envelope
        sos = _vowel_filter(syllable.vowel, round(actor.formant_scale, 4), sample_rate)
        filtered = signal.sosfilt(sos, excitation)
        end = min(start + len(filtered), n_samples)
        out[start:end] += filtered[: end - start]

    # Level the vowels first, so the consonant bursts sit at fixed ratios to them.
    voiced_mask = voicing > 0.3
    rms = np.sqrt(np.mean(out[voiced_mask] ** 2)) if voiced_mask.any() else 1.0
    out /= max(rms, 1e-12)
    for syllable in plan.syllables:
        if not syllable.consonant:
            continue
        low, high, length, level = _CONSONANT_BANDS[syllable.consonant]
        n_burst = int(length * sample_rate)
        stop = int(syllable.onset * sample_rate)
        start = max(stop - n_burst, 0)
        if stop <= start:
            continue
        ramp = np.linspace(0.0, 1.0, stop - start)
        shape = np.sin(np.pi * ramp) if syllable.consonant == "s" else np.exp(-4.0 * ramp)
        burst = signal.sosfilt(_band_filter(low, high, sample_rate), rng.standard_normal(stop - start))
        burst *= shape * level * (1.0 + style.harshness) / max(np.std(burst), 1e-12)
        out[start:stop] += burst

    # Spectral tilt: a high shelf above ~1.2 kHz sets brightness (dark sad, bright angry).
    shelf_gain = 10.0 ** ((style.brightness_db + actor.brightness_offset_db) / 20)
    pole = np.exp(-2 * np.pi * 1200.0 / sample_rate)
    lowpassed = signal.lfilter([1 - pole], [1, -pole], out)
    out = lowpassed + shelf_gain * (out - lowpassed)

    rms = np.sqrt(np.mean(out[voiced_mask] ** 2)) if voiced_mask.any() else 1.0
    out *= 10.0 ** ((style.level_db + actor.level_offset_db) / 20) / max(rms, 1e-12)
    out += rng.standard_normal(n_samples) * 10.0 ** (actor.noise_floor_db / 20)
    # Soft limiter: transparent for quiet voices, saturates (harsher) for the loudest.
    return (0.99 * np.tanh(out / 0.99)).astype(np.float32)


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


# --------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------


def _take_rng(name: RavdessName, seed: int) -> np.random.Generator:
    """The take's generator: from the seed and every take field (not the modality)."""
    fields_ = (name.vocal_channel, name.emotion, name.intensity, name.statement, name.repetition, name.actor)
    return np.random.default_rng(np.random.SeedSequence([seed, *fields_]))


_TEMP_NAME = re.compile(rf"^\.\d\d(-\d\d){{6}}\.(wav|mp4|csv)\.\d+{re.escape(TEMPORARY_SUFFIX)}$")


def _remove_stale_temp_files(dest: Path) -> None:
    """Delete the temp files of a run that was killed before it could clean up."""
    for folder in dest.glob("Actor_*"):
        for path in folder.iterdir():
            if _TEMP_NAME.match(path.name):
                path.unlink(missing_ok=True)


def _write_atomically(final: Path, write: Callable[[Path], None]) -> None:
    """``write(temporary path)``, then the file is renamed to ``final`` (see ``core.files.atomic_path``)."""
    with atomic_path(final) as temp:
        write(temp)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    sf.write(path, pcm, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def write_video_only(path: Path, frames: np.ndarray, fps: float) -> None:
    """Write ``frames`` (n, height, width, 3) uint8 RGB as an H.264 (libx264, yuv420p) MP4 with one video stream."""
    height, width = frames.shape[1:3]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # superfast has no macroblock-tree lookahead: with it (veryfast and slower) libx264
        # output varied between identical runs here. One thread, as takes already run in parallel.
        stream.options = {"preset": "superfast", "crf": "20", "threads": "1"}
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _write_audio_video(path: Path, video_only: Path, audio: np.ndarray) -> None:
    """Copy the H.264 stream of ``video_only`` and add the voice as AAC (no re-encoding)."""
    with av.open(str(video_only)) as source, av.open(str(path), "w", format="mp4") as container:
        video_in = source.streams.video[0]
        video_out = container.add_stream_from_template(video_in)
        audio_out = container.add_stream("aac", rate=SAMPLE_RATE)
        audio_out.layout = "mono"
        audio_out.bit_rate = 96000
        # The default two-loop coder is ~3x slower (then the costliest step of a take), for
        # no gain that matters to a synthetic voice.
        audio_out.options = {"aac_coder": "fast"}
        for packet in source.demux(video_in):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = video_out
            container.mux(packet)
        frame = av.AudioFrame.from_ndarray(
            audio[np.newaxis, :].astype(np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        container.mux(audio_out.encode(frame))
        container.mux(audio_out.encode(None))


@dataclass(frozen=True)
class _TakeJob:
    dest: Path
    name: RavdessName  # audio-only name of the take
    video: bool
    video_size: tuple[int, int]
    fps: float
    seed: int


def _frame_count(n_samples: int, fps: float) -> int:
    """Video frames of a take whose voice has ``n_samples`` samples at :data:`SAMPLE_RATE`."""
    return max(1, round(n_samples / SAMPLE_RATE * fps))


def _write_take(job: _TakeJob) -> list[Path]:
    """Write whichever of the take's files are missing; return all of them."""
    folder = job.dest / actor_folder(job.name.actor)
    folder.mkdir(parents=True, exist_ok=True)
    wav_path = folder / job.name.filename()
    audio_video_path = folder / job.name.with_modality(1).filename()
    video_only_path = folder / job.name.with_modality(2).filename()
    tracking_path = folder / job.name.with_modality(1).filename(".csv")
    paths = [wav_path, audio_video_path, video_only_path, tracking_path] if job.video else [wav_path]
    if all(p.exists() for p in paths):
        return paths

    # Voice and face get twin generators (same seed): the face replays the voice's syllables.
    audio = synthesize_voice(job.name, _take_rng(job.name, job.seed))
    # What the WAV holds exactly, so the AAC track carries the same waveform.
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32767).astype(np.float32)
    if not wav_path.exists():
        _write_atomically(wav_path, lambda temp: _write_wav(temp, audio))
    if not job.video:
        return paths

    n_frames = _frame_count(len(audio), job.fps)
    if not (audio_video_path.exists() and video_only_path.exists()):
        frames = render_face(job.name, n_frames, job.video_size, _take_rng(job.name, job.seed))
        video_temp = temporary_path(video_only_path)
        try:
            write_video_only(video_temp, frames, job.fps)
            if not audio_video_path.exists():
                _write_atomically(audio_video_path, lambda temp: _write_audio_video(temp, video_temp, audio))
            if not video_only_path.exists():
                os.replace(video_temp, video_only_path)
        finally:
            video_temp.unlink(missing_ok=True)
    if not tracking_path.exists():
        units, confidence = synthesize_tracking(
            job.name, n_frames, _take_rng(job.name, job.seed), _tracking_rng(job.name, job.seed)
        )
        text = tracking_text(units, confidence, job.fps)
        _write_atomically(tracking_path, lambda temp: temp.write_bytes(text))
    return paths


def _init_worker() -> None:
    cv2.setNumThreads(1)  # the pool already uses every core


def _takes(
    actors: Sequence[int],
    channels: Sequence[str],
    statements: Sequence[int],
    repetitions: Sequence[int],
    intensities: Sequence[int],
) -> list[RavdessName]:
    unknown = set(channels) - {"speech", "song"}
    if unknown:
        raise ValueError(f"unknown channel(s) {sorted(unknown)}: use 'speech' and/or 'song'")
    takes = []
    for actor in sorted(set(actors)):
        for channel in ("speech", "song"):
            if channel not in channels:
                continue
            emotions = EMOTIONS if channel == "speech" else SONG_EMOTIONS
            for emotion in range(1, len(emotions) + 1):
                for intensity in sorted(set(intensities)):
                    if emotion == 1 and intensity == 2:  # neutral has no strong version
                        continue
                    for statement in sorted(set(statements)):
                        for repetition in sorted(set(repetitions)):
                            vocal_channel = 1 if channel == "speech" else 2
                            takes.append(
                                RavdessName(
                                    3, vocal_channel, emotion, intensity, statement, repetition, actor
                                )
                            )
    return takes


_MARKER_TEXT = (
    "The files in this folder are SYNTHETIC demo data made by ravdess_emotion/corpus/demo.py: a formant-synthesised\n"
    "voice and a cartoon face in the RAVDESS layout. They are not RAVDESS. Models trained on them\n"
    "show that the pipeline runs and learns, not how well it recognises human emotion.\n"
)


def write_demo_dataset(
    dest: Path,
    actors: Sequence[int] = range(1, 25),
    channels: Sequence[str] = ("speech", "song"),
    statements: Sequence[int] = (1, 2),
    repetitions: Sequence[int] = (1,),
    intensities: Sequence[int] = (1,),
    video: bool = True,
    video_size: tuple[int, int] = (160, 90),
    fps: float = 30.0,
    seed: int = 0,
    n_jobs: int | None = None,
    progress: bool = True,
) -> list[Path]:
    """Write synthetic demo data in the RAVDESS layout under ``dest/Actor_NN/``.

    For each actor, channel (speech: 8 emotions, song: 6), emotion, intensity (no strong
    neutral), statement and repetition it writes ``03-...wav`` (48 kHz 16-bit mono) and,
    with ``video``, ``01-...mp4`` (H.264 + AAC of the same voice), ``02-...mp4`` (the
    same H.264 frames, no audio) and ``01-...csv`` (the face's per-frame action units
    and tracking confidence, one row per frame of the video, as the RAVDESS Facial
    Landmark Tracking release names them; read it with
    :func:`~ravdess_emotion.corpus.tracking.read_tracking`). Each file appears atomically (temp file + rename), and
    files already present are kept, so an interrupted run can simply be repeated (it
    also deletes the temp files a killed run left; so run one writer per ``dest`` at a
    time). The output depends only on the arguments, not on ``n_jobs``.

    Parameters
    ----------
    dest
        Root folder; created if missing.
    actors, statements, repetitions, intensities
        RAVDESS field values to generate (actors 1-24, others 1-2).
    channels
        ``"speech"`` and/or ``"song"``.
    video
        Also write the two MP4 files and the tracking CSV per take.
    video_size
        ``(width, height)`` in pixels; both even (yuv420p needs it).
    fps
        Video frame rate; each video has ``round(audio seconds * fps)`` frames.
    seed
        Seed of the per-take randomness (syllable timing, noise, head motion, tracking noise).
    n_jobs
        Worker processes; ``None`` uses every available core, 1 runs in this process.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    list[pathlib.Path]
        Every file of the requested takes (written now or already present), sorted.
    """
    dest = Path(dest)
    width, height = video_size
    if video and (width <= 0 or height <= 0 or width % 2 or height % 2):
        raise ValueError(f"video_size {video_size}: width and height must be positive and even")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    names = _takes(actors, channels, statements, repetitions, intensities)
    if dest.is_dir():
        _remove_stale_temp_files(dest)
    jobs = [_TakeJob(dest, name, video, (int(width), int(height)), float(fps), int(seed)) for name in names]
    workers = max(1, min(n_jobs or available_cores(), len(jobs)))

    dest.mkdir(parents=True, exist_ok=True)
    marker = dest / SYNTHETIC_MARKER
    if not marker.is_file():  # first, so that even a half-written demo folder is never taken for RAVDESS
        _write_atomically(marker, lambda tmp: tmp.write_text(_MARKER_TEXT))
    written: list[Path] = []
    bar = tqdm(total=len(jobs), unit="take", desc="demo data", disable=not progress)
    with bar:
        if workers == 1:
            for job in jobs:
                written.extend(_write_take(job))
                bar.update()
        else:
            # loky's workers start clean instead of forking this process: a fork of a process
            # that already runs threads (TensorFlow, OpenCV) can wait forever on a lock that no
            # thread of the child will release. Unlike spawn, loky needs no __main__ guard.
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
                for paths in pool.map(_write_take, jobs, chunksize=4):
                    written.extend(paths)
                    bar.update()
    return sorted(written)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write synthetic demo data in the RAVDESS layout (not RAVDESS: a synthesised voice "
        "and a drawn face, with learnable, actor-independent emotion cues)."
    )
    parser.add_argument("dest", type=Path, help="output folder (Actor_NN folders go inside)")
    parser.add_argument(
        "--actors", type=parse_actor_list, default=list(range(1, 25)), help="e.g. 1-24 or 1,3,5"
    )
    parser.add_argument("--no-video", dest="video", action="store_false", help="write only the WAV files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = write_demo_dataset(
        args.dest, actors=args.actors, video=args.video, seed=args.seed, n_jobs=args.jobs
    )
    print(f"{len(paths)} files under {args.dest} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    # Run as ``python -m``, this module is ``__main__``, whose functions loky's workers
    # cannot unpickle: run the importable copy instead.
    from ravdess_emotion.corpus.demo import main as _main

    _main()
