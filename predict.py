"""Stage 5 of the pipeline, prediction: the emotion of audio, video or face files, with a model train_models.py saved.

    python predict.py models/audio_emotion_speech.h5 clip.wav other_clips/
    python predict.py models/fusion_emotion_speech.keras 01-01-03-01-01-01-01.mp4 --format json
    python predict.py models/au_emotion_speech_best.h5 TABLE.csv CLIPS/
    python predict.py models/fusion_au_emotion_speech_best.h5 AUDIO_DIR TABLE.csv --format csv

Features are computed with exactly the settings stored beside the model
(``<model>.json``), so a prediction sees what training saw. Audio models take WAV,
FLAC, or the soundtrack of an MP4; video models take MP4; the fusion model takes an
audio-video MP4 and uses the audio-only twin beside it (same name with ``03-``) when
there is one, else the clip's own soundtrack.

Action-unit models (``au_emotion_*``) take per-frame OpenFace CSVs named like a RAVDESS
clip (what OpenFace's FeatureExtraction writes, or the official facial tracking release)
and clip tables (a ``name`` column of RAVDESS names and the 35 AU columns: every row is
predicted, its ``path`` being ``TABLE.csv:NAME``). An audio+AU model
(``fusion_au_emotion_*``) takes audio files and AU inputs together and pairs them by take
(the RAVDESS name after the modality); it prints one row per take, ``path`` being the
audio file, and reports a take with one side missing.

Audio that holds no voice (silence, a tone, a hum or noise; see ``ravdess_emotion/features/speech_presence.py``)
is reported as "no speech detected" and skipped, instead of being given an emotion;
``--no-speech-check`` predicts every file. A model trained on the synthetic demo data
says so above its table.

An audio model trained with the default ``--preset cnn-lstm`` (or ``--preset best``) standardises
each speaker's features by that speaker's statistics, and meets a speaker in one of
three ways, each said per file in the ``speaker_path`` and ``speaker_files`` columns:

- batch (the default): the statistics of the files given of the same speaker: the
  RAVDESS actor when the file name says it, else the folder (``--speaker-groups folder``
  always uses the folder). A speaker with a single file is predicted independently.
- enrollment (``--enroll DIR``): the statistics of unlabeled recordings of the same
  speakers, never of the files predicted, so one new recording of an enrolled speaker
  is enough. ``--save-enrollment DIR`` stores one small .npz per speaker, which
  ``--enroll`` takes back instead of the audio:

      python predict.py models/audio_emotion_speech_best.h5 --enroll my_voice/ --save-enrollment enrolled/
      python predict.py models/audio_emotion_speech_best.h5 today.wav --enroll enrolled/

  An ensemble (``--preset ensemble``) stores one .npz per speaker for each of its
  feature views, in DIR/functionals/ and DIR/mfcc/; ``--enroll DIR`` takes them all.

- independent (``--speaker-groups none``): no statistics of the speaker, only those of
  the training speakers, for one recording of someone unknown.

An ensemble of feature views (``audio_emotion_*_ensemble``, ``--preset ensemble``) computes
both of its members' features from each file and pools their probabilities.

Models trained without a speaker prior (``--enrollment-copies none``, and models
trained before the prior existed) serve batch and
enrollment only, and say so. Action-unit models standardise by the files given (batch) only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ravdess_emotion.core.cli_text import plain_text
from ravdess_emotion.core.ravdess import SYNTHETIC_NAME
from ravdess_emotion.features.options import add_speech_encoder_argument, use_speech_encoder_dir
from ravdess_emotion.models import EmotionModel
from ravdess_emotion.prediction import (
    SPEAKER_GROUPS,
    NoSpeechError,
    Predictor,
    audio_twin,
    enrolled_speakers,
    expand_paths,
    read_enrollments,
    save_enrollments,
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
        help="files, or folders searched recursively (audio, video, or for action-unit models .csv files); "
        "none with --save-enrollment only enrolls",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default %(default)s)",
    )
    parser.add_argument(
        "--speaker-groups",
        choices=SPEAKER_GROUPS,
        default="auto",
        help="for speaker-normalized models: who speaks in a file. auto: the RAVDESS actor when the name "
        "says it, else the folder; folder: always the folder; none: nobody known, every file is predicted "
        "without speaker statistics (audio models trained with a speaker prior: --preset best, or "
        "--enrollment-copies) (default %(default)s)",
    )
    parser.add_argument(
        "--enroll",
        type=Path,
        action="append",
        default=None,
        metavar="PATH",
        help="unlabeled recordings of the speakers (audio files or folders, grouped like the files to "
        "predict), or .npz files written by --save-enrollment: each speaker is standardised by these "
        "only, never by the files predicted; repeatable",
    )
    parser.add_argument(
        "--save-enrollment",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the enrollment of each speaker of --enroll to DIR/<speaker>.npz, to --enroll later "
        "without decoding the recordings again",
    )
    parser.add_argument(
        "--speech-check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip audio that holds no voice (silence, a tone, a hum, noise) as 'no speech detected' "
        "instead of giving it an emotion; --no-speech-check predicts every file (default: on)",
    )
    add_speech_encoder_argument(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    use_speech_encoder_dir(args)
    if args.save_enrollment is not None and not args.enroll:
        parser.error("--save-enrollment stores the enrollment of --enroll: give --enroll PATH too")
    if not args.paths and args.save_enrollment is None:
        parser.error(
            "give files or folders to predict (or --enroll PATH --save-enrollment DIR to enroll only)"
        )
    if args.enroll and args.speaker_groups == "none":
        parser.error("--enroll gives speaker statistics and --speaker-groups none asks for none: choose one")
    enrollments = None
    try:
        model = EmotionModel.load(args.model)
        predictor = Predictor.of_model(model, args.model)
        paths = expand_paths(args.paths, predictor.extensions)
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
    if not paths:
        print(
            f"error: no {'/'.join(predictor.extensions)} files in the given folders",
            file=sys.stderr,
        )
        return 2
    try:
        table, problems = predictor.predict_files(paths, args.speaker_groups, args.speech_check, enrollments)
    except ValueError as error:
        print(f"error: {args.model}: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    if table.empty:
        print(f"error: none of the {len(paths)} files could be predicted (see above)", file=sys.stderr)
        return 1
    if model.metadata.get("synthetic_data"):
        # On stdout with the table, where a reader looks; on stderr for csv and json, which stay parseable.
        note = f"note: {args.model} is a model trained on {SYNTHETIC_NAME}: its predictions mean nothing"
        print(note, file=sys.stdout if args.format == "table" else sys.stderr)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False, float_format="%.4f")
    elif args.format == "json":
        print(json.dumps(table.to_dict(orient="records"), indent=2))
    else:
        print(table.to_string(index=False, float_format=lambda p: f"{p:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
