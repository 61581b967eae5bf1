"""The feature settings: every setting that changes a feature, and the version of the extraction code.

The lowest level of the features stage: the views, the loader and the predictor all
read these names, and they depend on nothing above the corpus. Which settings a
feature depends on, and the shape it has, is its view's to say
(``ravdess_emotion.features.views``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

FEATURE_VERSION = 2
"""Bumped whenever extraction code changes what it computes, so old caches are rebuilt."""

AU_FEATURES = ("means", "statistics", "sequence")
AU_NORMALIZATIONS = ("none", "zscore", "zscore+rank")
AU_UNITS = 35  # OpenFace's AU outputs: ravdess_emotion.corpus.tracking.AU_COLUMNS

BLACK_LEVEL = 8
"""A clip whose sampled frames all stay below this 0-255 level is black: no face to read."""


PLAYBACK_SPEED_RANGE = (0.5, 2.0)  # beyond it a voice is no longer a plausible voice
MAX_ENCODER_WINDOW = 30.0  # Whisper's encoder holds 1,500 positions: 30 s of audio

SEED_SETTING_NAMES = {"n_frames": "video_frames", "img_size": "video_size"}
"""The seed's names of loader settings, accepted by :class:`RAVDESSDataLoader` for its README's calls."""


@dataclass(frozen=True)
class FeatureSettings:
    """Every setting that changes a feature; stored beside each model so prediction matches training.

    Attributes
    ----------
    sample_rate : int
        Audio is resampled to this rate (Hz) before MFCCs are computed.
    n_mfcc : int
        Number of MFCC coefficients.
    max_frames : int
        MFCC frames per clip; shorter clips are zero-padded at the end, longer ones cut.
        At 22,050 Hz and hop 512 one frame is 23.2 ms, so 216 frames cover 5.0 s.
    n_fft, hop_length : int
        STFT window and hop, in samples at ``sample_rate``.
    video_frames : int
        Frames sampled evenly over each clip.
    video_size : tuple of int
        (height, width) in pixels that every frame is resized to.
    face_crop : bool
        Crop frames to the face (one Haar-cascade box per clip) before resizing; when no
        face is found, to the centre square. See ``ravdess_emotion.features.video.sample_face_frames``.
    audio_features : str
        The audio view of the audio models (``ravdess_emotion.features.views``):
        ``"mfcc"``, the (n_mfcc, max_frames) MFCC image of the seed's CNN-LSTM;
        ``"functionals"``, one vector of utterance statistics per file, see
        ``ravdess_emotion.features.functionals`` (``n_mfcc`` and ``max_frames`` are then unused).
    speaker_norm : bool
        Standardise audio features within each speaker's own recordings (the RAVDESS
        actor; in ``predict.py`` the actor or the folder): each functional over the
        speaker's files, each MFCC coefficient over the frames of the speaker's files
        (``ravdess_emotion.features.speakers``).
    playback_speed : float
        Audio is played this many times faster before its features are computed (speed
        perturbation: tempo, pitch and formants all scale, as for a different voice).
        Only the training copies of ``train_models.py --speed-perturbation`` use a value
        other than 1.0; a saved model's settings always say 1.0.
    au_features : {"means", "statistics", "sequence"}
        Facial action units per clip (``ravdess_emotion.features.action_units``): the 35
        AU means, five statistics of each (175), or ``au_frames`` frames of the 35.
    au_frames : int
        Frames of an AU sequence, resampled evenly over the confident frames.
    speech_encoder : str
        The pretrained speech encoder of the ``whisper`` view (``ravdess_emotion.encoders``):
        ``"whisper-base"``.
    encoder_window : float
        Seconds each recording is zero-padded (or cut) to before the speech encoder reads
        it, as Whisper was trained on 30 s windows; 0 reads each recording at its own length.
    au_normalization : {"none", "zscore", "zscore+rank"}
        How AU features are standardised within each speaker's own clips (like
        ``speaker_norm`` for audio; across actors it is worth 0.2 accuracy, see the
        README): ``zscore`` per feature, ``zscore+rank`` also the normal scores of each
        clip's rank among the speaker's clips (twice the features; clip vectors only).
    """

    sample_rate: int = 22050
    n_mfcc: int = 13
    max_frames: int = 216
    n_fft: int = 2048
    hop_length: int = 512
    video_frames: int = 30
    video_size: tuple[int, int] = (224, 224)
    face_crop: bool = True
    audio_features: str = "mfcc"
    speaker_norm: bool = False
    playback_speed: float = 1.0
    au_features: str = "means"
    au_frames: int = 32
    au_normalization: str = "zscore"
    speech_encoder: str = "whisper-base"
    encoder_window: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.audio_features, str) or not self.audio_features:
            raise ValueError(f"audio_features must name an audio view, got {self.audio_features!r}")
        check_choice("au_features", self.au_features, AU_FEATURES)
        check_choice("au_normalization", self.au_normalization, AU_NORMALIZATIONS)
        if self.au_normalization == "zscore+rank" and self.au_features == "sequence":
            raise ValueError(
                "au_normalization='zscore+rank' ranks clip vectors; AU sequences take 'zscore' or 'none'"
            )
        for name in (
            "sample_rate",
            "n_mfcc",
            "max_frames",
            "n_fft",
            "hop_length",
            "video_frames",
            "au_frames",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        low, high = PLAYBACK_SPEED_RANGE
        if not low <= self.playback_speed <= high:
            raise ValueError(f"playback_speed must be between {low} and {high}, got {self.playback_speed}")
        if not 0 <= self.encoder_window <= MAX_ENCODER_WINDOW:
            raise ValueError(
                f"encoder_window must be between 0 and {MAX_ENCODER_WINDOW} seconds, got {self.encoder_window}"
            )
        if len(self.video_size) != 2 or min(self.video_size) <= 0:
            raise ValueError(f"video_size must be (height, width) > 0, got {self.video_size}")
        object.__setattr__(self, "video_size", tuple(int(v) for v in self.video_size))
        object.__setattr__(self, "face_crop", bool(self.face_crop))

    def to_dict(self) -> dict[str, object]:
        settings = asdict(self)
        settings["video_size"] = list(self.video_size)
        return settings

    @classmethod
    def from_dict(cls, settings: dict[str, object]) -> FeatureSettings:
        known = {k: v for k, v in settings.items() if k in cls.__dataclass_fields__}
        if "video_size" in known:
            known["video_size"] = tuple(known["video_size"])  # type: ignore[arg-type]
        known.setdefault("face_crop", False)  # saved before the setting existed: frames were not cropped
        return cls(**known)  # type: ignore[arg-type]


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ``ValueError`` naming ``name``, the choices and ``value`` when ``value`` is not a choice."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
