"""``benchmarks/speakers.py`` on the command line: which recipes it compares, and the options it refuses.

The benchmark itself trains on real RAVDESS audio for minutes; README numbers come from it.
"""

import numpy as np
import pytest

from benchmarks import speakers


def test_the_two_recipes_are_the_preset_with_and_without_a_speaker_prior() -> None:
    best = speakers.recipes("functionals", (1, 3, 10))
    assert best["prior"] == ("--preset functionals --enrollment-copies 1,3,10 (speaker prior)", (1, 3, 10))
    assert best["before"][1] is None
    assert speakers.recipes("cnn-lstm", ())["prior"][0].startswith(
        "--preset cnn-lstm --enrollment-copies prior"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--prior-copies", "none"], "'none' is the baseline the benchmark trains anyway"),
        (["--prior-copies", "0"], "--prior-copies: give recordings per speaker as positive integers"),
        (["--preset", "seed"], "invalid choice: 'seed'"),
    ],
)
def test_options_that_cannot_be_benchmarked_are_refused(options: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        speakers.main(options)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_target_splits_keep_targets_and_enrollment_pool_apart() -> None:
    statement = np.tile([1, 2], 30)
    targets, pool = speakers.target_split(statement, "statement", np.random.default_rng(0))
    assert (statement[targets] == 2).all() and (statement[pool] == 1).all()
    targets, pool = speakers.target_split(statement, "halves", np.random.default_rng(0))
    assert len(targets) == len(pool) == 30 and not set(targets) & set(pool)
    assert set(statement[targets]) == set(statement[pool]) == {1, 2}  # both sentences on each side
    other, _ = speakers.target_split(statement, "halves", np.random.default_rng(1))
    assert set(other) != set(targets)  # a random half, not a fixed one
    with pytest.raises(ValueError, match="split must be one of"):
        speakers.target_split(statement, "actors", np.random.default_rng(0))
