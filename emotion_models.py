"""Stage 3 of the pipeline, models: the emotion classifiers in Keras 3 (the library is ``ravdess_emotion.models``).

``AudioEmotionCNNLSTM`` is the seed's model on MFCC images; ``AudioEmotionLogistic``
(the ``--preset best`` audio model) and ``AudioEmotionMLP`` read utterance functionals;
``VideoEmotion3DCNNLSTM`` reads face frames and ``MultimodalEmotionFusion`` both. Every
model follows one interface::

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

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.models import (
    MODEL_CLASSES,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    AudioEmotionMLP,
    EmotionModel,
    MultimodalEmotionFusion,
    VideoEmotion3DCNNLSTM,
)

__all__ = [
    "MODEL_CLASSES",
    "AudioEmotionCNNLSTM",
    "AudioEmotionLogistic",
    "AudioEmotionMLP",
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
        default=list(MODEL_CLASSES),
        choices=list(MODEL_CLASSES),
        metavar="MODEL",
        help=f"models to show, from {', '.join(MODEL_CLASSES)} (default: all)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    mfcc = FeatureSettings()
    functionals = FeatureSettings(audio_features="functionals")
    shapes = {
        "audio": mfcc.audio_shape,
        "video": mfcc.video_shape,
        "fusion": (mfcc.audio_shape, mfcc.video_shape),
    }
    for name in args.models:
        cls = MODEL_CLASSES[name]
        reads_functionals = cls.kind == "audio" and cls is not AudioEmotionCNNLSTM
        model = cls()
        model.build_model(functionals.audio_shape if reads_functionals else shapes[cls.kind])
        model.summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
