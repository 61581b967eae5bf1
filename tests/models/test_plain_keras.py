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
from tests.model_inputs import ENSEMBLE_INPUTS, MODEL_INPUTS, case_id, model_input, small_inputs, view_ensemble

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


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    """Every model class trained an epoch and saved as .h5 and .keras, with the project's own predictions."""
    folder = tmp_path_factory.mktemp("saved")
    predictions = {}
    cases = [(case_id(cls, names), cls, model_input(names, INPUTS)) for cls, names in MODEL_INPUTS]
    cases.append((AudioViewsEnsemble.__name__, AudioViewsEnsemble, model_input(ENSEMBLE_INPUTS, INPUTS)))
    for name, model_class, X in cases:
        keras.utils.set_random_seed(0)
        if model_class is AudioViewsEnsemble:
            model = view_ensemble(INPUTS, LABELS)
        else:
            model = model_class(num_emotions=8)
            model.train(X, LABELS, X, LABELS, epochs=1, batch_size=8, verbose=0)
        for suffix in (".h5", ".keras"):
            path = model.save(folder / f"{name}{suffix}")
            np.savez(path.with_suffix(".inputs.npz"), *(X if isinstance(X, list) else [X]))
            predictions[path.name] = EmotionModel.load(path).predict(X)
    return folder, predictions


@pytest.mark.slow
def test_every_saved_model_loads_and_predicts_with_keras_alone(saved_models) -> None:
    folder, predictions = saved_models
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
        np.testing.assert_allclose(plain[name], expected, atol=1e-6, err_msg=name)


def test_a_saved_graph_holds_no_layer_of_this_project(saved_models) -> None:
    folder, _ = saved_models
    for path in folder.glob("*.keras"):
        network = keras.models.load_model(path)
        foreign = [type(layer).__module__ for layer in network.layers if not type(layer).__module__.startswith("keras")]
        assert not foreign, (path.name, foreign)


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
