"""Stage 5 of the pipeline, prediction: the emotion of audio, video or face files, with a model train_models.py saved.

    python predict.py models/audio_emotion_speech_best.h5 my_recording.mp3 other_recordings/
    python predict.py models/audio_emotion_speech_whisper.h5 hello.wav --speaker-groups none
    python predict.py models/audio_emotion_speech.h5 long_talk.wav --segments
    python predict.py models/fusion_au_emotion_speech_best.h5 AUDIO_DIR TABLE.csv --format csv

Audio models read WAV, FLAC, MP3, OGG/Opus, M4A/AAC, WebM and the soundtrack of a video;
video models MP4; action-unit models OpenFace CSVs and clip tables. Features are
computed with the settings stored beside the model (<model>.json).

Each file gets one row: the predicted emotion, a probability per emotion, the recording's
length (duration_s), and for models that standardise each speaker how the speaker was met
(speaker_path: batch, enrollment or independent). A model with a fixed window (the MFCC
models read 5 s) predicts a longer recording over overlapping windows and averages them
(windows); --segments prints every window. What is skipped (too short, no speech,
undecodable, other formats in a folder) is named on stderr, and counted in a last line.

Enroll a speaker once from a few unlabeled recordings, then predict one recording:

    python predict.py models/audio_emotion_speech_best.h5 --enroll my_voice/ --save-enrollment enrolled/
    python predict.py models/audio_emotion_speech_best.h5 today.wav --enroll enrolled/ --speaker my_voice

The README's "Predict your own recording" and "predict.py" sections say more.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ravdess_emotion.core.cli_text import plain_text
from ravdess_emotion.core.ravdess import SYNTHETIC_NAME
from ravdess_emotion.prediction.discovery import SPEAKER_GROUPS, files_in

if TYPE_CHECKING:
    import pandas as pd

    from ravdess_emotion.prediction import (
        NoSpeechError,
        Predictor,
        audio_twin,
        expand_paths,
        read_enrollments,
        speaker_paths,
    )

__all__ = [
    "NoSpeechError",
    "Predictor",
    "audio_twin",
    "build_parser",
    "expand_paths",
    "main",
    "read_enrollments",
    "speaker_paths",
]

_LAZY = {name: "ravdess_emotion.prediction" for name in __all__ if name not in ("build_parser", "main")}
"""Names re-exported for notebooks, imported on first use: ``--help`` never waits for Keras."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'predict' has no attribute {name!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=plain_text(__doc__.split("\n\n", 2)[2]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", type=Path, help="a .h5 or .keras file written by train_models.py")
    parser.add_argument(
        "paths",
        type=Path,
        nargs="*",
        help="files, or folders searched recursively; none with --save-enrollment only enrolls",
    )
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="default %(default)s"
    )
    parser.add_argument(
        "--segments",
        action="store_true",
        help="a row per window of a long recording, with start_s and end_s (models with a fixed window)",
    )
    parser.add_argument(
        "--speaker-groups",
        choices=SPEAKER_GROUPS,
        default="auto",
        help="who speaks in a file: the RAVDESS actor, else its folder (auto); the folder; nobody (none: each "
        "recording alone) (default %(default)s)",
    )
    parser.add_argument(
        "--speaker",
        metavar="NAME",
        help="every file given is of this speaker: NAME of an --enroll enrollment, or one batch",
    )
    parser.add_argument(
        "--enroll",
        type=Path,
        action="append",
        default=None,
        metavar="PATH",
        help="unlabeled recordings of the speakers (files or folders), or .npz of --save-enrollment; repeatable",
    )
    parser.add_argument(
        "--save-enrollment",
        type=Path,
        default=None,
        metavar="DIR",
        help="store each --enroll speaker's statistics as DIR/<speaker>.npz",
    )
    parser.add_argument(
        "--speech-check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip audio that holds no voice (a tone, a hum, noise, silence); --no-speech-check predicts those "
        "(empty, silent and too short files are still skipped) (default: on)",
    )
    parser.add_argument(
        "--speech-encoder-dir",
        type=Path,
        default=None,
        help="a faster-whisper folder to use instead of the installed Whisper-base",
    )
    return parser


MODEL_SUFFIXES = (".h5", ".keras")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


def model_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a saved model, found without importing Keras; None when it may be one."""
    if not path.exists():
        return f"{path}: no such model file (train_models.py writes them to models/)"
    if path.is_dir():
        return f"{path}: a folder, not a model file: give one of its .h5 or .keras files"
    if path.suffix.lower() not in MODEL_SUFFIXES:
        return f"{path}: not a model file (.h5 or .keras, as train_models.py writes them)"
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError as error:
        return f"{path}: cannot be read ({error.strerror or error})"
    if not (head.startswith(HDF5_SIGNATURE) or head.startswith(ZIP_SIGNATURE)):
        return f"{path}: not a loadable model (neither an HDF5 .h5 nor a zipped .keras file)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.save_enrollment is not None and not args.enroll:
        parser.error("--save-enrollment stores the enrollment of --enroll: give --enroll PATH too")
    if not args.paths and args.save_enrollment is None:
        parser.error(
            "give files or folders to predict (or --enroll PATH --save-enrollment DIR to enroll only)"
        )
    if args.enroll and args.speaker_groups == "none":
        parser.error("--enroll gives speaker statistics and --speaker-groups none asks for none: choose one")
    if args.speaker is not None and args.speaker_groups == "none":
        parser.error(
            "--speaker names whose files these are and --speaker-groups none says nobody's: choose one"
        )
    # Everything a person can get wrong is checked before Keras loads (seconds).
    if problem := model_problem(args.model):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        for path in [*args.paths, *(args.enroll or [])]:
            if not path.exists():
                raise FileNotFoundError(f"{path}: no such file or folder")
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return _predict(args)


def _predict(args: argparse.Namespace) -> int:
    """Load the model (and Keras) and predict: ``main`` once the arguments are known to be usable."""
    from ravdess_emotion.features.options import use_speech_encoder_dir
    from ravdess_emotion.models import EmotionModel
    from ravdess_emotion.prediction import Predictor, enrolled_speakers, read_enrollments, save_enrollments
    from ravdess_emotion.prediction.skips import condensed, extension_of, summary

    use_speech_encoder_dir(args)
    enrollments = None
    try:
        model = EmotionModel.load(args.model)
        predictor = Predictor.of_model(model, args.model)
        paths, ignored = files_in(args.paths, predictor.extensions)
        if args.enroll:
            enrollments, enroll_problems = read_enrollments(
                predictor, args.enroll, args.speaker_groups, args.speech_check
            )
            for problem in enroll_problems:
                print(f"skipped: {problem}", file=sys.stderr)
            if not enrolled_speakers(enrollments):
                print("error: none of the --enroll recordings could be read (see above)", file=sys.stderr)
                return 1
            if args.save_enrollment is not None:
                for speaker, recordings, saved in save_enrollments(enrollments, args.save_enrollment):
                    # On stderr: stdout holds only the predictions, so csv and json stay parseable.
                    print(f"enrolled {speaker}: {recordings} recordings -> {saved}", file=sys.stderr)
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.paths:
        return 0
    ignored_by_extension = sorted(Counter(extension_of(str(path)) for path in ignored).items())
    if not paths:
        kinds = ", ".join(extension for extension, _ in ignored_by_extension)
        print(
            f"error: no {'/'.join(predictor.extensions)} files in the given folders"
            + (f" (they hold {len(ignored)} files of {kinds})" if ignored else ""),
            file=sys.stderr,
        )
        return 2
    try:
        table, problems = predictor.predict_files(
            paths, args.speaker_groups, args.speech_check, enrollments, args.segments, args.speaker
        )
    except ValueError as error:
        print(f"error: {args.model}: {error}", file=sys.stderr)
        return 2
    for problem in condensed(problems):
        print(f"skipped: {problem}", file=sys.stderr)
    if ignored:
        kinds = ", ".join(f"{extension} {count}" for extension, count in ignored_by_extension)
        print(
            f"skipped: {len(ignored)} files in the folders are not {'/'.join(predictor.extensions)} ({kinds})",
            file=sys.stderr,
        )
    print(summary(len(paths), table["path"].nunique(), problems, ignored), file=sys.stderr)
    if table.empty:
        print(f"error: none of the {len(paths)} files could be predicted (see above)", file=sys.stderr)
        return 1
    _note_windows(table, predictor, args.segments)
    if model.metadata.get("synthetic_data"):
        # On stdout with the table, where a reader looks; on stderr for csv and json, which stay parseable.
        note = f"note: {args.model} is a model trained on {SYNTHETIC_NAME}: its predictions mean nothing"
        print(note, file=sys.stdout if args.format == "table" else sys.stderr)
    _print_table(table, args.format)
    return 0


def _note_windows(table: pd.DataFrame, predictor: Any, segments: bool) -> None:
    """Say that long recordings were read as windows, and how many."""
    window = predictor.anchor.window_seconds(predictor.inputs[-1].settings)
    if window is None or segments or "windows" not in table:
        return
    if (long := int((table["windows"] > 1).sum())) > 0:
        print(
            f"note: {long} recordings are longer than the model's {window:.1f} s window: each was predicted over "
            "overlapping windows (column windows) and their probabilities averaged; --segments shows each window",
            file=sys.stderr,
        )


def _print_table(table: pd.DataFrame, output_format: str) -> None:
    if output_format == "csv":
        table.to_csv(sys.stdout, index=False, float_format="%.4f")
    elif output_format == "json":
        print(json.dumps(table.to_dict(orient="records"), indent=2))
    else:
        print(table.to_string(index=False, float_format=lambda p: f"{p:.3f}"))


if __name__ == "__main__":
    sys.exit(main())
