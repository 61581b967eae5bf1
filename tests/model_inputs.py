"""Every model class of the project with small inputs of the views it reads: shared by the model tests.

``tests/models/test_models.py`` trains and reloads each in the test process;
``tests/backend_roundtrip.py`` saves under one Keras backend and loads under another;
``tests/models/test_portability.py`` loads each file with Keras alone. The cases come
from the registry of model classes and the views each reads (``example_inputs``), so a
new class is tested without being listed here.
"""

from __future__ import annotations

import numpy as np

from ravdess_emotion.models import (
    MODEL_CLASSES,
    AudioAUEmotionFusion,
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionLogistic,
    AudioViewsEnsemble,
    EmotionModel,
)

MODEL_INPUTS: list[tuple[type[EmotionModel], tuple[str, ...]]] = [
    *((cls, cls.example_inputs) for cls in MODEL_CLASSES.values() if cls is not AudioViewsEnsemble),
    # The early fusion builds a linear model on two vectors, a network otherwise: both are tested.
    (AudioAUEmotionFusion, ("functionals", "au_clip")),
]
"""Each model class with the views it reads, by the names of :func:`small_inputs` (two for a fusion).

:class:`AudioViewsEnsemble`, made of trained members rather than trained, is :func:`view_ensemble`'s.
"""

ENSEMBLE_INPUTS = ("functionals", "mfcc")
"""The views of :func:`view_ensemble`, by the names of :func:`small_inputs`."""


def view_ensemble(
    inputs: dict[str, np.ndarray], labels: np.ndarray, weight: float = 0.7
) -> AudioViewsEnsemble:
    """An ensemble of a logistic model on functionals and an attention CNN-LSTM on MFCC images, each trained an epoch."""
    members = {}
    for view, model_class in (("functionals", AudioEmotionLogistic), ("mfcc", AudioEmotionAttentionCNNLSTM)):
        member = model_class(num_emotions=8)
        member.train(inputs[view], labels, epochs=1, batch_size=8, verbose=0)
        member.metadata = {"features": {"view": view}}
        members[view] = member
    return AudioViewsEnsemble.of_members(members, {"functionals": weight, "mfcc": 1 - weight})


def small_inputs(n: int, audio_frames: int, video: tuple[int, int]) -> dict[str, np.ndarray]:
    """Random inputs of every view for ``n`` samples: MFCC images of ``audio_frames``, video of (frames, side)."""
    rng = np.random.default_rng(0)
    frames, side = video
    return {
        "mfcc": (rng.normal(size=(n, 13, audio_frames)) * 40).astype(np.float32),
        "functionals": rng.normal(size=(n, 40)).astype(np.float32),
        "frames": rng.random((n, frames, side, side, 3)).astype(np.float32),
        "au_clip": rng.uniform(0, 3, size=(n, 35)).astype(np.float32),
        "au_sequence": rng.uniform(0, 3, size=(n, 8, 35)).astype(np.float32),
        "whisper": rng.normal(size=(n, 7 * 16)).astype(np.float32),  # 7 layer blocks of 16
    }


def model_input(names: tuple[str, ...], inputs: dict[str, np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The input of a model reading ``names``: one array, or a list for a fusion."""
    return inputs[names[0]] if len(names) == 1 else [inputs[name] for name in names]


def case_id(model_class: type[EmotionModel], names: tuple[str, ...]) -> str:
    """``AudioAUEmotionFusion-mfcc-au_sequence``: the class, and the inputs when a class has several cases."""
    several = sum(cls is model_class for cls, _ in MODEL_INPUTS) > 1
    return "-".join((model_class.__name__, *names)) if several else model_class.__name__
