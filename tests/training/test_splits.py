"""Actor-independent splits: no actor and no take is ever in two of train / validation / test."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ravdess_emotion.core.ravdess import parse_actor_list
from ravdess_emotion.training.splits import actor_folds, actor_ranges, actor_split
from train_models import parse_args


def _samples(actors: list[int], takes_per_actor: int = 6) -> tuple[np.ndarray, np.ndarray]:
    actor_of = np.repeat(actors, takes_per_actor)
    take_of = np.array([f"01-{i % 8 + 1:02d}-01-01-01-{a:02d}" for i, a in enumerate(actor_of)])
    return actor_of, take_of


def _assert_disjoint(split, actor_of: np.ndarray, take_of: np.ndarray) -> None:
    parts = {"train": split.train, "val": split.val, "test": split.test}
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not set(actor_of[parts[a]]) & set(actor_of[parts[b]]), f"an actor is in {a} and {b}"
        assert not set(take_of[parts[a]]) & set(take_of[parts[b]]), f"a take is in {a} and {b}"
    # Every sample lands in exactly one part.
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(len(actor_of)))


@settings(max_examples=60, deadline=None)
@given(
    actors=st.lists(st.integers(1, 24), min_size=4, max_size=24, unique=True),
    n_test=st.integers(0, 2),
    seed=st.integers(0, 10_000),
)
def test_no_actor_or_take_in_two_splits(actors: list[int], n_test: int, seed: int) -> None:
    actor_of, take_of = _samples(actors)
    test_actors = sorted(actors)[:n_test]
    split = actor_split(actor_of, test_actors, seed=seed)
    _assert_disjoint(split, actor_of, take_of)
    assert split.test_actors == test_actors
    assert len(split.val_actors) >= 1
    assert split.train.size > 0


def test_split_is_reproducible() -> None:
    actor_of, _ = _samples(list(range(1, 25)))
    first = actor_split(actor_of, [21, 22, 23, 24], seed=7)
    again = actor_split(actor_of, [21, 22, 23, 24], seed=7)
    assert first.val_actors == again.val_actors
    np.testing.assert_array_equal(first.train, again.train)
    assert set(first.val_actors).isdisjoint(range(21, 25))


def test_named_validation_actors() -> None:
    actor_of, take_of = _samples(list(range(1, 9)))
    split = actor_split(actor_of, [8], val_actors=[1, 2])
    assert split.val_actors == [1, 2] and split.train_actors == [3, 4, 5, 6, 7]
    _assert_disjoint(split, actor_of, take_of)


@pytest.mark.parametrize(
    ("test_actors", "val_actors", "message"),
    [
        ([21], None, r"test actors \[21\] have no samples here; actors present: 1-4"),
        ([1, 2, 3], None, "need at least 2"),
        ([1], [1], "both validation and test"),
        ([1], [9], "no samples outside the test set"),
    ],
)
def test_impossible_splits_say_why(test_actors, val_actors, message) -> None:
    actor_of, _ = _samples([1, 2, 3, 4])
    with pytest.raises(ValueError, match=message):
        actor_split(actor_of, test_actors, val_actors)


def test_command_line_checks_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(
        ["--models", "audio-song,fusion-speech", "--test-actors", "1,5,9", "--video-size", "64"]
    )
    assert [s.name for s in args.specs()] == ["audio-song", "fusion-speech"]
    assert args.test_actors == (1, 5, 9)
    assert args.video_settings.video_size == (64, 64)
    assert parse_args(["--test-actors", "none"]).test_actors == ()
    for bad in (["--models", "audio-whisper"], ["--test-actors", "30"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    assert "audio-whisper" in capsys.readouterr().err


@settings(max_examples=25, deadline=None)
@given(n_actors=st.integers(4, 24), n_folds=st.integers(2, 5), seed=st.integers(0, 1000))
def test_every_fold_is_leak_free_and_every_actor_tested_once(n_actors: int, n_folds: int, seed: int) -> None:
    actors = list(range(1, n_actors + 1))
    actor_of, take_of = _samples(actors)
    n_folds = min(n_folds, n_actors - 2)
    if n_folds < 2:
        return
    folds = actor_folds(actor_of, n_folds, seed=seed)
    assert len(folds) == n_folds
    tested = [a for split in folds for a in split.test_actors]
    assert sorted(tested) == actors
    for split in folds:
        _assert_disjoint(split, actor_of, take_of)
    # The same seed gives the same folds.
    again = actor_folds(actor_of, n_folds, seed=seed)
    assert [f.test_actors for f in again] == [f.test_actors for f in folds]
    assert [f.val_actors for f in again] == [f.val_actors for f in folds]


def test_fold_count_is_checked() -> None:
    actor_of, _ = _samples([1, 2, 3])
    with pytest.raises(ValueError, match="--folds must be between 2"):
        actor_folds(actor_of, 4)
    with pytest.raises(SystemExit):
        parse_args(["--folds", "5", "--val-actors", "1,2"])


@pytest.mark.parametrize(("fraction", "n_val"), [(0.15, 3), (0.3, 6)])
def test_the_validation_share_is_the_fraction_asked_for(fraction: float, n_val: int) -> None:
    actor_of, _ = _samples(list(range(1, 25)))
    split = actor_split(actor_of, [21, 22, 23, 24], val_fraction=fraction, seed=5)
    assert len(split.val_actors) == n_val  # of the 20 actors left
    assert len(split.train_actors) == 20 - n_val


@pytest.mark.parametrize("seed", [0, 3])
def test_each_folds_validation_actors_follow_its_seed_and_fraction(seed: int) -> None:
    actor_of, _ = _samples(list(range(1, 21)))
    folds = actor_folds(actor_of, 4, seed=seed, val_fraction=0.3)
    for fold in folds:
        # The same draw as a plain split of that fold's test actors with the same seed and share.
        alone = actor_split(actor_of, fold.test_actors, val_fraction=0.3, seed=seed)
        assert fold.val_actors == alone.val_actors and len(fold.val_actors) == 5
    assert [f.val_actors for f in actor_folds(actor_of, 4, seed=0, val_fraction=0.3)] != [
        f.val_actors for f in actor_folds(actor_of, 4, seed=3, val_fraction=0.3)
    ]


def test_as_many_folds_as_actors_leaves_one_actor_out_each_time() -> None:
    actor_of, _ = _samples([1, 2, 3, 4])
    folds = actor_folds(actor_of, 4, val_fraction=0.3)
    assert sorted(a for fold in folds for a in fold.test_actors) == [1, 2, 3, 4]
    assert all(len(fold.test_actors) == 1 for fold in folds)


def test_actor_ranges_read_as_the_command_line_writes_them() -> None:
    # Splits give their actors sorted; the text is what --test-actors reads back.
    assert actor_ranges([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"
    assert parse_actor_list(actor_ranges([1, 2, 3, 7, 9, 10])) == [1, 2, 3, 7, 9, 10]


def test_impossible_splits_say_what_to_do() -> None:
    actor_of, _ = _samples([1, 2, 3])
    with pytest.raises(
        ValueError,
        match=r"test actors \[9\] have no samples here; actors present: 1-3 \(choose --test-actors among them, or 'none'\)$",
    ):
        actor_split(actor_of, [9])
    with pytest.raises(
        ValueError, match=r"^no training samples remain after taking out validation and test actors$"
    ):
        actor_split(actor_of, [1], val_actors=[2, 3])
