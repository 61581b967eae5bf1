"""Stage 4 of the pipeline, training: the emotion models on an organized RAVDESS (or demo) folder, evaluated by actor.

Every split is actor-independent: the test actors (``--test-actors``) and the
validation actors (drawn from the rest, for early stopping) never appear in the
training data, and since a take belongs to one actor, no recording is in two splits.

For each model it writes ``models/<name>.h5`` and ``.keras`` (with ``<name>.json``: the
feature settings, the run's configuration and everything ``predict.py`` needs),
``plots/<name>_history.png`` and ``plots/<name>_confusion.png``, and in ``reports/``
the metrics, the classification report and the exact configuration, actors and
package versions of the run.

    python train_models.py --data-dir data/organized --models audio-speech --epochs 50
    python train_models.py --data-dir data/organized --models audio-speech --preset best --folds 5

``--preset cnn-lstm`` (the default) trains the seed's CNN-LSTM layers on the seed's MFCC
images, standardised per speaker, with a training recipe (SpecAugment, attention pooling,
mixup, label smoothing, cosine decay, refit) and extra copies standardised by a speaker
prior alone, so that ``predict.py`` also serves one recording of an unknown speaker;
``--preset seed`` is the seed's configuration, literally; ``--preset best`` the audio
model that measured best in ``benchmarks/audio.py``: L2-penalised logistic regression on
utterance functionals standardised per speaker (see
``ravdess_emotion/features/functionals.py``), trained for speech also on copies of each
training file played slightly faster and slower, and on copies standardised as a
prediction would with a few or none of the speaker's recordings (``--enrollment-copies``),
so that ``predict.py`` also serves one recording and enrolled speakers. ``--preset
ensemble`` trains both of those audio models (the CNN-LSTM on 40 MFCCs), chooses on the
validation actors how much each counts, refits both and saves them pooled as one model
(``models/audio_emotion_<channel>_ensemble.h5``), which ``predict.py`` reads like any other:

    python train_models.py --data-dir data/organized --models audio-song --preset ensemble --test-actors none

The command line builds one ``RunConfig`` (:func:`config_from_args`) and hands it to
``ravdess_emotion.training.runs.train``, the Python API that notebooks call too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import SYNTHETIC_NOTICE, is_synthetic, parse_actor_list
from ravdess_emotion.features.extraction import WorkerCrashError
from ravdess_emotion.features.options import (
    add_data_dir_argument,
    add_feature_arguments,
    settings_from_args,
    use_speech_encoder_dir,
)
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.distribute import DistributionError, data_parallel_devices, enable_data_parallel
from ravdess_emotion.training.metrics import classification_metrics
from ravdess_emotion.training.recipes import (
    AUDIO_MODEL_CLASSES,
    DEFAULT_PRESET,
    DESIGN_MODELS,
    MODEL_SPECS,
    PRESETS,
    ModelSpec,
    Preset,
    apply_preset,
    parse_enrollment_sizes,
    parse_speeds,
)
from ravdess_emotion.training.reports import package_versions
from ravdess_emotion.training.runs import ModelResult, cross_validate, train, train_holdout
from ravdess_emotion.training.splits import ActorSplit, actor_folds, actor_split

__all__ = [
    "DESIGN_MODELS",
    "MODEL_SPECS",
    "PRESETS",
    "ActorSplit",
    "ModelResult",
    "ModelSpec",
    "Preset",
    "RunConfig",
    "actor_folds",
    "actor_split",
    "apply_preset",
    "build_parser",
    "classification_metrics",
    "config_from_args",
    "cross_validate",
    "main",
    "package_versions",
    "parse_args",
    "train",
    "train_holdout",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="presets (--preset):\n"
        + "\n".join(f"  {p.name:<12}{p.description}" for p in PRESETS.values())
        + "\n\nEvery split is by actor; a random split is deliberately not offered. The README's "
        "\"train_models.py\" section gives each option's details and each preset's defaults.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--models",
        default=",".join(DESIGN_MODELS),
        help="comma-separated models to train: the design card's five (the default: "
        + ", ".join(DESIGN_MODELS)
        + ") and the facial action-unit models au-speech, au-song (faces only) and fusion-au-speech, "
        "fusion-au-song (audio + faces), which need organized tracking CSVs or an AU table "
        "(see organize_data.py)",
    )
    parser.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default=DEFAULT_PRESET,
        help="recipe of the audio and face models, listed below; options given here override it "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--audio-model",
        choices=AUDIO_MODEL_CLASSES,
        default=None,
        help="network of the audio models instead of the preset's (CNN-LSTMs read --audio-features mfcc)",
    )
    parser.add_argument(
        "--speed-perturbation",
        default=None,
        help="playback speeds of extra copies of the audio training files, e.g. 0.9,1.1, or none "
        "(default: the preset's)",
    )
    parser.add_argument(
        "--enrollment-copies",
        default=None,
        help="training copies standardised as an enrollment of N recordings, e.g. 1,3,10, or prior (none "
        "of the speaker's), so that one recording can be predicted; none: each actor's own only "
        "(default: the preset's)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs of every model (default: the preset's for audio and faces, 30 video/fusion)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="files per training step of every model (default: the preset's for audio and faces, 8 video/fusion)",
    )
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, help="Adam learning rate (default %(default)s)"
    )
    parser.add_argument(
        "--dropout", type=float, default=0.5, help="dropout before the classifier (default %(default)s)"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help="early-stopping patience in epochs on validation loss; 0 trains every epoch (default: the preset's)",
    )
    parser.add_argument(
        "--test-actors",
        default="21-24",
        help="actors held out for testing, e.g. 21-24 or 1,5,9; 'none' trains a final model on every actor "
        "(metrics are then on the validation actors) (default %(default)s)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="K-fold cross-validation over actor groups instead of --test-actors: every actor is tested "
        "once, and mean ± std across folds is reported; no model file is kept (default: off)",
    )
    parser.add_argument(
        "--val-actors",
        default="auto",
        help="validation actors for early stopping; 'auto' draws 15%% of the training actors (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="random seed for splits and weights (default %(default)s)"
    )
    parser.add_argument("--models-dir", type=Path, default=Path("models"), help="default %(default)s")
    parser.add_argument("--plots-dir", type=Path, default=Path("plots"), help="default %(default)s")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    parser.add_argument(
        "--verbose", type=int, default=2, choices=(0, 1, 2), help="Keras fit verbosity (default %(default)s)"
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="flip, rotate, zoom and relight video training batches (default: on)",
    )
    parser.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after early stopping, retrain on training + validation actors for the best epoch count "
        "(default: the preset's)",
    )
    parser.add_argument(
        "--distribute",
        action="store_true",
        help="data-parallel training over all devices with keras.distribution.DataParallel "
        "(JAX backend only: KERAS_BACKEND=jax; batch size a multiple of the device count)",
    )
    add_feature_arguments(parser, frozenset(field for p in PRESETS.values() for field in p.audio_features))
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The one place the command line becomes a :class:`RunConfig`.

    Raises
    ------
    ValueError
        When an option or a combination is invalid; the message names the option.
    """
    preset = PRESETS[args.preset]
    # --audio-features and --speaker-norm concern the audio models; video and fusion keep MFCCs.
    video_args = argparse.Namespace(**{**vars(args), "audio_features": None, "speaker_norm": None})
    return RunConfig(
        data_dir=args.data_dir,
        models=tuple(n.strip() for n in args.models.split(",") if n.strip()),
        preset=args.preset,
        audio_model=args.audio_model,
        speed_perturbation=None if args.speed_perturbation is None else parse_speeds(args.speed_perturbation),
        enrollment_sizes="preset"
        if args.enrollment_copies is None
        else parse_enrollment_sizes(args.enrollment_copies),
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        patience=args.patience,
        test_actors=tuple(parse_actor_list(args.test_actors)),
        val_actors=None if args.val_actors == "auto" else tuple(parse_actor_list(args.val_actors)),
        folds=args.folds,
        seed=args.seed,
        models_dir=args.models_dir,
        plots_dir=args.plots_dir,
        reports_dir=args.reports_dir,
        verbose=args.verbose,
        augment=args.augment,
        refit=args.refit,
        distribute=args.distribute,
        audio_settings=settings_from_args(args, preset.feature_settings()),
        video_settings=settings_from_args(video_args),
        cache_dir=args.cache_dir,
        jobs=args.jobs,
    )


def parse_args(argv: list[str] | None = None) -> RunConfig:
    """The :class:`RunConfig` of a command line; exits with the parser's message when it is invalid."""
    parser = build_parser()
    args = parser.parse_args(argv)
    use_speech_encoder_dir(args)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    if config.distribute:
        try:
            enable_data_parallel([config.batch_size or spec.batch_size for spec in config.specs()])
        except DistributionError as error:
            parser.error(str(error))
        devices = data_parallel_devices()
        print(f"data parallel over {len(devices)} devices: {', '.join(devices)}")
    return config


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    print(
        f"Keras {keras.__version__} on {keras.backend.backend()}; data {config.data_dir}; preset {config.preset}"
    )
    if is_synthetic(config.data_dir):
        print(f"NOTE: {config.data_dir} holds {SYNTHETIC_NOTICE}")
    try:
        train(config, on_summary=lambda table: print("\n" + table.to_string(index=False)))
    except (OSError, ValueError, MediaError, WorkerCrashError) as error:  # OSError: a full disk, say
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
