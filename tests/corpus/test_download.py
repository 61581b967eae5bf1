"""Tests for ravdess_emotion.corpus.download against a fake Zenodo on 127.0.0.1: resume, retries, verification, skipping."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from organize_data import main
from ravdess_emotion.corpus import download
from ravdess_emotion.corpus.download import (
    RAVDESS_RECORD_ID,
    TRACKING_RECORD_ID,
    ArchiveInfo,
    DownloadError,
    download_archives,
    fetch_record,
    md5_of,
    select_archives,
)
from ravdess_emotion.corpus.organize import read_manifest
from ravdess_emotion.corpus.tracking import AU_COLUMNS, tracking_text

RECORD = RAVDESS_RECORD_ID
TIMEOUT = 5.0  # every socket in these tests, client and server side


@dataclass
class Seen:
    """One request as the fake server saw it."""

    path: str
    range: str | None
    at: float


@dataclass
class FakeZenodo:
    """What the fake server serves and how it misbehaves; ``url`` is set once it listens."""

    archives: dict[str, bytes]
    checksums: dict[str, str] = field(default_factory=dict)  # key -> checksum string served instead
    drop_once_at: dict[str, int] = field(default_factory=dict)  # key -> byte where the first body stops
    statuses: dict[str, list[int]] = field(default_factory=dict)  # key -> error statuses answered first
    ignore_range: bool = False
    link_origin: str | None = None  # put in the record's links instead of the server's own URL
    record_id: int = RECORD  # the only record it answers; others get 404
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def record(self) -> dict[str, object]:
        origin = self.link_origin or self.url
        return {
            "id": self.record_id,
            "files": [
                {
                    "id": f"file-{index}",
                    "key": key,
                    "size": len(data),
                    "checksum": self.checksums.get(key, f"md5:{hashlib.md5(data).hexdigest()}"),
                    "links": {"self": f"{origin}/api/records/{self.record_id}/files/{key}/content"},
                }
                for index, (key, data) in enumerate(self.archives.items())
            ],
        }

    def record_requests(self) -> list[str]:
        return [seen.path for seen in self.requests if not seen.path.endswith("/content")]

    def content_requests(self, key: str | None = None) -> list[Seen]:
        suffix = f"/files/{key}/content" if key else "/content"
        return [seen for seen in self.requests if seen.path.endswith(suffix)]


class _Handler(BaseHTTPRequestHandler):
    timeout = TIMEOUT

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        fake: FakeZenodo = self.server.fake  # type: ignore[attr-defined]
        fake.requests.append(Seen(self.path, self.headers.get("Range"), time.monotonic()))
        if self.path == f"/api/records/{fake.record_id}":
            self._send(200, json.dumps(fake.record()).encode(), {"Content-Type": "application/json"})
            return
        match = re.fullmatch(rf"/api/records/{fake.record_id}/files/([^/]+)/content", self.path)
        key = urllib.parse.unquote(match.group(1)) if match else None
        if key not in fake.archives:
            self.send_error(404)
            return
        if fake.statuses.get(key):
            self.send_error(fake.statuses[key].pop(0))
            return
        data, start = fake.archives[key], 0
        asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        headers = {}
        if asked and not fake.ignore_range:
            start = int(asked.group(1))
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        # Content-Length promises the whole body; a drop then closes the connection early.
        self._send(206 if headers else 200, data[start:], headers, cut=fake.drop_once_at.pop(key, None))

    def _send(self, status: int, body: bytes, headers: dict[str, str], cut: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[:cut])
        self.close_connection = True


@pytest.fixture
def zenodo() -> Iterator[Callable[..., FakeZenodo]]:
    """Start fake Zenodo servers on 127.0.0.1 (port 0); all are shut down after the test."""
    started: list[tuple[HTTPServer, threading.Thread]] = []

    def start(archives: dict[str, bytes], **behaviour: object) -> FakeZenodo:
        fake = FakeZenodo(archives, **behaviour)  # type: ignore[arg-type]
        server = HTTPServer(("127.0.0.1", 0), _Handler)
        server.fake = fake  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
        fake.url = f"http://127.0.0.1:{server.server_port}"
        return fake

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _fake_archive(seed: int) -> bytes:
    """A zip of a few KB of random bytes, different for every seed."""
    return _zip({"Actor_01/filler.bin": np.random.default_rng(seed).bytes(4000)})


def _fetch(fake: FakeZenodo, dest: Path, **options: object) -> download.DownloadReport:
    options = {"progress": False, "retries": 3, "backoff": 0.01, "timeout": TIMEOUT, **options}
    return download_archives(fetch_record(fake.url, RECORD, timeout=TIMEOUT), dest, **options)  # type: ignore[arg-type]


def _assert_valid(dest: Path, key: str, data: bytes) -> None:
    assert (dest / key).read_bytes() == data
    assert not (dest / f"{key}.part").exists()


SPEECH = "Audio_Speech_Actors_01-24.zip"
SONG = "Audio_Song_Actors_01-24.zip"


def test_record_parsing_and_selection(zenodo: Callable[..., FakeZenodo]) -> None:
    keys = [SPEECH, SONG, "README.txt"]
    keys += [f"Video_Speech_Actor_{actor:02d}.zip" for actor in range(1, 25)]
    keys += [f"Video_Song_Actor_{actor:02d}.zip" for actor in range(1, 25) if actor != 18]
    # A verbatim copy of the record links to zenodo.org; downloads must still go to the mirror.
    fake = zenodo({key: key.encode() for key in keys}, link_origin="https://zenodo.org")

    files = fetch_record(fake.url + "/", RECORD, timeout=TIMEOUT)

    assert [info.key for info in files] == keys
    speech = files[0]
    assert speech.size == len(SPEECH)
    assert speech.md5 == hashlib.md5(SPEECH.encode()).hexdigest()
    assert speech.url == f"{fake.url}/api/records/{RECORD}/files/{SPEECH}/content"

    def selected(what: str, actors: list[int]) -> list[str]:
        return [info.key for info in select_archives(files, what, actors)]

    assert selected("audio", []) == [SONG, SPEECH]
    assert selected("audio", [3]) == [SONG, SPEECH], "the audio archives cannot be split by actor"
    assert selected("video", [18]) == ["Video_Speech_Actor_18.zip"], "actor 18 has no song video"
    assert selected("video", [1, 2]) == [
        "Video_Song_Actor_01.zip",
        "Video_Song_Actor_02.zip",
        "Video_Speech_Actor_01.zip",
        "Video_Speech_Actor_02.zip",
    ]
    assert len(selected("video", list(range(1, 25)))) == 47
    assert selected("all", [24]) == [SONG, SPEECH, "Video_Song_Actor_24.zip", "Video_Speech_Actor_24.zip"]
    with pytest.raises(ValueError, match="what"):
        select_archives(files, "faces", [1])


def test_record_errors_are_clear(zenodo: Callable[..., FakeZenodo]) -> None:
    fake = zenodo({SPEECH: b"x"}, checksums={SPEECH: "sha256:" + "0" * 64})
    with pytest.raises(DownloadError, match="no MD5"):
        fetch_record(fake.url, RECORD, timeout=TIMEOUT)
    with pytest.raises(DownloadError, match="404"):
        fetch_record(fake.url, 5, timeout=TIMEOUT, backoff=10)  # would take 10 s if retried
    assert len(fake.requests) == 2


def test_fresh_download_is_verified(zenodo: Callable[..., FakeZenodo], tmp_path: Path) -> None:
    data = _fake_archive(1)
    fake = zenodo({SPEECH: data})

    report = _fetch(fake, tmp_path / "new")

    assert report.downloaded == [SPEECH] and report.skipped_valid == [] and report.failed == []
    _assert_valid(tmp_path / "new", SPEECH, data)
    assert [seen.range for seen in fake.content_requests()] == [None]
    cache = json.loads((tmp_path / "new" / ".verified.json").read_text())
    assert cache[SPEECH]["md5"] == hashlib.md5(data).hexdigest()


def test_resume_after_dropped_connection(zenodo: Callable[..., FakeZenodo], tmp_path: Path) -> None:
    data = _fake_archive(2)
    fake = zenodo({SPEECH: data}, drop_once_at={SPEECH: 1500})

    report = _fetch(fake, tmp_path)

    assert report.downloaded == [SPEECH]
    _assert_valid(tmp_path, SPEECH, data)
    assert [seen.range for seen in fake.content_requests()] == [None, "bytes=1500-"]


def test_server_ignoring_range_still_gives_valid_file(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path
) -> None:
    data, other = _fake_archive(3), _fake_archive(4)
    fake = zenodo({SPEECH: data, SONG: other}, ignore_range=True, drop_once_at={SONG: 2000})
    # A .part left by an earlier run: the server answers 200 with the whole file, not the rest.
    (tmp_path / f"{SPEECH}.part").write_bytes(data[:1000])

    report = _fetch(fake, tmp_path)

    assert sorted(report.downloaded) == [SONG, SPEECH]
    _assert_valid(tmp_path, SPEECH, data)
    _assert_valid(tmp_path, SONG, other)
    assert [seen.range for seen in fake.content_requests(SPEECH)] == ["bytes=1000-"]
    assert [seen.range for seen in fake.content_requests(SONG)] == [None, "bytes=2000-"]


def test_wrong_checksum_is_kept_apart(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, good = _fake_archive(5), _fake_archive(6)
    fake = zenodo({SPEECH: data, SONG: good}, checksums={SPEECH: "md5:" + "0" * 32})

    report = _fetch(fake, tmp_path)

    assert [key for key, _ in report.failed] == [SPEECH]
    assert report.downloaded == [SONG], "the run goes on with the other archives"
    assert not (tmp_path / SPEECH).exists() and not (tmp_path / f"{SPEECH}.part").exists()
    assert (tmp_path / "rejected" / f"{SPEECH}.bad").read_bytes() == data
    message = [line for line in capsys.readouterr().err.splitlines() if "REJECTED" in line]
    assert len(message) == 1
    assert SPEECH in message[0] and "0" * 32 in message[0] and hashlib.md5(data).hexdigest() in message[0]


def test_present_valid_file_is_skipped_without_download(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _fake_archive(7)
    fake = zenodo({SPEECH: data})
    (tmp_path / SPEECH).write_bytes(data)
    hashed: list[Path] = []
    monkeypatch.setattr(download, "md5_of", lambda path: hashed.append(path) or md5_of(path))

    assert _fetch(fake, tmp_path).skipped_valid == [SPEECH]
    assert _fetch(fake, tmp_path).skipped_valid == [SPEECH]
    assert len(hashed) == 1, "the second run trusts .verified.json"
    os.utime(tmp_path / SPEECH, ns=(0, 0))
    assert _fetch(fake, tmp_path).skipped_valid == [SPEECH]
    assert len(hashed) == 2, "a changed mtime means hashing again"

    assert fake.content_requests() == []


def test_present_corrupt_file_is_replaced(zenodo: Callable[..., FakeZenodo], tmp_path: Path) -> None:
    data = _fake_archive(8)
    corrupt = bytes(len(data))
    fake = zenodo({SPEECH: data})
    (tmp_path / SPEECH).write_bytes(corrupt)

    report = _fetch(fake, tmp_path)

    assert report.downloaded == [SPEECH] and report.failed == []
    _assert_valid(tmp_path, SPEECH, data)
    assert (tmp_path / "rejected" / f"{SPEECH}.bad").read_bytes() == corrupt


def test_404_is_fatal_without_retries(zenodo: Callable[..., FakeZenodo], tmp_path: Path) -> None:
    data = _fake_archive(9)
    fake = zenodo({SPEECH: b"gone", SONG: data}, statuses={SPEECH: [404] * 10})

    started = time.monotonic()
    report = _fetch(fake, tmp_path, retries=5, backoff=10)

    assert time.monotonic() - started < 5
    assert len(report.failed) == 1 and report.failed[0][0] == SPEECH and "404" in report.failed[0][1]
    assert len(fake.content_requests(SPEECH)) == 1
    assert report.downloaded == [SONG]


def test_transient_errors_retried_with_backoff(zenodo: Callable[..., FakeZenodo], tmp_path: Path) -> None:
    data = _fake_archive(10)
    fake = zenodo({SPEECH: data, SONG: b"never"}, statuses={SPEECH: [503, 429], SONG: [500] * 10})

    report = _fetch(fake, tmp_path, retries=3, backoff=0.05)

    _assert_valid(tmp_path, SPEECH, data)
    times = [seen.at for seen in fake.content_requests(SPEECH)]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1, "the delay doubles"
    assert len(fake.content_requests(SONG)) == 3, "gives up after `retries` attempts"
    assert report.failed[0][0] == SONG and "gave up after 3 attempts" in report.failed[0][1]


@dataclass
class _Usage:
    total: int = 10**6
    used: int = 10**6 - 100
    free: int = 100


def test_disk_space_is_checked_first(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = zenodo({SPEECH: _fake_archive(11), SONG: _fake_archive(12)})
    monkeypatch.setattr(download.shutil, "disk_usage", lambda path: _Usage())

    report = _fetch(fake, tmp_path)

    assert [key for key, _ in report.failed] == [SPEECH, SONG]
    assert "not enough disk space" in report.failed[0][1]
    assert "not attempted" in report.failed[1][1]
    assert fake.content_requests() == []
    assert not list(tmp_path.glob("*.part"))


def _wav(seed: int) -> bytes:
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, 4800).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, noise, 48000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _ravdess_audio() -> dict[str, bytes]:
    return {
        SPEECH: _zip(
            {
                "Actor_01/03-01-01-01-01-01-01.wav": _wav(1),
                "Actor_02/03-01-05-02-01-02-02.wav": _wav(2),
            }
        ),
        SONG: _zip({"Actor_01/03-02-03-01-01-01-01.wav": _wav(3)}),
        "Video_Speech_Actor_01.zip": b"not wanted with --what audio",
    }


def test_organize_main_downloads_then_organizes(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = zenodo(_ravdess_audio())
    source, dest = tmp_path / "new" / "source", tmp_path / "dest"

    assert main(["--download", "--zenodo-url", fake.url, "--source", str(source), "--dest", str(dest)]) == 0

    assert sorted(read_manifest(dest)["filename"]) == [
        "03-01-01-01-01-01-01.wav",
        "03-01-05-02-01-02-02.wav",
        "03-02-03-01-01-01-01.wav",
    ]
    assert {seen.path.split("/")[-2] for seen in fake.content_requests()} == {SPEECH, SONG}

    # A rerun, the mirror named by the environment this time, fetches nothing.
    monkeypatch.setenv(download.ZENODO_URL_ENV, fake.url)
    fake.requests.clear()
    assert main(["--download", "--source", str(source), "--dest", str(dest)]) == 0
    assert fake.content_requests() == []


def test_organize_main_download_failures_exit_nonzero(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = zenodo(_ravdess_audio(), checksums={SONG: "md5:" + "f" * 32})
    argv = [
        "--download",
        "--zenodo-url",
        fake.url,
        "--source",
        str(tmp_path / "src"),
        "--dest",
        str(tmp_path / "d"),
    ]

    assert main(argv) == 2
    assert len(read_manifest(tmp_path / "d")) == 2, "what did arrive is organized"
    assert SONG in capsys.readouterr().err

    assert main([*argv, "--record", "5"]) == 2
    assert "cannot read Zenodo record 5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*argv, "--demo"])


TRACKING = "FacialTracking_Actors_01-24.zip"
TRACKING_CSV = "01-01-01-01-01-01-01.csv"


def _tracking_record() -> dict[str, bytes]:
    """The tracking record's files: the archive (one actor-1 CSV) and the extras a real record has."""
    rng = np.random.default_rng(20)
    units = rng.uniform(0, 1, (3, len(AU_COLUMNS)))
    csv = tracking_text(units, np.array([0.98, 0.95, 0.9]))
    return {
        TRACKING: _zip({f"Actor_01/{TRACKING_CSV}": csv}),
        "README.md": b"RAVDESS Facial Landmark Tracking",
        "Tracking_Guide.pdf": b"%PDF-1.4 not wanted",
    }


def _argv(fake: FakeZenodo, tmp_path: Path, *more: str) -> list[str]:
    source, dest = tmp_path / "source", tmp_path / "dest"
    return ["--download", "--zenodo-url", fake.url, "--source", str(source), "--dest", str(dest), *more]


def test_select_tracking_archive() -> None:
    files = [
        ArchiveInfo(key, 1, "0" * 32, f"http://127.0.0.1/{key}")
        for key in (TRACKING, "README.md", SPEECH, "Video_Speech_Actor_03.zip")
    ]

    assert [info.key for info in select_archives(files, "tracking", [3])] == [TRACKING]
    assert [info.key for info in select_archives(files, "tracking", [])] == [TRACKING], "not split by actor"
    assert TRACKING not in [info.key for info in select_archives(files, "all", [3])], "all is audio + video"
    assert download.record_for("tracking") == TRACKING_RECORD_ID == 3255102
    assert download.record_for("all") == download.record_for("video") == RAVDESS_RECORD_ID


def test_organize_main_downloads_tracking_from_its_record(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path
) -> None:
    archives = _tracking_record()
    fake = zenodo(archives, record_id=TRACKING_RECORD_ID)

    assert main(_argv(fake, tmp_path, "--what", "tracking", "--actors", "3")) == 0

    assert fake.record_requests() == [f"/api/records/{TRACKING_RECORD_ID}"]
    assert [seen.path.split("/")[-2] for seen in fake.content_requests()] == [TRACKING], "README, PDF ignored"
    _assert_valid(tmp_path / "source", TRACKING, archives[TRACKING])
    cache = json.loads((tmp_path / "source" / ".verified.json").read_text())
    assert cache[TRACKING]["md5"] == hashlib.md5(archives[TRACKING]).hexdigest()
    assert list(read_manifest(tmp_path / "dest")["filename"]) == [TRACKING_CSV], "then organized as usual"

    # A rerun verifies from the cache and fetches nothing.
    fake.requests.clear()
    assert main(_argv(fake, tmp_path, "--what", "tracking")) == 0
    assert fake.content_requests() == []


def test_organize_main_rejects_tracking_with_wrong_md5(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = _tracking_record()
    fake = zenodo(archives, record_id=TRACKING_RECORD_ID, checksums={TRACKING: "md5:" + "0" * 32})

    assert main(_argv(fake, tmp_path, "--what", "tracking")) == 2

    assert not (tmp_path / "source" / TRACKING).exists()
    assert (tmp_path / "source" / "rejected" / f"{TRACKING}.bad").read_bytes() == archives[TRACKING]
    err = capsys.readouterr().err
    assert f"REJECTED {TRACKING}" in err and "0" * 32 in err


def test_organize_main_record_overrides_the_tracking_record(
    zenodo: Callable[..., FakeZenodo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = _tracking_record()
    mirror = zenodo(archives, record_id=4242)

    assert main(_argv(mirror, tmp_path, "--what", "tracking", "--record", "4242")) == 0
    assert mirror.record_requests() == ["/api/records/4242"]
    _assert_valid(tmp_path / "source", TRACKING, archives[TRACKING])

    # Tracking asked of the audio-video record: the error names the record that has it.
    main_record = zenodo(_ravdess_audio())
    argv = _argv(main_record, tmp_path / "again", "--what", "tracking", "--record", str(RECORD))
    assert main(argv) == 2
    assert main_record.content_requests() == []
    err = capsys.readouterr().err
    assert f"record {RECORD}" in err and f"lists no {TRACKING}" in err
    assert f"in Zenodo record {TRACKING_RECORD_ID}" in err
