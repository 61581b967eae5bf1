"""Command-line options of the features, shared by ``data_loader.py`` and ``train_models.py``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ravdess_emotion.encoders.checkpoints import ENCODER_DIR_VARIABLE
from ravdess_emotion.features.settings import (
    AU_FEATURES,
    AU_NORMALIZATIONS,
    MAX_ENCODER_WINDOW,
    FeatureSettings,
)
from ravdess_emotion.features.views import audio_view_names


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``: the organized folder, as every pipeline step after organize reads it."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/organized"),
        help="folder with manifest.csv, written by organize_data.py (default %(default)s)",
    )


def add_feature_arguments(
    parser: argparse.ArgumentParser, preset_fields: frozenset[str] = frozenset()
) -> None:
    """The feature options shared by ``data_loader.py`` and ``train_models.py``.

    Every default is None, meaning "as :func:`settings_from_args` is told" (the seed's
    settings, or a preset's), so an option the user gives always wins. The help of the
    ``FeatureSettings`` fields in ``preset_fields`` (those ``train_models.py --preset``
    sets) says "the preset's" instead of the seed's value.
    """
    defaults = FeatureSettings()

    def default(field: str) -> str:
        return (
            "(default: the preset's)" if field in preset_fields else f"(default {getattr(defaults, field)})"
        )

    group = parser.add_argument_group("features")
    group.add_argument("--sample-rate", type=int, help=f"audio rate in Hz {default('sample_rate')}")
    group.add_argument(
        "--audio-features",
        choices=audio_view_names(),
        help=f"audio model input: an MFCC image, utterance functionals, or Whisper's states {default('audio_features')}",
    )
    group.add_argument(
        "--speaker-norm",
        action=argparse.BooleanOptionalAction,
        help=f"standardise audio features within each speaker's own recordings {default('speaker_norm')}",
    )
    group.add_argument("--n-mfcc", type=int, help=f"MFCC coefficients (default {defaults.n_mfcc})")
    group.add_argument(
        "--max-frames", type=int, help=f"MFCC frames per clip, padded or cut (default {defaults.max_frames})"
    )
    group.add_argument(
        "--video-frames", type=int, help=f"frames sampled per clip (default {defaults.video_frames})"
    )
    group.add_argument(
        "--video-size",
        type=int,
        help=f"frames are resized to SIZE x SIZE pixels (default {defaults.video_size[0]})",
    )
    group.add_argument(
        "--face-crop",
        action=argparse.BooleanOptionalAction,
        help="crop video frames to the face (Haar cascade; centre square when none is found) "
        "before resizing (default: on)",
    )
    group.add_argument(
        "--au-features",
        choices=AU_FEATURES,
        help="facial action units per clip: the 35 AU means, five statistics of each, or a sequence of "
        f"--au-frames frames {default('au_features')}",
    )
    group.add_argument(
        "--au-frames", type=int, help=f"frames of an AU sequence (default {defaults.au_frames})"
    )
    group.add_argument(
        "--au-normalization",
        choices=AU_NORMALIZATIONS,
        help="standardise action units within each actor's own clips; zscore+rank adds each clip's rank "
        f"{default('au_normalization')}",
    )
    group.add_argument(
        "--encoder-window",
        type=float,
        help=f"seconds each recording is padded to before the speech encoder of --audio-features whisper reads it, "
        f"0 for its own length, at most {MAX_ENCODER_WINDOW:g} (default {defaults.encoder_window:g})",
    )
    add_speech_encoder_argument(group)
    group.add_argument(
        "--cache-dir", type=Path, default=None, help="feature cache folder (default: DATA_DIR/../features)"
    )
    group.add_argument(
        "--jobs", type=int, default=None, help="worker processes for extraction (default: all cores)"
    )


def add_speech_encoder_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--speech-encoder-dir``: a faster-whisper model folder instead of the packaged Whisper-base."""
    parser.add_argument(
        "--speech-encoder-dir",
        type=Path,
        default=None,
        help="a faster-whisper / CTranslate2 Whisper folder (model.bin, config.json) for --audio-features whisper "
        f"instead of the installed Whisper-base (sets {ENCODER_DIR_VARIABLE})",
    )


def use_speech_encoder_dir(args: argparse.Namespace) -> None:
    """Make ``--speech-encoder-dir``, when given, the folder every process of this run reads the encoder from.

    It travels as the environment variable ``ENCODER_DIR_VARIABLE``, which extraction
    workers inherit.
    """
    if getattr(args, "speech_encoder_dir", None) is not None:
        os.environ[ENCODER_DIR_VARIABLE] = str(args.speech_encoder_dir)


def settings_from_args(args: argparse.Namespace, defaults: FeatureSettings | None = None) -> FeatureSettings:
    """The options of :func:`add_feature_arguments` given on the command line, over ``defaults``.

    Raises
    ------
    ValueError
        When the combination is invalid (say ``--au-normalization zscore+rank`` with AU sequences).
    """
    given = {
        "sample_rate": args.sample_rate,
        "audio_features": args.audio_features,
        "speaker_norm": args.speaker_norm,
        "n_mfcc": args.n_mfcc,
        "max_frames": args.max_frames,
        "video_frames": args.video_frames,
        "video_size": None if args.video_size is None else (args.video_size, args.video_size),
        "face_crop": args.face_crop,
        "au_features": getattr(args, "au_features", None),
        "au_frames": getattr(args, "au_frames", None),
        "au_normalization": getattr(args, "au_normalization", None),
        "encoder_window": getattr(args, "encoder_window", None),
    }
    base = (defaults or FeatureSettings()).to_dict()
    return FeatureSettings.from_dict({**base, **{k: v for k, v in given.items() if v is not None}})
