"""A person's own recordings given to ``predict.py``: the formats people have, long and short files, and nothing dropped silently.

The model is the session's untrained MFCC model (``audio_model``: 13 x 40 frames, a
window of 0.9 s): what is checked is which audio reaches it and what ``predict.py`` says,
not what it answers. Enrollment and channels of a speaker-standardised model are in
``tests/test_speaker_paths.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import librosa
import numpy as np
import pytest
import soundfile as sf

import predict
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus.demo.voice import SAMPLE_RATE, synthesize_voice
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.models import EmotionModel
from ravdess_emotion.prediction.predictor import model_inputs
from ravdess_emotion.prediction.skips import Skipped, condensed, summary

ROOT = Path(__file__).resolve().parents[2]


def _voice(name: str, seed: int = 1) -> np.ndarray:
    return synthesize_voice(parse_name(Path(name)), np.random.default_rng(seed))


def _m4a(path: Path, samples: np.ndarray, rate: int) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[None].astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def _formats(folder: Path, samples: np.ndarray) -> dict[str, Path]:
    """One recording as a person might have it: WAV, FLAC, MP3, OGG Vorbis, Opus, M4A (AAC), 44.1 kHz stereo."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for suffix, options in {
        ".wav": {},
        ".flac": {},
        ".mp3": {"format": "MP3"},
        ".ogg": {"format": "OGG", "subtype": "VORBIS"},
        ".opus": {"format": "OGG", "subtype": "OPUS"},
    }.items():
        files[suffix] = folder / f"hello{suffix}"
        sf.write(files[suffix], samples, SAMPLE_RATE, **options)
    files[".m4a"] = _m4a(folder / "hello.m4a", samples, SAMPLE_RATE)
    at_44k = librosa.resample(samples, orig_sr=SAMPLE_RATE, target_sr=44100)
    files["stereo"] = folder / "phone_stereo_44k.wav"
    sf.write(files["stereo"], np.stack([at_44k, 0.8 * at_44k], axis=1), 44100)
    return files


def _envelope(samples: np.ndarray, rate: int = 16000) -> np.ndarray:
    """Loudness per 10 ms block."""
    block = rate // 100
    return np.abs(samples[: len(samples) // block * block]).reshape(-1, block).mean(axis=1)


def _best_correlation(a: np.ndarray, b: np.ndarray, max_shift: int = 10) -> float:
    """The highest correlation of two envelopes shifted by up to ``max_shift`` blocks (codec delays)."""
    n = min(len(a), len(b)) - 2 * max_shift
    return max(
        float(np.corrcoef(a[max_shift : max_shift + n], b[max_shift + k : max_shift + k + n])[0, 1])
        for k in range(-max_shift, max_shift + 1)
    )


def test_every_format_people_have_decodes_to_the_same_voice(tmp_path: Path) -> None:
    samples = _voice("03-01-05-01-01-01-01.wav")
    files = _formats(tmp_path, samples)
    reference = load_audio_samples(files[".wav"], 16000)
    for suffix, path in files.items():
        decoded = load_audio_samples(path, 16000)
        assert abs(len(decoded) - len(reference)) < 0.1 * 16000, suffix
        assert _best_correlation(_envelope(decoded), _envelope(reference)) > 0.95, suffix


def test_an_undecodable_file_names_each_decoders_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"ID3 but nothing that decodes" * 10)
    with pytest.raises(Exception, match=r"broken\.mp3: cannot decode audio \(libsndfile: .*; FFmpeg: .*\)"):
        load_audio_samples(path, 16000)


def test_a_folder_of_all_formats_is_predicted_and_counted(
    audio_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _formats(tmp_path / "mine", _voice("03-01-05-01-01-01-01.wav"))
    (tmp_path / "mine" / "notes.txt").write_text("what I said")
    (tmp_path / "mine" / ".DS_Store").write_bytes(b"\0")
    assert predict.main([str(audio_model), str(tmp_path / "mine"), "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert sorted(Path(r["path"]).name for r in rows) == sorted(p.name for p in files.values())
    assert all(r["duration_s"] == pytest.approx(rows[0]["duration_s"], abs=0.1) for r in rows)
    assert "skipped: 1 files in the folders are not" in captured.err and "(.txt 1)" in captured.err
    assert (
        "7 predicted from the 7 files given (and 1 other files in the folders); skipped: 1 not a format"
        in (captured.err)
    )


def test_a_folder_with_no_audio_says_what_it_holds(
    audio_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    assert predict.main([str(audio_model), str(tmp_path / "docs")]) == 2
    assert "in the given folders (they hold 1 files of .txt)" in capsys.readouterr().err


def test_a_long_recording_is_read_to_its_end_in_windows(
    audio_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The emotion cue (an angry take) sits only after 10 s of calm: the late windows read it, and the file's answer averages every window."""
    calm, angry = _voice("03-01-02-01-01-01-01.wav", 1), _voice("03-01-05-02-01-01-01.wav", 2)
    calm_10s = np.tile(calm, int(np.ceil(10 * SAMPLE_RATE / len(calm))))[: 10 * SAMPLE_RATE]
    long = np.concatenate([calm_10s, angry])
    sf.write(tmp_path / "talk.wav", long, SAMPLE_RATE)
    sf.write(tmp_path / "first_window.wav", long[:SAMPLE_RATE], SAMPLE_RATE)
    assert predict.main([str(audio_model), str(tmp_path / "talk.wav"), "--format", "json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert predict.main([str(audio_model), str(tmp_path / "talk.wav"), "--segments", "--format", "json"]) == 0
    segments = json.loads(capsys.readouterr().out)
    model = EmotionModel.load(audio_model)
    emotions = model.metadata.get("emotions") or [
        k for k in whole[0] if k not in ("path", "predicted", "duration_s", "windows")
    ]
    (file_row,) = whole
    duration = len(long) / SAMPLE_RATE
    assert file_row["duration_s"] == pytest.approx(duration, abs=1e-3)
    assert file_row["windows"] == len(segments) > 20
    assert segments[0]["start_s"] == 0.0 and segments[-1]["end_s"] == pytest.approx(duration, abs=1e-3)
    late = [s for s in segments if s["start_s"] >= 10.0]
    assert late, "no window starts after 10 s"
    averaged = np.mean([[s[e] for e in emotions] for s in segments], axis=0)
    np.testing.assert_allclose([file_row[e] for e in emotions], averaged, atol=1e-6)
    # The last window is exactly the end of the recording, cut out and predicted alone
    # (as 32-bit float: 16-bit PCM would round the samples the windowed run reads unrounded).
    (model_input,) = model_inputs(model.metadata)
    rate = model_input.view.rate(model_input.settings)
    size = round(model_input.view.window_seconds(model_input.settings) * rate)
    sf.write(
        tmp_path / "last.wav", load_audio_samples(tmp_path / "talk.wav", rate)[-size:], rate, subtype="FLOAT"
    )
    # --no-speech-check: a window's worth of a sentence's end can be too steady to pass for speech alone.
    assert (
        predict.main([str(audio_model), str(tmp_path / "last.wav"), "--format", "json", "--no-speech-check"])
        == 0
    )
    (last,) = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose([last[e] for e in emotions], [segments[-1][e] for e in emotions], atol=1e-6)
    assert (
        predict.main(
            [str(audio_model), str(tmp_path / "first_window.wav"), "--format", "json", "--no-speech-check"]
        )
        == 0
    )
    (first,) = json.loads(capsys.readouterr().out)
    assert max(abs(first[e] - file_row[e]) for e in emotions) > 1e-4, (
        "the file's answer is its first window's"
    )


def test_a_long_recording_is_announced(audio_model: Path, tmp_path: Path, capsys) -> None:
    sf.write(tmp_path / "talk.wav", np.tile(_voice("03-01-02-01-01-01-01.wav"), 2), SAMPLE_RATE)
    assert predict.main([str(audio_model), str(tmp_path / "talk.wav")]) == 0
    assert "note: 1 recordings are longer than the model's 0.9 s window" in capsys.readouterr().err


@pytest.mark.parametrize("check", [[], ["--no-speech-check"]])
def test_a_very_short_recording_is_too_short_not_silent(
    check: list[str], audio_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voice = _voice("03-01-05-01-01-01-01.wav")
    loud = int(np.argmax(np.abs(voice)))
    sf.write(tmp_path / "blip.wav", voice[loud : loud + SAMPLE_RATE // 5], SAMPLE_RATE)
    assert predict.main([str(audio_model), str(tmp_path / "blip.wav"), *check]) == 1
    err = capsys.readouterr().err
    assert "blip.wav: too short: 0.2 s, at least 0.5 s of speech needed" in err
    assert "no speech detected" not in err


def test_song_given_to_a_speech_model_warns(audio_model: Path, tmp_path: Path, capsys) -> None:
    for name in ("03-01-05-01-01-01-01.wav", "03-02-05-01-01-01-01.wav"):
        sf.write(tmp_path / name, _voice(name), SAMPLE_RATE)
    assert predict.main([str(audio_model), str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 song recordings (RAVDESS vocal channel song, first: 03-02-05-01-01-01-01.wav)" in err
    assert "given to a speech model" in err


def test_many_skips_of_one_reason_are_one_line_with_the_first_names() -> None:
    problems = [
        Skipped(
            f"t.csv:01-01-0{i}-01-01-01-01: take has no audio file among the inputs, skipped",
            "no audio",
            "t.csv",
        )
        for i in range(1, 9)
    ] + [Skipped("a.wav: too short: 0.2 s", "too short", "a.wav")]
    lines = condensed(problems)
    assert lines[0].startswith("8 inputs: no audio (first: ") and lines[1] == "a.wav: too short: 0.2 s"
    assert len(lines) == 2
    assert summary(3, 1, problems) == (
        "1 predicted from the 3 files given; skipped: 8 no audio, 1 too short (by extension: .csv 8, .wav 1)"
    )


def _modules_after(args: list[str]) -> tuple[set[str], str]:
    code = (
        "import sys, predict\n"
        "try:\n"
        f"    code = predict.main({args!r})\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        "print('MODULES', ' '.join(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("MODULES"))
    return set(line.split()[1:]), result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--help"], ""),
        (["models/no_such_model.h5", "x.wav"], "no such model file"),
        (["README.md", "x.wav"], "not a model file"),
    ],
)
def test_help_and_mistakes_answer_without_importing_keras(
    args: list[str], message: str, tmp_path: Path
) -> None:
    loaded, err = _modules_after(args)
    assert loaded == set(), f"{args} imported {loaded}"
    assert message in err


def test_a_garbage_model_file_is_refused_before_keras(tmp_path: Path) -> None:
    (tmp_path / "m.h5").write_bytes(b"not HDF5 at all")
    loaded, err = _modules_after([str(tmp_path / "m.h5"), str(tmp_path)])
    assert loaded == set() and "not a loadable model" in err
