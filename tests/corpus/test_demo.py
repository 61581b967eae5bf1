"""Tests of ravdess_emotion.corpus.demo: synthetic demo data in the RAVDESS layout.

Small sizes throughout (few actors, tiny frames, low frame rate) so the file runs in
seconds; the learnability checks are real classifiers that can fail.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import av
import cv2
import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ravdess_emotion.core.ravdess import (
    SONG_EMOTIONS,
    SYNTHETIC_MARKER,
    RavdessName,
    actor_folder,
    is_synthetic,
    parse_name,
)
from ravdess_emotion.corpus import demo as demo_data
from ravdess_emotion.corpus.demo import dataset as demo_dataset
from ravdess_emotion.corpus.demo import render_face, synthesize_tracking, synthesize_voice, write_demo_dataset
from ravdess_emotion.corpus.demo.dataset import _take_rng
from ravdess_emotion.corpus.demo.tracking import _tracking_rng
from ravdess_emotion.corpus.tracking import (
    AU_COLUMNS,
    AU_INTENSITY_COLUMNS,
    MIN_CONFIDENCE,
    Tracking,
    read_tracking,
    tracking_text,
)

SMALL_SIZE = (64, 36)  # width, height: even, 16:9
SMALL_FPS = 15.0


def _rng() -> np.random.Generator:
    """A fresh generator, always in the same state: voice and face of one take share it."""
    return np.random.default_rng(7)


def _decode_rgb(path: Path) -> np.ndarray:
    """All video frames of ``path``, shape (n_frames, height, width, 3), uint8 RGB."""
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def _tree(root: Path) -> dict[str, int]:
    """Every file under ``root`` but the synthetic-data marker (relative path -> mtime in ns)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and p.name != SYNTHETIC_MARKER
    }


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """Actors 1 and 2, speech and song, both statements, normal intensity, with video."""
    dest = tmp_path_factory.mktemp("demo")
    paths = write_demo_dataset(
        dest, actors=[1, 2], video_size=SMALL_SIZE, fps=SMALL_FPS, n_jobs=1, progress=False
    )
    return dest, paths


# --------------------------------------------------------------------------------------
# Layout and formats
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_names_folders_and_counts(small_dataset: tuple[Path, list[Path]]) -> None:
    dest, paths = small_dataset
    assert paths == sorted(paths)
    assert all(p.is_file() for p in paths)
    # Nothing else under dest but the marker that says it is not RAVDESS: no temp files, no stray folders.
    assert {p.relative_to(dest) for p in dest.rglob("*") if p.is_file()} == {
        Path(SYNTHETIC_MARKER),
        *(p.relative_to(dest) for p in paths),
    }
    assert is_synthetic(dest) and "SYNTHETIC" in (dest / SYNTHETIC_MARKER).read_text()
    assert sorted(d.name for d in dest.iterdir()) == ["Actor_01", "Actor_02", SYNTHETIC_MARKER]

    names = [parse_name(p) for p in paths]
    for path, name in zip(paths, names, strict=True):
        assert path.parent.name == actor_folder(name.actor)
        assert path.name == name.filename(".csv" if path.suffix == ".csv" else None)
        assert name.intensity == 1 and name.repetition == 1
    # Per actor: speech 8 emotions x 2 statements + song 6 x 2 = 28 takes, 4 files each.
    assert Counter(n.actor for n in names) == {1: 112, 2: 112}
    takes = Counter(n.take for n in names)
    assert len(takes) == 56 and set(takes.values()) == {4}
    # The tracking CSV goes with the audio-video take only, as in the RAVDESS release.
    assert Counter((n.modality, p.suffix) for p, n in zip(paths, names, strict=True)) == {
        (3, ".wav"): 56, (1, ".mp4"): 56, (2, ".mp4"): 56, (1, ".csv"): 56,
    }  # fmt: skip
    assert {n.emotion for n in names if n.channel == "song"} == set(range(1, len(SONG_EMOTIONS) + 1))
    assert {n.emotion for n in names if n.channel == "speech"} == set(range(1, 9))


def test_takes_follow_ravdess_rules(tmp_path: Path) -> None:
    paths = write_demo_dataset(
        tmp_path, actors=[7], channels=("speech",), intensities=(1, 2), repetitions=(1, 2), statements=(2,),
        video=False, n_jobs=1, progress=False,
    )  # fmt: skip
    names = [parse_name(p) for p in paths]
    # Neutral has no strong version: 1 + 7 * 2 emotion-intensity pairs, two repetitions.
    assert len(names) == (1 + 7 * 2) * 2
    assert not any(n.emotion == 1 and n.intensity == 2 for n in names)
    assert all(
        p.suffix == ".wav" and n.is_audio and n.statement == 2 for p, n in zip(paths, names, strict=True)
    )


def test_wav_format(small_dataset: tuple[Path, list[Path]]) -> None:
    _, paths = small_dataset
    wavs = [p for p in paths if p.suffix == ".wav"]
    assert len(wavs) == 56
    for wav in wavs:
        info = sf.info(wav)
        assert (info.samplerate, info.channels, info.subtype, info.format) == (48000, 1, "PCM_16", "WAV")
        assert 2.5 <= info.duration <= 3.5
    audio, _ = sf.read(wavs[0], dtype="float32")
    assert np.abs(audio).max() > 0.01  # not silence


def test_mp4_streams_and_frames(small_dataset: tuple[Path, list[Path]]) -> None:
    _, paths = small_dataset
    width, height = SMALL_SIZE
    for wav in [p for p in paths if p.suffix == ".wav"][::7]:
        name = parse_name(wav)
        audio_video = wav.with_name(name.with_modality(1).filename())
        video_only = wav.with_name(name.with_modality(2).filename())
        expected_frames = round(sf.info(wav).frames / 48000 * SMALL_FPS)

        with av.open(str(video_only)) as container:
            assert len(container.streams.video) == 1 and len(container.streams.audio) == 0
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.codec_context.width, stream.codec_context.height) == (width, height)
            assert sum(1 for _ in container.decode(video=0)) == expected_frames

        with av.open(str(audio_video)) as container:
            assert len(container.streams.video) == 1 and len(container.streams.audio) == 1
            assert container.streams.video[0].codec_context.name == "h264"
            audio_stream = container.streams.audio[0]
            assert audio_stream.codec_context.name == "aac"
            assert audio_stream.codec_context.sample_rate == 48000
            assert sum(1 for _ in container.decode(video=0)) == expected_frames

        capture = cv2.VideoCapture(str(audio_video))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        capture.release()
        assert len(frames) == expected_frames
        assert frames[0].shape == (height, width, 3)

        # Both MP4s carry the same pictures.
        assert np.array_equal(_decode_rgb(audio_video), _decode_rgb(video_only))


def test_aac_track_carries_the_wav_waveform(small_dataset: tuple[Path, list[Path]]) -> None:
    _, paths = small_dataset
    wav = next(p for p in paths if p.suffix == ".wav" and parse_name(p).emotion == 5)
    audio_video = wav.with_name(parse_name(wav).with_modality(1).filename())
    wav_audio, _ = sf.read(wav, dtype="float32")
    with av.open(str(audio_video)) as container:
        decoded = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    n = min(len(wav_audio), len(decoded))
    assert abs(len(decoded) - len(wav_audio)) < 2048  # AAC pads to whole 1024-sample frames
    assert np.corrcoef(wav_audio[:n], decoded[:n])[0, 1] > 0.95


# --------------------------------------------------------------------------------------
# Determinism, reruns, atomic writes
# --------------------------------------------------------------------------------------


def test_same_seed_same_files_whatever_n_jobs(small_dataset: tuple[Path, list[Path]], tmp_path: Path) -> None:
    dest, first = small_dataset  # written with n_jobs=1
    second = write_demo_dataset(
        tmp_path, actors=[2], video_size=SMALL_SIZE, fps=SMALL_FPS, n_jobs=2, progress=False
    )
    first_actor2 = [p for p in first if parse_name(p).actor == 2]
    assert [p.relative_to(tmp_path) for p in second] == [p.relative_to(dest) for p in first_actor2]
    for a, b in zip(first_actor2, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    mp4 = next(p for p in second if p.name.startswith("02-"))
    assert np.array_equal(_decode_rgb(mp4), _decode_rgb(dest / mp4.relative_to(tmp_path)))


def test_different_seed_different_audio(small_dataset: tuple[Path, list[Path]], tmp_path: Path) -> None:
    dest, _ = small_dataset
    paths = write_demo_dataset(
        tmp_path,
        actors=[1],
        channels=("speech",),
        statements=(1,),
        video=False,
        seed=1,
        n_jobs=1,
        progress=False,
    )
    assert len(paths) == 8
    for path in paths:
        assert path.read_bytes() != (dest / path.relative_to(tmp_path)).read_bytes()


def test_rerun_writes_nothing(tmp_path: Path) -> None:
    kwargs = dict(actors=[3], channels=("song",), statements=(1,), video_size=SMALL_SIZE, fps=SMALL_FPS)
    first = write_demo_dataset(tmp_path, n_jobs=1, progress=False, **kwargs)
    before = _tree(tmp_path)
    assert len(before) == len(first) == 6 * 4
    second = write_demo_dataset(tmp_path, n_jobs=2, progress=False, **kwargs)
    assert second == first
    assert _tree(tmp_path) == before  # same files, same modification times, no temp files


def test_rerun_completes_missing_files_identically(tmp_path: Path) -> None:
    kwargs = dict(actors=[4], channels=("speech",), statements=(2,), video_size=SMALL_SIZE, fps=SMALL_FPS)
    paths = write_demo_dataset(tmp_path, n_jobs=1, progress=False, **kwargs)
    originals = {p: p.read_bytes() for p in paths}
    # One take lost its audio-video MP4, one its video-only MP4, one its WAV, two their tracking CSV.
    lost = [
        next(p for p in paths if (parse_name(p).modality, parse_name(p).emotion, p.suffix) == key)
        for key in [(1, 1, ".mp4"), (2, 3, ".mp4"), (3, 5, ".wav"), (1, 6, ".csv"), (1, 1, ".csv")]
    ]
    for path in lost:
        path.unlink()
    kept_mtimes = {p: p.stat().st_mtime_ns for p in paths if p not in lost}
    assert write_demo_dataset(tmp_path, n_jobs=1, progress=False, **kwargs) == paths
    for path in paths:
        assert path.read_bytes() == originals[path], path.name
    assert {p: p.stat().st_mtime_ns for p in kept_mtimes} == kept_mtimes
    assert sorted(_tree(tmp_path)) == sorted(str(p.relative_to(tmp_path)) for p in paths)


def test_failed_write_leaves_no_partial_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_mux(path: Path, video_only: Path, audio: np.ndarray) -> None:
        path.write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_dataset, "_write_audio_video", broken_mux)
    kwargs = dict(actors=[5], channels=("speech",), statements=(1,), video_size=SMALL_SIZE, fps=SMALL_FPS)
    with pytest.raises(RuntimeError, match="disk full"):
        write_demo_dataset(tmp_path, n_jobs=1, progress=False, **kwargs)
    # The WAV (written first) is complete; neither MP4, nor the tracking CSV, nor any temp file exists.
    assert sorted(_tree(tmp_path)) == ["Actor_05/03-01-01-01-01-01-05.wav"]

    monkeypatch.undo()
    paths = write_demo_dataset(tmp_path, n_jobs=1, progress=False, **kwargs)
    assert len(paths) == 8 * 4
    assert sorted(_tree(tmp_path)) == sorted(str(p.relative_to(tmp_path)) for p in paths)


def test_rerun_removes_temp_files_of_a_killed_run(tmp_path: Path) -> None:
    folder = tmp_path / "Actor_05"
    folder.mkdir()
    stale = [folder / f".01-01-03-01-01-01-05.{ext}.4242.part" for ext in ("mp4", "csv")]
    for path in stale:
        path.write_bytes(b"half a file")
    unrelated = folder / ".notes.tmp"
    unrelated.write_text("not ours")
    write_demo_dataset(tmp_path, actors=[5], channels=("song",), statements=(1,), video=False, progress=False)
    assert not any(path.exists() for path in stale) and unrelated.exists()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"video_size": (65, 36)}, r"video_size \(65, 36\): width and height must be positive and even"),
        ({"video_size": (64, 35)}, r"video_size \(64, 35\)"),
        ({"channels": ("speech", "opera")}, r"unknown channel\(s\) \['opera'\]"),
        ({"n_jobs": 0}, "n_jobs must be at least 1, got 0"),
        ({"fps": 0.0}, "fps must be positive, got 0.0"),
        ({"seed": -1}, "seed must be non-negative, got -1"),
    ],
)
def test_bad_arguments_raise(tmp_path: Path, kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        write_demo_dataset(tmp_path, actors=[1], progress=False, **kwargs)
    assert not any(tmp_path.iterdir())


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo_data.main([str(tmp_path), "--actors", "9", "--no-video", "--seed", "3", "--jobs", "1"])
    wavs = sorted(p for p in tmp_path.rglob("*") if p.name != SYNTHETIC_MARKER)
    assert all(p.suffix == ".wav" or p.is_dir() for p in wavs)
    assert len([p for p in wavs if p.is_file()]) == 28
    assert "28 files" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# The generators
# --------------------------------------------------------------------------------------


def test_synthesize_voice_is_pure_and_bounded() -> None:
    name = RavdessName(3, 2, 3, 2, 1, 2, 11)
    voice = synthesize_voice(name, _rng())
    assert voice.dtype == np.float32 and voice.ndim == 1
    assert 2.5 * 48000 <= len(voice) <= 3.5 * 48000
    assert np.abs(voice).max() <= 1.0
    assert np.array_equal(voice, synthesize_voice(name, _rng()))
    assert len(synthesize_voice(name, _rng(), sample_rate=16000)) == pytest.approx(len(voice) / 3, abs=1)


def test_male_voices_lower_than_female() -> None:
    def median_f0(actor: int) -> float:
        name = RavdessName(3, 1, 1, 1, 1, 1, actor)
        voice = synthesize_voice(name, _rng(), sample_rate=16000)
        f0 = librosa.yin(voice, fmin=70, fmax=500, sr=16000, frame_length=1024, hop_length=256)
        rms = librosa.feature.rms(y=voice, frame_length=1024, hop_length=256)[0][: len(f0)]
        return float(np.median(f0[rms > 0.3 * rms.max()]))

    male, female = median_f0(1), median_f0(2)
    assert 90 < male < 160 and 170 < female < 260


def test_strong_intensity_exaggerates() -> None:
    def rms(intensity: int) -> float:
        name = RavdessName(3, 1, 5, intensity, 1, 1, 3)  # angry
        return float(np.sqrt(np.mean(synthesize_voice(name, _rng()) ** 2)))

    assert rms(2) > 1.3 * rms(1)  # +6 dB, less what the soft limiter takes off

    def mouth_height(intensity: int) -> float:
        name = RavdessName(1, 1, 8, intensity, 1, 1, 3)  # surprised: an open O mouth
        frames = render_face(name, 10, (160, 90), _rng())
        dark_rows = (frames[:, 50:90, 60:100].max(axis=3) < 90).any(axis=2)
        return float(dark_rows.sum(axis=1).mean())

    assert mouth_height(2) > 1.2 * mouth_height(1)


def test_render_face_shape_size_and_lip_sync() -> None:
    name = RavdessName(1, 1, 1, 1, 1, 1, 6)
    width, height = 160, 90
    voice = synthesize_voice(name, _rng())
    n_frames = round(len(voice) / 48000 * 30)
    frames = render_face(name, n_frames, (width, height), _rng())
    assert frames.shape == (n_frames, height, width, 3) and frames.dtype == np.uint8
    assert np.array_equal(frames, render_face(name, n_frames, (width, height), _rng()))

    # The face (hair included) fills roughly 70% of the frame height, centred.
    background = frames[0, 0, 0]
    rows = np.flatnonzero((frames[0] != background).any(axis=(1, 2)))
    assert 0.6 * height < rows[-1] - rows[0] < 0.85 * height
    assert abs((rows[0] + rows[-1]) / 2 - height / 2) < 0.1 * height

    # The mouth opens when the voice is loud: dark mouth pixels follow the audio level.
    mouth = frames[:, int(0.6 * height) : int(0.85 * height), int(0.35 * width) : int(0.65 * width)]
    darkness = (mouth.max(axis=3) < 90).sum(axis=(1, 2))
    samples_per_frame = len(voice) / n_frames
    loudness = [
        np.sqrt(np.mean(voice[int(i * samples_per_frame) : int((i + 1) * samples_per_frame)] ** 2))
        for i in range(n_frames)
    ]
    assert np.corrcoef(darkness, loudness)[0, 1] > 0.6


# --------------------------------------------------------------------------------------
# Facial tracking: per-frame action units beside each audio-video take
# --------------------------------------------------------------------------------------


def test_tracking_csv_beside_every_audio_video_take(small_dataset: tuple[Path, list[Path]]) -> None:
    dest, paths = small_dataset
    csvs = sorted(dest.rglob("*.csv"))
    assert csvs == [p for p in paths if p.suffix == ".csv"]
    assert {parse_name(p).modality for p in csvs} == {1}  # none for video-only or audio-only takes
    assert [p.with_suffix(".mp4") for p in csvs] == [
        p for p in paths if p.name.startswith("01-") and p.suffix == ".mp4"
    ]
    for csv in csvs:
        tracking = read_tracking(csv)
        # One row per frame of the take's video, at its frame rate.
        with av.open(str(csv.with_suffix(".mp4"))) as container:
            assert len(tracking.units) == sum(1 for _ in container.decode(video=0)), csv.name
        assert tracking.fps == pytest.approx(SMALL_FPS, rel=0.01)
        # A few frames, never all, are below the tracker's confidence threshold.
        assert 1 <= (~tracking.confident).sum() <= len(tracking.units) // 4, csv.name
        intensities, presences = np.split(tracking.units, [len(AU_INTENSITY_COLUMNS)], axis=1)
        assert intensities.min() >= 0 and intensities.max() <= 5
        assert set(np.unique(presences)) <= {0.0, 1.0}


def test_tracking_leaves_audio_and_video_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = dict(actors=[3], channels=("speech",), statements=(1,), video_size=SMALL_SIZE, fps=SMALL_FPS)
    paths = write_demo_dataset(tmp_path / "a", n_jobs=1, progress=False, **kwargs)

    def constant_tracking(name: RavdessName, n_frames: int, rng, noise) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((n_frames, len(AU_COLUMNS))), np.ones(n_frames)

    monkeypatch.setattr(demo_dataset, "synthesize_tracking", constant_tracking)
    again = write_demo_dataset(tmp_path / "b", n_jobs=1, progress=False, **kwargs)
    for a, b in zip(paths, again, strict=True):
        # The tracking noise has streams of its own: the WAV and MP4 bytes do not depend on it.
        assert (a.read_bytes() == b.read_bytes()) == (a.suffix != ".csv"), a.name


def test_tracking_is_deterministic(small_dataset: tuple[Path, list[Path]], tmp_path: Path) -> None:
    dest, _ = small_dataset
    kwargs = dict(actors=[1], channels=("song",), statements=(2,), video_size=SMALL_SIZE, fps=SMALL_FPS)
    csvs = [p for p in write_demo_dataset(tmp_path, n_jobs=2, progress=False, **kwargs) if p.suffix == ".csv"]
    assert len(csvs) == 6
    for csv in csvs:
        assert csv.read_bytes() == (dest / csv.relative_to(tmp_path)).read_bytes(), csv.name
    name = parse_name(csvs[0])
    first = synthesize_tracking(name, 40, _take_rng(name, 0), _tracking_rng(name, 0))
    second = synthesize_tracking(name, 40, _take_rng(name, 0), _tracking_rng(name, 0))
    other_seed = synthesize_tracking(name, 40, _take_rng(name, 1), _tracking_rng(name, 1))
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], other_seed[0])


def _tracked(name: RavdessName, n_frames: int = 60) -> Tracking:
    """One take's tracking as the demo writes it (seed 0), read back."""
    units, confidence = synthesize_tracking(name, n_frames, _take_rng(name, 0), _tracking_rng(name, 0))
    return read_tracking(io.BytesIO(tracking_text(units, confidence, 30.0)), label=name.stem)


def _clip_means(name: RavdessName) -> dict[str, float]:
    """Mean of every AU over the frames tracked with confidence."""
    tracking = _tracked(name)
    return dict(zip(AU_COLUMNS, tracking.units[tracking.confident].mean(axis=0), strict=True))


def test_tracking_follows_the_face() -> None:
    def mean_unit(emotion: int, column: str, intensity: int = 1, actor: int = 4) -> float:
        takes = [RavdessName(1, 1, emotion, intensity, s, r, actor) for s in (1, 2) for r in (1, 2)]
        return float(np.mean([_clip_means(take)[column] for take in takes]))

    neutral, happy, sad, angry, fearful, disgust, surprised = 1, 3, 4, 5, 6, 7, 8
    assert mean_unit(happy, "AU12_r") > mean_unit(neutral, "AU12_r") + 1  # smile: lip corner puller
    assert mean_unit(happy, "AU06_r") > mean_unit(neutral, "AU06_r")  # and cheek raiser
    assert mean_unit(sad, "AU15_r") > mean_unit(happy, "AU15_r") + 1  # frown: lip corner depressor
    assert mean_unit(angry, "AU04_r") > mean_unit(neutral, "AU04_r") + 1  # lowered, knit brows
    assert mean_unit(surprised, "AU02_r") > mean_unit(neutral, "AU02_r") + 1  # raised brows
    assert mean_unit(surprised, "AU26_r") > mean_unit(neutral, "AU26_r") + 1  # open jaw
    assert mean_unit(fearful, "AU05_r") > mean_unit(sad, "AU05_r")  # wide eyes
    assert mean_unit(disgust, "AU10_r") > mean_unit(neutral, "AU10_r") + 1  # sneer: upper lip raiser
    assert mean_unit(happy, "AU12_r", intensity=2) > mean_unit(happy, "AU12_r")  # strong exaggerates

    # The mouth units follow the talking mouth frame by frame, as the drawn face does.
    name = RavdessName(1, 1, 1, 1, 1, 1, 6)
    n_frames = round(len(synthesize_voice(name, _rng())) / 48000 * 30)
    frames = render_face(name, n_frames, (160, 90), _rng())
    darkness = (frames[:, 54:77, 56:104].max(axis=3) < 90).sum(axis=(1, 2))
    units, confidence = synthesize_tracking(name, n_frames, _rng(), _tracking_rng(name, 0))
    confident = confidence >= MIN_CONFIDENCE
    lips_part = units[:, AU_COLUMNS.index("AU25_r")]
    assert np.corrcoef(darkness[confident], lips_part[confident])[0, 1] > 0.6


@pytest.mark.slow
def test_tracking_emotion_transfers_to_unseen_actors() -> None:
    """A linear model on per-actor standardised clip means, trained on 12 actors, tested on 4 others."""
    train_actors, test_actors = range(1, 13), range(13, 17)
    features, labels, actors = [], [], []
    for actor in [*train_actors, *test_actors]:
        takes = [
            RavdessName(1, channel, emotion, 1, statement, 1, actor)
            for channel, count in ((1, 8), (2, len(SONG_EMOTIONS)))
            for emotion in range(1, count + 1)
            for statement in (1, 2)
        ]
        means = np.array([list(_clip_means(take).values()) for take in takes])
        features.extend((means - means.mean(axis=0)) / (means.std(axis=0) + 1e-6))
        labels.extend(take.emotion for take in takes)
        actors.extend([actor] * len(takes))
    features, labels, actors = np.array(features), np.array(labels), np.array(actors)
    train = np.isin(actors, train_actors)
    model = LogisticRegression(max_iter=2000).fit(features[train], labels[train])
    accuracy = model.score(features[~train], labels[~train])
    assert 0.6 < accuracy < 1.0, f"8-class accuracy {accuracy:.2f} on unseen actors (chance 0.125)"


# --------------------------------------------------------------------------------------
# Learnability: the emotion cues transfer to unseen actors
# --------------------------------------------------------------------------------------

TRAIN_ACTORS, TEST_ACTORS = (1, 2, 3, 4), (5, 6)


@pytest.fixture(scope="module")
def speech_six_actors(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_dataset(
        tmp_path_factory.mktemp("learn"),
        actors=TRAIN_ACTORS + TEST_ACTORS,
        channels=("speech",),
        video_size=(96, 54),
        fps=10.0,
        n_jobs=2,
        progress=False,
    )


def _split_accuracy(paths: list[Path], features, model) -> float:
    train = [p for p in paths if parse_name(p).actor in TRAIN_ACTORS]
    test = [p for p in paths if parse_name(p).actor in TEST_ACTORS]
    model.fit(np.array([features(p) for p in train]), [parse_name(p).label for p in train])
    predicted = model.predict(np.array([features(p) for p in test]))
    return float(np.mean(predicted == np.array([parse_name(p).label for p in test])))


@pytest.mark.slow
def test_audio_emotion_transfers_to_unseen_actors(speech_six_actors: list[Path]) -> None:
    def mfcc_stats(wav: Path) -> np.ndarray:
        audio, sample_rate = sf.read(wav, dtype="float32")
        audio = librosa.resample(audio, orig_sr=sample_rate, target_sr=22050)
        mfcc = librosa.feature.mfcc(y=audio, sr=22050, n_mfcc=13)
        return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)])

    wavs = [p for p in speech_six_actors if p.suffix == ".wav"]
    assert len(wavs) == 6 * 8 * 2
    accuracy = _split_accuracy(wavs, mfcc_stats, make_pipeline(StandardScaler(), NearestCentroid()))
    assert accuracy > 0.5, f"8-class accuracy {accuracy:.2f} on unseen actors (chance 0.125)"


@pytest.mark.slow
def test_video_emotion_transfers_to_unseen_actors(speech_six_actors: list[Path]) -> None:
    def mean_small_frame(mp4: Path) -> np.ndarray:
        capture = cv2.VideoCapture(str(mp4))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        capture.release()
        picks = np.linspace(0, len(frames) - 1, 8).round().astype(int)
        small = [cv2.resize(frames[i], (32, 32), interpolation=cv2.INTER_AREA) for i in picks]
        return np.mean(small, axis=0, dtype=np.float64).ravel()

    videos = [p for p in speech_six_actors if p.name.startswith("02-")]
    assert len(videos) == 6 * 8 * 2
    accuracy = _split_accuracy(videos, mean_small_frame, NearestCentroid())
    assert accuracy > 0.5, f"8-class accuracy {accuracy:.2f} on unseen actors (chance 0.125)"
