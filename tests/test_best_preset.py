"""The ``--preset best`` audio recipe: utterance functionals, per-speaker normalization, MLP, refit.

Accuracy on real RAVDESS is measured by ``benchmark_audio.py``, not here; these tests
check that every piece computes what it says and that the recipe runs end to end.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import organize_data
import predict
import train_models
from audio_functionals import (
    contour_names,
    feature_names,
    functionals,
    n_features,
    speaker_normalize,
    utterance_contours,
)
from data_loader import FeatureSettings, RAVDESSDataLoader
from demo_data import write_demo_dataset
from emotion_models import AudioEmotionCNNLSTM, AudioEmotionMLP

BEST = train_models.PRESETS["best"].feature_settings()


def _tone(seconds: float, pitch: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
    envelope = np.clip(np.minimum(t, t[-1] - t) * 8, 0, 1)  # fades in and out, like a word
    return (0.3 * voice * envelope).astype(np.float32)


# --------------------------------------------------------------------------- functionals


def test_functionals_have_one_named_value_each() -> None:
    contours = utterance_contours(_tone(1.5, 180.0), 16000, n_fft=1024, hop_length=160)
    assert contours.shape[0] == len(contour_names())
    vector = functionals(contours)
    assert vector.shape == (n_features(),) == (len(feature_names()),)
    assert np.isfinite(vector).all()
    names = feature_names()
    # The pitch contour follows the tone: its median is log(180 Hz), within YIN's error.
    assert vector[names.index("log_f0_p50")] == pytest.approx(np.log(180.0), abs=0.05)


def test_higher_voice_has_higher_pitch_statistics() -> None:
    low, high = (
        functionals(utterance_contours(_tone(1.0, pitch, 16000), 16000, 1024, 160))
        for pitch in (120.0, 240.0)
    )
    index = feature_names().index("log_f0_mean")
    assert high[index] - low[index] == pytest.approx(np.log(2), abs=0.1)


@pytest.mark.parametrize(
    "samples", [np.zeros(0), np.full(100, 1e-4), np.zeros(16000)], ids=["empty", "click", "silence"]
)
def test_tiny_or_silent_input_gives_finite_functionals(samples: np.ndarray) -> None:
    samples = samples.astype(np.float32)
    if samples.size == 0:
        samples = np.zeros(1, np.float32)
    vector = functionals(utterance_contours(samples, 16000, 1024, 160))
    assert vector.shape == (n_features(),) and np.isfinite(vector).all()


# --------------------------------------------------------------------------- speaker normalization


@st.composite
def speaker_groups(draw):
    sizes = draw(st.lists(st.integers(2, 12), min_size=1, max_size=5))
    speakers = np.repeat(np.arange(len(sizes)), sizes)
    draw(st.randoms()).shuffle(speakers)
    values = draw(
        arrays(np.float64, (len(speakers), 4), elements=st.floats(-1e3, 1e3, allow_nan=False, width=32))
    )
    return values, speakers


@settings(max_examples=60, deadline=None)
@given(speaker_groups())
def test_each_speaker_ends_up_standardised(groups) -> None:
    values, speakers = groups
    normalized = speaker_normalize(values, speakers)
    for speaker in np.unique(speakers):
        rows = normalized[speakers == speaker]
        np.testing.assert_allclose(rows.mean(axis=0), 0, atol=1e-4)
        spread = values[speakers == speaker].std(axis=0)
        expected = np.where(spread > 1e-8, 1.0, 0.0)
        np.testing.assert_allclose(rows.std(axis=0), expected, atol=1e-3)


def test_a_speaker_is_normalized_by_their_own_files_only() -> None:
    values = np.array([[1.0], [3.0], [100.0], [300.0]])
    normalized = speaker_normalize(values, ["a", "a", "b", "b"])
    np.testing.assert_allclose(normalized.ravel(), [-1, 1, -1, 1])
    with pytest.raises(ValueError, match="speaker 'c' has one recording"):
        speaker_normalize(np.ones((3, 2)), ["a", "a", "c"])
    with pytest.raises(ValueError, match="one speaker per row"):
        speaker_normalize(np.ones((3, 2)), ["a", "a"])


# --------------------------------------------------------------------------- settings, loader, command line


def test_settings_check_their_combination() -> None:
    assert BEST.audio_shape == (n_features(),)
    with pytest.raises(ValueError, match="speaker_norm needs audio_features='functionals'"):
        FeatureSettings(speaker_norm=True)
    with pytest.raises(ValueError, match="audio_features must be one of mfcc, functionals"):
        FeatureSettings(audio_features="wav2vec")
    # Models saved before these settings existed read as the seed's MFCC images.
    assert FeatureSettings.from_dict({"n_mfcc": 13}).audio_features == "mfcc"


def test_preset_sets_audio_defaults_and_explicit_options_win() -> None:
    args = train_models.parse_args(["--preset", "best", "--models", "audio-speech,video-song"])
    audio, video = args.specs
    assert audio.model_class is AudioEmotionMLP and (audio.epochs, audio.batch_size) == (60, 32)
    assert video == train_models.MODEL_SPECS["video-song"]
    assert args.audio_settings == BEST and args.settings.audio_features == "mfcc"
    assert args.refit is True and args.patience == 0
    args = train_models.parse_args(
        ["--preset", "best", "--no-speaker-norm", "--sample-rate", "22050", "--patience", "5", "--no-refit"]
    )
    assert not args.audio_settings.speaker_norm and args.audio_settings.sample_rate == 22050
    assert (args.patience, args.refit) == (5, False)
    seed = train_models.parse_args([])
    assert seed.specs[0].model_class is AudioEmotionCNNLSTM and seed.audio_settings == FeatureSettings()
    assert (seed.refit, seed.patience) == (False, 10)


def test_speaker_norm_without_functionals_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit):
        train_models.parse_args(["--speaker-norm"])
    assert "speaker_norm needs audio_features='functionals'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo_audio(tmp_path_factory) -> Path:
    """Synthetic demo audio of six actors (both channels), organized."""
    root = tmp_path_factory.mktemp("best")
    write_demo_dataset(root / "source", actors=range(1, 7), video=False, progress=False)
    assert organize_data.main(["--source", str(root / "source"), "--dest", str(root / "organized")]) == 0
    return root / "organized"


def test_loader_normalizes_per_actor_and_caches_raw_features(demo_audio: Path, tmp_path: Path) -> None:
    raw_loader = RAVDESSDataLoader(
        demo_audio,
        replace(BEST, speaker_norm=False),
        cache_dir=tmp_path,
        progress=False,
    )
    raw, y, info = raw_loader.load_audio_dataset("speech", return_info=True)
    assert raw.shape == (len(info), n_features())
    loader = RAVDESSDataLoader(demo_audio, BEST, cache_dir=tmp_path, progress=False)
    normalized, y2, info2 = loader.load_audio_dataset("speech", return_info=True)
    assert loader.cache_path("audio", "speech") == raw_loader.cache_path("audio", "speech")  # one cache
    assert len(list(tmp_path.glob("audio_speech_*.npz"))) == 1
    np.testing.assert_array_equal(y, y2)
    for actor in info2["actor"].unique():
        rows = (info2["actor"] == actor).to_numpy()
        np.testing.assert_allclose(normalized[rows].mean(axis=0), 0, atol=1e-4)
    mfcc_loader = RAVDESSDataLoader(demo_audio, cache_dir=tmp_path, progress=False)
    assert mfcc_loader.cache_path("audio", "speech") != loader.cache_path("audio", "speech")
    with pytest.raises(ValueError, match="fusion model reads MFCC images"):
        loader.load_multimodal_dataset("speech")


def test_best_preset_trains_refits_saves_and_predicts(demo_audio: Path, tmp_path: Path, capsys) -> None:
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    common = ["--data-dir", str(demo_audio), "--models", "audio-speech", "--preset", "best", "--verbose", "0"]
    assert train_models.main([*common, "--epochs", "20", "--test-actors", "6", *dirs]) == 0
    out = capsys.readouterr().out
    assert "refit audio_emotion_speech_best: 20 epochs" in out
    run = json.loads((tmp_path / "reports" / "audio_emotion_speech_best_run.json").read_text())
    assert run["preset"] == "best" and run["refit"] and run["model_class"] == "AudioEmotionMLP"
    assert run["evaluated_on"] == "test" and run["features"]["speaker_norm"]
    # The demo's cues are learnable: a working recipe beats chance (1/8) on an unseen actor.
    assert run["metrics"]["accuracy"] >= 2 / 8
    summary = pd.read_csv(tmp_path / "reports" / "summary.csv")
    assert summary["model"].tolist() == ["audio-speech (best)"]

    # Predict: files of two actors are normalized per actor; a lone file is refused, by name.
    model = tmp_path / "models" / "audio_emotion_speech_best.h5"
    files = sorted((demo_audio / "audio" / "speech").rglob("*-0[56].wav"))
    lone = tmp_path / "elsewhere" / "recording.wav"
    lone.parent.mkdir()
    lone.write_bytes(files[0].read_bytes())
    assert predict.main([str(model), *map(str, files), str(lone), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(pd.io.common.StringIO(captured.out))
    assert sorted(table["path"]) == sorted(map(str, files))
    assert "recording.wav" in captured.err and "give several files of each speaker" in captured.err

    # Without test actors, the metrics come from the validation actors before they are trained on.
    assert train_models.main([*common, "--epochs", "3", "--test-actors", "none", *dirs]) == 0
    run = json.loads((tmp_path / "reports" / "audio_emotion_speech_best_run.json").read_text())
    assert run["evaluated_on"] == "validation, before the refit"


def test_refit_trains_on_training_and_validation_actors(
    demo_audio: Path, tmp_path: Path, monkeypatch
) -> None:
    seen: list[int] = []
    original = AudioEmotionMLP.train

    def recording_train(self, X_train, y_train, *args, **kwargs):
        seen.append(len(X_train))
        return original(self, X_train, y_train, *args, **kwargs)

    monkeypatch.setattr(AudioEmotionMLP, "train", recording_train)
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    args = ["--data-dir", str(demo_audio), "--models", "audio-song", "--preset", "best", "--epochs", "2"]
    assert train_models.main([*args, "--test-actors", "6", "--val-actors", "5", "--verbose", "0", *dirs]) == 0
    per_actor = 12  # song: 6 emotions x 2 statements, one intensity and repetition in the demo
    assert seen == [4 * per_actor, 5 * per_actor]
