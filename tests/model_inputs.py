"""Every model class of the project with small inputs of the kinds it reads: shared by the model tests.

``tests/test_models.py`` trains and reloads each in the test process;
``tests/backend_roundtrip.py`` saves under one Keras backend and loads under another.
"""

from __future__ import annotations

import numpy as np

from ravdess_emotion.models import (
    AudioAUEmotionFusion,
    AudioAULateFusion,
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    AudioEmotionMLP,
    AudioViewsEnsemble,
    AUEmotionLogistic,
    AUEmotionLSTM,
    EmotionModel,
    MultimodalEmotionFusion,
    VideoEmotion3DCNNLSTM,
)

MODEL_INPUTS: list[tuple[type[EmotionModel], tuple[str, ...]]] = [
    (AudioEmotionCNNLSTM, ("audio",)),
    (AudioEmotionAttentionCNNLSTM, ("audio",)),
    (AudioEmotionMLP, ("functionals",)),
    (AudioEmotionLogistic, ("functionals",)),
    (VideoEmotion3DCNNLSTM, ("video",)),
    (MultimodalEmotionFusion, ("audio", "video")),
    (AUEmotionLogistic, ("units",)),
    (AUEmotionLSTM, ("unit_frames",)),
    (AudioAUEmotionFusion, ("functionals", "units")),
    (AudioAUEmotionFusion, ("audio", "unit_frames")),
    (AudioAULateFusion, ("functionals", "units")),
]
"""Each model class with the inputs it reads, by the names of :func:`small_inputs` (two for a fusion).

:class:`AudioViewsEnsemble`, made of trained members rather than trained, is :func:`view_ensemble`'s.
"""

ENSEMBLE_INPUTS = ("functionals", "audio")
"""The views of :func:`view_ensemble`, by the names of :func:`small_inputs`."""


def view_ensemble(
    inputs: dict[str, np.ndarray], labels: np.ndarray, weight: float = 0.7
) -> AudioViewsEnsemble:
    """An ensemble of a logistic model on functionals and an attention CNN-LSTM on MFCC images, each trained an epoch."""
    members = {}
    for view, model_class in (("functionals", AudioEmotionLogistic), ("audio", AudioEmotionAttentionCNNLSTM)):
        member = model_class(num_emotions=8)
        member.train(inputs[view], labels, epochs=1, batch_size=8, verbose=0)
        member.metadata = {"features": {"view": view}}
        members[view] = member
    return AudioViewsEnsemble.of_members(members, {"functionals": weight, "audio": 1 - weight})


def small_inputs(n: int, audio_frames: int, video: tuple[int, int]) -> dict[str, np.ndarray]:
    """Random inputs of every kind for ``n`` samples: MFCC images of ``audio_frames``, video of (frames, side)."""
    rng = np.random.default_rng(0)
    frames, side = video
    return {
        "audio": (rng.normal(size=(n, 13, audio_frames)) * 40).astype(np.float32),
        "functionals": rng.normal(size=(n, 40)).astype(np.float32),
        "video": rng.random((n, frames, side, side, 3)).astype(np.float32),
        "units": rng.uniform(0, 3, size=(n, 35)).astype(np.float32),
        "unit_frames": rng.uniform(0, 3, size=(n, 8, 35)).astype(np.float32),
    }


def model_input(names: tuple[str, ...], inputs: dict[str, np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The input of a model reading ``names``: one array, or a list for a fusion."""
    return inputs[names[0]] if len(names) == 1 else [inputs[name] for name in names]


def case_id(model_class: type[EmotionModel], names: tuple[str, ...]) -> str:
    """``AudioAUEmotionFusion-audio-unit_frames``: the class, and the inputs when a class has several cases."""
    several = sum(cls is model_class for cls, _ in MODEL_INPUTS) > 1
    return "-".join((model_class.__name__, *names)) if several else model_class.__name__
