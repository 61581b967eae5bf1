"""Recipes: the trainable models (the design card's five and four on facial action units), and the presets.

``--preset cnn-lstm`` (the default) trains the seed's CNN-LSTM layers on the seed's MFCC
images, standardised per speaker, with a training recipe (``benchmarks/audio.py
--networks cnn-lstm``) and copies standardised by a speaker prior alone, so that it also
predicts a single recording; ``--preset seed`` is the seed's configuration, literally;
``--preset best`` the single audio model that measured best in ``benchmarks/audio.py``:
L2-penalised logistic regression on utterance functionals standardised per speaker,
trained for speech also on copies of each training file played slightly faster and
slower, and on copies standardised as a prediction would with a few or none of the
speaker's recordings (``ravdess_emotion.features.speakers``), so that the model also
predicts a single recording or an enrolled speaker. ``--preset ensemble`` pools the
two, each trained with its own recipe (``ENSEMBLE_MEMBERS``), into one saved model
(``ravdess_emotion.models.AudioViewsEnsemble``).

The action-unit models (``au-*`` faces only, ``fusion-au-*`` audio and faces) follow
the preset too: under ``seed`` and ``cnn-lstm`` the seed's ideas on action units (an LSTM
over AU frames; the audio CNN-LSTM joined with it), under ``best`` what measured best in
``benchmarks/faces.py`` (also under ``ensemble``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ravdess_emotion.features.settings import PLAYBACK_SPEED_RANGE, FeatureSettings
from ravdess_emotion.features.speakers import ENROLLMENT_SIZES
from ravdess_emotion.features.views import AudioView, kind_views, view_named
from ravdess_emotion.models import (
    MODEL_CLASSES,
    AudioAUEmotionFusion,
    AudioAULateFusion,
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    AudioViewsEnsemble,
    AUEmotionLogistic,
    AUEmotionLSTM,
    EmotionModel,
    MultimodalEmotionFusion,
    VideoEmotion3DCNNLSTM,
)

AUDIO_ALONE = ("audio",)
"""The views of a model that reads the audio view of its settings alone."""


@dataclass(frozen=True)
class ModelSpec:
    """One trainable model: a channel and a recipe: the views it reads, its network, and its training defaults.

    The views are names of ``ravdess_emotion.features.views`` in the order of the
    network's inputs, where ``audio`` and ``face`` stand for the views the feature
    settings choose; by default those of ``kind``
    (``ravdess_emotion.features.views.MODEL_KINDS``). ``kind`` names the model's files.
    """

    name: str
    kind: str
    channel: str
    model_class: type[EmotionModel]
    batch_size: int
    epochs: int
    views: tuple[str, ...] = ()
    follows_preset: bool = True
    """Whether the preset chooses this model's network, features and training defaults
    (audio and action-unit models); video and audio + video fusion keep the seed's."""
    patience: int = 10
    """Early-stopping patience in epochs on validation loss; 0 trains every epoch."""
    refit: bool = False
    """Whether a fresh model is then trained on training + validation actors for the chosen epochs."""
    preset: str | None = None
    """The preset that chose this model's recipe; None for a model that is the same under
    every preset (video, and audio + video fusion)."""
    speeds: tuple[float, ...] = ()
    """Playback speeds of the extra training copies (speed perturbation); audio only."""
    enrollment_sizes: tuple[int, ...] | None = None
    """For a speaker-normalized audio model: None trains on features standardised by all of
    each actor's recordings only (it then predicts batches of a speaker's files, or with
    enrollment); a tuple (``()`` included) trains it with a speaker prior and copies
    standardised by the prior alone and by that many recordings per speaker, so it also
    predicts a single recording (``ravdess_emotion.features.speakers``)."""
    members: tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...] = ()
    """For an ensemble of feature views: each member's view name, the preset that trains
    it, and its feature settings' changes (``Preset.members``)."""

    def __post_init__(self) -> None:
        if not self.views:
            object.__setattr__(self, "views", kind_views(self.kind))

    @property
    def reads_audio_alone(self) -> bool:
        """Whether the model reads the audio view of its settings and nothing else (the audio models)."""
        return self.views == AUDIO_ALONE

    @property
    def file_stem(self) -> str:
        """``audio_emotion_speech`` under the default preset; another preset's model adds its name (``..._best``)."""
        stem = f"{self.kind}_emotion_{self.channel}"
        return stem if self.preset in (None, DEFAULT_PRESET) else f"{stem}_{self.preset}"

    @property
    def label(self) -> str:
        """The model's name in summaries: ``audio-speech``, or ``audio-speech (best)``."""
        return self.name if self.preset in (None, DEFAULT_PRESET) else f"{self.name} ({self.preset})"


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("audio-speech", "audio", "speech", AudioEmotionCNNLSTM, batch_size=16, epochs=50),
        ModelSpec("audio-song", "audio", "song", AudioEmotionCNNLSTM, batch_size=16, epochs=50),
        ModelSpec(
            "video-speech",
            "video",
            "speech",
            VideoEmotion3DCNNLSTM,
            batch_size=8,
            epochs=30,
            follows_preset=False,
        ),
        ModelSpec(
            "video-song",
            "video",
            "song",
            VideoEmotion3DCNNLSTM,
            batch_size=8,
            epochs=30,
            follows_preset=False,
        ),
        ModelSpec(
            "fusion-speech",
            "fusion",
            "speech",
            MultimodalEmotionFusion,
            batch_size=8,
            epochs=30,
            follows_preset=False,
        ),
        ModelSpec("au-speech", "au", "speech", AUEmotionLSTM, batch_size=16, epochs=50),
        ModelSpec("au-song", "au", "song", AUEmotionLSTM, batch_size=16, epochs=50),
        ModelSpec("fusion-au-speech", "fusion_au", "speech", AudioAUEmotionFusion, batch_size=16, epochs=50),
        ModelSpec("fusion-au-song", "fusion_au", "song", AudioAUEmotionFusion, batch_size=16, epochs=50),
    )
}
DEFAULT_PRESET = "cnn-lstm"
"""The preset of ``train_models.py`` without ``--preset``; its models' files carry no preset name."""
DESIGN_MODELS = ("audio-speech", "audio-song", "video-speech", "video-song", "fusion-speech")
"""The design card's five models: what ``train_models.py`` trains when no ``--models`` is given."""


@dataclass(frozen=True)
class Preset:
    """A named recipe for the audio and action-unit models: their networks, features and training defaults.

    Video and fusion (audio + frames) models are the same under every preset.
    """

    name: str
    description: str
    """One line for ``train_models.py --help``; the README's presets table says more."""
    networks: dict[str, type[EmotionModel]]
    """The network of each kind of model the preset trains (``audio``, ``au``, ``fusion_au``)."""
    audio_features: dict[str, object] = field(default_factory=dict)
    """Feature settings (``FeatureSettings`` fields) of the audio and action-unit models."""
    speed_perturbation: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Per channel, the playback speeds of extra training copies of every training file."""
    enrollment_sizes: tuple[int, ...] | None = None
    """Of the audio models: see ``ModelSpec.enrollment_sizes``."""
    epochs: int = 50
    batch_size: int = 16
    refit: bool = False
    patience: int = 10
    members: tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...] = ()
    """For an ensemble of feature views: each member's view name, the preset that trains it,
    and its feature settings' changes; the first member's settings are the run's."""

    @property
    def audio_model(self) -> type[EmotionModel]:
        """The network of the audio models."""
        return self.networks["audio"]

    def feature_settings(self) -> FeatureSettings:
        """The audio feature settings of this preset (the seed's settings, with its changes)."""
        return FeatureSettings.from_dict({**FeatureSettings().to_dict(), **self.audio_features})


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "seed",
            "the seed's CNN-LSTM on 13 MFCC x 216 frames, as the seed trained it; an AU LSTM for faces",
            {"audio": AudioEmotionCNNLSTM, "au": AUEmotionLSTM, "fusion_au": AudioAUEmotionFusion},
            audio_features={"au_features": "sequence", "au_normalization": "zscore"},
        ),
        Preset(
            "cnn-lstm",
            "the seed's CNN-LSTM layers on MFCC standardised per speaker, with a modern training recipe",
            {"audio": AudioEmotionAttentionCNNLSTM, "au": AUEmotionLSTM, "fusion_au": AudioAUEmotionFusion},
            audio_features={"au_features": "sequence", "au_normalization": "zscore", "speaker_norm": True},
            # Copies standardised by the prior alone measured better on both channels
            # (train_models.py --folds 5: speech 0.543 against 0.497, song 0.503 against 0.494),
            # and they let the model predict one recording of an unknown speaker.
            enrollment_sizes=(),
            epochs=40,
            batch_size=32,
            refit=True,
            # The learning rate decays to 0 over the 40 epochs: stopping early would cut that short.
            patience=0,
        ),
        Preset(
            "functionals",
            "logistic regression on 1,456 utterance functionals, per-speaker standardised; AU means for faces",
            # Late fusion measured above early fusion on real speech (benchmarks/faces.py --folds 5:
            # 0.882 against 0.861).
            {"audio": AudioEmotionLogistic, "au": AUEmotionLogistic, "fusion_au": AudioAULateFusion},
            audio_features={
                "au_features": "means",
                "au_normalization": "zscore+rank",
                "audio_features": "functionals",
                "speaker_norm": True,
                "sample_rate": 16000,
                "n_fft": 1024,
                "hop_length": 160,
            },
            # Song measured worse with these copies (benchmarks/audio.py --folds 5: 0.891 without,
            # 0.819 with); speech better (0.631 without, 0.682 with).
            speed_perturbation={"speech": (0.9, 0.95, 1.05, 1.1)},
            # One recording alone, a few enrolled ones, or all of a speaker's: one model for all
            # (benchmarks/speakers.py).
            enrollment_sizes=ENROLLMENT_SIZES,
            epochs=60,
            batch_size=32,
            refit=True,
            # The learning rate decays to 0 over all 60 epochs, so the model settles at the
            # penalised optimum; stopping early would cut that short.
            patience=0,
        ),
    )
}
# --preset functionals' recipe on Whisper-base's hidden states, without speed copies.
PRESETS["whisper"] = replace(
    PRESETS["functionals"],
    name="whisper",
    description="logistic regression on Whisper-base's hidden states (7 layers), per-speaker standardised",
    audio_features={**PRESETS["functionals"].audio_features, "audio_features": "whisper"},
    # Speed copies would multiply the encoder's extraction time by five.
    speed_perturbation={},
)
# --preset whisper's recipe (its enrollment copies and face models) with an ensemble as its
# audio model: Whisper and the functionals, each trained by its own preset.
PRESETS["best"] = replace(
    PRESETS["whisper"],
    name="best",
    description="Whisper and functionals pooled, the weight chosen on validation actors; Whisper + AU late fusion",
    networks={**PRESETS["whisper"].networks, "audio": AudioViewsEnsemble},
    members=(("whisper", "whisper", ()), ("functionals", "functionals", ())),
)
# --preset functionals' recipe (its speeds, enrollment copies and face models) with the ensemble as
# its audio model; each member's own recipe is in ENSEMBLE_MEMBERS.
PRESETS["ensemble"] = replace(
    PRESETS["functionals"],
    name="ensemble",
    description="functionals and the cnn-lstm CNN-LSTM pooled, the weight chosen on validation actors",
    networks={**PRESETS["functionals"].networks, "audio": AudioViewsEnsemble},
    members=(
        ("functionals", "functionals", ()),
        # 40 coefficients measured best for this member on song (train_models.py --folds 5: 0.820
        # against 0.503 with 13) and made the ensemble gain there (benchmarks/ensembles.py).
        ("mfcc", "cnn-lstm", (("n_mfcc", 40),)),
    ),
)

ENSEMBLE_MEMBERS: dict[str, tuple[str, dict[str, object]]] = {
    view: (preset, dict(changes)) for view, preset, changes in PRESETS["ensemble"].members
}
"""The members of ``--preset ensemble``: view name -> (the preset that trains it, its feature settings' changes).

The first member's feature settings are the run's (``RunConfig.audio_settings``, so the
command line's feature options change them); the others' are their preset's.
"""


AUDIO_MODEL_CLASSES = {
    name: cls
    for name, cls in MODEL_CLASSES.items()
    if len(cls.example_inputs) == 1 and isinstance(view_named(cls.example_inputs[0]), AudioView)
}
"""The networks ``--audio-model`` chooses from: those that read one audio view."""


def parse_speeds(text: str) -> tuple[float, ...]:
    """``'0.9,1.1'`` → ``(0.9, 1.1)``; ``'none'`` → ``()``. The speeds are checked by :func:`check_speeds`."""
    if text.strip().lower() == "none":
        return ()
    try:
        speeds = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--speed-perturbation: {text!r} is not a comma-separated list of speeds") from None
    if not speeds:
        raise ValueError(_speeds_message(text))
    return check_speeds(speeds, text)


def parse_enrollment_sizes(text: str) -> tuple[int, ...] | None:
    """``'1,3,10'`` → ``(1, 3, 10)``; ``'prior'`` → ``()`` (a prior, no enrollment copies); ``'none'`` → None (no prior)."""
    word = text.strip().lower()
    if word == "none":
        return None
    if word == "prior":
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(
            f"--enrollment-copies: give recordings per speaker as positive integers ('1,3,10'), 'prior' or "
            f"'none'; got {text!r}"
        )
    return sizes


def check_speeds(speeds: tuple[float, ...], given: str | None = None) -> tuple[float, ...]:
    """``speeds`` when each lies in ``PLAYBACK_SPEED_RANGE`` and differs from 1; else a ``ValueError`` saying so.

    ``given`` is how the user wrote them, for the message.
    """
    low, high = PLAYBACK_SPEED_RANGE
    if any(not low <= speed <= high or speed == 1.0 for speed in speeds):
        raise ValueError(_speeds_message(given or ",".join(f"{speed:g}" for speed in speeds)))
    return speeds


def _speeds_message(given: str) -> str:
    low, high = PLAYBACK_SPEED_RANGE
    return (
        f"--speed-perturbation: speeds must lie between {low} and {high} and differ from 1.0 "
        f"(1.0 is the original, always trained on); got {given!r}"
    )


def apply_preset(spec: ModelSpec, preset: Preset) -> ModelSpec:
    """``spec`` with the preset's network and training defaults when it follows presets.

    Video and audio + video fusion models keep their own (the seed's) under every
    preset. Speed perturbation applies to the models that read the audio view; the
    speaker prior's enrollment copies, and the members of an ensemble, to those that
    read it alone.
    """
    network = preset.networks.get(spec.kind)
    if not spec.follows_preset or network is None:
        return spec
    reads_audio = "audio" in spec.views
    return replace(
        spec,
        model_class=network,
        epochs=preset.epochs,
        batch_size=preset.batch_size,
        patience=preset.patience,
        refit=preset.refit,
        preset=preset.name,
        speeds=preset.speed_perturbation.get(spec.channel, ()) if reads_audio else (),
        enrollment_sizes=preset.enrollment_sizes if spec.reads_audio_alone else None,
        members=preset.members if spec.reads_audio_alone else (),
    )


def enrollment_batch_size(batch_size: int, enrollment_sizes: tuple[int, ...] | None) -> int:
    """The batch size that keeps the steps per epoch of ``batch_size`` when every file comes in several standardisations.

    With a speaker prior each training file is there standardised by all of its
    speaker's files, by none, and by each of ``enrollment_sizes`` recordings, so an epoch
    holds ``2 + len(enrollment_sizes)`` times as many rows; batches as many times larger
    keep the number of optimizer steps, and the training time, of the recipe without them.
    """
    return batch_size if enrollment_sizes is None else batch_size * (2 + len(enrollment_sizes))
