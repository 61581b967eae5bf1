"""Download the official RAVDESS archives from Zenodo, resuming and verifying them.

The file list, sizes, MD5 checksums and download links all come from the Zenodo
record itself (``GET {base}/api/records/<id>``); only the record ids and the name
patterns that tell the archives apart are written here. The audio and video archives
are in the RAVDESS record (:data:`RAVDESS_RECORD_ID`, 1188976); the per-frame
OpenFace CSVs, ``FacialTracking_Actors_01-24.zip``, are in the separate "RAVDESS
Facial Landmark Tracking" record (:data:`TRACKING_RECORD_ID`, 3255102). Each
``what`` comes from exactly one record (:func:`record_for`), so ``--what all`` is
audio and video only, and ``--record`` replaces the one record being read.

Each archive is fetched into ``DEST/<key>.part``, resumed with an HTTP range
request after an interruption, checked against the record's size and MD5, and only
then renamed to ``DEST/<key>``. A file that fails the check is moved to
``DEST/rejected/<key>.bad`` (not a ``.zip``, so organize_data.py never reads it)
and never used. Archives already in ``DEST`` are verified and skipped; the result
is cached in ``DEST/.verified.json`` by size and modification time, so a rerun
does not hash tens of gigabytes again.

Usage, through organize_data.py (which organizes the archives afterwards)::

    python organize_data.py --download                              # the two audio archives
    python organize_data.py --download --what video --actors 1-4    # video of actors 1-4
    python organize_data.py --download --what tracking              # facial tracking CSVs, record 3255102
    python organize_data.py --download --zenodo-url https://mirror.example.org
    RAVDESS_ZENODO_URL=https://mirror.example.org python organize_data.py --download

A mirror must answer the same records API. Links in its record that still point
at zenodo.org are fetched from the mirror instead, so a verbatim copy of the
record works. Archives obtained some other way can be put in the source folder
under their official names: ``--download`` then verifies them and fetches only
what is missing, and a plain run without ``--download`` organizes them unchecked.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from ravdess_emotion.core.files import write_text_atomically

RAVDESS_RECORD_ID = 1188976
"""Zenodo record of the RAVDESS audio and video archives."""
TRACKING_RECORD_ID = 3255102
"""Zenodo record "RAVDESS Facial Landmark Tracking": ``FacialTracking_Actors_01-24.zip``."""
DEFAULT_ZENODO_URL = "https://zenodo.org"
ZENODO_URL_ENV = "RAVDESS_ZENODO_URL"
WHAT_CHOICES = ("audio", "video", "all", "tracking")
TRACKING_ARCHIVE = "FacialTracking_Actors_01-24.zip"
REJECTED_DIR = "rejected"
VERIFIED_CACHE = ".verified.json"

_AUDIO_ARCHIVE = re.compile(r"^Audio_(Speech|Song)_Actors_\d\d-\d\d\.zip$", re.IGNORECASE)
_VIDEO_ARCHIVE = re.compile(r"^Video_(Speech|Song)_Actor_(\d\d)\.zip$", re.IGNORECASE)
_TRACKING_ARCHIVE = re.compile(r"^FacialTracking_Actors_\d\d-\d\d\.zip$", re.IGNORECASE)
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-\d+/(?:\d+|\*)$")
_CHUNK = 1 << 20
_USER_AGENT = "ravdess-emotion-downloader (Python urllib)"

_T = TypeVar("_T")


class DownloadError(RuntimeError):
    """The record cannot be read or lists nothing usable; the message says why."""


class _Transient(Exception):
    """A failure worth retrying: dropped connection, timeout, HTTP 5xx or 429."""


class _Fatal(Exception):
    """A failure that retrying will not fix, e.g. HTTP 404."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ArchiveInfo:
    """One file of the record.

    Attributes
    ----------
    key : str
        File name, e.g. ``'Audio_Speech_Actors_01-24.zip'``.
    size : int
        Size in bytes.
    md5 : str
        Lower-case hex MD5 digest.
    url : str
        Where to download it.
    """

    key: str
    size: int
    md5: str
    url: str


@dataclass
class DownloadReport:
    """What one :func:`download_archives` run did.

    Attributes
    ----------
    downloaded : list of str
        Keys fetched (fully or by resuming) and verified in this run.
    skipped_valid : list of str
        Keys already present and valid; not fetched.
    failed : list of (str, str)
        ``(key, reason)`` for every archive not available and valid at the end.
    """

    downloaded: list[str] = field(default_factory=list)
    skipped_valid: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _size_text(n: int) -> str:
    return tqdm.format_sizeof(n, suffix="B")


def _open(url: str, timeout: float, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """Send a GET; sort every failure into retryable (:class:`_Transient`) or not (:class:`_Fatal`)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        error.close()
        message = f"HTTP {error.code} {error.reason} for {url}"
        if error.code == 429 or error.code >= 500:
            raise _Transient(message) from None
        raise _Fatal(message, error.code) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _Transient(f"{url}: {getattr(error, 'reason', error)}") from None


def _wait(label: str, error: Exception, attempt: int, retries: int, backoff: float) -> None:
    delay = backoff * 2 ** (attempt - 1)
    tqdm.write(f"{label}: {error}; retry {attempt}/{retries - 1} in {delay:.3g} s", file=sys.stderr)
    time.sleep(delay)


def _retrying(action: Callable[[], _T], label: str, retries: int, backoff: float) -> _T:
    for attempt in range(1, retries + 1):
        try:
            return action()
        except _Transient as error:
            if attempt >= retries:
                raise _Fatal(f"gave up after {attempt} attempts: {error}") from None
            _wait(label, error, attempt, retries, backoff)
    raise ValueError(f"retries must be at least 1, not {retries}")


def _download_url(link: str, record_url: str, base_url: str) -> str:
    url = urllib.parse.urljoin(record_url, link)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DownloadError(f"the record links to {url!r}, which is not an http(s) URL")
    default = urllib.parse.urlsplit(DEFAULT_ZENODO_URL)
    base = urllib.parse.urlsplit(base_url)
    # A mirror may serve the record verbatim, links still on zenodo.org: fetch from the mirror as asked.
    if (parts.scheme, parts.netloc) == (default.scheme, default.netloc) != (base.scheme, base.netloc):
        url = base_url.rstrip("/") + urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
    return url


def _archive_info(entry: object, record_url: str, base_url: str) -> ArchiveInfo:
    if not isinstance(entry, dict):
        raise DownloadError(f"record {record_url}: a file entry is not an object: {entry!r}")
    # Older Zenodo answers say filename/filesize; InvenioRDM may put the bytes under links.content.
    key = entry.get("key") or entry.get("filename")
    size = entry.get("size", entry.get("filesize"))
    links = entry.get("links") or {}
    link = (links.get("content") or links.get("self")) if isinstance(links, dict) else None
    algorithm, _, digest = str(entry.get("checksum", "")).lower().rpartition(":")
    if not isinstance(key, str) or not key or "/" in key or "\\" in key or key.startswith("."):
        raise DownloadError(f"record {record_url}: unusable file name {key!r}")
    if not isinstance(size, int) or size < 0:
        raise DownloadError(f"record {record_url}: {key} has no valid size ({size!r})")
    if algorithm not in ("", "md5") or not _MD5.match(digest):
        raise DownloadError(f"record {record_url}: {key} has no MD5 checksum ({entry.get('checksum')!r})")
    if not isinstance(link, str) or not link:
        raise DownloadError(f"record {record_url}: {key} has no download link")
    return ArchiveInfo(key, size, digest, _download_url(link, record_url, base_url))


def fetch_record(
    base_url: str, record_id: int, timeout: float = 30, *, retries: int = 5, backoff: float = 1.0
) -> list[ArchiveInfo]:
    """Read the file list of a Zenodo record: names, sizes, MD5s and download links.

    Parameters
    ----------
    base_url : str
        Zenodo or a mirror answering the same API, e.g. ``'https://zenodo.org'``.
    record_id : int
        The record, e.g. :data:`RAVDESS_RECORD_ID`.
    timeout : float
        Socket timeout in seconds.
    retries, backoff
        As in :func:`download_archives`.

    Returns
    -------
    list of ArchiveInfo
        Every file of the record, in the record's order.

    Raises
    ------
    DownloadError
        If the record cannot be fetched (after retries) or is not a usable file list.
    """
    record_url = f"{base_url.rstrip('/')}/api/records/{record_id}"

    def read() -> bytes:
        with _open(record_url, timeout, {"Accept": "application/json"}) as response:
            try:
                return response.read()
            except (OSError, http.client.HTTPException) as error:
                raise _Transient(f"{record_url}: {error}") from None

    try:
        body = _retrying(read, f"record {record_id}", retries, backoff)
    except _Fatal as error:
        raise DownloadError(f"cannot read Zenodo record {record_id}: {error}") from None
    try:
        record = json.loads(body)
    except ValueError as error:
        raise DownloadError(f"{record_url} did not answer JSON: {error}") from None
    files = record.get("files") if isinstance(record, dict) else None
    if isinstance(files, dict):  # InvenioRDM's own format nests them
        files = list((files.get("entries") or {}).values())
    if not isinstance(files, list) or not files:
        raise DownloadError(f"record {record_url} lists no files")
    return [_archive_info(entry, record_url, base_url) for entry in files]


def record_for(what: str) -> int:
    """The Zenodo record that holds the ``what`` archives (see :func:`select_archives`).

    Raises
    ------
    ValueError
        If ``what`` is not one of :data:`WHAT_CHOICES`.
    """
    if what not in WHAT_CHOICES:
        raise ValueError(f"what must be one of {WHAT_CHOICES}, not {what!r}")
    return TRACKING_RECORD_ID if what == "tracking" else RAVDESS_RECORD_ID


def select_archives(files: Iterable[ArchiveInfo], what: str, actors: Iterable[int]) -> list[ArchiveInfo]:
    """Choose archives from a record's file list by their name pattern.

    Parameters
    ----------
    files : iterable of ArchiveInfo
        The record's files (:func:`fetch_record`); others (README, PDF) are ignored.
    what : {'audio', 'video', 'all', 'tracking'}
        ``audio``: the ``Audio_*_Actors_NN-NN.zip`` archives, which hold every actor;
        ``video``: ``Video_{Speech,Song}_Actor_NN.zip`` of ``actors``; ``all``: both;
        ``tracking``: ``FacialTracking_Actors_NN-NN.zip``, which holds every actor.
        ``tracking`` is in another record than the rest (:func:`record_for`).
    actors : iterable of int
        Actors whose video archives to take; does not narrow the audio or tracking archives.

    Returns
    -------
    list of ArchiveInfo
        Sorted by key. Only what the record has: actor 18 has no song video.

    Raises
    ------
    ValueError
        If ``what`` is not one of :data:`WHAT_CHOICES`.
    """
    record_for(what)  # validates what
    wanted = set(actors)
    chosen = []
    for info in files:
        if what == "tracking":
            if _TRACKING_ARCHIVE.match(info.key):
                chosen.append(info)
            continue
        video = _VIDEO_ARCHIVE.match(info.key)
        if (what != "video" and _AUDIO_ARCHIVE.match(info.key)) or (
            what != "audio" and video and int(video.group(2)) in wanted
        ):
            chosen.append(info)
    return sorted(chosen, key=lambda info: info.key)


def md5_of(path: str | os.PathLike[str]) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    with Path(path).open("rb") as stream:
        # usedforsecurity=False: MD5 is a transfer check here, and FIPS builds refuse it otherwise.
        return hashlib.file_digest(stream, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def _load_cache(dest: Path) -> dict[str, dict[str, object]]:
    try:
        cache = json.loads((dest / VERIFIED_CACHE).read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _save_cache(dest: Path, cache: dict[str, dict[str, object]]) -> None:
    write_text_atomically(dest / VERIFIED_CACHE, json.dumps(cache, indent=1, sort_keys=True) + "\n")


def _remember(cache: dict[str, dict[str, object]], key: str, path: Path, md5: str) -> None:
    stat = path.stat()
    cache[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "md5": md5}


def _known_md5(cache: dict[str, dict[str, object]], key: str, path: Path) -> str:
    """The file's MD5, hashed only if size or mtime changed since it was last hashed."""
    stat = path.stat()
    entry = cache.get(key)
    if isinstance(entry, dict) and (entry.get("size"), entry.get("mtime_ns")) == (
        stat.st_size,
        stat.st_mtime_ns,
    ):
        return str(entry.get("md5"))
    md5 = md5_of(path)
    _remember(cache, key, path, md5)
    return md5


def _reject(path: Path, dest: Path, archive: ArchiveInfo, actual_md5: str, what: str) -> str:
    """Move a file that failed verification apart, say so in one line, and return the reason."""
    size = path.stat().st_size
    rejected = dest / REJECTED_DIR / f"{archive.key}.bad"
    rejected.parent.mkdir(exist_ok=True)
    os.replace(path, rejected)
    reason = (
        f"{what} failed verification: expected MD5 {archive.md5} ({archive.size} bytes), "
        f"got MD5 {actual_md5} ({size} bytes); moved to {rejected}, not used"
    )
    tqdm.write(f"REJECTED {archive.key}: {reason}", file=sys.stderr)
    return reason


def _part_size(part: Path) -> int:
    return part.stat().st_size if part.exists() else 0


def _fetch_once(archive: ArchiveInfo, part: Path, bar: tqdm, timeout: float) -> None:
    """One request: resume ``part`` (or restart it) and read until the end or a failure."""
    offset = _part_size(part)
    if offset >= archive.size:
        return
    try:
        response = _open(archive.url, timeout, {"Range": f"bytes={offset}-"} if offset else None)
    except _Fatal as error:
        if error.status == 416 and offset:
            part.unlink(missing_ok=True)
            raise _Transient("the server refused to resume; starting over") from None
        raise
    with response:
        if response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != offset:
                part.unlink(missing_ok=True)
                raise _Transient(
                    f"asked to resume at byte {offset}, got {response.headers.get('Content-Range')}"
                )
            mode = "ab"
        else:
            # A 200 is the whole file whatever was asked: some servers ignore Range.
            offset, mode = 0, "wb"
        bar.reset(total=archive.size)
        bar.update(offset)
        with part.open(mode) as out:
            # Stops past the expected size so a misbehaving server cannot fill the disk.
            while offset <= archive.size:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as error:
                    raise _Transient(f"connection lost at byte {offset}: {error}") from None
                if not chunk:
                    break
                out.write(chunk)
                offset += len(chunk)
                bar.update(len(chunk))
    if offset < archive.size:
        # http.client returns a short body without error when the server closes early.
        raise _Transient(f"connection closed at byte {offset} of {archive.size}")


def _fetch(
    archive: ArchiveInfo, part: Path, progress: bool, retries: int, backoff: float, timeout: float
) -> None:
    """Fetch into ``part`` with retries; a try that grew the file starts the count afresh."""
    with tqdm(
        total=archive.size,
        desc=archive.key,
        unit="B",
        unit_scale=True,
        disable=not progress,
    ) as bar:
        best, failures = _part_size(part), 0
        # Bounded: the count restarts only when the file grows past its best, which stops at the size.
        while True:
            try:
                _fetch_once(archive, part, bar, timeout)
                return
            except _Transient as error:
                grown = _part_size(part) > best
                best = max(best, _part_size(part))
                failures = 1 if grown else failures + 1
                if failures >= retries:
                    raise _Fatal(f"gave up after {failures} attempts without progress: {error}") from None
                _wait(archive.key, error, failures, retries, backoff)


def download_archives(
    archives: Iterable[ArchiveInfo],
    dest: Path,
    *,
    progress: bool = True,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60,
) -> DownloadReport:
    """Download, resume and verify archives into ``dest``; skip those already there and valid.

    Parameters
    ----------
    archives : iterable of ArchiveInfo
        What to fetch (:func:`select_archives`).
    dest : Path
        Folder for the archives; created if missing.
    progress : bool
        Show a tqdm progress bar per archive.
    retries : int
        Attempts per archive without progress (1: no retry). Dropped connections,
        timeouts, HTTP 5xx and 429 are retried; other HTTP errors are not.
    backoff : float
        Delay in seconds before the first retry; it doubles with each further one.
    timeout : float
        Socket timeout in seconds for connecting and for each read.

    Returns
    -------
    DownloadReport
        Every archive is in exactly one of its lists. An archive that fails
        verification is moved to ``dest/rejected/<key>.bad`` and counted as failed.
    """
    if retries < 1:
        raise ValueError(f"retries must be at least 1, not {retries}")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archives = list(archives)
    report = DownloadReport()
    cache = _load_cache(dest)
    for index, archive in enumerate(archives):
        target, part = dest / archive.key, dest / f"{archive.key}.part"
        if target.exists():
            actual = _known_md5(cache, archive.key, target)
            if target.stat().st_size == archive.size and actual == archive.md5:
                _save_cache(dest, cache)
                report.skipped_valid.append(archive.key)
                continue
            _reject(target, dest, archive, actual, "the file already present")
            cache.pop(archive.key, None)
            _save_cache(dest, cache)
        if _part_size(part) > archive.size:
            part.unlink()
        needed, free = archive.size - _part_size(part), shutil.disk_usage(dest).free
        if needed > free:
            reason = f"not enough disk space in {dest}: needs {_size_text(needed)}, {_size_text(free)} free"
            tqdm.write(f"error: {archive.key}: {reason}; stopping", file=sys.stderr)
            report.failed.append((archive.key, reason))
            report.failed.extend(
                (later.key, "not attempted: stopped for lack of disk space")
                for later in archives[index + 1 :]
            )
            break
        try:
            _fetch(archive, part, progress, retries, backoff, timeout)
        except _Fatal as error:
            tqdm.write(f"error: {archive.key}: {error}", file=sys.stderr)
            report.failed.append((archive.key, str(error)))
            continue
        actual = md5_of(part)
        if part.stat().st_size != archive.size or actual != archive.md5:
            report.failed.append((archive.key, _reject(part, dest, archive, actual, "the download")))
            continue
        os.replace(part, target)
        _remember(cache, archive.key, target, actual)
        _save_cache(dest, cache)
        report.downloaded.append(archive.key)
    return report


def download_ravdess(
    dest: Path,
    what: str = "audio",
    actors: Iterable[int] = range(1, 25),
    *,
    base_url: str | None = None,
    record_id: int | None = None,
    progress: bool = True,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60,
) -> DownloadReport:
    """Fetch the record of ``what``, select archives and download them into ``dest``, reporting as it goes.

    Parameters
    ----------
    dest : Path
        Folder for the archives (organize_data.py's source folder).
    what, actors
        As in :func:`select_archives`.
    base_url : str, optional
        Zenodo or a mirror; default ``$RAVDESS_ZENODO_URL``, else :data:`DEFAULT_ZENODO_URL`.
    record_id : int, optional
        Replaces the record of ``what``; default :func:`record_for` of ``what``:
        :data:`TRACKING_RECORD_ID` for ``tracking``, else :data:`RAVDESS_RECORD_ID`.
    progress, retries, backoff, timeout
        As in :func:`download_archives`.

    Returns
    -------
    DownloadReport

    Raises
    ------
    DownloadError
        If the record cannot be read or lists no matching archive; the message names
        the record that holds the ``what`` archives.
    ValueError
        If ``what`` is not one of :data:`WHAT_CHOICES`.
    """
    base_url = base_url or os.environ.get(ZENODO_URL_ENV) or DEFAULT_ZENODO_URL
    official = record_for(what)
    record_id = record_id or official
    actors = list(actors)
    # The usual mistakes: the wrong record for `what` (tracking is not in 1188976), or a partial mirror.
    if record_id == official:
        advice = f"the official {what} archives are in Zenodo record {official}; check the URL"
    else:
        advice = f"the official {what} archives are in Zenodo record {official}, not {record_id}"
    try:
        files = fetch_record(base_url, record_id, retries=retries, backoff=backoff)
    except DownloadError as error:
        raise DownloadError(f"{error} ({advice})") from None
    archives = select_archives(files, what, actors)
    if not archives:
        pattern = TRACKING_ARCHIVE if what == "tracking" else f"{what} archives for actors {actors}"
        held = ", ".join(info.key for info in files[:5]) + (", ..." if len(files) > 5 else "")
        raise DownloadError(
            f"record {record_id} at {base_url} lists no {pattern} (it holds {held}; {advice})"
        )
    print(
        f"Zenodo record {record_id} at {base_url}: {len(archives)} archives ({what}), "
        f"{_size_text(sum(a.size for a in archives))} in all, into {dest}"
    )
    report = download_archives(
        archives, dest, progress=progress, retries=retries, backoff=backoff, timeout=timeout
    )
    print(
        f"{len(report.downloaded)} downloaded, {len(report.skipped_valid)} already present and valid, "
        f"{len(report.failed)} failed"
    )
    for key, reason in report.failed:
        print(f"  failed: {key}: {reason}", file=sys.stderr)
    return report
