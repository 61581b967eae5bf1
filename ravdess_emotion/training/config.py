"""One training run's configuration: a frozen dataclass of plain values, saved beside every model it trains.

``train_models.py`` builds it from the command line in one place
(``train_models.config_from_args``); notebooks and ``benchmarks/`` build it directly::

    from ravdess_emotion.training.config import RunConfig
    from ravdess_emotion.training.runs import train

    config = RunConfig(data_dir="data/organized", models=("audio-speech",), preset="best", folds=5)
    results = train(config)               # one result per model, with its metrics

Settings left at ``None`` take the preset's value (the audio feature settings) or each
model's default (epochs, batch size, patience, refit, speed perturbation: the preset's
for the audio and action-unit models, the seed's for video), exactly as the command
line's defaults do.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.training.recipes import (
    AUDIO_MODEL_CLASSES,
    DEFAULT_PRESET,
    DESIGN_MODELS,
    MODEL_SPECS,
    PRESETS,
    ModelSpec,
    apply_preset,
    check_speeds,
    enrollment_batch_size,
)

DEFAULT_TEST_ACTORS = (21, 22, 23, 24)


@dataclass(frozen=True)
class RunConfig:
    """Everything one run of ``train_models.py`` depends on.

    Attributes
    ----------
    data_dir : Path
        The organized folder (holds ``manifest.csv``).
    models : tuple of str
        Names from ``MODEL_SPECS`` (``audio-speech``, ..., ``fusion-au-song``); by default
        the design card's five (``DESIGN_MODELS``).
    preset : str
        Recipe of the audio models (``PRESETS``): ``cnn-lstm`` (the default), ``seed``, ``best`` or ``ensemble``.
    audio_model : str or None
        Network of the audio models instead of the preset's (a name in ``AUDIO_MODEL_CLASSES``).
    speed_perturbation : tuple of float or None
        Playback speeds of extra training copies of the audio models; ``()`` for none,
        None for the preset's.
    enrollment_sizes : tuple of int, or None, or "preset"
        Of a speaker-normalized audio model (``ModelSpec.enrollment_sizes``): recordings
        per speaker of the enrollment copies, ``()`` for a speaker prior without them,
        None for neither; ``"preset"`` (the default) for the preset's.
    epochs, batch_size : int or None
        For every model; None for each model's (or the preset's) default.
    learning_rate, dropout : float
    patience : int or None
        Early-stopping patience in epochs on validation loss; 0 trains every epoch;
        None for each model's (the preset's for audio and action units, 10 for video).
    test_actors : tuple of int
        Held out for testing; empty for a final model on every actor.
    val_actors : tuple of int or None
        Validation actors; None draws 15 % of the training actors.
    folds : int or None
        K-fold cross-validation over actor groups instead of ``test_actors``.
    seed : int
        Seed of the splits, the weights and the batch order.
    models_dir, plots_dir, reports_dir : Path
    verbose : int
        Keras ``fit`` verbosity.
    augment : bool
        Augment video and fusion training batches.
    refit : bool or None
        After early stopping, train a fresh model on training and validation actors;
        None for each model's (the preset's for audio and action units, off for video).
    distribute : bool
        Data-parallel training over all devices (JAX).
    audio_settings, video_settings : FeatureSettings or None
        Feature settings of the audio models, and of the video and fusion models;
        None for the preset's audio settings and the seed's video settings.
    cache_dir : Path or None
        Feature cache folder (default ``data_dir/../features``).
    jobs : int or None
        Extraction worker processes (default all cores).
    """

    data_dir: Path = Path("data/organized")
    models: tuple[str, ...] = DESIGN_MODELS
    preset: str = DEFAULT_PRESET
    audio_model: str | None = None
    speed_perturbation: tuple[float, ...] | None = None
    enrollment_sizes: tuple[int, ...] | None | str = "preset"
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float = 1e-3
    dropout: float = 0.5
    patience: int | None = None
    test_actors: tuple[int, ...] = DEFAULT_TEST_ACTORS
    val_actors: tuple[int, ...] | None = None
    folds: int | None = None
    seed: int = 42
    models_dir: Path = Path("models")
    plots_dir: Path = Path("plots")
    reports_dir: Path = Path("reports")
    verbose: int = 2
    augment: bool = True
    refit: bool | None = None
    distribute: bool = False
    audio_settings: FeatureSettings | None = None
    video_settings: FeatureSettings | None = None
    cache_dir: Path | None = None
    jobs: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: fill in the defaults once, here
        for name in ("data_dir", "models_dir", "plots_dir", "reports_dir", "cache_dir"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, Path(value))
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose from {', '.join(PRESETS)}")
        names = tuple(self.models)
        unknown = [n for n in names if n not in MODEL_SPECS]
        if unknown or not names:
            raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(MODEL_SPECS)}")
        set_(self, "models", names)
        if self.audio_model is not None and self.audio_model not in AUDIO_MODEL_CLASSES:
            raise ValueError(
                f"unknown audio model {self.audio_model!r}; choose from {', '.join(AUDIO_MODEL_CLASSES)}"
            )
        if PRESETS[self.preset].members and self.audio_model is not None:
            raise ValueError(
                "--audio-model and --preset ensemble exclude each other: the ensemble's members are "
                "its own (ENSEMBLE_MEMBERS); choose another preset to train one network"
            )
        if self.speed_perturbation is not None:
            set_(self, "speed_perturbation", check_speeds(tuple(float(s) for s in self.speed_perturbation)))
        if self.enrollment_sizes != "preset":
            if isinstance(self.enrollment_sizes, str):
                raise ValueError(
                    f"enrollment_sizes: a tuple of ints, None or 'preset', not {self.enrollment_sizes!r}"
                )
            if self.enrollment_sizes is not None:
                sizes = tuple(int(k) for k in self.enrollment_sizes)
                if any(k < 1 for k in sizes):
                    raise ValueError(f"enrollment_sizes must be positive recordings per speaker, got {sizes}")
                set_(self, "enrollment_sizes", sizes)
        set_(self, "test_actors", tuple(sorted(int(a) for a in self.test_actors)))
        if self.val_actors is not None:
            if self.folds is not None:
                raise ValueError(
                    "--val-actors cannot be combined with --folds: each fold draws its own from its training actors"
                )
            set_(self, "val_actors", tuple(sorted(int(a) for a in self.val_actors)))
        if self.patience is not None and self.patience < 0:
            raise ValueError(f"patience must be 0 (no early stopping) or more epochs, got {self.patience}")
        if self.audio_settings is None:
            set_(self, "audio_settings", PRESETS[self.preset].feature_settings())
        if self.video_settings is None:
            set_(self, "video_settings", FeatureSettings())

    def specs(self) -> list[ModelSpec]:
        """The models of this run, with the preset and the audio options applied."""
        overrides: dict[str, object] = {}
        if self.audio_model is not None:
            overrides["model_class"] = AUDIO_MODEL_CLASSES[self.audio_model]
        if self.speed_perturbation is not None:
            overrides["speeds"] = self.speed_perturbation
        if self.enrollment_sizes != "preset":
            overrides["enrollment_sizes"] = self.enrollment_sizes
        specs = [apply_preset(MODEL_SPECS[name], PRESETS[self.preset]) for name in self.models]
        specs = [replace(s, **overrides) if s.reads_audio_alone else s for s in specs]
        if self.patience is not None:
            specs = [replace(s, patience=self.patience) for s in specs]
        if self.refit is not None:
            specs = [replace(s, refit=self.refit) for s in specs]
        if self.audio_settings.speaker_norm:  # the copies standardised per speaker come in larger batches
            specs = [
                replace(s, batch_size=enrollment_batch_size(s.batch_size, s.enrollment_sizes))
                if s.reads_audio_alone
                else s
                for s in specs
            ]
        else:  # nothing is standardised per speaker, so there are no such copies
            specs = [replace(s, enrollment_sizes=None) if s.reads_audio_alone else s for s in specs]
        if self.speed_perturbation is not None:  # the audio of an audio+AU model is perturbed too
            specs = [
                replace(s, speeds=self.speed_perturbation)
                if "audio" in s.views and not s.reads_audio_alone
                else s
                for s in specs
            ]
        return specs

    def settings_for(self, spec: ModelSpec) -> FeatureSettings:
        """The feature settings of a model: the audio settings (of every model that follows the preset), or the video ones."""
        return self.audio_settings if spec.follows_preset else self.video_settings

    def to_dict(self) -> dict[str, object]:
        """Plain JSON values: paths as strings, feature settings as dictionaries."""
        plain: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, FeatureSettings):
                value = value.to_dict()
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            plain[item.name] = value
        return plain

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> RunConfig:
        """The configuration :meth:`to_dict` wrote (in a model's ``.json`` under ``run``)."""
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        for name in ("audio_settings", "video_settings"):
            if isinstance(known.get(name), dict):
                known[name] = FeatureSettings.from_dict(known[name])  # type: ignore[arg-type]
        for name in ("models", "speed_perturbation", "enrollment_sizes", "test_actors", "val_actors"):
            if isinstance(known.get(name), list):
                known[name] = tuple(known[name])  # type: ignore[arg-type]
        return cls(**known)  # type: ignore[arg-type]
