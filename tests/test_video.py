"""Video at real scale: face-cropped sampling, the on-disk frame cache, streaming batches, fusion pairing.

The real-format tests use the six original RAVDESS clips in ../shared/ravdess_video
(skipped when absent); the rest use tiny synthetic H.264 clips written with PyAV.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import train_models
from data_loader import FeatureSettings, RAVDESSDataLoader, extract_mfcc, sample_frames
from demo_data import _write_video_only
from emotion_models import MultimodalEmotionFusion, VideoEmotion3DCNNLSTM
from organize_data import organize
from video_batches import ClipSet, VideoBatches, augment_batch
from video_features import FrameCache, ShortClipWarning, centre_box, sample_face_frames

ROOT = Path(__file__).resolve().parents[1]
REAL_CLIPS = sorted((ROOT.parent / "shared" / "ravdess_video" / "Actor_01").glob("*.mp4"))


def write_clip(path: Path, levels, size=(64, 48), fps=30) -> Path:
    """An H.264 clip (demo_data's writer) whose frame ``i`` is flat grey at ``levels[i]``."""
    width, height = size
    frames = np.stack([np.full((height, width, 3), level, np.uint8) for level in levels])
    _write_video_only(path, frames, fps)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    """Four 20-frame clips, clip ``k`` a ramp starting at level 20 + 40k."""
    folder = tmp_path_factory.mktemp("clips")
    return [write_clip(folder / f"clip{k}.mp4", [20 + 40 * k + 2 * i for i in range(20)]) for k in range(4)]


def write_cache_files(folder: Path, n: int, shape=(4, 8, 8, 3)) -> list[Path]:
    """``n`` cache files, clip ``i`` flat at level ``10 * i`` (uint8)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        paths.append(folder / f"{i}.npy")
        np.save(paths[-1], np.full(shape, 10 * i, np.uint8))
    return paths


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


def test_frames_are_evenly_spaced_and_in_order(tmp_path: Path) -> None:
    levels = [20 + 5 * i for i in range(40)]
    clip = write_clip(tmp_path / "ramp.mp4", levels)
    frames, info = sample_face_frames(clip, 10, (16, 16), crop="none")
    expected = np.array(levels)[np.linspace(0, 39, 10).round().astype(int)]
    np.testing.assert_allclose(frames.mean(axis=(1, 2, 3)), expected, atol=3)
    assert not info["padded"] and info["box"] is None
    # Without the crop, the same frames as data_loader.sample_frames.
    np.testing.assert_array_equal(frames, sample_frames(clip, 10, (16, 16)))


def test_short_clip_is_padded_and_says_so(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "short.mp4", [40, 80, 120, 160, 200])
    with pytest.warns(ShortClipWarning, match="only 5 distinct frames for 12"):
        frames, info = sample_face_frames(clip, 12, (16, 16))
    assert frames.shape == (12, 16, 16, 3)
    assert info["padded"] and info["frames_kept"] == 5
    assert np.all(np.diff(frames.mean(axis=(1, 2, 3))) >= -1)  # repeats keep time order


def test_no_face_falls_back_to_the_centre_square(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "flat.mp4", [100] * 8)
    _, info = sample_face_frames(clip, 4, (16, 16))
    assert not info["face_found"]
    assert info["box"] == [8, 0, 48, 48] == list(centre_box(64, 48))
    _, info = sample_face_frames(clip, 4, (16, 32))  # a wide output: a wide centre box
    assert info["box"] == [0, 8, 64, 32]


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


# --------------------------------------------------------------------------- batches


def test_batches_shape_dtype_range_and_order(tmp_path: Path) -> None:
    files = write_cache_files(tmp_path, 10)
    y = np.arange(10) % 8
    batches = VideoBatches(files, y, batch_size=4)
    assert len(batches) == 3
    x0, y0 = batches[0]
    assert x0.shape == (4, 4, 8, 8, 3) and x0.dtype == np.float32
    assert x0.min() >= 0.0 and x0.max() <= 1.0
    np.testing.assert_allclose(x0[:, 0, 0, 0, 0], np.arange(4) * 10 / 255, rtol=1e-6)
    assert y0.tolist() == [0, 1, 2, 3]
    assert batches[2][0].shape[0] == 2  # the rest
    # The same batches from an in-memory uint8 array.
    in_memory = VideoBatches(np.stack([np.load(f) for f in files]), y, batch_size=4)
    for i in range(len(batches)):
        np.testing.assert_array_equal(batches[i][0], in_memory[i][0])
    # Without labels: inputs only (prediction).
    assert len(VideoBatches(files, batch_size=4)[0]) == 1


def test_shuffle_covers_every_clip_once_and_changes_per_epoch(tmp_path: Path) -> None:
    files = write_cache_files(tmp_path, 9)
    batches = VideoBatches(files, np.arange(9), batch_size=4, shuffle=True, seed=1)
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    batches.on_epoch_end()
    second = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(9))
    assert first.tolist() != second.tolist()


def test_augmentation_off_is_identical_on_changes_the_batch(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    folder = tmp_path / "noise"
    folder.mkdir()
    files = []
    for i in range(6):
        files.append(folder / f"{i}.npy")
        np.save(files[-1], rng.integers(0, 256, (3, 24, 24, 3), dtype=np.uint8))
    plain = VideoBatches(files, np.zeros(6), batch_size=3)
    first = plain[0][0]
    plain.on_epoch_end()
    np.testing.assert_array_equal(first, plain[0][0])  # off: the same every epoch
    augmented = VideoBatches(files, np.zeros(6), batch_size=3, augment=True, seed=3)
    changed = augmented[0][0]
    assert changed.shape == first.shape and changed.dtype == np.float32
    assert changed.min() >= 0.0 and changed.max() <= 1.0
    assert np.abs(changed - first).mean() > 0.05
    np.testing.assert_array_equal(changed, VideoBatches(files, np.zeros(6), 3, augment=True, seed=3)[0][0])
    augmented.on_epoch_end()
    assert not np.array_equal(changed, augmented[0][0])  # new draws every epoch


def test_augmentation_moves_all_frames_of_a_clip_together() -> None:
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[:, :8] = 255  # a bright band on the left
    clip = np.stack([frame] * 3)[None]
    for seed in range(6):
        out = augment_batch(clip, np.random.default_rng(seed))
        np.testing.assert_allclose(out[0, 0], out[0, 1])
        np.testing.assert_allclose(out[0, 0], out[0, 2])


def test_fusion_batches_pair_audio_rows_with_their_clips(tmp_path: Path) -> None:
    files = write_cache_files(tmp_path, 11)
    audio = np.repeat(np.arange(11, dtype=np.float32)[:, None, None], 13, axis=1).repeat(5, axis=2)
    clip_set = ClipSet(files, audio)
    assert clip_set.input_shape == ((13, 5), (4, 8, 8, 3))
    subset = clip_set[np.array([9, 2, 5, 7, 0, 10, 3])]
    batches = subset.batches(np.array([9, 2, 5, 7, 0, 10, 3]) % 8, batch_size=3, shuffle=True, augment=False)
    seen = []
    for _epoch in range(2):
        for i in range(len(batches)):
            (audio_batch, video_batch), labels = batches[i]
            rows = audio_batch[:, 0, 0].astype(int)
            np.testing.assert_allclose(video_batch[:, 0, 0, 0, 0], rows * 10 / 255, rtol=1e-6)
            assert labels.tolist() == (rows % 8).tolist()
            seen.extend(rows.tolist())
        batches.on_epoch_end()
    assert sorted(seen) == sorted([9, 2, 5, 7, 0, 10, 3] * 2)
    assert batches.adaptation_inputs[0].shape == (7, 13, 5)


# --------------------------------------------------------------------------- training


def test_models_train_and_predict_from_streamed_batches(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    files = []
    for i in range(8):
        files.append(tmp_path / f"{i}.npy")
        np.save(files[-1], rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8))
    y = np.arange(8) % 8
    clips = ClipSet(files, (rng.normal(size=(8, 13, 20)) * 40).astype(np.float32))
    video = VideoEmotion3DCNNLSTM()
    history = video.train(
        ClipSet(files).batches(y, 4, shuffle=True, augment=True),
        None,
        ClipSet(files).batches(y, 4),
        None,
        epochs=2,
    )
    assert len(history.history["val_loss"]) == 2
    assert video.predict_classes(ClipSet(files).batches(None, 4)).shape == (8,)
    fusion = MultimodalEmotionFusion()
    fusion.build_model(clips.input_shape)
    fusion.train(clips.batches(y, 4, augment=True), None, clips.batches(y, 4), None, epochs=1, verbose=0)
    normalization = fusion.model.get_layer("mfcc_normalization")
    np.testing.assert_allclose(
        np.ravel(normalization.mean), clips.audio.mean(axis=(0, 2)), rtol=1e-3, atol=1e-3
    )
    assert fusion.predict(clips.batches(None, 4)).shape == (8, 8)


def test_distribute_needs_the_jax_backend(capsys) -> None:
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        pytest.skip("this process runs on JAX: see the test below")
    with pytest.raises(SystemExit) as exit_info:
        train_models.parse_args(["--distribute"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "JAX" in err and "KERAS_BACKEND=jax" in err


def test_distribute_trains_on_two_virtual_cpu_devices(tmp_path: Path) -> None:
    pytest.importorskip(
        "jax", reason="jax is not installed: run ./setup.sh (requirements.txt has it); --distribute needs it"
    )
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        import keras
        from distribute import enable_data_parallel
        from emotion_models import VideoEmotion3DCNNLSTM
        from video_batches import VideoBatches

        distribution = enable_data_parallel([4])
        rng = np.random.default_rng(0)
        clips = rng.integers(0, 256, (8, 4, 16, 16, 3), dtype=np.uint8)
        model = VideoEmotion3DCNNLSTM()
        history = model.train(VideoBatches(clips, np.arange(8) % 8, 4, augment=True), None, epochs=1, verbose=0)
        print(json.dumps({"devices": len(distribution.device_mesh.devices.ravel()),
                          "loss": history.history["loss"][0]}))
        """
    )
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and np.isfinite(result["loss"])


# --------------------------------------------------------------------------- memory


RSS_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from video_batches import VideoBatches

    files = sorted(Path(sys.argv[1]).glob("*.npy"))[: int(sys.argv[2])]
    batches = VideoBatches(files, [0] * len(files), batch_size=8, shuffle=True, augment=True)
    total = sum(float(batches[i][0].mean()) for i in range(len(batches)))
    print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)


def test_streaming_memory_does_not_grow_with_the_number_of_clips(tmp_path: Path) -> None:
    # 400 clips of 8x64x64x3: 39 MB as uint8 files, 157 MB as the seed's float32 array.
    for i in range(400):
        np.save(tmp_path / f"{i:04d}.npy", np.full((8, 64, 64, 3), i % 256, np.uint8))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    peaks = {}
    for n in (40, 400):
        done = subprocess.run(
            [sys.executable, "-c", RSS_CHILD, str(tmp_path), str(n)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        peaks[n] = json.loads(done.stdout.strip().splitlines()[-1])["rss_kb"] / 1024
    in_memory_growth = 360 * 8 * 64 * 64 * 3 * 4 / 2**20  # MB the seed's arrays would add
    assert peaks[400] - peaks[40] < 0.25 * in_memory_growth, peaks
