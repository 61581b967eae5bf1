"""The ``--preset best`` audio recipe: functionals, per-speaker normalization, speed perturbation, refit.

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
from data_loader import FeatureSettings, RAVDESSDataLoader, load_audio_samples
from demo_data import write_demo_dataset
from emotion_models import AudioEmotionCNNLSTM, AudioEmotionLogistic, AudioEmotionMLP

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


def test_playback_speed_scales_duration_and_pitch(tmp_path: Path) -> None:
    import soundfile

    path = tmp_path / "tone.wav"
    soundfile.write(path, _tone(1.0, 200.0, rate=48000), 48000)
    for speed in (0.8, 1.0, 1.25):
        samples = load_audio_samples(path, 16000, playback_speed=speed)
        assert samples.size == pytest.approx(16000 / speed, abs=2)
        spectrum = np.abs(np.fft.rfft(samples))
        peak_hz = np.argmax(spectrum) * 16000 / samples.size
        assert peak_hz == pytest.approx(200.0 * speed, rel=0.02)


# --------------------------------------------------------------------------- settings, loader, command line


def test_settings_check_their_combination() -> None:
    assert BEST.audio_shape == (n_features(),)
    with pytest.raises(ValueError, match="speaker_norm needs audio_features='functionals'"):
        FeatureSettings(speaker_norm=True)
    with pytest.raises(ValueError, match="audio_features must be one of mfcc, functionals"):
        FeatureSettings(audio_features="wav2vec")
    # Models saved before these settings existed read as the seed's MFCC images.
    assert FeatureSettings.from_dict({"n_mfcc": 13}).audio_features == "mfcc"
    with pytest.raises(ValueError, match=r"playback_speed must be between 0\.5 and 2\.0, got 3"):
        FeatureSettings(playback_speed=3)


def test_preset_sets_audio_defaults_and_explicit_options_win() -> None:
    args = train_models.parse_args(["--preset", "best", "--models", "audio-speech,video-song"])
    audio, video = args.specs
    assert audio.model_class is AudioEmotionLogistic and (audio.epochs, audio.batch_size) == (60, 32)
    assert audio.speeds == (0.9, 0.95, 1.05, 1.1)
    assert video == train_models.MODEL_SPECS["video-song"]
    assert args.audio_settings == BEST and args.settings.audio_features == "mfcc"
    assert args.refit is True and args.patience == 0
    # Speed perturbation is for speech only: it measured worse on song.
    assert train_models.parse_args(["--preset", "best", "--models", "audio-song"]).specs[0].speeds == ()
    options = "--preset best --models audio-speech,video-song --audio-model AudioEmotionMLP --speed-perturbation none"
    args = train_models.parse_args(options.split())
    assert args.specs[0].model_class is AudioEmotionMLP and args.specs[0].speeds == ()
    assert args.specs[1] == train_models.MODEL_SPECS["video-song"]
    args = train_models.parse_args(["--models", "audio-song", "--speed-perturbation", "0.8, 1.25"])
    assert args.specs[0].speeds == (0.8, 1.25)
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


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast", "'fast' is not a comma-separated list of speeds"),
        ("1.0", "differ from 1.0"),
        ("0.9,2.5", "between 0.5 and 2.0"),
        (",", "between 0.5 and 2.0"),
    ],
)
def test_bad_speed_perturbation_is_a_usage_error(value: str, message: str, capsys) -> None:
    with pytest.raises(SystemExit):
        train_models.parse_args(["--preset", "best", "--speed-perturbation", value])
    assert message in capsys.readouterr().err


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
    assert run["preset"] == "best" and run["refit"] and run["model_class"] == "AudioEmotionLogistic"
    assert run["evaluated_on"] == "test" and run["features"]["speaker_norm"]
    assert run["speed_perturbation"] == [0.9, 0.95, 1.05, 1.1] and run["features"]["playback_speed"] == 1.0
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


@pytest.mark.parametrize(("channel", "speeds", "copies"), [("song", "none", 1), ("speech", "0.9,1.1", 3)])
def test_refit_trains_on_training_and_validation_actors(
    demo_audio: Path, tmp_path: Path, monkeypatch, channel: str, speeds: str, copies: int
) -> None:
    seen: list[tuple[int, int | None]] = []
    original = AudioEmotionLogistic.train

    def recording_train(self, X_train, y_train, X_val=None, *args, **kwargs):
        seen.append((len(X_train), None if X_val is None else len(X_val)))
        return original(self, X_train, y_train, X_val, *args, **kwargs)

    monkeypatch.setattr(AudioEmotionLogistic, "train", recording_train)
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    args = [
        "--data-dir",
        str(demo_audio),
        "--models",
        f"audio-{channel}",
        "--preset",
        "best",
        "--epochs",
        "2",
    ]
    args += ["--speed-perturbation", speeds, "--test-actors", "6", "--val-actors", "5", "--verbose", "0"]
    assert train_models.main([*args, *dirs]) == 0
    manifest = pd.read_csv(demo_audio / "manifest.csv")
    per_actor = (
        (manifest["channel"] == channel) & (manifest["actor"] == 1) & (manifest["modality"] == 3)
    ).sum()
    # Training files come with their speed copies; validation files never do.
    assert seen == [(copies * 4 * per_actor, per_actor), (copies * 5 * per_actor, None)]


def test_speed_copies_are_cached_apart_and_normalized_per_actor(demo_audio: Path, tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(demo_audio, BEST, cache_dir=tmp_path, progress=False)
    original, _, info = loader.load_audio_dataset("speech", return_info=True)
    before = loader.cache_path("audio", "speech")
    slow, fast = loader.load_audio_speed_copies("speech", (0.8, 1.25), info.iloc[::-1])
    assert slow.shape == fast.shape == original.shape
    assert len(list(tmp_path.glob("audio_speech_*.npz"))) == 3  # the original and one cache per speed
    assert loader.cache_path("audio", "speech") == before  # a speed of 1.0 leaves the cache key alone
    reversed_rows = info.iloc[::-1].reset_index(drop=True)
    for copy in (slow, fast):
        assert not np.allclose(copy, original[::-1], atol=1e-3)  # the speed changed the features
        for actor in reversed_rows["actor"].unique():
            rows = (reversed_rows["actor"] == actor).to_numpy()
            np.testing.assert_allclose(copy[rows].mean(axis=0), 0, atol=1e-4)
    names = feature_names()
    # Played faster, a voice is higher: the median pitch of the copy rises by about log(1.25 / 0.8).
    pitch = names.index("log_f0_p50")
    raw = RAVDESSDataLoader(demo_audio, replace(BEST, speaker_norm=False), cache_dir=tmp_path, progress=False)
    raw_slow, raw_fast = raw.load_audio_speed_copies("speech", (0.8, 1.25), info)
    rise = np.median(raw_fast[:, pitch] - raw_slow[:, pitch])
    assert rise == pytest.approx(np.log(1.25 / 0.8), abs=0.1)
