"""Silence, tones and noise get "no speech detected" instead of an emotion; voices pass.

The thresholds are measured on all real RAVDESS audio by benchmarks/speech_presence.py
(see the README); here a voice is the demo's synthesiser and, when ../shared is there,
real RAVDESS recordings.
"""

from __future__ import annotations

import json
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

import predict
from benchmarks.speech_presence import non_speech_sounds
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus.demo import synthesize_voice
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.features.speech_presence import (
    ANALYSIS_RATE,
    STEADY_VARIATION_DB,
    no_speech_reason,
    spectral_variation_db,
)


def _voice(name: str, seed: int = 0) -> np.ndarray:
    return synthesize_voice(parse_name(name), np.random.default_rng(seed), sample_rate=ANALYSIS_RATE)


@pytest.mark.parametrize("name", list(non_speech_sounds()))
def test_sounds_without_a_voice_are_named_as_such(name: str) -> None:
    reason = no_speech_reason(non_speech_sounds()[name], ANALYSIS_RATE)
    expected = "silence" if name.startswith("near-silence") else "a steady sound"
    assert reason is not None and reason.startswith(expected), reason


@pytest.mark.parametrize(
    "name",
    [
        "03-01-01-01-01-01-01.wav",
        "03-01-04-02-02-01-08.wav",
        "03-02-06-02-01-02-13.wav",
        "03-02-04-01-01-01-02.wav",
    ],
)
def test_demo_voices_pass(name: str) -> None:
    voice = _voice(name)
    assert no_speech_reason(voice, ANALYSIS_RATE) is None
    assert spectral_variation_db(voice, ANALYSIS_RATE) > 2 * STEADY_VARIATION_DB


def test_real_recordings_pass(ravdess_audio: Path) -> None:
    # The shouted, breathy take on which a pitch tracker finds almost no voiced frame, and a song.
    for name in ("Actor_03/03-01-08-02-01-01-03.flac", "Actor_09/03-02-02-02-01-01-09.flac"):
        samples = load_audio_samples(ravdess_audio / name, ANALYSIS_RATE)
        assert no_speech_reason(samples, ANALYSIS_RATE) is None, name


def test_the_same_voice_at_another_rate_is_judged_alike() -> None:
    voice = _voice("03-01-05-01-01-01-01.wav")
    at_48k = librosa.resample(y=voice, orig_sr=ANALYSIS_RATE, target_sr=48000)
    assert spectral_variation_db(at_48k, 48000) == pytest.approx(
        spectral_variation_db(voice, ANALYSIS_RATE), abs=0.1
    )


# --------------------------------------------------------------------------- predict.py


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    sounds = non_speech_sounds()
    files = {
        "voice": (tmp_path / "voice.wav", _voice("03-01-03-01-01-01-05.wav")),
        "tone": (tmp_path / "tone.wav", sounds["sine 440 Hz"]),
        "silence": (tmp_path / "silence.wav", sounds["near-silence (noise at -80 dBFS)"]),
        "noise": (tmp_path / "noise.wav", sounds["white noise"]),
    }
    for path, samples in files.values():
        sf.write(path, samples, ANALYSIS_RATE, subtype="PCM_16")
    return {name: path for name, (path, _) in files.items()}


def test_predict_skips_what_holds_no_speech(audio_model: Path, inputs: dict[str, Path], capsys) -> None:
    assert predict.main([str(audio_model), *map(str, inputs.values()), "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["path"] for row in rows] == [str(inputs["voice"])]
    skipped = [line for line in captured.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 3 and all("no speech detected" in line for line in skipped)
    assert any(str(inputs["silence"]) in line and "silence" in line for line in skipped)
    assert any(str(inputs["tone"]) in line and "steady sound" in line for line in skipped)


def test_predict_says_so_when_no_file_could_be_predicted(
    audio_model: Path, inputs: dict[str, Path], capsys
) -> None:
    assert predict.main([str(audio_model), str(inputs["tone"]), str(inputs["silence"])]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no empty table
    assert "error: none of the 2 files could be predicted" in captured.err


def test_no_speech_check_predicts_every_file(audio_model: Path, inputs: dict[str, Path], capsys) -> None:
    argv = [str(audio_model), *map(str, inputs.values()), "--format", "json", "--no-speech-check"]
    assert predict.main(argv) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4  # near-silence, tone and noise get emotions too
