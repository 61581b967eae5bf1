"""The voice: a formant synthesiser that speaks or sings one take (:func:`synthesize_voice`)."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import signal

from ravdess_emotion.core.ravdess import RavdessName
from ravdess_emotion.corpus.demo.styles import (
    _actor_traits,
    _plan_take,
    _smooth,
    _syllable_envelope,
    _voice_style,
)

SAMPLE_RATE = 48000
"""Sample rate of the WAV files and of :func:`synthesize_voice`, Hz (as RAVDESS)."""

_CONTROL_RATE = 500.0  # Hz; pitch and tremolo move slowly, so build them at a coarse rate


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
