"""Bad media is caught where it enters: organize_data.py probes every file it sorts (corpus/media.py).

A source folder mixing good recordings with every kind of bad input ends with exactly the
good files organized, each bad one named with its reason, nothing written outside the
destination, the probe's findings in the manifest, and ``--strict`` failing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

import organize_data
from ravdess_emotion.corpus.media import MediaError, probe_audio, probe_video
from ravdess_emotion.corpus.organize import (
    BAD_MEDIA,
    EMPTY,
    NOT_RAVDESS,
    UNREADABLE,
    UNSAFE_MEMBER,
    organize,
    read_manifest,
)


def _wav(seconds: float = 0.5, rate: int = 48000, channels: int = 1, fmt: str = "WAV") -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    buffer = io.BytesIO()
    sf.write(buffer, np.tile(tone[:, None], (1, channels)), rate, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


def _mp4(path: Path, n_frames: int = 30, size: tuple[int, int] = (64, 48)) -> bytes:
    """H.264 with its index first (as RAVDESS ships), so that a cut-off copy still opens."""
    rng = np.random.default_rng(0)
    width, height = size
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "h264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(n_frames):
            image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


# --------------------------------------------------------------------------- the probe


def test_probe_reads_what_the_header_and_the_data_say(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(_wav(0.5, 22050, channels=2))
    (tmp_path / "a.flac").write_bytes(_wav(0.25, 48000, fmt="FLAC"))
    assert probe_audio(tmp_path / "a.wav").as_dict() == {
        "duration_s": 0.5,
        "sample_rate": 22050,
        "channels": 2,
        "frames": None,
        "fps": None,
        "width": None,
        "height": None,
    }
    assert probe_audio(tmp_path / "a.flac").duration_s == 0.25
    video = probe_video(tmp_path / "v.mp4") if _mp4(tmp_path / "v.mp4", 45, (80, 60)) else None
    assert (video.frames, video.fps, video.width, video.height, video.duration_s) == (45, 30.0, 80, 60, 1.5)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("cut in half", "truncated: the header declares 48000 bytes of audio, the file holds 24000"),
        ("text", "not a readable audio file"),
        ("no samples", "holds no audio samples"),
    ],
)
def test_probe_refuses_bad_audio(case: str, match: str, tmp_path: Path) -> None:
    whole = _wav(0.5)
    data = {
        "cut in half": whole[: 44 + 24000],
        "text": b"plain text, named like a recording",
        "no samples": _wav(0.0),
    }
    path = tmp_path / "03-01-06-01-01-01-01.wav"
    path.write_bytes(data[case])
    with pytest.raises(MediaError, match=match) as raised:
        probe_audio(path, label="the label")
    assert str(raised.value).startswith("the label: ") and "\n" not in str(raised.value)


def test_probe_refuses_bad_video(tmp_path: Path) -> None:
    whole = _mp4(tmp_path / "whole.mp4", n_frames=60)
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MediaError, match=r"truncated: its index declares 60 frames, only \d+ are there"):
        probe_video(tmp_path / "cut.mp4")
    (tmp_path / "text.mp4").write_bytes(b"not a video")
    with pytest.raises(MediaError, match="not a readable video file"):
        probe_video(tmp_path / "text.mp4")
    (tmp_path / "audio.mp4").write_bytes(_wav())  # audio in a .mp4 name: no video stream
    with pytest.raises(MediaError, match=r"has no video stream|not a readable video file"):
        probe_video(tmp_path / "audio.mp4")


# --------------------------------------------------------------------------- organize, the whole mix


@pytest.fixture
def mixed_source(tmp_path: Path) -> dict[str, object]:
    source = tmp_path / "source"
    actor = source / "Actor_01"
    actor.mkdir(parents=True)
    good = {
        "03-01-01-01-01-01-01.wav": _wav(),
        "03-01-02-01-01-01-01.flac": _wav(0.4, fmt="FLAC"),
        "01-01-03-01-01-01-01.mp4": _mp4(tmp_path / "good.mp4"),
    }
    for name, data in good.items():
        (actor / name).write_bytes(data)
    whole = _wav()
    bad = {
        "03-01-04-01-01-01-01.wav": (b"", EMPTY),
        "03-01-05-01-01-01-01.wav": (whole[: len(whole) // 2], BAD_MEDIA),
        "03-01-06-01-01-01-01.wav": (b"a text file with a WAV name", BAD_MEDIA),
        "03-01-09-01-01-01-01.wav": (whole, NOT_RAVDESS),  # emotion 09
        "03-01-01-01-01-01-25.wav": (whole, NOT_RAVDESS),  # actor 25
        "03-01-01-01-01-01.wav": (whole, NOT_RAVDESS),  # six fields
    }
    for name, (data, _) in bad.items():
        (source / name).write_bytes(data)
    (source / "Audio_Song_Actors_01-24.zip").write_bytes(b"PK\x03\x04 corrupt")
    with zipfile.ZipFile(source / "escaping.zip", "w") as archive:
        archive.writestr("../03-01-07-01-01-01-01.wav", whole)
        archive.writestr("/tmp/03-01-08-01-01-01-01.wav", whole)
    labels = {name: kind for name, (_, kind) in bad.items()}
    labels["Audio_Song_Actors_01-24.zip"] = UNREADABLE
    labels["escaping.zip:../03-01-07-01-01-01-01.wav"] = UNSAFE_MEMBER
    labels["escaping.zip:/tmp/03-01-08-01-01-01-01.wav"] = UNSAFE_MEMBER
    return {"source": source, "good": good, "bad": labels}


def test_only_good_media_is_organized_and_every_bad_file_is_named(
    mixed_source: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source: Path = mixed_source["source"]
    dest = tmp_path / "dest"
    outside_before = sorted(
        p for p in tmp_path.parent.rglob("*") if tmp_path not in p.parents and p != tmp_path
    )

    report = organize(source, dest, progress=False)

    assert report.written == 3
    organized = sorted(p.name for p in dest.rglob("*") if p.is_file() and p.name != "manifest.csv")
    assert organized == sorted(mixed_source["good"])
    reasons = {
        Path(label).name if ".zip:" not in label else label.rpartition("/source/")[2]: reason
        for label, reason in report.skipped
    }
    for label, kind in mixed_source["bad"].items():
        assert reasons[label].startswith(f"{kind}: "), (label, reasons.get(label))
    assert len(report.skipped) == len(mixed_source["bad"])
    assert "truncated" in reasons["03-01-05-01-01-01-01.wav"]
    # Nothing outside the destination, and no half-written or temporary file inside it.
    outside_after = sorted(
        p for p in tmp_path.parent.rglob("*") if tmp_path not in p.parents and p != tmp_path
    )
    assert outside_after == outside_before and not Path("/tmp/03-01-08-01-01-01-01.wav").exists()
    assert not [p for p in dest.rglob(".*")]

    manifest = read_manifest(dest).set_index("filename")
    assert manifest.loc["03-01-01-01-01-01-01.wav", ["duration_s", "sample_rate", "channels"]].tolist() == [
        0.5,
        48000,
        1,
    ]
    assert manifest.loc["03-01-02-01-01-01-01.flac", "duration_s"] == 0.4
    video = manifest.loc["01-01-03-01-01-01-01.mp4"]
    assert (video["frames"], video["fps"], video["width"], video["height"]) == (30, 30.0, 64, 48)

    argv = ["--source", str(source), "--dest", str(dest)]
    assert organize_data.main(argv) == 0
    out = capsys.readouterr().out
    assert f"skipped, {BAD_MEDIA}: 2" in out and "03-01-06-01-01-01-01.wav: not a readable audio file" in out
    assert organize_data.main([*argv, "--strict"]) == 2


def test_a_file_damaged_after_organizing_leaves_the_manifest(tmp_path: Path) -> None:
    source = tmp_path / "source" / "Actor_01"
    source.mkdir(parents=True)
    (source / "03-01-01-01-01-01-01.wav").write_bytes(_wav())
    (source / "03-01-02-01-01-01-01.wav").write_bytes(_wav(0.3))
    dest = tmp_path / "dest"
    organize(tmp_path / "source", dest, progress=False)
    # A manifest from before files were probed: its rows carry no probe values.
    manifest_path = dest / "manifest.csv"
    old = read_manifest(dest).drop(
        columns=["duration_s", "sample_rate", "channels", "frames", "fps", "width", "height"]
    )
    old.to_csv(manifest_path, index=False)
    damaged = next(dest.rglob("03-01-02-*.wav"))
    damaged.write_bytes(_wav(0.3)[:100])
    (source / "03-01-02-01-01-01-01.wav").unlink()

    report = organize(tmp_path / "source", dest, progress=False)

    assert read_manifest(dest)["filename"].tolist() == ["03-01-01-01-01-01-01.wav"]
    assert read_manifest(dest)["duration_s"].tolist() == [0.5]  # probed now
    assert [reason.split(":")[0] for _, reason in report.skipped] == [BAD_MEDIA]


def test_a_failed_run_leaves_no_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "source" / "Actor_01"
    source.mkdir(parents=True)
    (source / "03-01-01-01-01-01-01.wav").write_bytes(b"not audio at all")
    dest = tmp_path / "dest"
    assert organize_data.main(["--source", str(tmp_path / "source"), "--dest", str(dest)]) == 2
    assert "error: none of the files" in capsys.readouterr().err
    assert not (dest / "manifest.csv").exists()
