"""Tests for organize_data.py: archives, extracted folders, safety, idempotence, manifest."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from organize_data import main
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus import demo as demo_data
from ravdess_emotion.corpus.media import PROBE_COLUMNS
from ravdess_emotion.corpus.organize import (
    CONFLICT,
    MANIFEST_COLUMNS,
    MANIFEST_NAME,
    NOT_MEDIA,
    NOT_RAVDESS,
    UNSAFE_MEMBER,
    WRONG_ACTOR_FOLDER,
    WRONG_EXTENSION,
    organize,
    organized_path,
    read_manifest,
    skip_kind,
    summary_table,
)


def _audio_bytes(seed: int, audio_format: str = "WAV") -> bytes:
    """0.1 s of 48 kHz noise, different for every seed."""
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, 4800).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, noise, 48000, format=audio_format, subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("mp4") / "tiny.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (32, 18))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for shade in range(3):
        writer.write(np.full((18, 32, 3), 80 * shade, np.uint8))
    writer.release()
    return path.read_bytes()


def _write_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member), data)
    return path


def _write_files(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _tiny_archives(source: Path, mp4: bytes) -> dict[str, bytes]:
    """The official archive layout in miniature; returns organized path -> content."""
    speech = {
        "Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1),
        "Actor_01/03-01-03-02-01-02-01.wav": _audio_bytes(2),
        "Actor_02/03-01-05-01-02-01-02.wav": _audio_bytes(3),
    }
    song = {"Actor_01/03-02-02-01-01-01-01.wav": _audio_bytes(4)}
    video = {
        "Actor_01/01-01-01-01-01-01-01.mp4": mp4,
        "Actor_01/02-01-01-01-01-01-01.mp4": mp4,
    }
    _write_zip(source / "Audio_Speech_Actors_01-24.zip", {"Actor_01/": b"", **speech})
    _write_zip(source / "Audio_Song_Actors_01-24.zip", song)
    _write_zip(source / "Video_Speech_Actor_01.zip", video)
    return {
        organized_path(parse_name(member), Path(member).suffix).as_posix(): data
        for member, data in {**speech, **song, **video}.items()
    }


def _file_states(root: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(root).as_posix(): path.stat().st_mtime_ns
        for path in root.rglob("*")
        if path.is_file()
    }


def _reasons(report) -> dict[str, str]:
    return {Path(label.rpartition(":")[2]).name: reason for label, reason in report.skipped}


@pytest.mark.slow
def test_real_official_audio_archives(ravdess_audio: Path, tmp_path: Path) -> None:
    make_zips = ravdess_audio / "make_zips.py"
    source, dest = tmp_path / "downloads", tmp_path / "organized"
    subprocess.run([sys.executable, str(make_zips), str(source), "--actors", "1-2"], check=True)
    archives_before = _file_states(source)

    report = organize(source, dest, progress=False)

    assert (report.written, report.unchanged, report.duplicates, report.skipped) == (208, 0, 0, [])
    manifest = read_manifest(dest)
    assert list(manifest.columns) == [*MANIFEST_COLUMNS, "content", *PROBE_COLUMNS]
    assert set(manifest["content"]) == {"audio"}
    # What the probe found is what the release holds (shared/ravdess/MANIFEST.tsv lists it).
    release = pd.read_csv(ravdess_audio / "MANIFEST.tsv", sep="\t", dtype=str).set_index("original")
    expected = release.loc[manifest["filename"]]
    assert (manifest["sample_rate"].to_numpy() == 48000).all() and manifest["frames"].isna().all()
    assert (manifest["channels"].to_numpy() == expected["channels"].astype(int).to_numpy()).all()
    frames = expected["frames"].astype(int).to_numpy()
    assert np.allclose(manifest["duration_s"].to_numpy(), frames / 48000, atol=1e-4)
    assert manifest.groupby(["actor", "channel"]).size().to_dict() == {
        (1, "song"): 44,
        (1, "speech"): 60,
        (2, "song"): 44,
        (2, "speech"): 60,
    }
    assert manifest["path"].is_monotonic_increasing
    for row in manifest.itertuples():
        assert (dest / row.path).is_file()
        assert row.path == organized_path(parse_name(row.filename), ".wav").as_posix()

    row = manifest.set_index("filename").loc["03-01-06-02-02-02-02.wav"]
    assert row["path"] == "audio/speech/fearful/03-01-06-02-02-02-02.wav"
    assert (row["modality"], row["modality_name"], row["vocal_channel"], row["channel"]) == (
        3,
        "audio-only",
        1,
        "speech",
    )
    assert (row["emotion_code"], row["emotion"], row["intensity"], row["statement"]) == (6, "fearful", 2, 2)
    assert (row["repetition"], row["actor"], row["gender"], row["take"]) == (
        2,
        2,
        "female",
        "01-06-02-02-02-02",
    )
    assert row["source"] == str(source / "Audio_Speech_Actors_01-24.zip")
    with zipfile.ZipFile(source / "Audio_Speech_Actors_01-24.zip") as archive:
        original = archive.read("Actor_02/03-01-06-02-02-02-02.wav")
    assert row["bytes"] == len(original)
    assert row["sha256"] == hashlib.sha256(original).hexdigest()
    assert (dest / row["path"]).read_bytes() == original
    assert _file_states(source) == archives_before, "archives must stay untouched"
    song = manifest[manifest["channel"] == "song"]
    assert set(song["path"].str.split("/").str[1]) == {"song"}
    assert set(song["emotion"]) == {"neutral", "calm", "happy", "sad", "angry", "fearful"}


def test_tiny_archives_with_video(tmp_path: Path, tiny_mp4: bytes) -> None:
    source, dest = tmp_path / "source", tmp_path / "dest"
    expected = _tiny_archives(source, tiny_mp4)

    report = organize(source, dest, progress=False)

    assert (report.written, report.skipped) == (len(expected), [])
    for relative, data in expected.items():
        assert (dest / relative).read_bytes() == data
    manifest = read_manifest(dest).set_index("filename")
    assert manifest.loc["01-01-01-01-01-01-01.mp4", "path"] == "video/speech/neutral/01-01-01-01-01-01-01.mp4"
    assert manifest.loc["01-01-01-01-01-01-01.mp4", "modality_name"] == "audio-video"
    assert manifest.loc["02-01-01-01-01-01-01.mp4", "modality"] == 2
    assert manifest.loc["02-01-01-01-01-01-01.mp4", "modality_name"] == "video-only"
    assert manifest.loc["03-02-02-01-01-01-01.wav", "path"] == "audio/song/calm/03-02-02-01-01-01-01.wav"
    assert manifest.loc["01-01-01-01-01-01-01.mp4", "source"] == str(source / "Video_Speech_Actor_01.zip")


def test_extracted_folders_with_flac(tmp_path: Path) -> None:
    source, dest = tmp_path / "source", tmp_path / "dest"
    flac = _audio_bytes(5, "FLAC")
    _write_files(
        source,
        {
            "Actor_01/03-01-02-01-01-01-01.flac": flac,
            "nested/deeper/Actor_03/03-02-04-02-02-01-03.wav": _audio_bytes(6),
        },
    )

    report = organize(source, dest, progress=False)

    assert (report.written, report.skipped) == (2, [])
    organized_flac = dest / "audio/speech/calm/03-01-02-01-01-01-01.flac"
    assert organized_flac.read_bytes() == flac
    assert sf.info(organized_flac).samplerate == 48000
    manifest = read_manifest(dest).set_index("filename")
    assert manifest.loc["03-01-02-01-01-01-01.flac", "source"] == str(source / "Actor_01")
    assert manifest.loc["03-02-04-02-02-01-03.wav", "path"] == "audio/song/sad/03-02-04-02-02-01-03.wav"
    assert manifest.loc["03-02-04-02-02-01-03.wav", "gender"] == "male"


def test_second_run_changes_nothing(tmp_path: Path, tiny_mp4: bytes) -> None:
    # The destination lies inside the source, as data/organized does inside data/.
    source = tmp_path / "data"
    dest = source / "organized"
    expected = _tiny_archives(source, tiny_mp4)
    _write_files(source, {"Actor_04/03-01-07-01-01-01-04.flac": _audio_bytes(7, "FLAC")})
    first = organize(source, dest, progress=False)
    manifest_bytes = (dest / MANIFEST_NAME).read_bytes()
    states = _file_states(dest)

    second = organize(source, dest, progress=False)

    assert first.written == len(expected) + 1
    assert (second.written, second.unchanged, second.duplicates, second.skipped) == (0, first.written, 0, [])
    assert (dest / MANIFEST_NAME).read_bytes() == manifest_bytes
    assert _file_states(dest) == states


def test_earlier_files_stay_in_manifest(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    _write_files(tmp_path / "first", {"Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1)})
    _write_files(tmp_path / "second", {"Actor_02/03-01-01-01-01-01-02.wav": _audio_bytes(2)})
    organize(tmp_path / "first", dest, progress=False)
    organize(tmp_path / "second", dest, progress=False)

    manifest = read_manifest(dest).set_index("filename")

    assert manifest["source"].to_dict() == {
        "03-01-01-01-01-01-01.wav": str(tmp_path / "first" / "Actor_01"),
        "03-01-01-01-01-01-02.wav": str(tmp_path / "second" / "Actor_02"),
    }


def test_escaping_archive_members_are_refused(tmp_path: Path) -> None:
    work = tmp_path / "work"
    archive = _write_zip(
        work / "source" / "evil.zip",
        {
            "../evil.wav": b"x",
            "../03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "/abs/03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "Actor_01/../../03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "C:/temp/03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "..\\03-01-01-01-01-01-01.wav": _audio_bytes(1),
        },
    )
    dest = work / "dest"

    report = organize(work / "source", dest, progress=False)

    assert report.written == 0
    assert len(report.skipped) == 6
    assert all(skip_kind(reason) == UNSAFE_MEMBER for _, reason in report.skipped)
    assert {label for label, _ in report.skipped} >= {
        f"{archive}:../evil.wav",
        f"{archive}:/abs/03-01-01-01-01-01-01.wav",
    }
    # Nothing was organized, so no manifest either: an empty one would hide that.
    assert sorted(_file_states(tmp_path)) == ["work/source/evil.zip"]
    assert not Path("/abs/03-01-01-01-01-01-01.wav").exists()


@pytest.fixture
def foreign_source(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    _write_files(
        source,
        {
            "Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "Actor_01/03-01-01-01-01-01.wav": _audio_bytes(2),
            "Actor_01/03-01-09-01-01-01-01.wav": _audio_bytes(3),
            "Actor_25/03-01-01-01-01-01-25.wav": _audio_bytes(4),
            "Actor_02/03-01-02-01-01-01-01.wav": _audio_bytes(5),
            "Actor_01/03-01-03-01-01-01-01.mp4": b"not audio",
            "Actor_01/01-01-03-01-01-01-01.wav": _audio_bytes(6),
            "Actor_01/03-01-04-01-01-01-01.mp3": b"mp3",
            "README.txt": b"RAVDESS",
            ".DS_Store": b"\0",
            "__MACOSX/Actor_01/._03-01-05-01-01-01-01.wav": b"\0",
        },
    )
    _write_zip(source / "Video_Speech_Actor_01.zip", {"Actor_01/notes.txt": b"x", "__MACOSX/._x.mp4": b"\0"})
    return source


def test_foreign_files_are_skipped_with_reasons(foreign_source: Path, tmp_path: Path) -> None:
    report = organize(foreign_source, tmp_path / "dest", progress=False)

    assert report.written == 1
    reasons = _reasons(report)
    assert reasons["03-01-01-01-01-01.wav"].startswith(NOT_RAVDESS)
    assert "7" in reasons["03-01-01-01-01-01.wav"]
    assert reasons["03-01-09-01-01-01-01.wav"].startswith(NOT_RAVDESS)
    assert "emotion 09" in reasons["03-01-09-01-01-01-01.wav"]
    assert "actor 25" in reasons["03-01-01-01-01-01-25.wav"]
    assert reasons["03-01-02-01-01-01-01.wav"].startswith(WRONG_ACTOR_FOLDER)
    assert "Actor_02" in reasons["03-01-02-01-01-01-01.wav"]
    for wrong_extension in (
        "03-01-03-01-01-01-01.mp4",
        "01-01-03-01-01-01-01.wav",
        "03-01-04-01-01-01-01.mp3",
    ):
        assert reasons[wrong_extension].startswith(WRONG_EXTENSION)
    for not_media in ("README.txt", ".DS_Store", "._03-01-05-01-01-01-01.wav", "notes.txt", "._x.mp4"):
        assert reasons[not_media] == NOT_MEDIA
    assert len(report.skipped) == 12


def test_main_reports_skips_and_strict_fails(
    foreign_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "dest"

    assert main(["--source", str(foreign_source), "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "total" in out
    assert f"skipped, {NOT_RAVDESS}: 3" in out
    assert "03-01-09-01-01-01-01.wav" in out
    assert f"skipped, {WRONG_ACTOR_FOLDER}: 1" in out
    assert f"skipped, {NOT_MEDIA}: 5" in out
    assert "README.txt" not in out, "non-media files are counted, not listed"

    assert main(["--source", str(foreign_source), "--dest", str(dest), "--strict"]) == 2


def test_strict_tolerates_non_media_files(tmp_path: Path) -> None:
    _write_files(
        tmp_path / "source",
        {"Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1), "README.txt": b"x", ".DS_Store": b"x"},
    )
    argv = ["--source", str(tmp_path / "source"), "--dest", str(tmp_path / "dest"), "--strict"]
    assert main(argv) == 0


def test_conflict_keeps_first_and_counts_duplicates(tmp_path: Path) -> None:
    source, dest = tmp_path / "source", tmp_path / "dest"
    name = "Actor_01/03-01-08-01-01-01-01"
    first = _audio_bytes(1)
    _write_files(
        source,
        {
            f"a/{name}.wav": first,
            f"b/{name}.wav": _audio_bytes(2),
            f"c/{name}.wav": first,
            f"d/{name}.flac": _audio_bytes(1, "FLAC"),
        },
    )
    organized = dest / "audio/speech/surprised/03-01-08-01-01-01-01.wav"

    for run in range(2):
        report = organize(source, dest, progress=False)

        assert (report.written, report.unchanged) == ((1, 0) if run == 0 else (0, 1))
        assert report.duplicates == 1
        assert sorted(label for label, _ in report.skipped) == [
            str(source / f"b/{name}.wav"),
            str(source / f"d/{name}.flac"),
        ]
        assert all(skip_kind(reason) == CONFLICT for _, reason in report.skipped)
        assert organized.read_bytes() == first
        assert not organized.with_suffix(".flac").exists()
        assert read_manifest(dest)["source"].tolist() == [str(source / "a" / "Actor_01")]

    # A later run with other content under the same name never overwrites either.
    _write_files(tmp_path / "later", {f"{name}.wav": _audio_bytes(3)})
    report = organize(tmp_path / "later", dest, progress=False)
    assert report.written == 0
    assert skip_kind(report.skipped[0][1]) == CONFLICT
    assert organized.read_bytes() == first


def test_real_videos_keep_both_video_modalities(ravdess_video: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"

    report = organize(ravdess_video, dest, progress=False)

    assert report.written == 6
    assert {reason for _, reason in report.skipped} <= {NOT_MEDIA}, "only its MANIFEST.tsv may be skipped"
    manifest = read_manifest(dest)
    assert manifest["path"].str.startswith("video/speech/").all()
    assert manifest.groupby("modality")["modality_name"].agg(["first", "size"]).to_dict("index") == {
        1: {"first": "audio-video", "size": 3},
        2: {"first": "video-only", "size": 3},
    }
    row = manifest.set_index("filename").loc["02-01-04-01-02-01-01.mp4"]
    assert row["path"] == "video/speech/sad/02-01-04-01-02-01-01.mp4"
    original = ravdess_video / "Actor_01" / "02-01-04-01-02-01-01.mp4"
    assert row["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert row["source"] == str(ravdess_video / "Actor_01")


def test_interrupted_copy_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ravdess_emotion.corpus import organize as organize_data

    source, dest = tmp_path / "source", tmp_path / "dest"
    _write_files(source, {"Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1)})

    def copy_half_then_fail(stream, out, *args) -> None:
        out.write(stream.read(100))
        raise OSError("disk full")

    monkeypatch.setattr(organize_data.shutil, "copyfileobj", copy_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        organize(source, dest, progress=False)
    assert [path for path in dest.rglob("*") if path.is_file()] == []

    monkeypatch.undo()
    assert organize(source, dest, progress=False).written == 1


def test_missing_or_empty_source_is_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--source", str(missing), "--dest", str(tmp_path / "dest")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert "Audio_Speech_Actors_01-24.zip" in err
    assert "Actor_NN" in err
    assert "--demo" in err

    (tmp_path / "empty").mkdir()
    assert main(["--source", str(tmp_path / "empty"), "--dest", str(tmp_path / "dest")]) == 2
    assert "no RAVDESS media files" in capsys.readouterr().err

    with pytest.raises(FileNotFoundError):
        organize(missing, tmp_path / "dest", progress=False)


def test_read_manifest_types_and_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"organize_data\.py"):
        read_manifest(tmp_path)

    _write_files(tmp_path / "source", {"Actor_10/03-01-03-02-01-01-10.wav": _audio_bytes(1)})
    organize(tmp_path / "source", tmp_path / "dest", progress=False)
    manifest = read_manifest(tmp_path / "dest")

    assert manifest.loc[0, "take"] == "01-03-02-01-01-10"
    assert manifest["actor"].dtype == np.int64
    assert manifest["bytes"].dtype == np.int64
    assert isinstance(manifest.loc[0, "filename"], str)
    table = summary_table(manifest)
    assert table.loc[("audio-only", "speech"), "happy"] == 1
    assert table.loc[("total", ""), "total"] == 1


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--source", "--dest", "--demo", "--demo-actors", "--strict"):
        assert option in text
    for default in ("data/", "data/organized", "data/demo/source", "data/demo/organized", "1-24"):
        assert default in text


def test_demo_dataset_is_organized(tmp_path: Path) -> None:
    written = demo_data.write_demo_dataset(
        tmp_path / "demo_source",
        actors=[1, 2],
        channels=("speech",),
        video_size=(32, 18),
        n_jobs=1,
        progress=False,
    )

    report = organize(tmp_path / "demo_source", tmp_path / "dest", progress=False)

    assert (report.written, report.skipped) == (len(written), [])
    manifest = read_manifest(tmp_path / "dest")
    assert set(manifest["filename"]) == {Path(path).name for path in written}
    assert set(manifest["actor"]) == {1, 2}
    assert set(manifest["channel"]) == {"speech"}


def test_demo_flag_uses_demo_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def write_demo_dataset(dest: Path, actors: list[int], **options) -> list[Path]:
        calls.append((dest, list(actors)))
        _write_files(
            dest,
            {f"Actor_{actor:02d}/03-01-01-01-01-01-{actor:02d}.wav": _audio_bytes(actor) for actor in actors},
        )
        return sorted(dest.rglob("*.wav"))

    # Stands in for the demo generator so main's --demo wiring is tested on its own.
    monkeypatch.setattr(demo_data, "write_demo_dataset", write_demo_dataset)
    monkeypatch.chdir(tmp_path)

    assert main(["--demo", "--demo-actors", "3-4"]) == 0

    assert calls == [(Path("data/demo/source"), [3, 4])]
    assert "SYNTHETIC" in capsys.readouterr().out
    assert len(read_manifest(Path("data/demo/organized"))) == 2
    assert not Path("data/organized").exists()  # never mixed with organized RAVDESS


def test_default_run_ignores_demo_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write_files(
        Path("data"),
        {
            "demo/source/Actor_01/03-01-01-01-01-01-01.wav": _audio_bytes(1),
            "Actor_02/03-01-01-01-01-01-02.wav": _audio_bytes(2),
        },
    )

    assert main([]) == 0

    assert read_manifest(Path("data/organized"))["filename"].tolist() == ["03-01-01-01-01-01-02.wav"]
