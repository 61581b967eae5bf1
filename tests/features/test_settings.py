"""FeatureSettings: which combinations of audio settings are accepted, and how old saved settings read."""

import pytest

import train_models
from ravdess_emotion.features.functionals import n_features
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import audio_view

BEST = train_models.PRESETS["functionals"].feature_settings()


def test_settings_check_their_combination() -> None:
    assert audio_view(BEST).shape(BEST) == (n_features(),)
    # MFCC images are standardised per speaker too (over each speaker's frames).
    mfcc = FeatureSettings(speaker_norm=True)
    assert audio_view(mfcc).shape(mfcc) == (13, 216)
    with pytest.raises(ValueError, match=r"audio_features must be one of .*functionals.*; got 'wav2vec'"):
        audio_view(FeatureSettings(audio_features="wav2vec"))
    with pytest.raises(ValueError, match="audio_features must name an audio view"):
        FeatureSettings(audio_features="")
    # Models saved before these settings existed read as the seed's MFCC images.
    assert FeatureSettings.from_dict({"n_mfcc": 13}).audio_features == "mfcc"
    with pytest.raises(ValueError, match=r"playback_speed must be between 0\.5 and 2\.0, got 3"):
        FeatureSettings(playback_speed=3)
