"""Stage 2 of the pipeline, features: extract and cache model inputs from an organized RAVDESS folder.

Reads the manifest ``organize_data.py`` wrote, and caches MFCCs or utterance
functionals for the audio models and sampled, face-cropped frames for the video and
fusion models, in parallel with a progress bar. Training extracts whatever is missing
by itself; run this step to do it ahead (on another machine, say)::

    python data_loader.py --data-dir data/organized --kinds audio,video,fusion

From Python (the seed's interface; the library is ``ravdess_emotion.features``)::

    from data_loader import RAVDESSDataLoader
    loader = RAVDESSDataLoader("data/organized")
    X, y = loader.load_audio_dataset("speech")          # (n, 13, 216), (n,)
    X, y = loader.load_video_dataset("speech")          # (n, 30, 224, 224, 3) in [0, 1]
    (Xa, Xv), y = loader.load_multimodal_dataset("speech")
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import EMOTIONS
from ravdess_emotion.features.audio import extract_mfcc, load_audio_samples
from ravdess_emotion.features.caches import CacheError, load_features, save_features
from ravdess_emotion.features.clips import ClipSet
from ravdess_emotion.features.extraction import WorkerCrashError
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.options import (
    add_data_dir_argument,
    add_feature_arguments,
    settings_from_args,
    use_speech_encoder_dir,
)
from ravdess_emotion.features.settings import FEATURE_VERSION, FeatureSettings
from ravdess_emotion.features.video import sample_frames
from ravdess_emotion.features.views import compile_audio_code, extract_audio_features

__all__ = [
    "FEATURE_VERSION",
    "CacheError",
    "FeatureSettings",
    "MediaError",
    "RAVDESSDataLoader",
    "WorkerCrashError",
    "compile_audio_code",
    "extract_audio_features",
    "extract_mfcc",
    "load_audio_samples",
    "load_features",
    "main",
    "sample_frames",
    "save_features",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Extract and cache model features (MFCCs, video frames) from an organized RAVDESS folder.",
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--kinds",
        default="audio,video,fusion",
        help="comma-separated kinds of model whose features to extract: audio, video, fusion, au, fusion_au "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--channels", default="speech,song", help="comma-separated: speech, song (default %(default)s)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=(
            "exit 2 if any file cannot be used (undecodable, truncated, silent or black, or a take without "
            "its audio-video clip for fusion) instead of leaving it out (default: off, such files are "
            "reported and counted)"
        ),
    )
    add_feature_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_speech_encoder_dir(args)
    loader = None
    try:
        loader = RAVDESSDataLoader(
            args.data_dir,
            settings_from_args(args),
            cache_dir=args.cache_dir,
            n_jobs=args.jobs,
            strict=args.strict,
        )
        for kind in args.kinds.split(","):
            for channel in args.channels.split(","):
                rows = loader.select(kind, channel)
                if rows.empty:
                    print(f"{kind:6s} {channel:6s}: no files, skipped")
                    continue
                features, y, _ = loader.load_views(loader.views_of(kind), channel, label=kind)
                # Frames go to the frame store, one file per clip; one view's features to one cache file.
                if isinstance(features, ClipSet):
                    where = features.folder
                elif isinstance(features, np.ndarray):
                    where = loader.cache_path(kind, channel)
                else:
                    where = loader.cache_dir
                counts = np.bincount(y, minlength=len(EMOTIONS))
                print(f"{kind:6s} {channel:6s}: {len(y)} samples -> {where}  per emotion {counts.tolist()}")
    except (OSError, ValueError, MediaError, WorkerCrashError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if loader is not None:
            print(f"{len(loader.skipped)} files skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
