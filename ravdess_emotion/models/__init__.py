"""Stage 3, models: emotion classifiers in Keras 3 on the feature views, one interface for all.

Every model follows one interface (``emotion_models.py`` shows it): ``build_model``,
``train``, ``evaluate``, ``predict``, ``save`` (with the metadata ``predict.py`` needs)
and ``load`` (:class:`~ravdess_emotion.models.base.EmotionModel`).

==================  ==========================================================================
module              what it holds
==================  ==========================================================================
``base``            :class:`EmotionModel`: compile, train, predict, save, load; :data:`MODEL_CLASSES`
``hyperparameters`` :class:`Hyperparameters`: each network's recipe, one frozen value per setting
``networks``        the builders: input shapes in, a functional ``keras.Model`` out
``layers``          the project's two training layers, and the built-in graph a file holds instead
``fusion``          late fusion: one log-linear pooling, its weights chosen on validation actors
``persistence``     model files and their metadata, written atomically
``audio``           ``AudioEmotionCNNLSTM`` (the seed's), ``AudioEmotionAttentionCNNLSTM``,
                    ``AudioEmotionMLP``, ``AudioEmotionLogistic`` (``--preset best``),
                    ``AudioEmotionLayerWeighting`` (a pretrained encoder's layers)
``video``           ``VideoEmotion3DCNNLSTM``, ``MultimodalEmotionFusion`` (audio + frames)
``faces``           ``AUEmotionLogistic``, ``AUEmotionLSTM``, ``AudioAUEmotionFusion``, ``AudioAULateFusion``
``ensembles``       ``AudioViewsEnsemble`` (``--preset ensemble``)
==================  ==========================================================================

Every saved file holds built-in Keras layers only, never a ``Lambda``, so it loads with
plain ``keras.models.load_model`` on the TensorFlow, JAX and PyTorch backends, with
``safe_mode`` on, in a process that never imported this project.
"""

# The classes register in this order (MODEL_CLASSES, and the choices listed in --help).
from ravdess_emotion.models.audio import (
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionCNNLSTM,
    AudioEmotionLayerWeighting,
    AudioEmotionLogistic,
    AudioEmotionMLP,
)

# isort: split

from ravdess_emotion.models.video import MultimodalEmotionFusion, VideoEmotion3DCNNLSTM

# isort: split

from ravdess_emotion.models.faces import (
    AudioAUEmotionFusion,
    AudioAULateFusion,
    AUEmotionLogistic,
    AUEmotionLSTM,
)

# isort: split

from ravdess_emotion.models.base import MODEL_CLASSES, EmotionModel, as_class_indices
from ravdess_emotion.models.ensembles import AudioViewsEnsemble
from ravdess_emotion.models.fusion import (
    POOLING_WEIGHTS,
    late_fusion_log_probabilities,
    late_fusion_weight,
)
from ravdess_emotion.models.hyperparameters import Hyperparameters
from ravdess_emotion.models.layers import AttentionPooling1D, LogLinearPooling, SpecAugment
from ravdess_emotion.models.persistence import metadata_path_for

__all__ = [
    "MODEL_CLASSES",
    "POOLING_WEIGHTS",
    "AUEmotionLSTM",
    "AUEmotionLogistic",
    "AttentionPooling1D",
    "AudioAUEmotionFusion",
    "AudioAULateFusion",
    "AudioEmotionAttentionCNNLSTM",
    "AudioEmotionCNNLSTM",
    "AudioEmotionLayerWeighting",
    "AudioEmotionLogistic",
    "AudioEmotionMLP",
    "AudioViewsEnsemble",
    "EmotionModel",
    "Hyperparameters",
    "LogLinearPooling",
    "MultimodalEmotionFusion",
    "SpecAugment",
    "VideoEmotion3DCNNLSTM",
    "as_class_indices",
    "late_fusion_log_probabilities",
    "late_fusion_weight",
    "metadata_path_for",
]
