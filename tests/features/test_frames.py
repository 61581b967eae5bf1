"""The on-disk frame cache (FrameCache): only missing clips are extracted, undecodable clips are reported."""

from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.features.frames import FrameCache
from ravdess_emotion.features.settings import FeatureSettings


@pytest.fixture(scope="module")
def clips(tmp_path_factory, write_clip) -> list[Path]:
    """Four 20-frame clips, clip ``k`` a ramp starting at level 20 + 40k."""
    folder = tmp_path_factory.mktemp("clips")
    return [write_clip(folder / f"clip{k}.mp4", [20 + 40 * k + 2 * i for i in range(20)]) for k in range(4)]


# --------------------------------------------------------------------------- the cache


def test_cache_extracts_only_missing_clips(clips: list[Path], tmp_path: Path) -> None:
    settings = FeatureSettings(video_frames=6, video_size=(16, 16))
    cache = FrameCache(tmp_path / "frames", settings, n_jobs=2, progress=False)
    files = cache.ensure(clips)
    assert sorted(cache.extracted) == sorted(clips)
    assert all(f is not None and f.exists() for f in files)
    for k, file in enumerate(files):
        frames = np.load(file)
        assert frames.shape == (6, 16, 16, 3) and frames.dtype == np.uint8
        assert abs(frames[0].mean() - (20 + 40 * k)) < 4  # row order is the order of the paths
        assert FrameCache.info(file)["source"] == clips[k].name
    assert not list((tmp_path / "frames").glob(".*"))  # no temporary file left
    # An interrupted run: one file missing. Only that clip is extracted again.
    files[2].unlink()
    assert cache.ensure(clips) == files
    assert cache.extracted == [clips[2]]
    cache.ensure(clips)
    assert cache.extracted == []
    # Other settings never reuse these files.
    other = FrameCache(
        tmp_path / "frames", FeatureSettings(video_frames=6, video_size=(16, 16), face_crop=False)
    )
    assert other.path_for("ab" * 32) != cache.path_for("ab" * 32)


def test_cache_reports_an_undecodable_clip(clips: list[Path], tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 200)
    cache = FrameCache(tmp_path / "frames", FeatureSettings(video_frames=4, video_size=(8, 8)), n_jobs=1)
    files = cache.ensure([clips[0], broken])
    assert files[0] is not None and files[1] is None
    assert broken in cache.failures
    assert "broken.mp4" in capsys.readouterr().err
