"""Stage 6 of the pipeline, serving: a local web page that records or uploads speech and shows its emotion.

    python serve.py                                  # the best speech model in models/
    python serve.py models/audio_emotion_speech_best.h5 --port 8080 --enroll-dir enrolled/

Open the printed address in a browser: record from the microphone or upload a WAV, FLAC,
MP3, OGG, M4A or WebM file, and see the eight emotions' probabilities. Enroll your voice
with a few unlabeled sentences: later predictions for that name are standardised by it,
and the page shows what that changed. Enrollments are stored in --enroll-dir as
predict.py --save-enrollment writes them, so predict.py --enroll DIR reads them too.

Without MODEL, the first of these in --models-dir is served: audio_emotion_speech_whisper.h5
(one recording alone: 0.765 on RAVDESS actors it never saw), _best.h5, _functionals.h5,
audio_emotion_speech.h5. The server listens on 127.0.0.1 only unless --host says otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ravdess_emotion.core.cli_text import plain_text

DEFAULT_MODELS = (
    "audio_emotion_speech_whisper.h5",
    "audio_emotion_speech_best.h5",
    "audio_emotion_speech_functionals.h5",
    "audio_emotion_speech.h5",
)
"""The model served when none is named, best first for one recording alone."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=plain_text(__doc__.split("\n\n", 2)[2]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "model", type=Path, nargs="?", help="an audio model train_models.py saved (default: below)"
    )
    parser.add_argument("--models-dir", type=Path, default=Path("models"), help="default %(default)s")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s: this computer)"
    )
    parser.add_argument("--port", type=int, default=8000, help="default %(default)s")
    parser.add_argument(
        "--enroll-dir",
        type=Path,
        default=Path("enrolled"),
        help="where enrollments are kept (default %(default)s)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="longest recording (default %(default)s)"
    )
    parser.add_argument(
        "--max-megabytes", type=float, default=10.0, help="largest upload (default %(default)s)"
    )
    return parser


def default_model(models_dir: Path) -> Path | None:
    """The first of ``DEFAULT_MODELS`` in ``models_dir``, or None."""
    return next((models_dir / name for name in DEFAULT_MODELS if (models_dir / name).is_file()), None)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be 1-65535, not {args.port}")
    if args.max_seconds <= 0 or args.max_megabytes <= 0:
        parser.error("--max-seconds and --max-megabytes must be positive")
    model_path = args.model or default_model(args.models_dir)
    if model_path is None:
        print(
            f"error: no model named, and none of {', '.join(DEFAULT_MODELS)} in {args.models_dir}: train one "
            "(python train_models.py --models audio-speech --preset whisper --test-actors none) or name it",
            file=sys.stderr,
        )
        return 2
    if not model_path.is_file():
        print(f"error: {model_path}: no such model file", file=sys.stderr)
        return 2
    import uvicorn

    from ravdess_emotion.models import EmotionModel
    from ravdess_emotion.prediction import Predictor
    from ravdess_emotion.serving.app import create_app
    from ravdess_emotion.serving.service import EmotionService, Limits

    try:
        predictor = Predictor.of_model(EmotionModel.load(model_path), model_path)
        limits = Limits(max_bytes=int(args.max_megabytes * 2**20), max_seconds=args.max_seconds)
        service = EmotionService(predictor, model_path.name, args.enroll_dir, limits)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: listening on {args.host}: anyone who can reach this computer can use the page",
            file=sys.stderr,
        )
    print(f"Serving {model_path} at http://{args.host}:{args.port}/ (Ctrl+C stops)", flush=True)
    uvicorn.run(create_app(service), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
