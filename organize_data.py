"""Stage 1 of the pipeline, organize: RAVDESS files sorted into one tidy tree and listed in a manifest.

Reads, from anywhere under a source folder, the official RAVDESS archives as
downloaded (``Audio_Speech_Actors_01-24.zip``, ``Video_Song_Actor_07.zip``, ...;
any ``*.zip``, whose members are judged by name) and already-extracted
``Actor_NN`` folders of ``.wav``, ``.flac`` and ``.mp4`` files, and writes::

    DEST/audio/{speech,song}/<emotion>/<RAVDESS name>.wav|.flac   modality 03
    DEST/video/{speech,song}/<emotion>/<RAVDESS name>.mp4         modality 01 and 02
    DEST/manifest.csv                                              one row per file

Archive members are streamed to their place; archives and source files are never
modified. Every write goes through a temporary file and ``os.replace``, and files
already in place with the same content are left untouched, so runs can be
repeated or interrupted safely. Read the manifest with :func:`read_manifest`,
which keeps ``take`` as a string with its leading zeros.

Usage::

    python organize_data.py [--source data/] [--dest data/organized] [--strict]
    python organize_data.py --download      # first fetch the audio archives from Zenodo
    python organize_data.py --download --what video --actors 1-4 [--zenodo-url MIRROR]
    python organize_data.py --download --what tracking   # facial tracking CSVs, Zenodo record 3255102
    python organize_data.py --demo          # synthetic demo data, not RAVDESS

``--download`` fetches, resumes and MD5-checks the official archives into the
source folder (see ``ravdess_emotion/corpus/download.py``); archives already there are verified, not fetched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ravdess_emotion.core.ravdess import parse_actor_list
from ravdess_emotion.corpus import demo as demo_data
from ravdess_emotion.corpus import download
from ravdess_emotion.corpus.organize import (
    DEFAULT_DEMO_DEST,
    DEFAULT_DEMO_SOURCE,
    DEFAULT_DEST,
    DEFAULT_SOURCE,
    DEMO_ROOT,
    MANIFEST_NAME,
    NOT_MEDIA,
    OrganizeReport,
    organize,
    read_manifest,
    skip_kind,
    summary_table,
)

__all__ = ["OrganizeReport", "build_parser", "main", "organize", "read_manifest"]


def _print_skipped(skipped: list[tuple[str, str]], limit: int = 20) -> None:
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for label, reason in skipped:
        by_kind.setdefault(skip_kind(reason), []).append((label, reason))
    for kind, items in by_kind.items():
        print(f"skipped, {kind}: {len(items)}")
        if kind == NOT_MEDIA:
            # README files, .DS_Store and __MACOSX entries are expected noise: counted, not listed.
            continue
        for label, reason in items[:limit]:
            print(f"  {label}: {reason.partition(': ')[2]}")
        if len(items) > limit:
            print(f"  ... and {len(items) - limit} more")


def _actor_list(text: str) -> list[int]:
    try:
        return parse_actor_list(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(
            "Sort RAVDESS into DEST/{audio,video}/{speech,song}/<emotion>/<file> and write DEST/"
            f"{MANIFEST_NAME}. Skipped files are reported; archives and source files are never changed."
        ),
        epilog=(
            "Exit status: 0 when finished, 2 on a fatal error, on an archive that --download could not "
            "fetch and verify, or, with --strict, on a skipped file."
        ),
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help=(
            "folder searched recursively for the official RAVDESS zips (Audio_Speech_Actors_01-24.zip, "
            "Audio_Song_Actors_01-24.zip, Video_Speech_Actor_NN.zip, Video_Song_Actor_NN.zip) and/or "
            f"extracted Actor_NN folders of .wav/.flac/.mp4 files; without --demo, {DEMO_ROOT}/ "
            f"inside it is not searched (default: {DEFAULT_SOURCE}/, or {DEFAULT_DEMO_SOURCE}/ with --demo)"
        ),
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help=(
            "destination root; ignored as input if inside --source "
            f"(default: {DEFAULT_DEST}, or {DEFAULT_DEMO_DEST} with --demo)"
        ),
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help=(
            "first generate the SYNTHETIC demo dataset (not RAVDESS) with ravdess_emotion.corpus.demo.write_demo_dataset "
            "into the source folder, then organize it (default: off)"
        ),
    )
    parser.add_argument(
        "--demo-actors",
        type=_actor_list,
        default="1-24",
        help="with --demo: actors to generate, e.g. 1-4 or 1,3,5 (default: 1-24)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help=(
            "first download the official RAVDESS archives from Zenodo into the source folder (created if "
            "missing), resuming partial files and checking each MD5 against the record; archives already "
            "there and valid are skipped, ones that fail the check go to rejected/ and are not used; "
            "then organize as usual (default: off)"
        ),
    )
    parser.add_argument(
        "--what",
        choices=download.WHAT_CHOICES,
        default="audio",
        help=(
            "with --download: audio = Audio_Speech_Actors_01-24.zip and Audio_Song_Actors_01-24.zip, "
            "video = Video_Speech_Actor_NN.zip and Video_Song_Actor_NN.zip of --actors (much larger), "
            f"all = audio and video, these three from Zenodo record {download.RAVDESS_RECORD_ID}; "
            f"tracking = {download.TRACKING_ARCHIVE} (OpenFace facial tracking CSVs) from its own record "
            f"{download.TRACKING_RECORD_ID}, so all does not include it: run --download --what tracking "
            "as well (default: audio)"
        ),
    )
    parser.add_argument(
        "--actors",
        type=_actor_list,
        default="1-24",
        help=(
            "with --download: actors whose video archives to fetch, e.g. 1-4 or 1,3,5 (default: 1-24); "
            "the audio and tracking archives hold all 24 actors and cannot be split"
        ),
    )
    parser.add_argument(
        "--zenodo-url",
        default=None,
        help=(
            "with --download: Zenodo or a mirror serving the same records API "
            "(default: $RAVDESS_ZENODO_URL, else https://zenodo.org)"
        ),
    )
    parser.add_argument(
        "--record",
        type=int,
        default=None,
        help=(
            "with --download: Zenodo record to read the --what archives from instead of the official one "
            f"(default: {download.TRACKING_RECORD_ID}, RAVDESS Facial Landmark Tracking, for --what tracking; "
            f"else {download.RAVDESS_RECORD_ID}, RAVDESS)"
        ),
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=(
            "exit 2 if any file was skipped (bad name, wrong extension or folder, unsafe archive member, "
            "conflict, unreadable or corrupt archive, empty, truncated or undecodable media); "
            "non-media files such as README.txt are still only counted "
            "(default: off, skipped files are reported and the exit status is 0)"
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 done, 2 fatal, failed download or --strict)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo and args.download:
        parser.error("--demo makes synthetic data and --download fetches RAVDESS: use one of them")
    source = args.source or (DEFAULT_DEMO_SOURCE if args.demo else DEFAULT_SOURCE)
    args.dest = args.dest or (DEFAULT_DEMO_DEST if args.demo else DEFAULT_DEST)
    download_failed: list[tuple[str, str]] = []
    how_to_fill = (
        "Put the official RAVDESS archives (Audio_Speech_Actors_01-24.zip, Audio_Song_Actors_01-24.zip, "
        "Video_Speech_Actor_NN.zip, Video_Song_Actor_NN.zip) or extracted Actor_NN folders there, "
        "or run with --demo for synthetic demo data."
    )
    if args.demo:
        print(
            f"Generating SYNTHETIC demo data in {source}: it is not RAVDESS, and results on it mean nothing."
        )
        demo_data.write_demo_dataset(source, actors=args.demo_actors)
    elif args.download:
        source.mkdir(parents=True, exist_ok=True)
        try:
            download_failed = download.download_ravdess(
                source, args.what, args.actors, base_url=args.zenodo_url, record_id=args.record
            ).failed
        except download.DownloadError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    elif not source.is_dir():
        print(f"error: source folder {str(source)!r} does not exist. {how_to_fill}", file=sys.stderr)
        return 2

    # Synthetic demo files must never slip into a real run that searches data/.
    try:
        report = organize(source, args.dest, exclude=[] if args.demo else [DEMO_ROOT])
    except OSError as error:  # a full disk, or a destination that cannot be written
        print(f"error: {error}", file=sys.stderr)
        return 2
    real_skips = [item for item in report.skipped if skip_kind(item[1]) != NOT_MEDIA]
    if not (report.written or report.unchanged or report.duplicates or real_skips):
        print(f"error: no RAVDESS media files found in {str(source)!r}. {how_to_fill}", file=sys.stderr)
        return 2

    if not (args.dest / MANIFEST_NAME).is_file():  # every file found was skipped
        _print_skipped(report.skipped)
        print(f"error: none of the files in {str(source)!r} could be organized (see above)", file=sys.stderr)
        return 2
    if args.demo:
        print("NOTE: the files below are SYNTHETIC demo data, not RAVDESS.")
    print(summary_table(read_manifest(args.dest)).to_string())
    print(
        f"\n{report.written} written, {report.unchanged} unchanged, {report.duplicates} duplicates, "
        f"{len(report.skipped)} skipped; manifest: {args.dest / MANIFEST_NAME}"
    )
    _print_skipped(report.skipped)
    if download_failed:
        # Organized what there is, but the data set is incomplete: the caller must know.
        print(
            f"--download: {len(download_failed)} archives failed (see above); run again to retry",
            file=sys.stderr,
        )
        return 2
    if args.strict and real_skips:
        print(f"--strict: {len(real_skips)} files were skipped", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
