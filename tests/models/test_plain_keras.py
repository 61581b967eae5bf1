"""Every saved model loads with plain Keras, in a process that never imported this project, and predicts as the project's load does.

The seed's users load a saved model with ``keras.models.load_model`` alone, in a
notebook or on a machine without this project; a registered custom layer in a file
would make that fail ("Unknown layer: 'ravdess_emotion>SpecAugment'"). The files hold
an inference graph of built-in layers (``ravdess_emotion.models.layers.inference_graph``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from ravdess_emotion.models import AudioViewsEnsemble, EmotionModel
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
