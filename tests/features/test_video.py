"""Frame sampling: real clips' face crops and audio twins, even spacing, padding, the centre-square fallback.

The real-format tests use the six original RAVDESS clips in ../shared/ravdess_video
(skipped when absent); the rest use tiny synthetic H.264 clips written with PyAV.
"""

from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.features.audio import extract_mfcc
from ravdess_emotion.features.frames import FrameCache
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.video import ShortClipWarning, centre_box, sample_face_frames, sample_frames

ROOT = Path(__file__).resolve().parents[2]
REAL_CLIPS = sorted((ROOT.parent / "shared" / "ravdess_video" / "Actor_01").glob("*.mp4"))


# --------------------------------------------------------------------------- real clips


@pytest.mark.parametrize("clip", REAL_CLIPS, ids=lambda p: p.stem)
def test_real_clip_sampled_and_cropped_to_the_face(clip: Path, ravdess_video: Path) -> None:
    frames, info = sample_face_frames(clip, 30, (48, 48))
    assert frames.shape == (30, 48, 48, 3) and frames.dtype == np.uint8
    assert info["face_found"], info
    assert not info["padded"] and info["frames_kept"] == 30
    x, y, w, h = info["box"]
    width, height = info["source_size"]
    assert (width, height) == (1280, 720)
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height  # inside the frame
    assert w == h and 300 < w <= 720  # square, about the head (the face alone is ~390 px)
    assert frames.std() > 10 and not np.array_equal(frames[0], frames[-1])


def test_real_clips_face_box_is_near_the_frame_centre(ravdess_video: Path) -> None:
    # The actor sits in the middle of the frame: the face box is there, not a stray detection.
    for clip in REAL_CLIPS[:2]:
        _, info = sample_face_frames(clip, 30, (32, 32))
        x, y, w, h = info["box"]
        assert abs(x + w / 2 - 640) < 120 and abs(y + h / 2 - 360) < 120


@pytest.fixture(scope="module")
def organized_actor_01(tmp_path_factory, ravdess_audio: Path, ravdess_video: Path) -> Path:
    """Actor 01's real speech audio and the six real MP4s, organized."""
    source = tmp_path_factory.mktemp("source") / "Actor_01"
    source.mkdir()
    for path in [
        *(ravdess_audio / "Actor_01").glob("03-01-*.flac"),
        *(ravdess_video / "Actor_01").glob("*.mp4"),
    ]:
        (source / path.name).symlink_to(path)
    dest = tmp_path_factory.mktemp("organized")
    organize(source.parent, dest, progress=False)
    return dest


@pytest.mark.slow
def test_real_fusion_pairs_each_clip_with_its_audio_twin(organized_actor_01: Path, tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(
        organized_actor_01, cache_dir=tmp_path, n_jobs=2, progress=False, video_size=(32, 32)
    )
    clips, y, info = loader.video_cache("fusion", "speech")
    assert len(clips) == 3 and clips.input_shape == ((13, 216), (30, 32, 32, 3))
    assert sorted(y.tolist()) == [0, 7, 7]
    twins = ROOT.parent / "shared" / "ravdess" / "Actor_01"
    for row, audio in zip(info.itertuples(), clips.audio, strict=True):
        assert row.filename.startswith("01-")
        twin = twins / ("03" + row.filename[2:].replace(".mp4", ".flac"))
        assert Path(row.audio_path).name == twin.name
        np.testing.assert_allclose(audio, extract_mfcc(twin, loader.settings), rtol=1e-5, atol=1e-4)
    # Video and fusion read the same cache file for a take: extracted once, face found in each.
    video_clips, _, video_info = loader.video_cache("video", "speech")
    by_take = dict(zip(video_info["take"], video_clips.clips, strict=True))
    for take, cached in zip(info["take"], clips.clips, strict=True):
        assert cached == by_take[take]
    for cached in video_clips.clips:
        assert FrameCache.info(cached)["face_found"]
        assert np.load(cached).shape == (30, 32, 32, 3)
    assert len(list((tmp_path / "frames").glob("*.npy"))) == 4  # four takes among six clips


# --------------------------------------------------------------------------- sampling


def test_frames_are_evenly_spaced_and_in_order(tmp_path: Path, write_clip) -> None:
    levels = [20 + 5 * i for i in range(40)]
    clip = write_clip(tmp_path / "ramp.mp4", levels)
    frames, info = sample_face_frames(clip, 10, (16, 16), crop="none")
    expected = np.array(levels)[np.linspace(0, 39, 10).round().astype(int)]
    np.testing.assert_allclose(frames.mean(axis=(1, 2, 3)), expected, atol=3)
    assert not info["padded"] and info["box"] is None
    # Without the crop, the same frames as data_loader.sample_frames.
    np.testing.assert_array_equal(frames, sample_frames(clip, 10, (16, 16)))


def test_short_clip_is_padded_and_says_so(tmp_path: Path, write_clip) -> None:
    clip = write_clip(tmp_path / "short.mp4", [40, 80, 120, 160, 200])
    with pytest.warns(ShortClipWarning, match="only 5 distinct frames for 12"):
        frames, info = sample_face_frames(clip, 12, (16, 16))
    assert frames.shape == (12, 16, 16, 3)
    assert info["padded"] and info["frames_kept"] == 5
    levels = frames.mean(axis=(1, 2, 3))
    assert np.all(np.diff(levels) >= -1)  # repeats keep time order
    # Every one of the five frames is there (a clip of one repeated frame would fail this).
    assert len(np.unique(np.round(levels / 10))) == 5


def test_no_face_falls_back_to_the_centre_square(tmp_path: Path, write_clip) -> None:
    clip = write_clip(tmp_path / "flat.mp4", [100] * 8)
    _, info = sample_face_frames(clip, 4, (16, 16))
    assert not info["face_found"]
    assert info["box"] == [8, 0, 48, 48] == list(centre_box(64, 48))
    _, info = sample_face_frames(clip, 4, (16, 32))  # a wide output: a wide centre box
    assert info["box"] == [0, 8, 64, 32]
