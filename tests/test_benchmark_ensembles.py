"""``benchmarks/ensembles.py``: the late fusion of two members, its weight chosen on validation only, its options.

The benchmark itself trains on real RAVDESS audio for many minutes; README numbers come from it.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import ensembles
from benchmarks.options import row_config
from ravdess_emotion.features.views import audio_view
from ravdess_emotion.models import late_fusion_log_probabilities, late_fusion_weight
from ravdess_emotion.models.fusion import POOLING_WEIGHTS
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.splits import ActorSplit, actor_folds


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_late_fusion_is_the_weighted_log_linear_pool() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 5, 4))
    fused = late_fusion_log_probabilities(a, b, 0.3)
    np.testing.assert_allclose(fused, _log_softmax(0.3 * a + 0.7 * b))
    np.testing.assert_allclose(np.exp(fused).sum(axis=1), 1.0)
    # Log-probabilities and logits give the same fusion: a constant per row changes nothing.
    np.testing.assert_allclose(late_fusion_log_probabilities(_log_softmax(a), b + 3.0, 0.3), fused)
    np.testing.assert_allclose(late_fusion_log_probabilities(a, b, 1.0), _log_softmax(a))


def test_the_weight_goes_to_the_member_that_knows_the_labels() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    knows = np.eye(3)[y] * 4.0
    guesses = np.eye(3)[(y + 1) % 3] * 4.0
    weights = POOLING_WEIGHTS
    assert late_fusion_weight(knows, guesses, y, weights) == 1.0
    assert late_fusion_weight(guesses, knows, y, weights) == 0.0
    # Two equally good members that err on different samples: a mix beats either alone.
    first = np.eye(3)[[0, 1, 2, 0, 2, 0]] * 2.0
    second = np.eye(3)[[0, 1, 2, 1, 1, 2]] * 2.0
    assert 0.0 < late_fusion_weight(first, second, y, weights) < 1.0


def test_a_fold_chooses_its_weights_on_validation_and_scores_the_test_actors() -> None:
    y_val, y_test = np.array([0, 1, 2, 0]), np.array([2, 1, 0])
    # On validation only the functionals member is right; on test only the MFCC member.
    right = {
        "val": np.log(np.eye(3)[y_val] * 0.9 + 0.1 / 3),
        "test": np.log(np.eye(3)[(y_test + 1) % 3] * 0.9 + 0.03),
    }
    wrong = {
        "val": np.log(np.eye(3)[(y_val + 1) % 3] * 0.9 + 0.03),
        "test": np.log(np.eye(3)[y_test] * 0.9 + 0.1 / 3),
    }
    member = {way: right for way in ensembles.WAYS}
    other = {way: wrong for way in ensembles.WAYS}
    labels = ensembles.member_labels(13)
    rows, chosen = ensembles.fold_rows({"functionals": member, "mfcc": other}, y_val, y_test, labels)
    assert chosen == {"batch": 1.0, "independent": 1.0}  # the test labels never choose the weight
    by_model = {row["model"]: row["accuracy"] for row in rows if row["way"] == "batch"}
    assert by_model["functionals (--preset functionals)"] == 0.0
    assert by_model["MFCC images (--preset cnn-lstm)"] == 1.0
    assert by_model["ensemble, w chosen on validation actors"] == 0.0
    assert len(rows) == 4 * len(ensembles.WAYS) and {"accuracy", "uar"} <= set(rows[0])


def test_the_members_are_the_two_feature_views() -> None:
    assert ensembles.MEMBERS == {"functionals": "functionals", "mfcc": "cnn-lstm"}
    assert ensembles.WAYS == {"batch": "auto", "independent": "none"}


def test_the_mfcc_members_coefficients_change_its_features_only(
    benchmark_options: argparse.Namespace, tmp_path: Path
) -> None:
    args = benchmark_options

    def member_config(member: str, coefficients: int) -> RunConfig:
        settings = ensembles.member_settings(member, coefficients)
        preset = ensembles.MEMBERS[member]
        return row_config(args, tmp_path, "audio-song", preset, tmp_path, refit=False, **settings)

    seed_sized, forty = member_config("mfcc", 13), member_config("mfcc", 40)
    assert ensembles.member_settings("mfcc", 13) == {}  # the default run is the preset itself
    assert (seed_sized.audio_settings.n_mfcc, forty.audio_settings.n_mfcc) == (13, 40)
    assert audio_view(forty.audio_settings).shape(forty.audio_settings) == (
        40,
        seed_sized.audio_settings.max_frames,
    )
    assert forty.specs() == seed_sized.specs()
    # The functionals member reads no MFCC images: the option leaves it as it is.
    assert member_config("functionals", 40) == member_config("functionals", 13)
    assert ensembles.member_labels(40)["mfcc"] == "MFCC images (--preset cnn-lstm --n-mfcc 40)"
    assert ensembles.member_labels(13) == {
        "functionals": "functionals (--preset functionals)",
        "mfcc": "MFCC images (--preset cnn-lstm)",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--channels", "speech,whisper"], "--channels: give speech, song or both"),
        (["--channels", ","], "--channels"),
        (["--mfcc-coefficients", "0"], "--mfcc-coefficients: n_mfcc must be positive, got 0"),
    ],
)
def test_bad_options_are_refused(options: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        ensembles.main(options)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_every_recordings_predictions_are_kept_from_the_fold_that_tested_it(tmp_path: Path) -> None:
    actors = np.repeat(np.arange(1, 11), 4)
    y = np.tile(np.arange(4), 10)
    info = pd.DataFrame(
        {"filename": [f"03-01-0{c + 1}-01-01-01-{a:02d}.wav" for a, c in zip(actors, y, strict=True)]}
    )
    info["actor"] = actors
    folds = actor_folds(actors, 5, seed=42)

    def member(split: ActorSplit, shift: int) -> dict[str, dict[str, np.ndarray]]:
        # Each row's values name the row, so a row written to the wrong place shows.
        rows = {part: getattr(split, part) for part in ("val", "test")}
        return {
            way: {
                part: np.stack([r * 10.0 + shift + np.arange(4) for r in index])
                for part, index in rows.items()
            }
            for way in ensembles.WAYS
        }

    per_fold = [{"functionals": member(split, 0), "mfcc": member(split, 1)} for split in folds]
    arrays = ensembles.prediction_arrays(info, y, folds, per_fold)
    np.savez(tmp_path / "kept.npz", **arrays)
    kept = np.load(tmp_path / "kept.npz", allow_pickle=False)  # plain arrays: no pickled object
    rows = np.arange(len(y))
    for name in ("functionals", "mfcc"):
        for way in ensembles.WAYS:
            shift = name == "mfcc"
            np.testing.assert_array_equal(kept[f"{name}_{way}_test"][:, 0], rows * 10.0 + shift)
    for index, split in enumerate(folds, start=1):
        assert set(np.flatnonzero(kept["fold"] == index)) == set(split.test)
        np.testing.assert_array_equal(kept[f"val_rows_fold{index}"], split.val)
        np.testing.assert_array_equal(kept[f"mfcc_batch_val_fold{index}"][:, 0], split.val * 10.0 + 1)
    assert list(kept["filename"]) == list(info["filename"]) and list(kept["label"]) == list(y)
    np.testing.assert_array_equal(kept["actor"], actors)
