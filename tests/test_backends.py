"""Backend portability: every model class saved under TensorFlow loads and predicts the same under JAX and PyTorch.

Each backend runs in its own process (``tests/backend_roundtrip.py``): Keras picks its
backend once per process. Loading goes through ``EmotionModel.load``, with ``safe_mode``
on, as ``predict.py`` does.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.models import MODEL_CLASSES
from tests.model_inputs import MODEL_INPUTS

HELPER = Path(__file__).with_name("backend_roundtrip.py")
OTHER_BACKENDS = {"jax": "jax", "torch": "torch"}
"""Backend name -> the package it needs."""


def _run(mode: str, backend: str, folder: Path) -> np.lib.npyio.NpzFile:
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, str(HELPER), mode, str(folder)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{mode} under {backend} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return np.load(folder / f"probabilities_{backend}.npz")


@pytest.fixture(scope="module")
def saved_under_tensorflow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("backends")
    with _run("save", "tensorflow", folder) as stored:
        return folder, {name: stored[name] for name in stored.files}


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
    with _run("load", backend, folder) as loaded:
        assert sorted(loaded.files) == sorted(expected)
        for name, probabilities in expected.items():
            # Not uniform: the models learned something in their epoch, so a mismatch would show.
            assert probabilities.std() > 1e-4, name
            np.testing.assert_allclose(
                loaded[name], probabilities, atol=1e-4, err_msg=f"{name} under {backend}"
            )
