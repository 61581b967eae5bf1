"""The ``whisper`` view: Whisper-base's pooled hidden states of each recording, cached and keyed by its checkpoint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.encoders.checkpoints import CHECKPOINTS
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import AudioView, audio_view, view_named

WHISPER = FeatureSettings(audio_features="whisper")


def test_the_view_reads_16_khz_audio_into_7168_numbers_keyed_by_its_checkpoint() -> None:
    view = audio_view(WHISPER)
    assert view is view_named("whisper") and isinstance(view, AudioView)
    assert view.rate(WHISPER) == 16000 and view.rate(replace(WHISPER, sample_rate=22050)) == 16000
    assert view.shape(WHISPER) == (7168,)  # (6 blocks + the embedding) x (mean, std) x 512
    key = view.key_settings(WHISPER)
    assert key == {
        "speech_encoder": "whisper-base",
        "encoder_window": 0.0,
        "audio_features": "whisper",
        "checkpoint": CHECKPOINTS["whisper-base"].sha256,
    }
    # What changes Whisper's features changes its key; the MFCC settings do not.
    assert view.key_settings(replace(WHISPER, encoder_window=8.0)) != key
    assert view.key_settings(replace(WHISPER, n_mfcc=40, sample_rate=16000)) == key
    assert view.speaker_normalization(replace(WHISPER, speaker_norm=True)) == "zscore"


def test_a_window_longer_than_whispers_is_refused() -> None:
    with pytest.raises(ValueError, match="encoder_window must be between 0 and 30"):
        FeatureSettings(audio_features="whisper", encoder_window=31)


@pytest.mark.slow
def test_the_loader_caches_what_the_encoder_computes(ravdess_audio: Path, tmp_path: Path) -> None:
    from ravdess_emotion.encoders.whisper_network import encoder_named

    source = tmp_path / "source" / "Actor_01"
    source.mkdir(parents=True)
    for name in ("03-01-01-01-01-01-01", "03-01-05-02-01-01-01", "03-01-03-01-02-02-01"):
        (source / f"{name}.flac").symlink_to(ravdess_audio / "Actor_01" / f"{name}.flac")
    organize(tmp_path / "source", tmp_path / "organized", progress=False)
    loader = RAVDESSDataLoader(
        tmp_path / "organized", WHISPER, cache_dir=tmp_path / "cache", n_jobs=1, progress=False
    )
    X, y, info = loader.load_views([view_named("whisper")], "speech")
    assert X.shape == (3, 7168) and list(y) == [0, 2, 4]
    assert len(list((tmp_path / "cache").glob("whisper_speech_*.npz"))) == 1
    encoder = encoder_named("whisper-base")
    first = load_audio_samples(tmp_path / "organized" / info["path"].iloc[0], 16000)
    np.testing.assert_allclose(X[0], encoder.pooled(first), atol=1e-5)
