"""The hyperparameters of a model: one frozen value per setting, besides its input shapes.

Every network class offers its defaults (``EmotionModel.defaults``), the recipe that
measured best for it; a caller changes any of them by passing
``hyperparameters=replace(Cls.defaults, l2_penalty=0.1)``. A setting a network does not
use is ignored by it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Hyperparameters:
    """How a network is built and trained, beyond ``num_emotions``, ``learning_rate`` and ``dropout``.

    Attributes
    ----------
    learning_rate_scale : float
        Multiplies the learning rate given to the model.
    label_smoothing : float
        Above 0, the loss is categorical cross-entropy against smoothed one-hot labels.
    weight_decay : float
        Above 0, AdamW with this decoupled weight decay instead of Adam.
    cosine_decay : bool
        The learning rate falls along a cosine to 0 over the epochs of a fit.
    mixup_alpha : float
        Above 0, training batches from arrays are mixed pairwise
        (``ravdess_emotion.batches.MixupBatches``), λ drawn from Beta(α, α).
    l2_penalty : float
        L2 penalty on the softmax weights of a linear (logistic) model or branch.
    face_l2_penalty : float
        The same for the face branch of a late fusion.
    hidden_units : int
        Width of the hidden layer of the MLP.
    spec_augment : bool
        SpecAugment masks on MFCC images after their standardisation, in training only.
    attention : bool
        Attention pooling over the LSTM outputs instead of their average.
    encoder_layers : int
        Blocks of a pretrained encoder's pooled features, one per layer (7 for Whisper-base:
        the embedding and 6 blocks), that a layer weighting mixes.
    """

    learning_rate_scale: float = 1.0
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    cosine_decay: bool = False
    mixup_alpha: float = 0.0
    l2_penalty: float = 0.0
    face_l2_penalty: float = 0.0
    hidden_units: int = 512
    spec_augment: bool = False
    attention: bool = False
    encoder_layers: int = 7

    def __post_init__(self) -> None:
        for name in ("learning_rate_scale", "hidden_units", "encoder_layers"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("label_smoothing", "weight_decay", "mixup_alpha", "l2_penalty", "face_l2_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.label_smoothing >= 1:
            raise ValueError(f"label_smoothing must be below 1, got {self.label_smoothing}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
