"""Streaming video batches: shape, order, shuffling, augmentation, fusion pairing, training, flat memory."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.batches import (
    ArrayInputs,
    MixupBatches,
    SpeedCopies,
    StreamedClips,
    VideoBatches,
    as_training_inputs,
    augment_batch,
)
from ravdess_emotion.features.clips import ClipSet
from ravdess_emotion.models import MultimodalEmotionFusion, VideoEmotion3DCNNLSTM

ROOT = Path(__file__).resolve().parents[1]


def write_cache_files(folder: Path, n: int, shape=(4, 8, 8, 3)) -> list[Path]:
    """``n`` cache files, clip ``i`` flat at level ``10 * i`` (uint8)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        paths.append(folder / f"{i}.npy")
        np.save(paths[-1], np.full(shape, 10 * i, np.uint8))
    return paths


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
    batches = VideoBatches(
        subset, np.array([9, 2, 5, 7, 0, 10, 3]) % 8, batch_size=3, shuffle=True, augment=False
    )
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


@pytest.mark.slow
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
        VideoBatches(files, y, 4, shuffle=True, augment=True),
        None,
        VideoBatches(files, y, 4),
        None,
        epochs=2,
    )
    assert len(history.history["val_loss"]) == 2
    assert video.predict_classes(VideoBatches(files, None, 4)).shape == (8,)
    fusion = MultimodalEmotionFusion()
    fusion.build_model(clips.input_shape)
    fusion.train(
        VideoBatches(clips, y, 4, augment=True), None, VideoBatches(clips, y, 4), None, epochs=1, verbose=0
    )
    normalization = fusion.model.get_layer("mfcc_normalization")
    np.testing.assert_allclose(
        np.ravel(normalization.mean), clips.audio.mean(axis=(0, 2)), rtol=1e-3, atol=1e-3
    )
    assert fusion.predict(VideoBatches(clips, None, 4)).shape == (8, 8)


# --------------------------------------------------------------------------- memory


RSS_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from ravdess_emotion.batches import VideoBatches

    files = sorted(Path(sys.argv[1]).glob("*.npy"))[: int(sys.argv[2])]
    batches = VideoBatches(files, [0] * len(files), batch_size=8, shuffle=True, augment=True)
    total = sum(float(batches[i][0].mean()) for i in range(len(batches)))
    print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)


@pytest.mark.slow
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


# --------------------------------------------------------------------------- training inputs


def test_arrays_and_pairs_fit_and_evaluate_the_rows_asked_for() -> None:
    X = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    y = np.arange(10) % 8
    rows = np.array([7, 2, 5])
    inputs = as_training_inputs(X)
    assert isinstance(inputs, ArrayInputs) and not inputs.streams and inputs.input_shape == (3,)
    fit_x, fit_y = inputs.fit_data(rows, y, batch_size=2, shuffle=True, augment=True, seed=0)
    np.testing.assert_array_equal(fit_x[:, 0], rows)
    np.testing.assert_array_equal(fit_y, y[rows])
    assert inputs.eval_data(rows)[1] is None
    pair = as_training_inputs([X, X[:, :2]])
    assert pair.input_shape == ((3,), (2,)) and len(pair) == 10
    audio, video = pair.eval_data(rows, y)[0]
    np.testing.assert_array_equal(audio[:, 0], rows)
    np.testing.assert_array_equal(video[:, 0], rows)


def test_speed_copies_come_only_with_the_training_rows() -> None:
    original = np.zeros((6, 2), np.float32)
    copies = [np.ones((6, 2), np.float32), np.full((6, 2), 2.0, np.float32)]
    y = np.arange(6)
    inputs = SpeedCopies(original, copies)
    assert as_training_inputs(inputs) is inputs and inputs.input_shape == (2,) and not inputs.streams
    fit_x, fit_y = inputs.fit_data(np.array([1, 4]), y, batch_size=2, shuffle=True, augment=False, seed=0)
    np.testing.assert_array_equal(fit_x[:, 0], [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(fit_y, [1, 4, 1, 4, 1, 4])
    eval_x, eval_y = inputs.eval_data(np.array([1, 4]), y)
    assert (eval_x == 0).all() and eval_y.tolist() == [1, 4]


def test_each_speed_copy_keeps_the_faces_of_its_take() -> None:
    original = np.zeros((6, 2), np.float32)
    copies = [np.ones((6, 2), np.float32), np.full((6, 2), 2.0, np.float32)]
    faces = np.arange(6, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    inputs = SpeedCopies(original, copies, companions=(faces,))
    assert inputs.input_shape == ((2,), (3,)) and len(inputs) == 6
    (audio, au), fit_y = inputs.fit_data(np.array([1, 4]), np.arange(6), 2, True, False, 0)
    np.testing.assert_array_equal(audio[:, 0], [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(au[:, 0], [1, 4, 1, 4, 1, 4])  # row for row with its labels
    np.testing.assert_array_equal(fit_y, [1, 4, 1, 4, 1, 4])
    (eval_audio, eval_au), _ = inputs.eval_data(np.array([1, 4]))
    assert (eval_audio == 0).all() and eval_au[:, 0].tolist() == [1, 4]


def test_clips_stream_shuffled_and_augmented_for_fitting_only(tmp_path: Path) -> None:
    files = write_cache_files(tmp_path, 6)
    y = np.arange(6) % 8
    inputs = as_training_inputs(ClipSet(files))
    assert isinstance(inputs, StreamedClips) and inputs.streams and inputs.input_shape == (4, 8, 8, 3)
    rows = np.array([5, 0, 3, 1])
    train, labels = inputs.fit_data(rows, y, batch_size=2, shuffle=True, augment=True, seed=7)
    assert labels is None and isinstance(train, VideoBatches)
    assert (train.shuffle, train.augment, train.seed, train.batch_size) == (True, True, 7, 2)
    assert sorted(train.y.tolist()) == sorted(y[rows].tolist()) and len(train.clips) == 4
    val, _ = inputs.eval_data(rows, y, batch_size=3)
    assert (val.shuffle, val.augment, val.batch_size) == (False, False, 3) and val.y.tolist() == y[
        rows
    ].tolist()
    assert inputs.eval_data(rows)[0].y is None  # for predicting: no labels


def test_mixup_mixes_each_example_with_a_partner_of_its_batch() -> None:
    X = np.stack([np.full((2, 3), float(i), np.float32) for i in range(10)])
    y = np.eye(10, dtype=np.float32)
    batches = MixupBatches(X, y, batch_size=4, alpha=0.2, seed=1)
    assert len(batches) == 3
    seen = []
    for index in range(len(batches)):
        X_mixed, y_mixed = batches[index]
        np.testing.assert_allclose(y_mixed.sum(axis=1), 1, rtol=1e-6)
        # The label says the mix: x = sum of (label weight × the example's constant value).
        np.testing.assert_allclose(X_mixed[:, 0, 0], y_mixed @ np.arange(10), rtol=1e-5)
        assert (np.count_nonzero(y_mixed, axis=1) <= 2).all()
        seen += np.flatnonzero(y_mixed.max(axis=0) > 0).tolist()
        np.testing.assert_array_equal(batches[index][0], X_mixed)  # the same batch when asked again
    assert sorted(set(seen)) == list(range(10))  # an epoch visits every example
    first = batches[0][1]
    batches.on_epoch_end()
    assert not np.array_equal(batches[0][1], first)  # a new shuffle each epoch
    with pytest.raises(ValueError, match="one-hot labels"):
        MixupBatches(X, np.arange(10), batch_size=4, alpha=0.2)
    with pytest.raises(ValueError, match="alpha must be positive"):
        MixupBatches(X, y, batch_size=4, alpha=0)
