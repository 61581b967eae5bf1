"""Stage 3 of the pipeline, models: the emotion classifiers in Keras 3 (the library is ``ravdess_emotion.models``).

``AudioEmotionCNNLSTM`` is the seed's model on MFCC images; ``AudioEmotionLogistic``
(the ``--preset best`` audio model) and ``AudioEmotionMLP`` read utterance functionals;
``VideoEmotion3DCNNLSTM`` reads face frames and ``MultimodalEmotionFusion`` both; the
``AU*`` and ``AudioAU*`` models read facial action units, and ``AudioViewsEnsemble`` pools
trained audio models (``--preset ensemble``). Every model follows one interface::

    from emotion_models import AudioEmotionCNNLSTM
    model = AudioEmotionCNNLSTM(num_emotions=8)
    model.build_model((13, 216))
    history = model.train(X_train, y_train, X_val, y_val, epochs=50)
    metrics = model.evaluate(X_test, y_test)        # {"loss": ..., "accuracy": ...}
    probabilities = model.predict(X_new)            # (n, num_emotions)
    model.save("models/audio_emotion_speech.h5", metadata={...})
    model = AudioEmotionCNNLSTM.load("models/audio_emotion_speech.h5")

Run as a script, it prints each network's layers and parameter count for the default
input shapes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import resolve_views
from ravdess_emotion.models import (
    MODEL_CLASSES,
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
from ravdess_emotion.training.recipes import ENSEMBLE_MEMBERS, MODEL_SPECS, PRESETS, apply_preset

__all__ = [
    "MODEL_CLASSES",
    "AUEmotionLSTM",
    "AUEmotionLogistic",
    "AudioAUEmotionFusion",
    "AudioAULateFusion",
    "AudioEmotionAttentionCNNLSTM",
    "AudioEmotionCNNLSTM",
    "AudioEmotionLogistic",
    "AudioEmotionMLP",
    "AudioViewsEnsemble",
    "EmotionModel",
    "MultimodalEmotionFusion",
    "VideoEmotion3DCNNLSTM",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Print the layers and parameter counts of the emotion models for the default input shapes."
    )
    parser.add_argument(
        "models",
        nargs="*",
        metavar="MODEL",
        help=f"models to show, from {', '.join(MODEL_CLASSES)} (default: all)",
    )
    return parser


def default_input_shapes() -> dict[str, Any]:
    """Each model class's input shape: the views of the first recipe that trains it, under its preset's settings.

    A class that no preset trains (the MLP, chosen by ``--audio-model``) reads its
    example views at the seed's settings.
    """
    shapes: dict[str, Any] = {}
    for preset in PRESETS.values():
        for spec in (apply_preset(spec, preset) for spec in MODEL_SPECS.values()):
            if spec.model_class.__name__ not in shapes and not spec.members:
                settings = preset.feature_settings() if spec.follows_preset else FeatureSettings()
                shapes[spec.model_class.__name__] = input_shape(spec.views, settings)
    for name, cls in MODEL_CLASSES.items():
        if name not in shapes and cls is not AudioViewsEnsemble:
            shapes[name] = input_shape(cls.example_inputs, FeatureSettings())
    return shapes


def input_shape(views: tuple[str, ...], settings: FeatureSettings) -> Any:
    """What ``build_model`` takes for a network reading ``views``: one shape, or one per view."""
    shapes = [view.shape(settings) for view in resolve_views(views, settings)]
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def view_ensemble_of_untrained_members() -> AudioViewsEnsemble:
    """``--preset ensemble``'s network: its two members, untrained, pooled with equal weights."""
    members: dict[str, EmotionModel] = {}
    for view, (preset, changes) in ENSEMBLE_MEMBERS.items():
        settings = replace(PRESETS[preset].feature_settings(), **changes)
        members[view] = PRESETS[preset].audio_model()
        members[view].build_model(input_shape(("audio",), settings))
    return AudioViewsEnsemble.of_members(members, dict.fromkeys(members, 1 / len(members)))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Checked here, not by argparse's choices: Python 3.11 checks an empty list against them.
    if unknown := [name for name in args.models if name not in MODEL_CLASSES]:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_CLASSES)}")
    shapes = default_input_shapes()
    for name in args.models or list(MODEL_CLASSES):
        if MODEL_CLASSES[name] is AudioViewsEnsemble:
            view_ensemble_of_untrained_members().summary()
            continue
        model = MODEL_CLASSES[name]()
        model.build_model(shapes[name])
        model.summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
