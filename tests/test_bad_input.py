"""Bad input at every stage: each ends in a one-line message naming the file, the run goes on,
the skips are counted, and ``--strict`` fails; nothing is ever unpickled or executed.

Cases (numbered in the comments, 34 in all):

- media (data_loader): empty WAV, WAV cut inside its header, WAV cut in half (decodes shorter),
  silent WAV, text named .wav, empty MP4, truncated MP4 (index at the end), truncated MP4
  (index first), black MP4 (9)
- a run over bad media: skipped, counted, replayed from the cache, ``--strict`` fails (1)
- fusion: take without its audio-video clip, take whose only audio (the clip's soundtrack) fails (2)
- caches: truncated, corrupt byte, missing member, pickled object array, written for other
  settings (5); a changed setting or FEATURE_VERSION gives another file (2)
- organize: random bytes named .zip, official-layout zip cut in half, zip member with a bad CRC,
  0-byte .wav, 0-byte .mp4, 0-byte archive member (6)
- models and predict.py: random bytes .h5 (with and without .json), plain Keras model without
  .json, unknown model_class, .json that is not JSON, kind, feature settings or emotions
  tampered, .wav given to a video model (9)

Beside them, two checks that no code runs from a file: a Keras file with a Lambda layer is
refused (safe_mode stays on), and the project's models hold no Lambda layer.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import shutil
import zipfile
from pathlib import Path

import av
import cv2
import keras
import numpy as np
import pytest
import soundfile as sf

import data_loader
import organize_data
import predict
from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus.demo import synthesize_voice, write_demo_dataset
from ravdess_emotion.corpus.organize import EMPTY, UNREADABLE, organize, read_manifest
from ravdess_emotion.features import caches as feature_caches
from ravdess_emotion.features import loader as feature_loader
from ravdess_emotion.features.audio import extract_mfcc
from ravdess_emotion.features.caches import CacheError, load_features, save_features
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.video import sample_frames
from ravdess_emotion.features.views import audio_view, view_named
from ravdess_emotion.models import AudioEmotionCNNLSTM, EmotionModel, VideoEmotion3DCNNLSTM
from tests.model_inputs import small_inputs, view_ensemble

SETTINGS = FeatureSettings(n_mfcc=13, max_frames=40, video_frames=4, video_size=(16, 16))


def _wav(seed: int, seconds: float = 0.3, silent: bool = False) -> bytes:
    samples = np.random.default_rng(seed).uniform(-0.5, 0.5, int(48000 * seconds)).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, samples * (not silent), 48000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _mp4_cv2(path: Path, frames: list[np.ndarray]) -> Path:
    """mp4v via OpenCV: the index (moov) is written at the end."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _mp4_faststart(path: Path, n_frames: int = 60) -> Path:
    """H.264 with the index first, as the RAVDESS originals: a cut-off copy still opens."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "h264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(n_frames):
            image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------- media


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("empty", "empty file \\(0 bytes\\)"),  # 1
        ("cut in header", "cannot decode audio|no audio samples"),  # 2
        ("silent", "pure silence"),  # 3
        ("text", "cannot decode audio"),  # 4
    ],
)
def test_bad_wav_raises_media_error(case: str, match: str, tmp_path: Path) -> None:
    data = {"empty": b"", "cut in header": _wav(1)[:30], "silent": _wav(1, silent=True), "text": b"hello"}
    path = tmp_path / "03-01-01-01-01-01-01.wav"
    path.write_bytes(data[case])
    with pytest.raises(MediaError, match=match) as raised:
        extract_mfcc(path, SETTINGS)
    assert path.name in str(raised.value) and "\n" not in str(raised.value)


def test_wav_cut_in_half_decodes_shorter(tmp_path: Path) -> None:  # 5
    whole = _wav(2, seconds=0.5)
    path, uncut = tmp_path / "half.wav", tmp_path / "whole.wav"
    path.write_bytes(whole[: len(whole) // 2])
    uncut.write_bytes(whole)
    settings = FeatureSettings(max_frames=40)
    mfcc, full = extract_mfcc(path, settings), extract_mfcc(uncut, settings)
    assert mfcc.shape == full.shape == (13, 40) and np.isfinite(mfcc).all()
    # Half the audio: half the frames hold sound (the rest is the zero padding), the same as the uncut file's.
    heard, heard_uncut = (int((np.abs(m).sum(axis=0) > 0).sum()) for m in (mfcc, full))
    assert abs(heard - heard_uncut / 2) <= 2 and heard_uncut < 40
    np.testing.assert_allclose(mfcc[:, : heard - 2], full[:, : heard - 2], atol=1e-3)


def test_bad_mp4_raises_media_error(tmp_path: Path) -> None:  # 6-9
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    rng = np.random.default_rng(0)
    clip = _mp4_cv2(tmp_path / "clip.mp4", [rng.integers(0, 256, (48, 64, 3), np.uint8) for _ in range(30)])
    cut_index_last = tmp_path / "cut_index_last.mp4"
    cut_index_last.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    faststart = _mp4_faststart(tmp_path / "faststart.mp4")
    cut_index_first = tmp_path / "cut_index_first.mp4"
    cut_index_first.write_bytes(faststart.read_bytes()[: faststart.stat().st_size // 2])
    black = _mp4_cv2(tmp_path / "black.mp4", [np.zeros((48, 64, 3), np.uint8)] * 30)
    cases = {
        empty: "cannot open video",
        cut_index_last: "cannot open video",
        cut_index_first: "truncated|no frame could be decoded",
        black: "video is black",
    }
    for path, match in cases.items():
        with pytest.raises(MediaError, match=match) as raised:
            sample_frames(path, 8, (16, 16))
        assert path.name in str(raised.value) and "\n" not in str(raised.value)
    # The intact files decode, and so does a dark but not black clip.
    assert sample_frames(faststart, 8, (16, 16)).shape == (8, 16, 16, 3)
    dim = _mp4_cv2(tmp_path / "dim.mp4", [np.full((48, 64, 3), 40, np.uint8)] * 10)
    assert sample_frames(dim, 4, (16, 16)).max() > 8


# --------------------------------------------------------------------------- a run over bad media


@pytest.fixture
def mixed_audio(tmp_path: Path) -> Path:
    """An organized folder of 4 good WAVs and 3 that were damaged after organizing (or are silent).

    organize_data.py refuses undecodable files, so the damage is done to the organized
    copies: the loader must still cope with files that break after they were organized.
    """
    files = {f"Actor_01/03-01-0{e}-01-01-01-01.wav": _wav(e) for e in range(1, 8)}
    files["Actor_01/03-01-06-01-01-01-01.wav"] = _wav(6, silent=True)
    for relative, data in files.items():
        (tmp_path / "source" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "source" / relative).write_bytes(data)
    organized = tmp_path / "organized"
    assert organize(tmp_path / "source", organized, progress=False).written == 7
    damage = {"03-01-05-01-01-01-01.wav": _wav(5)[:30], "03-01-07-01-01-01-01.wav": b"RIFF but nothing after"}
    for path in organized.rglob("03-*.wav"):
        if path.name in damage:
            path.write_bytes(damage[path.name])  # cut inside the header; a header and nothing after
    return organized


@pytest.mark.slow
def test_undecodable_files_are_skipped_counted_and_strict_fails(
    mixed_audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # 10
    argv = ["--data-dir", str(mixed_audio), "--kinds", "audio", "--channels", "speech", "--jobs", "1"]
    argv += ["--max-frames", "40", "--cache-dir", str(tmp_path / "cache")]
    assert data_loader.main(argv) == 0
    captured = capsys.readouterr()
    assert "4 samples" in captured.out and "3 files skipped" in captured.out
    for bad in ("03-01-05", "03-01-06", "03-01-07"):
        assert any(line.startswith("skipped: ") and bad in line for line in captured.err.splitlines())

    # From the cache, the skips are still counted and --strict still fails.
    loader = RAVDESSDataLoader(mixed_audio, cache_dir=tmp_path / "cache", max_frames=40, progress=False)
    X, _ = loader.load_audio_dataset("speech")
    assert len(X) == 4 and len(loader.skipped) == 3
    assert data_loader.main([*argv, "--strict"]) == 2
    error = _one_line(capsys.readouterr().err)
    assert "strict: 3 skipped" in error and "03-01-07-01-01-01-01.wav" in error
    strict = RAVDESSDataLoader(
        mixed_audio, cache_dir=tmp_path / "other", max_frames=40, progress=False, strict=True
    )
    with pytest.raises(MediaError, match=r"03-01-05-01-01-01-01\.wav"):
        strict.load_audio_dataset("speech")


# --------------------------------------------------------------------------- fusion


def test_fusion_reports_takes_with_one_side_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source"
    write_demo_dataset(
        source,
        actors=[1],
        channels=("speech",),
        statements=(1,),
        video_size=(64, 36),
        n_jobs=1,
        progress=False,
    )
    actor = source / "Actor_01"
    (actor / "01-01-02-01-01-01-01.mp4").unlink()  # 11: audio, no audio-video clip
    (actor / "03-01-03-01-01-01-01.wav").unlink()  # no audio-only file: the soundtrack stands in
    (actor / "03-01-04-01-01-01-01.wav").unlink()  # 12: ... and its soundtrack is silent
    shutil.copyfile(actor / "02-01-04-01-01-01-01.mp4", actor / "01-01-04-01-01-01-01.mp4")
    organize(source, tmp_path / "organized", progress=False)
    loader = RAVDESSDataLoader(tmp_path / "organized", SETTINGS, cache_dir=tmp_path / "cache", progress=False)
    rows = loader.select("fusion", "speech")
    assert len(rows) == 7  # which rows are chosen does not change

    _, y, info = loader.load_multimodal_dataset("speech", return_info=True)
    assert len(y) == 6 and "01-01-03" in "".join(info["filename"])  # the soundtrack stood in
    assert len(loader.skipped) == 2
    missing_clip, silent = loader.skipped
    assert (
        missing_clip
        == "take 01-02-01-01-01-01 (03-01-02-01-01-01-01.wav): no audio-video clip, skipped for fusion"
    )
    assert silent.startswith("take 01-04-01-01-01-01: no audio-only file, and the clip's soundtrack failed")
    assert "silence" in silent or "no audio track" in silent
    err = capsys.readouterr().err
    assert all(f"skipped: {message}" in err for message in loader.skipped)
    strict = RAVDESSDataLoader(tmp_path / "organized", SETTINGS, cache_dir=tmp_path / "cache", strict=True)
    with pytest.raises(MediaError, match="strict: 2 skipped for fusion speech"):
        strict.load_multimodal_dataset("speech")


# --------------------------------------------------------------------------- caches


class _RunsCode:
    """Unpickling this would create ``marker``: proof that a cache is never unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _spoil(case: str, path: Path, tmp_path: Path) -> None:
    good = path.read_bytes()
    if case == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif case == "corrupt byte":
        spoiled = bytearray(good)
        spoiled[len(good) // 2] ^= 0xFF
        path.write_bytes(bytes(spoiled))
    elif case == "missing member":
        X, _, _ = load_features(path)
        with path.open("wb") as out:
            np.savez(out, X0=X)
    elif case == "pickled objects":
        with path.open("wb") as out:
            np.savez(out, X0=np.array([_RunsCode(tmp_path / "ran")], dtype=object), y=np.array([0]))
    elif case == "other settings":
        X, y, info = load_features(path)
        save_features(path, X * 0, y, info, meta={"key": '{"settings": "other"}'})


@pytest.mark.parametrize(
    "case", ["truncated", "corrupt byte", "missing member", "pickled objects", "other settings"]
)  # 13-17
def test_bad_cache_is_detected_and_rebuilt(
    case: str, mixed_audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def make_loader() -> RAVDESSDataLoader:
        return RAVDESSDataLoader(mixed_audio, cache_dir=tmp_path / "cache", max_frames=40, progress=False)

    X, y = make_loader().load_audio_dataset("speech")
    path = make_loader().cache_path("audio", "speech")
    _spoil(case, path, tmp_path)
    if case != "other settings":
        with pytest.raises(CacheError, match=path.name):
            load_features(path)
    capsys.readouterr()

    X_again, y_again = make_loader().load_audio_dataset("speech")
    assert "rebuilding it" in capsys.readouterr().err
    np.testing.assert_array_equal(X_again, X)
    np.testing.assert_array_equal(y_again, y)
    load_features(path)  # the rebuilt cache is whole
    assert not (tmp_path / "ran").exists()


def test_pickled_cache_is_refused_by_load_features(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, X0=np.array([_RunsCode(tmp_path / "ran")], dtype=object), y=np.array([0]))
    with pytest.raises(CacheError, match="pickled objects, refused"):
        load_features(path)
    assert not (tmp_path / "ran").exists()
    assert pickle.loads(pickle.dumps(_RunsCode(tmp_path / "ran"))) is None  # the payload is real
    assert (tmp_path / "ran").exists()


@pytest.mark.parametrize("change", ["n_mfcc", "FEATURE_VERSION"])  # 18-19
def test_other_settings_or_version_use_another_cache(
    change: str, mixed_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = RAVDESSDataLoader(mixed_audio, cache_dir=tmp_path, max_frames=40, progress=False)
    loader.load_audio_dataset("speech")
    old = loader.cache_path("audio", "speech")
    if change == "n_mfcc":
        other = RAVDESSDataLoader(mixed_audio, cache_dir=tmp_path, max_frames=40, n_mfcc=20, progress=False)
    else:
        monkeypatch.setattr(feature_caches, "FEATURE_VERSION", feature_caches.FEATURE_VERSION + 1)
        other = RAVDESSDataLoader(mixed_audio, cache_dir=tmp_path, max_frames=40, progress=False)
    loaded: list[Path] = []
    real_load = feature_loader.load_features
    monkeypatch.setattr(
        feature_loader, "load_features", lambda path: loaded.append(Path(path)) or real_load(path)
    )
    X, _ = other.load_audio_dataset("speech")
    new = other.cache_path("audio", "speech")
    assert new != old and new.exists() and old.exists()
    assert loaded == []  # extracted afresh: the old cache was never read
    assert X.shape[1] == (20 if change == "n_mfcc" else 13)
    other.load_audio_dataset("speech")
    assert loaded == [new]


# --------------------------------------------------------------------------- organize


def _official_zip(path: Path, n: int = 12, compression: int = zipfile.ZIP_DEFLATED) -> dict[str, bytes]:
    members = {
        f"Actor_01/03-01-0{1 + i % 8}-01-0{1 + i // 8}-01-01.wav": _wav(i, seconds=0.2) for i in range(n)
    }
    with zipfile.ZipFile(path, "w", compression) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return members


def test_corrupt_and_truncated_zips_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, dest = tmp_path / "source", tmp_path / "dest"
    source.mkdir()
    (source / "Audio_Song_Actors_01-24.zip").write_bytes(np.random.default_rng(0).bytes(5000))  # 20
    _official_zip(tmp_path / "whole.zip")
    whole = (tmp_path / "whole.zip").read_bytes()
    (source / "Audio_Speech_Actors_01-24.zip").write_bytes(whole[: len(whole) // 2])  # 21
    # 22: intact directory, one member's data damaged (its CRC no longer matches).
    members = _official_zip(source / "Video_Speech_Actor_02.zip", n=3, compression=zipfile.ZIP_STORED)
    damaged = bytearray((source / "Video_Speech_Actor_02.zip").read_bytes())
    with zipfile.ZipFile(source / "Video_Speech_Actor_02.zip") as archive:
        first = archive.infolist()[0]
    start = first.header_offset + 30 + len(first.filename.encode()) + len(first.extra)
    damaged[start + first.compress_size // 2] ^= 0xFF
    (source / "Video_Speech_Actor_02.zip").write_bytes(bytes(damaged))
    (source / "Actor_01").mkdir()
    (source / "Actor_01" / "03-01-08-02-02-02-01.wav").write_bytes(_wav(99))

    report = organize(source, dest, progress=False)
    reasons = dict(report.skipped)
    assert report.written == 3  # the loose file and the two intact members: the rest went on
    assert reasons[str(source / "Audio_Song_Actors_01-24.zip")].startswith(
        f"{UNREADABLE}: not a readable zip"
    )
    assert reasons[str(source / "Audio_Speech_Actors_01-24.zip")].startswith(
        f"{UNREADABLE}: not a readable zip"
    )
    damaged_label = f"{source / 'Video_Speech_Actor_02.zip'}:{first.filename}"
    assert reasons[damaged_label].startswith(UNREADABLE) and "CRC" in reasons[damaged_label]
    on_disk = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert len(on_disk) == 4 and not [p for p in on_disk if Path(p).name.startswith(".")]  # + manifest
    for row in read_manifest(dest).itertuples():
        assert (dest / row.path).read_bytes() in (*members.values(), _wav(99))

    argv = ["--source", str(source), "--dest", str(dest)]
    assert organize_data.main(argv) == 0
    out = capsys.readouterr().out
    assert f"skipped, {UNREADABLE}: 3" in out and "Audio_Song_Actors_01-24.zip: not a readable zip" in out
    assert organize_data.main([*argv, "--strict"]) == 2


def test_empty_media_files_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # 23-25
    source = tmp_path / "source"
    (source / "Actor_01").mkdir(parents=True)
    (source / "Actor_01" / "03-01-01-01-01-01-01.wav").write_bytes(b"")
    (source / "Actor_01" / "01-01-01-01-01-01-01.mp4").write_bytes(b"")
    (source / "Actor_01" / "03-01-02-01-01-01-01.wav").write_bytes(_wav(1))
    with zipfile.ZipFile(source / "Audio_Song_Actors_01-24.zip", "w") as archive:
        archive.writestr("Actor_01/03-02-01-01-01-01-01.wav", b"")
    report = organize(source, tmp_path / "dest", progress=False)
    assert report.written == 1
    empty = {
        Path(label.rpartition(":")[2]).name for label, reason in report.skipped if reason.startswith(EMPTY)
    }
    assert empty == {"03-01-01-01-01-01-01.wav", "01-01-01-01-01-01-01.mp4", "03-02-01-01-01-01-01.wav"}
    argv = ["--source", str(source), "--dest", str(tmp_path / "dest"), "--strict"]
    assert organize_data.main(argv) == 2
    assert f"skipped, {EMPTY}: 3" in capsys.readouterr().out


# --------------------------------------------------------------------------- models and predict.py


def _copy_model(model: Path, folder: Path, metadata: dict | str | None) -> Path:
    copy = folder / model.name
    shutil.copyfile(model, copy)
    if metadata is not None:
        text = metadata if isinstance(metadata, str) else json.dumps(metadata)
        copy.with_suffix(".json").write_text(text)
    return copy


def test_predict_works_on_a_good_model(audio_model: Path, tmp_path: Path, capsys) -> None:
    wav = tmp_path / "03-01-01-01-01-01-01.wav"
    sf.write(wav, synthesize_voice(parse_name(wav), np.random.default_rng(1)), 48000, subtype="PCM_16")
    assert predict.main([str(audio_model), str(wav)]) == 0
    assert wav.name in capsys.readouterr().out


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("random bytes, no .json", "not a loadable model"),  # 26: refused before Keras loads
        ("random bytes with .json", "not a loadable model"),  # 27
        ("network file replaced", "do not belong together.*train the model again"),  # 27b
        ("plain Keras model", "no audio.json beside it"),  # 28
        ("unknown model_class", "not a model of this project"),  # 29
        (".json not JSON", "not the JSON metadata"),  # 30
        ("kind tampered", "says kind 'video'"),  # 31
        ("features tampered", r"asks for features of shape \(40, 40\) but .*audio.h5 takes \(13, 40\)"),  # 32
        ("emotions tampered", r"audio\.json names 6 emotions but .*audio\.h5 has 8 outputs"),  # 33
    ],
)
def test_predict_refuses_foreign_or_tampered_models(
    case: str, match: str, audio_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metadata = json.loads(audio_model.with_suffix(".json").read_text())
    model = tmp_path / "audio.h5"
    if case.startswith("random bytes"):
        model.write_bytes(np.random.default_rng(0).bytes(4000))
        if case == "random bytes with .json":
            # As an older version wrote it, without the network's checksum: the file itself is read.
            without_checksums = {k: v for k, v in metadata.items() if k != "model_files"}
            model.with_suffix(".json").write_text(json.dumps(without_checksums))
    elif case == "network file replaced":
        # Another network of the same class and shape under the name: its metadata is not this one's.
        other = AudioEmotionCNNLSTM()
        other.build_model(audio_view(SETTINGS).shape(SETTINGS))
        other.save(tmp_path / "other.h5", metadata={"features": SETTINGS.to_dict()})
        _copy_model(audio_model, tmp_path, metadata)
        shutil.copyfile(tmp_path / "other.h5", model)
    elif case == "plain Keras model":
        keras.Sequential([keras.Input((13, 40)), keras.layers.Flatten(), keras.layers.Dense(8)]).save(model)
    elif case == "unknown model_class":
        _copy_model(audio_model, tmp_path, {**metadata, "model_class": "Evil"})
    elif case == ".json not JSON":
        _copy_model(audio_model, tmp_path, "{'model_class': ")
    elif case == "kind tampered":
        _copy_model(audio_model, tmp_path, {**metadata, "kind": "video"})
    elif case == "features tampered":
        _copy_model(audio_model, tmp_path, {**metadata, "features": {**metadata["features"], "n_mfcc": 40}})
    elif case == "emotions tampered":
        _copy_model(audio_model, tmp_path, {**metadata, "emotions": metadata["emotions"][:6]})
    wav = tmp_path / "03-01-01-01-01-01-01.wav"
    wav.write_bytes(_wav(1))

    assert predict.main([str(model), str(wav)]) == 2
    error = _one_line(capsys.readouterr().err)
    assert "audio." in error
    assert re.search(match, error), error
    if case == "features tampered":
        assert "audio.json" in error and "audio.h5" in error


def test_wav_given_to_a_video_model_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # 34
    settings = FeatureSettings(video_frames=4, video_size=(16, 16))
    model = VideoEmotion3DCNNLSTM()
    model.build_model(view_named("frames").shape(settings))
    path = model.save(tmp_path / "video.keras", metadata={"features": settings.to_dict()})
    wav = tmp_path / "03-01-01-01-01-01-01.wav"
    wav.write_bytes(_wav(1))
    clip = _mp4_cv2(tmp_path / "02-01-01-01-01-01-01.mp4", [np.full((48, 64, 3), 90, np.uint8)] * 8)
    assert predict.main([str(path), str(wav), str(clip)]) == 0
    captured = capsys.readouterr()
    assert (
        f"skipped: {wav}: a video model reads .mp4 files, not .wav: give it to an audio model" in captured.err
    )
    assert "skipped: 1 not a format this model reads (by extension: .wav 1)" in captured.err
    assert clip.name in captured.out and wav.name not in captured.out
    assert predict.main([str(path), str(wav)]) == 1  # nothing left to predict


# --------------------------------------------------------------------------- no code from files


def test_model_loading_keeps_safe_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    name = str(marker)
    inputs = keras.Input((13, 40))
    outputs = keras.layers.Dense(8)(
        keras.layers.Flatten()(keras.layers.Lambda(lambda x: (open(name, "w").close(), x)[1])(inputs))
    )
    metadata = {
        "model_class": "AudioEmotionCNNLSTM",
        "kind": "audio",
        "num_emotions": 8,
        "learning_rate": 0.001,
        "dropout": 0.5,
        "emotions": [],
        "features": SETTINGS.to_dict(),
    }
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"lambda{suffix}"
        keras.Model(inputs, outputs).save(path)
        path.with_suffix(".json").write_text(json.dumps(metadata))
        marker.unlink(missing_ok=True)  # building and saving the graph may call the lambda
        with pytest.raises(ValueError, match=f"{path.name}: not a loadable model.*arbitrary code execution"):
            EmotionModel.load(path)
        assert predict.main([str(path), str(tmp_path)]) == 2
        assert "Lambda" in _one_line(capsys.readouterr().err)
    assert not marker.exists()


@pytest.mark.slow
def test_project_models_have_no_lambda_layers() -> None:
    from ravdess_emotion.models import MODEL_CLASSES

    shapes = {
        "AudioEmotionCNNLSTM": (13, 40),
        "AudioEmotionAttentionCNNLSTM": (13, 40),
        "AudioEmotionMLP": (40,),
        "AudioEmotionLogistic": (40,),
        "AudioEmotionLayerWeighting": (7 * 16,),  # 7 layer blocks of pooled encoder states
        "VideoEmotion3DCNNLSTM": (4, 16, 16, 3),
        "MultimodalEmotionFusion": ((13, 40), (4, 16, 16, 3)),
        "AUEmotionLogistic": (35,),
        "AUEmotionLSTM": (8, 35),
        "AudioAUEmotionFusion": ((13, 40), (8, 35)),
        "AudioAULateFusion": ((40,), (35,)),
    }
    assert set(shapes) | {"AudioViewsEnsemble"} == set(MODEL_CLASSES)
    networks = [MODEL_CLASSES[name]().build_model(shape) for name, shape in shapes.items()]
    # An ensemble is made of trained members; its members' layers are inside it.
    networks.append(view_ensemble(small_inputs(8, 40, (4, 16)), np.arange(8)).model)
    for network in networks:
        layers = [network]
        while layers:
            layer = layers.pop()
            assert not isinstance(layer, keras.layers.Lambda), network.name
            layers += getattr(layer, "layers", [])
