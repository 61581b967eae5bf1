"""Backend portability: every model class saved under TensorFlow loads and predicts the same under JAX and PyTorch.

Each backend runs in its own process (``tests/backend_roundtrip.py``): Keras picks its
backend once per process. Loading goes through ``EmotionModel.load``, with ``safe_mode``
on, as ``predict.py`` does.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.models import MODEL_CLASSES
from tests.conftest import run_backend_roundtrip
from tests.model_inputs import MODEL_INPUTS

OTHER_BACKENDS = {"jax": "jax", "torch": "torch"}
"""Backend name -> the package it needs."""


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(OTHER_BACKENDS))
def test_every_model_saved_under_tensorflow_predicts_the_same_under(
    backend: str, saved_under_tensorflow: tuple[Path, dict[str, np.ndarray]]
) -> None:
    if importlib.util.find_spec(OTHER_BACKENDS[backend]) is None:
        pytest.skip(f"{OTHER_BACKENDS[backend]} is not installed (requirements.txt installs it)")
    folder, expected = saved_under_tensorflow
    # Every model class (a fusion on each kind of audio it reads), each as .h5 and .keras.
    assert {name.split("-")[0].split(".")[0] for name in expected} == set(MODEL_CLASSES)
    assert len(expected) == 2 * (len(MODEL_INPUTS) + 1)  # and the ensemble of views
    with run_backend_roundtrip("load", backend, folder) as loaded:
        assert sorted(loaded.files) == sorted(expected)
        for name, probabilities in expected.items():
            # Not uniform: the models learned something in their epoch, so a mismatch would show.
            assert probabilities.std() > 1e-4, name
            np.testing.assert_allclose(
                loaded[name], probabilities, atol=1e-4, err_msg=f"{name} under {backend}"
            )
