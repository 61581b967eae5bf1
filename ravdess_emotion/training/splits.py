"""Actor-independent splits: no actor, and so no take, is ever in two of train, validation and test.

Built on scikit-learn's grouped splitters (``GroupShuffleSplit``, ``GroupKFold``) with
the actor as the group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold, GroupShuffleSplit


@dataclass
class ActorSplit:
    """Row indices of the training, validation and test samples, and the actors of each."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_actors: list[int]
    val_actors: list[int]
    test_actors: list[int]


def actor_split(
    actors: np.ndarray,
    test_actors: list[int],
    val_actors: list[int] | None = None,
    val_fraction: float = 0.15,
    seed: int = 0,
) -> ActorSplit:
    """Split samples by actor into train / validation / test.

    Parameters
    ----------
    actors : array, shape (n,)
        The actor of each sample.
    test_actors : list of int
        Held out for testing; empty for no test set (a final model on every actor).
    val_actors : list of int, optional
        Validation actors; by default a ``val_fraction`` of the remaining actors,
        drawn with scikit-learn's ``GroupShuffleSplit`` (at least one actor).

    Raises
    ------
    ValueError
        When a named actor has no samples, or too few actors remain to train on.
    """
    actors = np.asarray(actors)
    present = sorted(set(actors.tolist()))
    missing = sorted(set(test_actors) - set(present))
    if missing:
        raise ValueError(
            f"test actors {missing} have no samples here; actors present: {actor_ranges(present)} "
            "(choose --test-actors among them, or 'none')"
        )
    is_test = np.isin(actors, test_actors)
    pool = np.flatnonzero(~is_test)
    pool_actors = sorted(set(actors[pool].tolist()))
    if len(pool_actors) < 2:
        raise ValueError(f"only actors {pool_actors} remain for training and validation: need at least 2")
    if val_actors is None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
        _, val_rows = next(splitter.split(pool, groups=actors[pool]))
        val_actors = sorted(set(actors[pool[val_rows]].tolist()))
    else:
        overlap = sorted(set(val_actors) & set(test_actors))
        if overlap:
            raise ValueError(f"actors {overlap} are both validation and test actors")
        unknown = sorted(set(val_actors) - set(pool_actors))
        if unknown:
            raise ValueError(f"validation actors {unknown} have no samples outside the test set")
    is_val = np.isin(actors, val_actors)
    train = np.flatnonzero(~is_test & ~is_val)
    if train.size == 0:
        raise ValueError("no training samples remain after taking out validation and test actors")
    return ActorSplit(
        train=train,
        val=np.flatnonzero(is_val),
        test=np.flatnonzero(is_test),
        train_actors=sorted(set(actors[train].tolist())),
        val_actors=sorted(val_actors),
        test_actors=sorted(test_actors),
    )


def actor_folds(
    actors: np.ndarray, n_folds: int, seed: int = 0, val_fraction: float = 0.15
) -> list[ActorSplit]:
    """K folds over actor groups (scikit-learn's ``GroupKFold``, shuffled by ``seed``).

    Every actor is a test actor in exactly one fold; each fold's validation actors are
    drawn from its training actors, so a fold's test actors never steer early stopping.
    """
    actors = np.asarray(actors)
    n_actors = len(set(actors.tolist()))
    if not 2 <= n_folds <= n_actors:
        raise ValueError(f"--folds must be between 2 and the number of actors ({n_actors}), got {n_folds}")
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [
        actor_split(actors, sorted(set(actors[test].tolist())), val_fraction=val_fraction, seed=seed)
        for _, test in splitter.split(actors, groups=actors)
    ]


def actor_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``'1-3,7'``: the form ``--test-actors`` accepts."""
    parts: list[str] = []
    for n in numbers:
        if parts and int(parts[-1].split("-")[-1]) == n - 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    return ",".join(parts)
