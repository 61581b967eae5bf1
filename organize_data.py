"""Sort RAVDESS files into one tidy tree and list them in a manifest.

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
    python organize_data.py --demo          # synthetic demo data, not RAVDESS

``--download`` fetches, resumes and MD5-checks the official archives into the
source folder (see download.py); archives already there are verified, not fetched.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import os
import re
import shutil
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import pandas as pd
from tqdm import tqdm

from media import PROBE_COLUMNS, MediaError, probe_media
from ravdess import (
    AUDIO_EXTENSIONS,
    EMOTIONS,
    SYNTHETIC_MARKER,
    VIDEO_EXTENSIONS,
    InvalidRavdessName,
    RavdessName,
    parse_actor_list,
    parse_name,
)

MANIFEST_NAME = "manifest.csv"
DEFAULT_SOURCE = Path("data")
DEFAULT_DEST = Path("data/organized")
# The demo lives in its own folder so that synthetic files never mix with organized RAVDESS.
DEMO_ROOT = Path("data/demo")
DEFAULT_DEMO_SOURCE = DEMO_ROOT / "source"
DEFAULT_DEMO_DEST = DEMO_ROOT / "organized"

_NAME_FIELDS = parse_name("03-01-01-01-01-01-01").as_dict()
MANIFEST_COLUMNS: tuple[str, ...] = ("path", "filename", *_NAME_FIELDS, "bytes", "sha256", "source")
"""The columns every manifest has; :data:`PROBE_COLUMNS` follow them (empty in manifests from before)."""
_INT_COLUMNS = (*(key for key, value in _NAME_FIELDS.items() if isinstance(value, int)), "bytes")

# Skip reasons are "<kind>: <detail>"; reports group by the kind.
NOT_MEDIA = "not a media file"
UNSAFE_MEMBER = "unsafe path in archive"
NOT_RAVDESS = "not a RAVDESS name"
WRONG_EXTENSION = "wrong extension"
WRONG_ACTOR_FOLDER = "wrong Actor folder"
CONFLICT = "conflict"
UNREADABLE = "unreadable"
EMPTY = "empty file"
BAD_MEDIA = "bad media"

_MEDIA_EXTENSIONS = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
_ACTOR_FOLDER = re.compile(r"^actor_(\d+)$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_COPY_CHUNK = 1 << 20


@dataclass
class OrganizeReport:
    """What one :func:`organize` run did.

    Attributes
    ----------
    written : int
        Files newly placed under the destination.
    unchanged : int
        Files that were already in place with the same content (left untouched).
    duplicates : int
        Inputs identical to a file another input of this run already provided.
    skipped : list of (str, str)
        ``(path or "archive.zip:member", reason)`` for every input not organized;
        the reason reads ``"<kind>: <detail>"`` (see :func:`skip_kind`). Conflicts
        (same RAVDESS name, different content) are here too.
    synthetic : bool
        The source holds the synthetic demo data (a ``ravdess.SYNTHETIC_MARKER`` file);
        the destination is then marked the same way.
    """

    written: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    synthetic: bool = False


@dataclass(frozen=True)
class _Input:
    """One candidate file: a plain file under the source or one archive member."""

    label: str  # how reports name it: the file path, or "archive.zip:member"
    inner_path: PurePosixPath  # within the archive or the source folder; holds the Actor_NN folder
    size: int
    source: str  # the archive or folder, as given, for the manifest
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class _Placed:
    """A file under the destination whose content is known, and what its probe found."""

    bytes: int
    sha256: str
    source: str
    media: dict[str, float | int | None] | None = None  # media.MediaInfo.as_dict(); None: not probed


def skip_kind(reason: str) -> str:
    """The kind of a skip reason, e.g. ``"conflict"`` for ``"conflict: ..."``."""
    return reason.partition(": ")[0]


def organized_path(name: RavdessName, extension: str) -> PurePosixPath:
    """Where a file of this name goes, relative to the destination."""
    kind = "audio" if name.is_audio else "video"
    return PurePosixPath(kind, name.channel, name.emotion_name, name.stem + extension.lower())


def _allowed_extensions(name: RavdessName) -> tuple[str, ...]:
    return AUDIO_EXTENSIONS if name.is_audio else VIDEO_EXTENSIONS


def _unsafe_member_reason(member: PurePosixPath) -> str | None:
    """Why an archive member's path could point outside the destination, if it could."""
    if member.is_absolute():
        return "absolute path"
    if _DRIVE.match(str(member)):
        return "drive letter"
    if ".." in member.parts:
        return "'..' in path"
    return None


def _is_junk(inner_path: PurePosixPath) -> bool:
    # macOS archivers add __MACOSX/ resource forks and ._ twins with media suffixes.
    return "__MACOSX" in inner_path.parts or inner_path.name.startswith(".")


def _folder_actor(inner_path: PurePosixPath) -> int | None:
    """The number of the innermost ``Actor_NN`` folder holding the file, if any."""
    for folder in reversed(inner_path.parts[:-1]):
        if match := _ACTOR_FOLDER.match(folder):
            return int(match.group(1))
    return None


def _judge(item: _Input) -> tuple[RavdessName, PurePosixPath] | str:
    """The parsed name and organized path of an input, or why it is skipped."""
    if _is_junk(item.inner_path):
        return NOT_MEDIA
    extension = item.inner_path.suffix.lower()
    try:
        name = parse_name(item.inner_path.name)
    except InvalidRavdessName as error:
        return f"{NOT_RAVDESS}: {error}" if extension in _MEDIA_EXTENSIONS else NOT_MEDIA
    if extension not in _allowed_extensions(name):
        expected = " or ".join(_allowed_extensions(name))
        return (
            f"{WRONG_EXTENSION}: {extension or 'none'} for modality {name.modality:02d} "
            f"({name.modality_name}), expected {expected}"
        )
    folder_actor = _folder_actor(item.inner_path)
    if folder_actor is not None and folder_actor != name.actor:
        return f"{WRONG_ACTOR_FOLDER}: in Actor_{folder_actor:02d} but the name says actor {name.actor:02d}"
    if item.size == 0:
        return f"{EMPTY}: 0 bytes, nothing to decode"
    return name, organized_path(name, extension)


def _find_inputs(
    source: Path, excluded: Iterable[Path], archives: ExitStack
) -> Iterator[_Input | tuple[str, str]]:
    """Every file and archive member under ``source``, in sorted order, outside ``excluded`` folders.

    Archives stay open in ``archives`` so members can be streamed later; what
    cannot be read at all is yielded as a ``(label, reason)`` skip.
    """
    excluded_resolved = {folder.resolve() for folder in excluded}
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(d for d in subfolders if (Path(folder) / d).resolve() not in excluded_resolved)
        for file_name in sorted(files):
            path = Path(folder) / file_name
            if not path.is_file():
                yield str(path), f"{UNREADABLE}: not a regular file (broken link?)"
            elif path.suffix.lower() == ".zip":
                try:
                    archive = archives.enter_context(zipfile.ZipFile(path))
                except (zipfile.BadZipFile, OSError) as error:
                    yield str(path), f"{UNREADABLE}: not a readable zip archive ({error})"
                    continue
                for info in archive.infolist():
                    label = f"{path}:{info.filename}"
                    # Archives made on Windows may separate folders with backslashes.
                    member = PurePosixPath(info.filename.replace("\\", "/"))
                    if info.is_dir():
                        continue
                    if unsafe := _unsafe_member_reason(member):
                        yield label, f"{UNSAFE_MEMBER}: {unsafe}, refused"
                        continue
                    yield _Input(
                        label=label,
                        inner_path=member,
                        size=info.file_size,
                        source=str(path),
                        open=lambda archive=archive, info=info: archive.open(info),
                    )
            else:
                yield _Input(
                    label=str(path),
                    inner_path=PurePosixPath(path.relative_to(source).as_posix()),
                    size=path.stat().st_size,
                    source=folder,
                    open=lambda path=path: path.open("rb"),
                )


def _sha256(stream: IO[bytes]) -> str:
    return hashlib.file_digest(stream, "sha256").hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return _sha256(stream)


def _write_atomically(
    target: Path, fill: Callable[[IO[bytes]], None], check: Callable[[Path], object] | None = None
) -> object:
    """Write through a temporary file beside ``target`` so a final name never holds a half file.

    ``check``, when given, is called with the complete temporary file before it is renamed
    into place; whatever it raises leaves nothing behind, and what it returns is returned.
    A full disk raises ``OSError("no space left on device while writing <target>")``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hidden and not a RAVDESS name, so a leftover from a killed run is never taken for data;
    # plain open() keeps the user's umask, unlike tempfile's private 0600 files.
    tmp_path = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with tmp_path.open("wb") as tmp:
            fill(tmp)
        checked = check(tmp_path) if check is not None else None
        os.replace(tmp_path, target)
    except BaseException as error:
        tmp_path.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            raise OSError(f"no space left on device while writing {target}") from error
        raise
    return checked


def _media_kind(name: RavdessName) -> str:
    return "audio" if name.is_audio else "video"


def _bad_media_reason(error: MediaError) -> str:
    """A skip reason from a probe's error ("<file>: <why>"): the report names the file itself."""
    return f"{BAD_MEDIA}: {str(error).partition(': ')[2]}"


def _copy_from(item: _Input, out: IO[bytes]) -> None:
    with item.open() as stream:
        shutil.copyfileobj(stream, out, _COPY_CHUNK)


def _copy_on_disk(dest: Path, name: RavdessName, rel: PurePosixPath) -> PurePosixPath | None:
    """The file already under ``dest`` for this RAVDESS name, whatever its allowed extension."""
    for extension in _allowed_extensions(name):
        candidate = rel.with_suffix(extension)
        if (dest / candidate).is_file():
            return candidate
    return None


def _place(
    item: _Input,
    name: RavdessName,
    rel: PurePosixPath,
    dest: Path,
    placed: dict[str, _Placed],
    placed_now: dict[PurePosixPath, PurePosixPath],
    report: OrganizeReport,
) -> None:
    """Copy one input to ``dest / rel`` unless a file of the same RAVDESS name is there.

    ``placed`` maps organized paths to their known content (previous manifest and
    this run); ``placed_now`` maps each name organized in this run, without
    extension, to its organized path.
    """
    # A take is identified by its name without extension: a .flac beside a .wav of
    # the same name would be the same recording twice.
    identity = rel.with_suffix("")
    from_this_run = identity in placed_now
    existing = placed_now[identity] if from_this_run else _copy_on_disk(dest, name, rel)
    if existing is None:
        target = dest / rel
        # Probed under its temporary name: a file that is not what its name says never lands.
        info = _write_atomically(
            target,
            lambda out: _copy_from(item, out),
            check=lambda tmp: probe_media(tmp, _media_kind(name), label=item.label),
        )
        placed[rel.as_posix()] = _Placed(
            target.stat().st_size, _file_sha256(target), item.source, info.as_dict()
        )
        placed_now[identity] = rel
        report.written += 1
        return

    existing_file = dest / existing
    known = placed.get(existing.as_posix())
    same = existing == rel and existing_file.stat().st_size == item.size
    if same:
        existing_sha = known.sha256 if from_this_run else _file_sha256(existing_file)
        with item.open() as stream:
            same = _sha256(stream) == existing_sha
    if not same:
        origin = known.source if known and known.source else "an earlier run"
        report.skipped.append(
            (
                item.label,
                f"{CONFLICT}: {existing} (from {origin}) has the same RAVDESS name and different content; kept it",
            )
        )
    elif from_this_run:
        report.duplicates += 1
    else:
        # The first source stays on record while the content is what the manifest says.
        if known is None or known.sha256 != existing_sha:
            placed[existing.as_posix()] = _Placed(item.size, existing_sha, item.source, None)
        placed_now[identity] = existing
        report.unchanged += 1


def _organized_files(dest: Path) -> Iterator[tuple[PurePosixPath, RavdessName]]:
    """Files under ``dest`` that sit exactly where :func:`organized_path` puts them."""
    for kind in ("audio", "video"):
        for path in sorted((dest / kind).rglob("*")):
            if not path.is_file():
                continue
            rel = PurePosixPath(path.relative_to(dest).as_posix())
            try:
                name = parse_name(path.name)
            except InvalidRavdessName:
                continue
            if organized_path(name, path.suffix) == rel and path.suffix in _allowed_extensions(name):
                yield rel, name


def _previous_manifest(dest: Path) -> dict[str, _Placed]:
    try:
        manifest = read_manifest(dest)
    except (FileNotFoundError, ValueError):
        return {}
    probed = manifest["duration_s"].notna()
    return {
        row["path"]: _Placed(
            row["bytes"],
            row["sha256"],
            row["source"],
            {column: _plain(row[column]) for column in PROBE_COLUMNS} if is_probed else None,
        )
        for row, is_probed in zip(manifest.to_dict("records"), probed, strict=True)
    }


def _plain(value: object) -> float | int | None:
    """A manifest cell as the probe gave it: NaN (a column that does not apply) is None."""
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _write_manifest(dest: Path, placed: dict[str, _Placed], report: OrganizeReport) -> None:
    """Rebuild the manifest from what is in ``dest`` now, reusing known hashes and probes.

    A file found there that was never probed (put there by hand, or organized before
    files were probed) is probed now; one that fails is left out of the manifest and
    added to ``report.skipped``. No manifest is created for a destination without files.
    """
    rows = []
    for rel, name in _organized_files(dest):
        path = dest / rel
        size = path.stat().st_size
        known = placed.get(rel.as_posix())
        # Trust a known hash only while the size agrees; a file put there by hand has no known source.
        if known is None or known.bytes != size:
            known = _Placed(size, _file_sha256(path), "")
        media = known.media
        if media is None:
            try:
                media = probe_media(path, _media_kind(name)).as_dict()
            except MediaError as error:
                report.skipped.append((str(path), _bad_media_reason(error)))
                continue
        rows.append(
            {
                "path": rel.as_posix(),
                "filename": rel.name,
                **name.as_dict(),
                "bytes": known.bytes,
                "sha256": known.sha256,
                "source": known.source,
                **media,
            }
        )
    manifest_path = dest / MANIFEST_NAME
    if not rows and not manifest_path.exists():
        return  # an empty manifest would only hide that nothing was organized
    columns = [*MANIFEST_COLUMNS, *PROBE_COLUMNS]
    manifest = pd.DataFrame(rows, columns=columns).sort_values("path")
    for column in ("sample_rate", "channels", "frames", "width", "height"):
        manifest[column] = manifest[column].astype("Int64")  # integers, empty where they do not apply
    text = manifest.to_csv(index=False, lineterminator="\n").encode()
    # Same bytes: leave the file (and its mtime) alone.
    if manifest_path.is_file() and manifest_path.read_bytes() == text:
        return
    _write_atomically(manifest_path, lambda out: out.write(text))


def organize(
    source: Path, dest: Path, *, progress: bool = True, exclude: Iterable[Path] = ()
) -> OrganizeReport:
    """Sort the RAVDESS files under ``source`` into ``dest`` and rewrite the manifest.

    Parameters
    ----------
    source : Path
        Folder searched recursively for ``*.zip`` archives and RAVDESS-named
        ``.wav``/``.flac``/``.mp4`` files. ``dest`` is ignored if it lies inside.
    dest : Path
        Destination root; created if missing. Files already there are kept and
        stay in the manifest.
    progress : bool
        Show a tqdm progress bar over the input files.
    exclude : iterable of Path
        Folders under ``source`` not to search (``dest`` always is).

    Returns
    -------
    OrganizeReport
        Counts, and every skipped input with its reason.

    Raises
    ------
    FileNotFoundError
        If ``source`` is not an existing folder.
    """
    source, dest = Path(source), Path(dest)
    if not source.is_dir():
        raise FileNotFoundError(f"source folder {str(source)!r} does not exist")
    dest.mkdir(parents=True, exist_ok=True)
    report = OrganizeReport()
    placed = _previous_manifest(dest)
    placed_now: dict[PurePosixPath, PurePosixPath] = {}
    with ExitStack() as archives:
        inputs = list(_find_inputs(source, [dest, *exclude], archives))
        for item in tqdm(inputs, desc="organizing", unit="file", disable=not progress):
            if isinstance(item, tuple):
                report.skipped.append(item)
                continue
            if item.inner_path.name == SYNTHETIC_MARKER:  # not media: a note about the media beside it
                report.synthetic = True
                continue
            judged = _judge(item)
            if isinstance(judged, str):
                report.skipped.append((item.label, judged))
                continue
            try:
                _place(item, *judged, dest, placed, placed_now, report)
            except MediaError as error:  # checked before it was renamed into place: nothing landed
                report.skipped.append((item.label, _bad_media_reason(error)))
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
                # A damaged or encrypted member; the rest of the archive may still be fine.
                report.skipped.append((item.label, f"{UNREADABLE}: {error}"))
    if report.synthetic and not (dest / SYNTHETIC_MARKER).is_file():
        # Before the manifest: a folder with a manifest is never taken for RAVDESS by mistake.
        _write_atomically(dest / SYNTHETIC_MARKER, lambda out: out.write(_SYNTHETIC_TEXT))
    _write_manifest(dest, placed, report)
    return report


_SYNTHETIC_TEXT = (
    b"This folder was organized from SYNTHETIC demo data (demo_data.py), not from RAVDESS.\n"
    b"Everything trained on it says so; its accuracy says nothing about human emotion.\n"
)


def read_manifest(dest: Path) -> pd.DataFrame:
    """Read ``dest/manifest.csv`` with the right dtypes.

    ``take``, ``path``, ``filename`` and the other text columns stay strings (a
    plain ``pd.read_csv`` would turn nothing into numbers here, but would read an
    empty ``source`` as NaN); the numeric fields are integers. The probe columns
    (:data:`media.PROBE_COLUMNS`: ``duration_s``, ``sample_rate`` and ``channels`` of
    audio, ``frames``, ``fps``, ``width`` and ``height`` of video) are numbers, empty
    where they do not apply, and empty throughout in a manifest written before files
    were probed.

    Raises
    ------
    FileNotFoundError
        If there is no manifest yet.
    ValueError
        If the file lacks manifest columns.
    """
    manifest_path = Path(dest) / MANIFEST_NAME
    if not manifest_path.is_file():
        dest_option = "" if Path(dest) == DEFAULT_DEST else f" --dest {dest}"
        raise FileNotFoundError(
            f"no data: {manifest_path} does not exist. Organize RAVDESS first: "
            f"`python organize_data.py --download{dest_option}` fetches and organizes it, or put the official "
            f"archives (Audio_Speech_Actors_01-24.zip, ...) in data/ and run `python organize_data.py{dest_option}`; "
            f"`python organize_data.py --demo` makes SYNTHETIC demo data in {DEFAULT_DEMO_DEST}"
        )
    dtypes = {column: ("int64" if column in _INT_COLUMNS else str) for column in MANIFEST_COLUMNS}
    dtypes.update({column: "float64" for column in PROBE_COLUMNS})
    manifest = pd.read_csv(
        manifest_path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in PROBE_COLUMNS}
    )
    missing = [column for column in MANIFEST_COLUMNS if column not in manifest.columns]
    if missing:
        raise ValueError(f"{manifest_path} is not an organize_data.py manifest: missing {missing}")
    for column in PROBE_COLUMNS:
        if column not in manifest.columns:
            manifest[column] = float("nan")
    return manifest


def summary_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Files per modality and channel (rows) and emotion (columns), with totals."""
    emotions = pd.Categorical(manifest["emotion"], categories=EMOTIONS)
    return pd.crosstab(
        [manifest["modality_name"], manifest["channel"]],
        emotions,
        rownames=["modality", "channel"],
        colnames=["emotion"],
        margins=True,
        margins_name="total",
        dropna=False,
    ).astype("int64")  # an empty manifest would otherwise give float zeros


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


def _parser() -> argparse.ArgumentParser:
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
            "first generate the SYNTHETIC demo dataset (not RAVDESS) with demo_data.write_demo_dataset "
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
        choices=("audio", "video", "all"),
        default="audio",
        help=(
            "with --download: audio = Audio_Speech_Actors_01-24.zip and Audio_Song_Actors_01-24.zip, "
            "video = Video_Speech_Actor_NN.zip and Video_Song_Actor_NN.zip of --actors (much larger), "
            "all = both (default: audio)"
        ),
    )
    parser.add_argument(
        "--actors",
        type=_actor_list,
        default="1-24",
        help=(
            "with --download: actors whose video archives to fetch, e.g. 1-4 or 1,3,5 (default: 1-24); "
            "the audio archives hold all 24 actors and cannot be split"
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
        help="with --download: Zenodo record id (default: 1188976, the official RAVDESS record)",
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
    parser = _parser()
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
        import demo_data

        print(
            f"Generating SYNTHETIC demo data in {source}: it is not RAVDESS, and results on it mean nothing."
        )
        demo_data.write_demo_dataset(source, actors=args.demo_actors)
    elif args.download:
        import download

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
