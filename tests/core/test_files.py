"""Atomic writes: a target is either its old content or its complete new content, never half a file."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ravdess_emotion.core.files import (
    TEMPORARY_SUFFIX,
    atomic_path,
    available_cores,
    disk_full_error,
    file_sha256,
    temporary_path,
    write_atomically,
    write_text_atomically,
)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMPORARY_SUFFIX) or ".part" in p.name)


def test_temporary_names_are_hidden_beside_the_target_and_keep_the_suffix_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "models" / "x.keras"
    plain, suffixed = temporary_path(target), temporary_path(target, keep_suffix=True)
    assert plain.parent == suffixed.parent == target.parent
    assert plain.name == f".x.keras.{os.getpid()}{TEMPORARY_SUFFIX}"
    assert suffixed.name.startswith(".x.") and suffixed.suffix == ".keras"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "manifest.csv"
    target.write_text("old")

    def half_then_fail(stream) -> None:
        stream.write(b"new but cut")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_a_full_disk_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "cache.npz"

    def fill_the_disk(stream) -> None:
        stream.write(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match=r"^no space left on device while writing .*deep/cache\.npz$"):
        write_atomically(target, fill_the_disk)
    assert not target.exists() and _leftovers(target.parent) == []
    assert disk_full_error(ValueError("other"), target) is None


def test_a_check_sees_the_complete_file_and_can_refuse_it(tmp_path: Path) -> None:
    target = tmp_path / "clip.wav"
    assert write_atomically(target, lambda s: s.write(b"abc"), check=lambda p: p.read_bytes()) == b"abc"
    assert target.read_bytes() == b"abc"

    def refuse(path: Path) -> None:
        raise ValueError(f"{path.name}: bad media")

    with pytest.raises(ValueError, match="bad media"):
        write_atomically(target, lambda s: s.write(b"broken"), check=refuse)
    assert target.read_bytes() == b"abc" and _leftovers(tmp_path) == []


def test_nested_atomic_paths_rename_both_or_neither(tmp_path: Path) -> None:
    model, metadata = tmp_path / "m.h5", tmp_path / "m.json"
    with (
        pytest.raises(OSError, match=r"while writing .*m\.json$"),
        atomic_path(model, keep_suffix=True) as tmp,
    ):
        tmp.write_bytes(b"weights")
        with atomic_path(metadata) as tmp_json:
            tmp_json.write_bytes(b"{")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert not model.exists() and not metadata.exists() and _leftovers(tmp_path) == []


@given(st.binary(max_size=2000))
def test_text_and_bytes_round_trip_with_their_digest(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "a.bin"
        write_atomically(target, lambda s: s.write(content))
        assert target.read_bytes() == content
        assert file_sha256(target) == hashlib.sha256(content).hexdigest()
        assert write_text_atomically(target, "text").read_text() == "text"


def test_available_cores_is_this_process_share() -> None:
    cores = available_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert cores == len(os.sched_getaffinity(0))


def test_available_cores_reads_the_affinity_mask_else_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5} if pid == 0 else set(), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert available_cores() == 3  # a container or taskset limits the process to 3 of 64
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set())
    assert available_cores() == 1
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS and Windows have no affinity call
    assert available_cores() == 64
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "undeterminable"
    assert available_cores() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 0)
    assert available_cores() == 1
