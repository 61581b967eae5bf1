"""Helper of ``tests/test_backends.py``, run in a subprocess under one Keras backend (``KERAS_BACKEND``).

    python tests/backend_roundtrip.py save FOLDER    # train every model class briefly, save, predict
    python tests/backend_roundtrip.py load FOLDER    # load what ``save`` wrote, predict the same inputs

Both write ``FOLDER/probabilities_<backend>.npz``: one array per saved model file.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np

from ravdess_emotion.models import (
    AudioAUEmotionFusion,
    AudioAULateFusion,
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    AudioEmotionMLP,
    AUEmotionLogistic,
    AUEmotionLSTM,
    EmotionModel,
    MultimodalEmotionFusion,
    VideoEmotion3DCNNLSTM,
)

RNG = np.random.default_rng(0)
AUDIO = (RNG.normal(size=(16, 13, 40)) * 40).astype(np.float32)
FUNCTIONALS = RNG.normal(size=(16, 40)).astype(np.float32)
VIDEO = RNG.random((16, 4, 16, 16, 3)).astype(np.float32)
UNITS = RNG.uniform(0, 3, size=(16, 35)).astype(np.float32)
UNIT_FRAMES = RNG.uniform(0, 3, size=(16, 8, 35)).astype(np.float32)
LABELS = np.arange(16) % 8

CASES = {
    "AudioEmotionCNNLSTM": (AudioEmotionCNNLSTM, AUDIO),
    "AudioEmotionAttentionCNNLSTM": (AudioEmotionAttentionCNNLSTM, AUDIO),
    "AudioEmotionMLP": (AudioEmotionMLP, FUNCTIONALS),
    "AudioEmotionLogistic": (AudioEmotionLogistic, FUNCTIONALS),
    "VideoEmotion3DCNNLSTM": (VideoEmotion3DCNNLSTM, VIDEO),
    "MultimodalEmotionFusion": (MultimodalEmotionFusion, [AUDIO, VIDEO]),
    "AUEmotionLogistic": (AUEmotionLogistic, UNITS),
    "AUEmotionLSTM": (AUEmotionLSTM, UNIT_FRAMES),
    "AudioAUEmotionFusion": (AudioAUEmotionFusion, [AUDIO, UNIT_FRAMES]),
    "AudioAULateFusion": (AudioAULateFusion, [FUNCTIONALS, UNITS]),
}
"""Every model class of the project, on inputs of its kind (small sizes)."""


def main(mode: str, folder: Path) -> None:
    backend = keras.backend.backend()
    probabilities = {}
    for name, (model_class, X) in CASES.items():
        for suffix in (".h5", ".keras"):
            path = folder / f"{name}{suffix}"
            if mode == "save":
                if suffix == ".h5":
                    keras.utils.set_random_seed(0)
                    model = model_class(num_emotions=8)
                    model.train(X, LABELS, X, LABELS, epochs=1, batch_size=8, verbose=0)
                model.save(path)
            else:
                model = EmotionModel.load(path)
            probabilities[path.name] = model.predict(X)
    np.savez(folder / f"probabilities_{backend}.npz", **probabilities)
    print(f"{mode} under {backend}: {len(probabilities)} model files")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
