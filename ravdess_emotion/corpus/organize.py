"""Organizing: RAVDESS files sorted into one tidy tree, each probed, and listed in a manifest.

:func:`organize` streams archive members and files found under a source folder to
``DEST/{audio,video,faces}/{speech,song}/<emotion>/<RAVDESS name>`` (the tree
``organize_data.py``'s docstring draws), probes each one under its temporary name
(``ravdess_emotion.corpus.media``; facial tracking CSVs and clip-table rows with
``ravdess_emotion.corpus.tracking``) and lists every file in ``DEST/manifest.csv``,
its ``content`` column saying what the file holds (:data:`CONTENTS`).
Writes are atomic (``ravdess_emotion.core.files``), and a file already in place with
the same content is left untouched, so runs can be repeated or interrupted safely.
:func:`read_manifest` reads the manifest back, keeping ``take`` a string with its
leading zeros.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
import pandas as pd
from tqdm import tqdm

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.files import file_sha256, stream_sha256, write_atomically
from ravdess_emotion.core.ravdess import (
    AUDIO_EXTENSIONS,
    EMOTIONS,
    SYNTHETIC_MARKER,
    VIDEO_EXTENSIONS,
    InvalidRavdessName,
    RavdessName,
    parse_name,
)
from ravdess_emotion.corpus.media import PROBE_COLUMNS, MediaInfo, probe_media
from ravdess_emotion.corpus.tracking import (
    AU_COLUMNS,
    AU_MEANS_SUFFIX,
    au_means_text,
    looks_like_au_table,
    probe_face_file,
    read_au_table,
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
"""The columns every manifest has; ``content`` and :data:`PROBE_COLUMNS` follow them (filled in when
a manifest from before lacks them)."""

CONTENTS: dict[str, str] = {
    "audio": "an audio recording (.wav, .flac), modality 03",
    "video": "a video clip (.mp4), modality 01 or 02",
    "tracking": "a per-frame OpenFace facial tracking CSV of a video take (.csv)",
    "au_means": f"one clip's action-unit means from a clip table ({AU_MEANS_SUFFIX})",
}
"""What a manifest row's ``content`` can be: its file's kind, from its path."""
_FOLDERS = {"audio": "audio", "video": "video", "tracking": "faces", "au_means": "faces"}
_EXTENSIONS = {
    "audio": AUDIO_EXTENSIONS,
    "video": VIDEO_EXTENSIONS,
    "tracking": (".csv",),
    "au_means": (AU_MEANS_SUFFIX,),
}
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

_MEDIA_EXTENSIONS = (*AUDIO_EXTENSIONS, *VIDEO_EXTENSIONS, ".csv", AU_MEANS_SUFFIX)
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


def extension_of(file_name: str) -> str:
    """A file's extension as organize reads it: ``.au-means.csv`` whole, else the last suffix, lower case."""
    lowered = file_name.lower()
    return AU_MEANS_SUFFIX if lowered.endswith(AU_MEANS_SUFFIX) else PurePosixPath(lowered).suffix


def content_of(path: str | PurePosixPath) -> str:
    """What a file holds (a key of :data:`CONTENTS`), from its extension; ``""`` for none of them."""
    return _content_of_extension(extension_of(PurePosixPath(path).name))


def _content_of_extension(extension: str) -> str:
    for content, extensions in _EXTENSIONS.items():
        if extension in extensions:
            return content
    return ""


def organized_path(name: RavdessName, extension: str) -> PurePosixPath:
    """Where a file of this name goes, relative to the destination."""
    extension = extension.lower()
    folder = _FOLDERS[_content_of_extension(extension) or ("audio" if name.is_audio else "video")]
    return PurePosixPath(folder, name.channel, name.emotion_name, name.stem + extension)


def _allowed_extensions(name: RavdessName, content: str) -> tuple[str, ...]:
    """The extensions a file of this name and content may have (faces only for video takes)."""
    if content in ("tracking", "au_means"):
        return _EXTENSIONS[content] if name.has_video else ()
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
    extension = extension_of(item.inner_path.name)
    try:
        name = parse_name(item.inner_path.name)
    except InvalidRavdessName as error:
        # Any other CSV (a spreadsheet beside the archives) is not ours to judge.
        if extension in _MEDIA_EXTENSIONS and extension != ".csv":
            return f"{NOT_RAVDESS}: {error}"
        return NOT_MEDIA
    content = content_of(item.inner_path.name)
    if extension not in _allowed_extensions(name, content):
        expected = " or ".join(_allowed_extensions(name, "audio"))
        if content in ("tracking", "au_means"):
            return (
                f"{WRONG_EXTENSION}: {extension} (facial action units) for modality {name.modality:02d} "
                f"({name.modality_name}): a face file belongs to a video take, 01 or 02"
            )
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
            elif path.suffix.lower() == ".csv" and _is_clip_table(
                path.name, lambda path=path: path.open("rb")
            ):
                yield from _table_inputs(str(path), lambda path=path: path.open("rb"))
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
                    member_open = lambda archive=archive, info=info: archive.open(info)  # noqa: E731
                    if member.suffix.lower() == ".csv" and _is_clip_table(member.name, member_open):
                        yield from _table_inputs(label, member_open)
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


def _is_clip_table(file_name: str, open_file: Callable[[], IO[bytes]]) -> bool:
    """Whether a CSV without a RAVDESS name is a clip table (judged by its header line)."""
    if _is_junk(PurePosixPath(file_name)):
        return False
    try:
        parse_name(file_name)
        return False  # a RAVDESS-named CSV is one clip's tracking file
    except InvalidRavdessName:
        pass
    try:
        with open_file() as stream:
            header = stream.readline(1 << 16).decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, zlib.error, RuntimeError):
        return False
    return looks_like_au_table(header)


def _table_inputs(label: str, open_file: Callable[[], IO[bytes]]) -> Iterator[_Input | tuple[str, str]]:
    """One input per row of a clip table (its AU means as a small CSV), or why the table or a row is skipped."""
    try:
        with open_file() as stream:
            table = read_au_table(stream, label)
    except MediaError as error:
        yield label, _bad_media_reason(error)
        return
    except (OSError, zipfile.BadZipFile, zlib.error, RuntimeError) as error:
        yield label, f"{UNREADABLE}: {error}"
        return
    for row_number, row in enumerate(table.itertuples(index=False), start=2):  # line 1 is the header
        values = np.array(row[1:], dtype=np.float64)
        name = row[0]
        row_label = f"{label}:{name or f'line {row_number}'}"
        if not np.isfinite(values).all():
            missing = [c for c, v in zip(AU_COLUMNS, values, strict=True) if not np.isfinite(v)]
            yield row_label, f"{BAD_MEDIA}: line {row_number} has no number for {', '.join(missing[:5])}"
            continue
        text = au_means_text(values)
        yield _Input(
            label=row_label,
            inner_path=PurePosixPath(f"{name}{AU_MEANS_SUFFIX}"),
            size=len(text),
            source=label,
            open=lambda text=text: io.BytesIO(text),
        )


def _probe(path: Path, content: str, label: str | None = None) -> MediaInfo:
    """Check a file of any content under the name it has now (see :func:`probe_media`)."""
    if content in ("tracking", "au_means"):
        return probe_face_file(path, content, label)
    return probe_media(path, content, label)


def _bad_media_reason(error: MediaError) -> str:
    """A skip reason from a probe's error ("<file>: <why>"): the report names the file itself."""
    return f"{BAD_MEDIA}: {str(error).partition(': ')[2]}"


def _copy_from(item: _Input, out: IO[bytes]) -> None:
    with item.open() as stream:
        shutil.copyfileobj(stream, out, _COPY_CHUNK)


def _copy_on_disk(dest: Path, name: RavdessName, rel: PurePosixPath) -> PurePosixPath | None:
    """The file already under ``dest`` for this RAVDESS name and content, whatever its allowed extension."""
    for extension in _allowed_extensions(name, content_of(rel)):
        candidate = rel.with_name(name.stem + extension)
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
    # the same name would be the same recording twice. Faces are kept apart from video,
    # and a take's tracking CSV apart from its clip-table row.
    identity = rel.with_name(f"{name.stem}:{content_of(rel)}")
    from_this_run = identity in placed_now
    existing = placed_now[identity] if from_this_run else _copy_on_disk(dest, name, rel)
    if existing is None:
        target = dest / rel
        # Probed under its temporary name: a file that is not what its name says never lands.
        info = write_atomically(
            target,
            lambda out: _copy_from(item, out),
            check=lambda tmp: _probe(tmp, content_of(rel), label=item.label),
        )
        placed[rel.as_posix()] = _Placed(
            target.stat().st_size, file_sha256(target), item.source, info.as_dict()
        )
        placed_now[identity] = rel
        report.written += 1
        return

    existing_file = dest / existing
    known = placed.get(existing.as_posix())
    same = existing == rel and existing_file.stat().st_size == item.size
    if same:
        existing_sha = known.sha256 if from_this_run else file_sha256(existing_file)
        with item.open() as stream:
            same = stream_sha256(stream) == existing_sha
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
    for folder in ("audio", "video", "faces"):
        for path in sorted((dest / folder).rglob("*")):
            if not path.is_file():
                continue
            rel = PurePosixPath(path.relative_to(dest).as_posix())
            try:
                name = parse_name(path.name)
            except InvalidRavdessName:
                continue
            extension = extension_of(path.name)
            if organized_path(name, extension) == rel and extension in _allowed_extensions(
                name, content_of(rel)
            ):
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
            known = _Placed(size, file_sha256(path), "")
        media = known.media
        if media is None:
            try:
                media = _probe(path, content_of(rel)).as_dict()
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
                "content": content_of(rel),
                **media,
            }
        )
    manifest_path = dest / MANIFEST_NAME
    if not rows and not manifest_path.exists():
        return  # an empty manifest would only hide that nothing was organized
    columns = [*MANIFEST_COLUMNS, "content", *PROBE_COLUMNS]
    manifest = pd.DataFrame(rows, columns=columns).sort_values("path")
    for column in ("sample_rate", "channels", "frames", "width", "height"):
        manifest[column] = manifest[column].astype("Int64")  # integers, empty where they do not apply
    text = manifest.to_csv(index=False, lineterminator="\n").encode()
    # Same bytes: leave the file (and its mtime) alone.
    if manifest_path.is_file() and manifest_path.read_bytes() == text:
        return
    write_atomically(manifest_path, lambda out: out.write(text))


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
        write_atomically(dest / SYNTHETIC_MARKER, lambda out: out.write(_SYNTHETIC_TEXT))
    _write_manifest(dest, placed, report)
    return report


_SYNTHETIC_TEXT = (
    b"This folder was organized from SYNTHETIC demo data (ravdess_emotion/corpus/demo.py), not from RAVDESS.\n"
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
    dtypes.update({column: "float64" for column in PROBE_COLUMNS}, content=str)
    manifest = pd.read_csv(
        manifest_path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in PROBE_COLUMNS}
    )
    missing = [column for column in MANIFEST_COLUMNS if column not in manifest.columns]
    if missing:
        raise ValueError(f"{manifest_path} is not an organize_data.py manifest: missing {missing}")
    for column in PROBE_COLUMNS:
        if column not in manifest.columns:
            manifest[column] = float("nan")
    if "content" not in manifest.columns:  # a manifest from before faces were organized
        manifest.insert(len(MANIFEST_COLUMNS), "content", [content_of(p) for p in manifest["path"]])
    return manifest


_FACE_ROW_NAMES = {"tracking": "face tracking", "au_means": "AU means"}


def summary_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Files per modality (facial action units apart) and channel (rows) and emotion (columns), with totals."""
    emotions = pd.Categorical(manifest["emotion"], categories=EMOTIONS)
    kinds = manifest["content"].map(_FACE_ROW_NAMES).fillna(manifest["modality_name"])
    return (
        pd.crosstab(
            [kinds.rename("modality"), manifest["channel"]],
            emotions,
            rownames=["modality", "channel"],
            colnames=["emotion"],
            margins=True,
            margins_name="total",
            dropna=False,
        )
        .fillna(0)
        .astype("int64")
    )  # an empty manifest (or an absent combination) gives float zeros or NaN
