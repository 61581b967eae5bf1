"""Feature extraction on the real RAVDESS formats, pairing, and the safe feature caches."""

import csv
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.features.audio import extract_mfcc, load_audio_samples
from ravdess_emotion.features.caches import load_features, save_features
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.video import sample_frames


@pytest.fixture(scope="module")
def organized_actor_01(tmp_path_factory, ravdess_audio: Path, ravdess_video: Path) -> Path:
    """Actor 01's real audio (speech and song) and the six real MP4s, organized."""
    source = tmp_path_factory.mktemp("source") / "Actor_01"
    source.mkdir()
    for path in [*(ravdess_audio / "Actor_01").glob("*.flac"), *(ravdess_video / "Actor_01").glob("*.mp4")]:
        (source / path.name).symlink_to(path)
    dest = tmp_path_factory.mktemp("organized")
    organize(source.parent, dest, progress=False)
    return dest


def _stereo_file(ravdess_audio: Path) -> Path:
    with open(ravdess_audio / "MANIFEST.tsv") as manifest:
        row = next(r for r in csv.DictReader(manifest, delimiter="\t") if r["channels"] == "2")
    return ravdess_audio / row["file"]


def test_mfcc_shape_on_real_audio(ravdess_audio: Path) -> None:
    path = next((ravdess_audio / "Actor_01").glob("03-01-*.flac"))
    mfcc = extract_mfcc(path, FeatureSettings())
    assert mfcc.shape == (13, 216)
    assert mfcc.dtype == np.float32
    # A 3-4 s clip covers ~150 of the 216 frames: the rest is padding, the start is not.
    assert np.abs(mfcc[:, :100]).sum(axis=0).min() > 0
    assert np.all(mfcc[:, 200:] == 0)


def test_mfcc_settings_change_the_shape(ravdess_audio: Path) -> None:
    path = next((ravdess_audio / "Actor_01").glob("03-02-*.flac"))
    assert extract_mfcc(path, FeatureSettings(n_mfcc=40, max_frames=100)).shape == (40, 100)


def test_stereo_originals_are_downmixed(ravdess_audio: Path) -> None:
    samples = load_audio_samples(_stereo_file(ravdess_audio), 22050)
    assert samples.ndim == 1 and samples.dtype == np.float32 and samples.size > 22050


def test_soundtrack_of_audio_video_clip(ravdess_audio: Path, ravdess_video: Path) -> None:
    clip = ravdess_video / "Actor_01" / "01-01-01-01-01-01-01.mp4"
    twin = ravdess_audio / "Actor_01" / "03-01-01-01-01-01-01.flac"
    from_clip = load_audio_samples(clip, 16000)
    from_twin = load_audio_samples(twin, 16000)
    # The same performance: lengths within half a second of each other.
    assert abs(from_clip.size - from_twin.size) < 8000


def test_video_only_clip_has_no_soundtrack(ravdess_video: Path) -> None:
    with pytest.raises(MediaError, match="silence"):  # RAVDESS 02- clips carry a silent track
        load_audio_samples(ravdess_video / "Actor_01" / "02-01-01-01-01-01-01.mp4", 22050)


@pytest.mark.parametrize(("n_frames", "size"), [(30, (224, 224)), (8, (48, 64))])
def test_real_video_frames(ravdess_video: Path, n_frames: int, size: tuple[int, int]) -> None:
    frames = sample_frames(ravdess_video / "Actor_01" / "02-01-04-01-02-01-01.mp4", n_frames, size)
    assert frames.shape == (n_frames, *size, 3)
    assert frames.dtype == np.uint8
    assert frames.std() > 10  # real picture content, not a blank frame
    assert not np.array_equal(frames[0], frames[-1])  # spread over the clip


def test_short_clip_repeats_frames(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "short.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (32, 32))
    for value in range(0, 250, 50):  # 5 frames of increasing brightness
        writer.write(np.full((32, 32, 3), value, np.uint8))
    writer.release()
    frames = sample_frames(path, 12, (16, 16))
    assert frames.shape == (12, 16, 16, 3)
    means = frames.mean(axis=(1, 2, 3))
    assert np.all(np.diff(means) >= -1)  # still in time order


def test_undecodable_files_raise_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "03-01-01-01-01-01-01.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(MediaError, match=str(bad.name)):
        extract_mfcc(bad, FeatureSettings())
    bad_video = tmp_path / "02-01-01-01-01-01-01.mp4"
    bad_video.write_bytes(b"\x00" * 100)
    with pytest.raises(MediaError, match=bad_video.name):
        sample_frames(bad_video, 4, (8, 8))


def test_fusion_pairs_the_audio_twin(organized_actor_01: Path) -> None:
    loader = RAVDESSDataLoader(organized_actor_01, progress=False)
    pairs = loader.select("fusion", "speech")
    assert len(pairs) == 3  # the three audio-video clips of the shared set
    for row in pairs.itertuples():
        assert row.filename.startswith("01-")
        assert Path(row.audio_path).name == "03" + row.filename[2:].replace(".mp4", ".flac")
    video = loader.select("video", "speech")
    # Four takes among six clips: the 01 and 02 copies of one take count once.
    assert video["take"].is_unique and len(video) == 4


def test_audio_dataset_and_cache(organized_actor_01: Path, tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(organized_actor_01, cache_dir=tmp_path, n_jobs=2, progress=False)
    X, y, info = loader.load_audio_dataset("speech", return_info=True)
    assert X.shape == (60, 13, 216) and y.shape == (60,)
    assert set(y.tolist()) == set(range(8))
    assert list(info["actor"].unique()) == [1]
    cache = loader.cache_path("audio", "speech")
    assert cache.exists()
    X_again, y_again = RAVDESSDataLoader(
        organized_actor_01, cache_dir=tmp_path, progress=False
    ).load_audio_dataset()
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    # Another setting is another cache, never the stale one.
    other = RAVDESSDataLoader(organized_actor_01, cache_dir=tmp_path, n_mfcc=20, progress=False)
    assert other.cache_path("audio", "speech") != cache


def test_video_and_multimodal_datasets(organized_actor_01: Path, tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(organized_actor_01, cache_dir=tmp_path, video_frames=6, video_size=(32, 32))
    X, y = loader.load_video_dataset("speech")
    assert X.shape == (4, 6, 32, 32, 3) and X.dtype == np.float32
    assert X.min() >= 0.0 and X.max() <= 1.0
    (X_audio, X_video), y = loader.load_multimodal_dataset("speech")
    assert X_audio.shape == (3, 13, 216) and X_video.shape == (3, 6, 32, 32, 3)
    assert sorted(y.tolist()) == [0, 7, 7]  # neutral, surprised, surprised


def test_features_round_trip_without_pickle(tmp_path: Path) -> None:
    X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    info = pd.DataFrame({"filename": ["a.wav", "b.wav"], "actor": [1, 2], "take": ["01-01", "01-02"]})
    path = save_features(tmp_path / "f.npz", [X, X[:, :1]], np.array([3, 5]), info)
    (X0, X1), y, loaded_info = load_features(path)
    np.testing.assert_array_equal(X0, X)
    np.testing.assert_array_equal(X1, X[:, :1])
    assert y.tolist() == [3, 5]
    assert loaded_info["take"].tolist() == ["01-01", "01-02"]
    with zipfile.ZipFile(path) as archive:  # only plain arrays inside, loadable without pickle
        for member in archive.namelist():
            array = np.load(archive.open(member), allow_pickle=False)
            assert array.dtype != object
    assert not list(tmp_path.glob("*.tmp"))


def test_unknown_channel_is_refused(demo_audio: Path) -> None:
    with pytest.raises(ValueError, match="channel must be one of"):
        RAVDESSDataLoader(demo_audio).select("audio", "whisper")


def test_fusion_trains_on_the_clips_soundtrack_when_its_audio_only_file_is_absent(
    organized_actor_01: Path, tmp_path: Path
) -> None:
    settings = FeatureSettings(video_frames=4, video_size=(16, 16))
    manifest = pd.read_csv(organized_actor_01 / "manifest.csv")
    pairs = RAVDESSDataLoader(organized_actor_01, settings, progress=False).select("fusion", "speech")
    lost = pairs.iloc[0]
    twin_of_lost = Path(lost["audio_path"]).name
    without_twin = manifest[manifest["filename"] != twin_of_lost]
    loader = RAVDESSDataLoader(
        organized_actor_01, settings, cache_dir=tmp_path, manifest=without_twin, progress=False
    )
    clips, _, info = loader.video_cache("fusion", "speech")
    assert len(info) == len(pairs)  # the clip stays in the training data
    for row, audio in zip(info.itertuples(), clips.audio, strict=True):
        clip = organized_actor_01 / row.path
        if row.filename == lost["filename"]:
            expected = extract_mfcc(clip, settings)  # its own soundtrack
        else:
            expected = extract_mfcc(organized_actor_01 / row.audio_path, settings)
        np.testing.assert_allclose(audio, expected, atol=1e-4, err_msg=row.filename)
    # The soundtrack is not the twin's decoding: the two differ, so the test tells them apart.
    soundtrack = extract_mfcc(organized_actor_01 / lost["path"], settings)
    twin = extract_mfcc(organized_actor_01 / lost["audio_path"], settings)
    assert not np.allclose(soundtrack, twin, atol=1e-4)
