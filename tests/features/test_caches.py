"""Feature caches: what a cache holds comes back as it was, and its key is everything it depends on (``features.caches``)."""

import hashlib
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ravdess_emotion.features import caches
from ravdess_emotion.features.caches import (
    CacheError,
    cache_key,
    cache_path,
    load_features,
    load_meta,
    save_features,
)
from ravdess_emotion.features.settings import FEATURE_VERSION, FeatureSettings
from ravdess_emotion.features.views import view_named


def view_key(view: str, files: pd.DataFrame, settings: FeatureSettings) -> str:
    """The cache key of a view's features of ``files``, as the loader computes it."""
    named = view_named(view)
    return cache_key(named.cache_prefix, files, named.cache_key_fields(settings))


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
    key = view_key("mfcc", FILES, FeatureSettings())
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


@pytest.mark.parametrize("view", ["mfcc", "functionals", "au_clip", "au_sequence"])
def test_a_key_changes_with_every_setting_of_its_view_and_no_other(view: str) -> None:
    base = view_key(view, FILES, FeatureSettings())
    # Which audio view is read is the view itself: its own key names it whatever the settings say.
    depends_on = set(view_named(view).settings_fields) - {"audio_features"}
    for name, value in CHANGED.items():
        changed = view_key(view, FILES, replace(FeatureSettings(), **{name: value}))
        assert (changed != base) == (name in depends_on), name
    for unrelated in ({"video_frames": 8}, {"video_size": (32, 32)}, {"face_crop": False}):
        assert view_key(view, FILES, replace(FeatureSettings(), **unrelated)) == base
    # Speaker normalization is applied after the cache: raw features, one cache.
    normalized = replace(FeatureSettings(), speaker_norm=True, au_normalization="zscore+rank")
    assert view_key(view, FILES, normalized) == base


def test_the_two_audio_views_share_the_keys_of_the_caches_written_before_views() -> None:
    functionals = replace(FeatureSettings(), audio_features="functionals")
    assert view_key("functionals", FILES, FeatureSettings()) == view_key("functionals", FILES, functionals)
    assert json.loads(view_key("functionals", FILES, FeatureSettings()))["settings"]["audio_features"] == (
        "functionals"
    )
    assert view_key("functionals", FILES, functionals) != view_key("mfcc", FILES, functionals)


def test_a_key_changes_with_the_files_and_their_content() -> None:
    settings = FeatureSettings()
    base = view_key("mfcc", FILES, settings)
    edited = FILES.assign(sha256=["a" * 64, "c" * 64])
    assert view_key("mfcc", edited, settings) != base
    assert view_key("mfcc", FILES.iloc[:1], settings) != base
    assert view_key("mfcc", FILES.iloc[::-1], settings) != base  # rows in the cache's order
    # Where the files are organized does not change what they hold.
    assert view_key("mfcc", FILES.assign(path=["elsewhere/x.wav", "elsewhere/y.wav"]), settings) == base


def test_a_playback_speed_enters_the_audio_key_only_when_it_changes_something() -> None:
    settings = FeatureSettings()
    base = view_key("mfcc", FILES, settings)
    assert view_key("mfcc", FILES, replace(settings, playback_speed=1.0)) == base
    slower = json.loads(view_key("mfcc", FILES, replace(settings, playback_speed=0.9)))
    assert slower["settings"]["playback_speed"] == 0.9
    assert view_key("au_clip", FILES, replace(settings, playback_speed=0.9)) == view_key(
        "au_clip", FILES, settings
    )


def test_a_new_feature_version_changes_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {view: view_key(view, FILES, FeatureSettings()) for view in ("mfcc", "functionals", "au_clip")}
    monkeypatch.setattr(caches, "FEATURE_VERSION", FEATURE_VERSION + 1)
    for view, key in keys.items():
        assert view_key(view, FILES, FeatureSettings()) != key


def test_the_au_key_and_the_cache_file_names() -> None:
    key = view_key("au_clip", FILES, FeatureSettings())
    assert view_key("au_sequence", FILES, FeatureSettings()) == key  # which AU view: the settings say
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


# --------------------------------------------------------------------------- cache files


def test_features_labels_information_and_meta_come_back_as_saved(tmp_path: Path) -> None:
    X = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    y = np.array([0, 7, 3])
    info = pd.DataFrame({"filename": ["a.wav", "b.wav", "c.wav"], "actor": [1, 2, 24]})
    path = save_features(tmp_path / "new" / "c.npz", X, y, info, meta={"key": "k1", "skipped": "[]"})
    assert path == tmp_path / "new" / "c.npz" and [p.name for p in path.parent.iterdir()] == ["c.npz"]
    X_back, y_back, info_back = load_features(path)
    np.testing.assert_array_equal(X_back, X)
    assert X_back.dtype == np.float32 and y_back.tolist() == [0, 7, 3]
    pd.testing.assert_frame_equal(info_back, info.astype({"filename": str}), check_dtype=False)
    assert info_back["filename"].tolist() == ["a.wav", "b.wav", "c.wav"]
    assert info_back["actor"].tolist() == [1, 2, 24]
    assert load_meta(path) == {"key": "k1", "skipped": "[]"}
    # Without information or meta: an empty table, an empty dict.
    bare = save_features(tmp_path / "bare.npz", X, y)
    assert load_features(bare)[2].empty and load_meta(bare) == {}


def test_fusion_inputs_come_back_as_a_list_in_their_order(tmp_path: Path) -> None:
    audio, video = np.zeros((2, 3), np.float32), np.ones((2, 4, 5), np.uint8)
    inputs, y, _ = load_features(save_features(tmp_path / "f.npz", (audio, video), np.array([1, 2])))
    assert isinstance(inputs, list) and len(inputs) == 2 and y.tolist() == [1, 2]
    np.testing.assert_array_equal(inputs[0], audio)
    np.testing.assert_array_equal(inputs[1], video)
    assert inputs[1].dtype == np.uint8


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X0": np.zeros((3, 2)), "y": np.zeros(2)}, "arrays of different lengths"),
        ({"y": np.zeros(2)}, "no X arrays"),
        (
            {"X0": np.zeros((2, 2)), "y": np.zeros(2), "info__actor": np.zeros(3)},
            "arrays of different lengths",
        ),
        ({"X0": np.zeros((2, 2))}, "unreadable or incomplete feature cache"),
    ],
)
def test_an_incomplete_cache_is_refused_with_its_name(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(CacheError, match=rf"^{re.escape(str(path))}: .*{message}"):
        load_features(path)


def test_a_file_that_is_no_cache_is_refused_for_what_it_is(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not numpy at all")
    with pytest.raises(CacheError, match=r"garbage\.npz: not a feature cache \(not an \.npz archive\)"):
        load_features(garbage)
    with pytest.raises(CacheError, match=r"not a feature cache"):
        load_meta(garbage)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, X0=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    with pytest.raises(CacheError, match=r"pickled\.npz: holds pickled objects, refused"):
        load_features(pickled)
    bad_header = tmp_path / "bad_header.npz"
    with zipfile.ZipFile(bad_header, "w") as archive:
        for member in ("X0.npy", "y.npy"):
            archive.writestr(member, b"\x93NUMPY\x01\x00not an array header")
    with pytest.raises(CacheError, match=r"bad_header\.npz: unreadable feature cache \(.*array header"):
        load_features(bad_header)
    half = tmp_path / "half.npz"
    save_features(half, np.zeros((50, 50)), np.zeros(50))
    half.write_bytes(half.read_bytes()[:3000])
    with pytest.raises(CacheError, match=r"half\.npz: unreadable or incomplete feature cache"):
        load_features(half)
    with pytest.raises(FileNotFoundError):
        load_features(tmp_path / "absent.npz")
