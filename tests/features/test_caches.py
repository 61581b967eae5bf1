"""Feature cache keys: everything a cache depends on is in its key, and nothing else (``features.caches``)."""

import hashlib
import json
import re
from dataclasses import replace

import pandas as pd
import pytest

from ravdess_emotion.features import caches
from ravdess_emotion.features.caches import KEY_SETTINGS, cache_key, cache_path
from ravdess_emotion.features.settings import FEATURE_VERSION, FeatureSettings

FILES = pd.DataFrame(
    {
        "filename": ["03-01-01-01-01-01-01.wav", "03-01-05-02-01-01-01.wav"],
        "sha256": ["a" * 64, "b" * 64],
        "path": ["audio/speech/Actor_01/x.wav", "audio/speech/Actor_01/y.wav"],
    }
)
CHANGED = {
    "sample_rate": 16000,
    "n_mfcc": 20,
    "max_frames": 100,
    "n_fft": 1024,
    "hop_length": 256,
    "audio_features": "functionals",
    "au_features": "sequence",
    "au_frames": 8,
}


def test_the_audio_key_is_its_files_settings_and_version_in_canonical_json() -> None:
    key = cache_key("audio", FILES, FeatureSettings())
    assert json.loads(key) == {
        "version": FEATURE_VERSION,
        "kind": "audio",
        "settings": {
            "sample_rate": 22050,
            "n_mfcc": 13,
            "max_frames": 216,
            "n_fft": 2048,
            "hop_length": 512,
            "audio_features": "mfcc",
        },
        "files": [["03-01-01-01-01-01-01.wav", "a" * 64], ["03-01-05-02-01-01-01.wav", "b" * 64]],
        "twins": [],
    }
    # Canonical: sorted keys, default separators. A cache written by an earlier release with
    # the same files and settings keeps its name (this digest is what those releases wrote).
    assert key == json.dumps(json.loads(key), sort_keys=True)
    assert cache_path("c", "audio", "speech", key).name == "audio_speech_c839e739cba1ebc7.npz"


@pytest.mark.parametrize("kind", ["audio", "au"])
def test_a_key_changes_with_every_setting_of_its_kind_and_no_other(kind: str) -> None:
    base = cache_key(kind, FILES, FeatureSettings())
    for name, value in CHANGED.items():
        changed = cache_key(kind, FILES, replace(FeatureSettings(), **{name: value}))
        assert (changed != base) == (name in KEY_SETTINGS[kind]), name
    for unrelated in ({"video_frames": 8}, {"video_size": (32, 32)}, {"face_crop": False}):
        assert cache_key(kind, FILES, replace(FeatureSettings(), **unrelated)) == base
    # Speaker normalization is applied after the cache: raw features, one cache.
    functionals = replace(FeatureSettings(), audio_features="functionals")
    normalized = replace(functionals, speaker_norm=True)
    assert cache_key(kind, FILES, normalized) == cache_key(kind, FILES, functionals)


def test_a_key_changes_with_the_files_and_their_content() -> None:
    settings = FeatureSettings()
    base = cache_key("audio", FILES, settings)
    edited = FILES.assign(sha256=["a" * 64, "c" * 64])
    assert cache_key("audio", edited, settings) != base
    assert cache_key("audio", FILES.iloc[:1], settings) != base
    assert cache_key("audio", FILES.iloc[::-1], settings) != base  # rows in the cache's order
    # Where the files are organized does not change what they hold.
    assert cache_key("audio", FILES.assign(path=["elsewhere/x.wav", "elsewhere/y.wav"]), settings) == base


def test_a_playback_speed_enters_the_audio_key_only_when_it_changes_something() -> None:
    settings = FeatureSettings()
    base = cache_key("audio", FILES, settings)
    assert cache_key("audio", FILES, replace(settings, playback_speed=1.0)) == base
    slower = json.loads(cache_key("audio", FILES, replace(settings, playback_speed=0.9)))
    assert slower["settings"]["playback_speed"] == 0.9
    assert cache_key("au", FILES, replace(settings, playback_speed=0.9)) == cache_key("au", FILES, settings)


def test_a_new_feature_version_changes_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {kind: cache_key(kind, FILES, FeatureSettings()) for kind in KEY_SETTINGS}
    monkeypatch.setattr(caches, "FEATURE_VERSION", FEATURE_VERSION + 1)
    for kind, key in keys.items():
        assert cache_key(kind, FILES, FeatureSettings()) != key


def test_the_au_key_and_the_cache_file_names() -> None:
    key = cache_key("au", FILES, FeatureSettings())
    assert json.loads(key) == {
        "version": FEATURE_VERSION,
        "kind": "au",
        "settings": {"au_features": "means", "au_frames": 32},
        "files": [["03-01-01-01-01-01-01.wav", "a" * 64], ["03-01-05-02-01-01-01.wav", "b" * 64]],
    }
    path = cache_path("some/dir", "au", "song", key)
    assert path.parent.as_posix() == "some/dir"
    assert path.name == f"au_song_{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    assert re.fullmatch(r"au_song_[0-9a-f]{16}\.npz", path.name)
    with pytest.raises(ValueError, match=r"^no feature cache for kind 'video'; one of audio, au$"):
        cache_key("video", FILES, FeatureSettings())
