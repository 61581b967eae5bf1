"""Every saved model loads anywhere: with plain Keras, and under JAX and PyTorch, and predicts as the project's load does.

Plain Keras: in a process that never imported this project.

The seed's users load a saved model with ``keras.models.load_model`` alone, in a
notebook or on a machine without this project; a registered custom layer in a file
would make that fail ("Unknown layer: 'ravdess_emotion>SpecAugment'"). The files hold
an inference graph of built-in layers (``ravdess_emotion.models.layers.inference_graph``).

Other backends: each runs in its own process (``tests/backend_roundtrip.py``), since
Keras picks its backend once per process. Loading goes through ``EmotionModel.load``,
with ``safe_mode`` on, as ``predict.py`` does. Both read the same files, saved once per
module under TensorFlow (the fixture ``saved_under_tensorflow``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from ravdess_emotion.models import MODEL_CLASSES, AudioViewsEnsemble, EmotionModel
from tests.model_inputs import MODEL_INPUTS, model_input, small_inputs, view_ensemble

INPUTS = small_inputs(16, audio_frames=40, video=(4, 16))
LABELS = np.arange(16) % 8

LOAD_WITH_KERAS_ALONE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import keras
    import numpy as np

    folder = Path(sys.argv[1])
    probabilities = {}
    for path in sorted(folder.glob("*.h5")) + sorted(folder.glob("*.keras")):
        stored = np.load(path.with_suffix(".inputs.npz"))
        inputs = [stored[f"arr_{i}"] for i in range(len(stored.files))]
        network = keras.models.load_model(path)
        probabilities[path.name] = network.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    np.savez(folder / "plain.npz", **probabilities)
    print(json.dumps({"project imported": any(m.startswith("ravdess_emotion") for m in sys.modules)}))
    """
)


BACKEND_ROUNDTRIP = Path(__file__).parents[1] / "backend_roundtrip.py"


def _run_backend_roundtrip(mode: str, backend: str, folder: Path) -> np.lib.npyio.NpzFile:
    """``tests/backend_roundtrip.py MODE FOLDER`` under ``backend`` in its own process; the probabilities it wrote."""
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, str(BACKEND_ROUNDTRIP), mode, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{mode} under {backend} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return np.load(folder / f"probabilities_{backend}.npz")


@pytest.fixture(scope="module")
def saved_under_tensorflow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    """Every model class trained an epoch and saved as .h5 and .keras under TensorFlow, and what each predicted."""
    folder = tmp_path_factory.mktemp("backends")
    with _run_backend_roundtrip("save", "tensorflow", folder) as stored:
        return folder, {name: stored[name] for name in stored.files}


@pytest.mark.slow
def test_every_saved_model_loads_and_predicts_with_keras_alone(saved_under_tensorflow) -> None:
    folder, predictions = saved_under_tensorflow
    # The project is not importable there: not on the path, not the working directory.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", LOAD_WITH_KERAS_ALONE, str(folder)],
        cwd=folder,
        env={**env, "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"project imported": False}
    plain = np.load(folder / "plain.npz")
    assert set(plain.files) == set(predictions)  # every class, both formats
    for name, expected in predictions.items():
        np.testing.assert_allclose(plain[name], expected, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_an_inference_graph_holds_no_layer_of_this_project() -> None:
    networks = []
    for model_class, names in MODEL_INPUTS:
        model = model_class(num_emotions=8)
        X = model_input(names, INPUTS)
        model.build_model(X.shape[1:] if isinstance(X, np.ndarray) else tuple(x.shape[1:] for x in X))
        networks.append(model.inference_network())
    networks.append(view_ensemble(INPUTS, LABELS).inference_network())
    for network in networks:
        foreign = [type(layer).__module__ for layer in network.layers if not type(layer).__module__.startswith("keras")]
        assert not foreign, (network.name, foreign)


@pytest.mark.slow
def test_the_inference_graph_predicts_as_the_training_graph() -> None:
    from ravdess_emotion.models import AudioEmotionAttentionCNNLSTM

    model = AudioEmotionAttentionCNNLSTM(num_emotions=8)
    model.train(INPUTS["mfcc"], LABELS, epochs=1, batch_size=8, verbose=0)
    inference = model.inference_network()
    names = {layer.name for layer in inference.layers}
    assert "spec_augment" not in names and "audio_attention_pooling" in names
    # Attention's weighted sum is a Dot product there: equal up to the order of additions.
    np.testing.assert_allclose(
        inference.predict(INPUTS["mfcc"], verbose=0), model.predict(INPUTS["mfcc"]), atol=1e-6
    )


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
    with _run_backend_roundtrip("load", backend, folder) as loaded:
        assert sorted(loaded.files) == sorted(expected)
        for name, probabilities in expected.items():
            # Not uniform: the models learned something in their epoch, so a mismatch would show.
            assert probabilities.std() > 1e-4, name
            np.testing.assert_allclose(
                loaded[name], probabilities, atol=1e-4, err_msg=f"{name} under {backend}"
            )
