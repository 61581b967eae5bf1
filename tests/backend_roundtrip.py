"""Helper of ``tests/models/test_portability.py``, run in a subprocess under one Keras backend (``KERAS_BACKEND``).

    python tests/backend_roundtrip.py save FOLDER    # train every model class briefly, save, predict
    python tests/backend_roundtrip.py load FOLDER    # load what ``save`` wrote, predict the same inputs

Both write ``FOLDER/probabilities_<backend>.npz``: one array per saved model file. ``save``
also writes each file's inputs (``<name>.inputs.npz``), which ``tests/models/test_portability.py``
predicts in a process that never imports the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np

from ravdess_emotion.models import AudioViewsEnsemble, EmotionModel
from tests.model_inputs import (
    ENSEMBLE_INPUTS,
    MODEL_INPUTS,
    case_id,
    model_input,
    small_inputs,
    view_ensemble,
)

INPUTS = small_inputs(16, audio_frames=40, video=(4, 16))
LABELS = np.arange(16) % 8
CASES = {case_id(cls, names): (cls, model_input(names, INPUTS)) for cls, names in MODEL_INPUTS}
CASES[AudioViewsEnsemble.__name__] = (AudioViewsEnsemble, model_input(ENSEMBLE_INPUTS, INPUTS))
"""Every model class of the project, on inputs of its kind (small sizes); the ensemble of views too."""


def main(mode: str, folder: Path) -> None:
    backend = keras.backend.backend()
    probabilities = {}
    for name, (model_class, X) in CASES.items():
        for suffix in (".h5", ".keras"):
            path = folder / f"{name}{suffix}"
            if mode == "save":
                if suffix == ".h5":
                    keras.utils.set_random_seed(0)
                    if model_class is AudioViewsEnsemble:
                        model = view_ensemble(INPUTS, LABELS)
                    else:
                        model = model_class(num_emotions=8)
                        # No validation data: it adds a traced graph and nothing to the saved file.
                        model.train(X, LABELS, epochs=1, batch_size=8, verbose=0)
                model.save(path)
                # The inputs beside the file, for a process that loads it with Keras alone.
                np.savez(path.with_suffix(".inputs.npz"), *(X if isinstance(X, list) else [X]))
            else:
                model = EmotionModel.load(path)
            probabilities[path.name] = model.predict(X)
    np.savez(folder / f"probabilities_{backend}.npz", **probabilities)
    print(f"{mode} under {backend}: {len(probabilities)} model files")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
