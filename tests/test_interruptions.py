"""Interruptions: kill -9 at several points and rerun, and a full disk, at every stage that writes.

Interruption points (17 in all: 12 kills, a half-written file planted by hand, a kill while the
training backup is written, 3 full disks):

- organize_data.py killed 4 times (right after start, after ~30 files, in the middle of a
  file with half of it on disk, after ~150 files), plus a half-written temp file planted by
  hand (5); every one of the 4 kills must land before the run ends
- data_loader.py killed 3 times (progress bar up, half-way through the files, and while the
  cache file is half written) (3)
- train_models.py killed twice (during epoch 3, then during epoch 5 of the resumed run),
  killed in the middle of writing its backup after epoch 2 (half the file on disk),
  killed during epoch 3 of its --refit, during the second fold of a cross-validation, and
  during epoch 3 of a video model's training (6)
- a full disk (ENOSPC) while writing a feature cache, a model, and an organized file, each
  also through the script's main(): a one-line message, exit 2, no partial file (3)

After the final rerun, every file is checked against its checksum, and the result against a
run that was never interrupted.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest
import soundfile as sf

import data_loader
import organize_data
import train_models
from ravdess_emotion.core.ravdess import RavdessName
from ravdess_emotion.corpus import organize as organize_module
from ravdess_emotion.corpus.demo import write_demo_dataset
from ravdess_emotion.corpus.organize import organize, read_manifest
from ravdess_emotion.features.caches import load_features, save_features
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.models import AudioEmotionCNNLSTM, EmotionModel

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": "tensorflow",
    # Every file redraws the progress bar: by default tqdm redraws every 0.1 s, and on a fast
    # run the last redraw before the end can come before a kill threshold, so the kill lands
    # after the cache is written.
    "TQDM_MININTERVAL": "0",
}


# Run a script with one function replaced by a version that writes half of what it should,
# flushes it to disk and then hangs: the SIGKILL that follows lands in the middle of a file
# every time, however fast the machine. ``{call}`` is the replaced function's path.
_STALL_MID_WRITE = """
import os, runpy, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import numpy
{imports}

def stall_mid_write(write):
    calls = []
    def stalled(*args, **kwargs):
        calls.append(1)
        if len(calls) < {after}:
            return write(*args, **kwargs)
        import io
        whole = io.BytesIO()
        stream_index = {stream_index}
        args = list(args)
        out = args[stream_index]
        args[stream_index] = whole
        write(*args, **kwargs)
        out.write(whole.getvalue()[: len(whole.getvalue()) // 2])
        out.flush()
        print("stalled in the middle of a file", flush=True)
        time.sleep(600)
    return stalled

{call} = stall_mid_write({call})
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class Watched:
    """A script run in a subprocess whose merged output is collected as it comes.

    With ``stall``, ``(imports, call, stream_index, after)``: the ``after``-th call of
    ``call`` (a function that writes to the open file passed as its ``stream_index``-th
    argument) writes half of its content and hangs, so that a kill lands mid-file.
    """

    def __init__(
        self, script: str, *args: str | Path, stall: tuple[str, str, int, int] | None = None
    ) -> None:
        launcher = []
        if stall is not None:
            imports, call, stream_index, after = stall
            code = _STALL_MID_WRITE.format(imports=imports, call=call, stream_index=stream_index, after=after)
            launcher = ["-c", code]
        self.process = subprocess.Popen(
            [sys.executable, *launcher, str(ROOT / script), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
        self._output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            self._output.extend(chunk)

    @property
    def output(self) -> str:
        return self._output.decode(errors="replace")

    def kill_when(self, condition: Callable[[], bool], timeout: float = 120) -> bool:
        """SIGKILL as soon as ``condition()`` holds; False if the script ended first."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                return False
            assert time.monotonic() < deadline, f"timed out; output so far:\n{self.output[-3000:]}"
            time.sleep(0.005)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join(10)
        return True

    def finish(self, timeout: float = 180) -> str:
        assert self.process.wait(timeout) == 0, self.output[-3000:]
        self._reader.join(10)
        return self.output


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _error_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------- organize


def _ravdess_audio_names(actors: range) -> list[RavdessName]:
    return [
        RavdessName(3, channel, emotion, intensity, statement, repetition, actor)
        for actor in actors
        for channel, emotions in ((1, 8), (2, 6))
        for emotion in range(1, emotions + 1)
        for intensity in (1, 2)
        if not (emotion == 1 and intensity == 2)
        for statement in (1, 2)
        for repetition in (1, 2)
    ]


@pytest.fixture(scope="module")
def organize_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """RAVDESS audio of 2 actors (208 files of 1 s noise): speech in the official zip, song extracted."""
    source = tmp_path_factory.mktemp("organize_source")
    rng = np.random.default_rng(0)
    expected: dict[str, str] = {}
    with zipfile.ZipFile(source / "Audio_Speech_Actors_01-24.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for name in _ravdess_audio_names(range(1, 3)):
            buffer = io.BytesIO()
            sf.write(buffer, rng.uniform(-0.3, 0.3, 48000), 48000, format="WAV", subtype="PCM_16")
            member = f"Actor_{name.actor:02d}/{name.filename()}"
            if name.channel == "speech":
                archive.writestr(member, buffer.getvalue())
            else:
                (source / member).parent.mkdir(exist_ok=True)
                (source / member).write_bytes(buffer.getvalue())
            expected[name.filename()] = _sha256(buffer.getvalue())
    assert len(expected) == 208
    return source, expected


def _media(dest: Path) -> list[Path]:
    return [p for p in (dest / "audio").rglob("*.wav")] if (dest / "audio").is_dir() else []


def _temp_files(dest: Path) -> list[Path]:
    return [p for p in dest.rglob(".*") if p.is_file()]


def test_organize_killed_at_several_points_then_rerun(
    organize_source: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, expected = organize_source
    dest = tmp_path / "organized"
    args = ("--source", source, "--dest", dest)

    def stalled(watched: Watched) -> bool:  # half of a file is in its temp file, and it hangs there
        return "stalled in the middle of a file" in watched.output

    # The third run's 50th copy writes half of the file and hangs: the kill lands mid-file.
    mid_file = ("from ravdess_emotion.corpus import organize", "organize._copy_from", 1, 50)
    kill_points: list[tuple[Callable[[Watched], bool], tuple | None]] = [
        (lambda _: dest.exists(), None),  # imports done, nothing written yet
        (lambda _: len(_media(dest)) >= 30, None),
        (stalled, mid_file),
        (lambda _: len(_media(dest)) >= 150, None),
    ]
    for point, stall in kill_points:
        watched = Watched("organize_data.py", *args, stall=stall)
        before = len(_media(dest))
        assert watched.kill_when(lambda w=watched, p=point: p(w)), watched.output
        assert len(_media(dest)) < 208, "killed after every file was written"
        if stall is not None:
            [half] = [p for p in _temp_files(dest) if p.name.endswith(f".{watched.process.pid}.part")]
            assert 0 < half.stat().st_size < max(p.stat().st_size for p in _media(dest))
            assert len(_media(dest)) == before + 49
    # A half-written temp file as a kill leaves it, of a file not yet in place.
    missing = sorted(set(expected) - {p.name for p in _media(dest)})
    some = next(iter(_media(dest)))
    planted = some.parent / f".{missing[0] if missing else some.name}.99999.part"
    planted.write_bytes(some.read_bytes()[:1000])

    output = Watched("organize_data.py", *args).finish()
    assert re.search(r"\d+ written, \d+ unchanged, 0 duplicates, 0 skipped", output), output

    manifest = read_manifest(dest)
    on_disk = {p.relative_to(dest).as_posix() for p in _media(dest) if not p.name.startswith(".")}
    assert set(manifest["path"]) == on_disk and len(on_disk) == 208
    for row in manifest.itertuples():
        data = (dest / row.path).read_bytes()
        assert _sha256(data) == row.sha256 == expected[row.filename], row.path
        assert row.bytes == len(data)
        assert sf.info(io.BytesIO(data)).frames == 48000
    # Leftover temp files are never taken for data.
    assert not {p.name for p in _temp_files(dest)} & set(manifest["filename"])
    assert not any(name.startswith(".") for name in manifest["path"].str.rpartition("/")[2])


def test_organize_on_a_full_disk(
    organize_source: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, _ = organize_source
    dest = tmp_path / "organized"

    def copy_some_then_fill_the_disk(stream, out, *args) -> None:
        out.write(stream.read(5000))
        _no_space()

    monkeypatch.setattr(organize_module.shutil, "copyfileobj", copy_some_then_fill_the_disk)
    assert organize_data.main(["--source", str(source), "--dest", str(dest)]) == 2
    error = _error_line(capsys.readouterr().err)
    assert re.fullmatch(r"error: no space left on device while writing .*/03-01-\S+\.wav", error), error
    assert [p for p in dest.rglob("*") if p.is_file()] == []  # no partial file, no temp file


# --------------------------------------------------------------------------- features and training


@pytest.fixture(scope="module")
def demo_speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Synthetic speech audio of actors 1-6, organized, and its features from an uninterrupted run."""
    root = tmp_path_factory.mktemp("demo_speech")
    write_demo_dataset(
        root / "source", actors=range(1, 7), channels=("speech",), video=False, n_jobs=1, progress=False
    )
    organize(root / "source", root / "organized", progress=False)
    loader = RAVDESSDataLoader(root / "organized", n_jobs=1, progress=False)
    X, y, info = loader.load_audio_dataset("speech", return_info=True)
    assert X.shape == (96, 13, 216)
    return {"root": root, "organized": root / "organized", "X": X, "y": y, "info": info}


def _progress(watched: Watched) -> int:
    counts = re.findall(r"MFCC speech:.*?(\d+)/96", watched.output)
    return int(counts[-1]) if counts else -1


def test_feature_extraction_killed_then_rerun(demo_speech: dict[str, object], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ("--data-dir", demo_speech["organized"], "--kinds", "audio", "--channels", "speech")
    args += ("--jobs", "1", "--cache-dir", cache)
    # Three different moments: the progress bar is up, extraction is half done, and the
    # cache is half written (numpy.savez writes half of it to the temp file and hangs).
    first = Watched("data_loader.py", *args)
    assert first.kill_when(lambda: _progress(first) >= 0), first.output
    middle = Watched("data_loader.py", *args)
    assert middle.kill_when(lambda: 40 <= _progress(middle) < 96), middle.output
    writing = Watched("data_loader.py", *args, stall=("", "numpy.savez", 0, 1))
    assert writing.kill_when(lambda: "stalled in the middle of a file" in writing.output), writing.output
    assert "96/96" in writing.output
    assert not list(cache.glob("*.npz")), "no cache may appear before it is completely written"
    [half] = [p for p in cache.iterdir() if p.name.endswith(f".{writing.process.pid}.part")]
    assert half.stat().st_size > 1000

    output = Watched("data_loader.py", *args).finish()
    assert "audio  speech: 96 samples" in output and "0 files skipped" in output
    [path] = cache.glob("*.npz")
    X, y, info = load_features(path)
    np.testing.assert_array_equal(X, demo_speech["X"])
    np.testing.assert_array_equal(y, demo_speech["y"])
    assert info["filename"].tolist() == demo_speech["info"]["filename"].tolist()


def test_feature_cache_on_a_full_disk(
    demo_speech: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def write_some_then_fill_the_disk(file, **arrays) -> None:
        file.write(b"PK\x03\x04" + b"\0" * 1000)
        _no_space()

    monkeypatch.setattr(np, "savez", write_some_then_fill_the_disk)
    with pytest.raises(OSError, match=r"^no space left on device while writing .*cache\.npz$"):
        save_features(tmp_path / "cache.npz", demo_speech["X"], demo_speech["y"], demo_speech["info"])
    assert list(tmp_path.iterdir()) == []
    organized = demo_speech["organized"]
    argv = ["--data-dir", str(organized), "--kinds", "audio", "--channels", "speech", "--jobs", "1"]
    assert data_loader.main([*argv, "--max-frames", "20", "--cache-dir", str(tmp_path)]) == 2
    assert "no space left on device while writing" in _error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# MFCC frames of the training runs: the LSTMs read 100 steps instead of the default 216, most of
# them padding on the demo's 2.5-3.5 s takes; an epoch still lasts long enough to be killed in.
TRAIN_FRAMES = 100


def _train_args(demo_speech: dict[str, object], out: Path, epochs: int = 6) -> list[str]:
    args = ["--data-dir", str(demo_speech["organized"]), "--models", "audio-speech", "--epochs", str(epochs)]
    # The seed's recipe (early stopping, no refit): these tests are about resuming, not the preset.
    args += ["--preset", "seed", "--max-frames", str(TRAIN_FRAMES), "--test-actors", "6", "--verbose", "2"]
    args += ["--jobs", "1"]
    return args + [
        arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(out / name))
    ]


def test_training_killed_resumes_from_the_last_epoch(
    demo_speech: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    interrupted = tmp_path / "interrupted"
    args = _train_args(demo_speech, interrupted)
    first = Watched("train_models.py", *args)
    assert first.kill_when(lambda: "Epoch 3/6" in first.output), first.output
    [backup] = (interrupted / "models" / ".backup").iterdir()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2

    second = Watched("train_models.py", *args)
    assert second.kill_when(lambda: "Epoch 5/6" in second.output), second.output
    assert "resuming audio_emotion_speech_seed after epoch 2" in second.output
    assert "Epoch 1/6" not in second.output and "Epoch 3/6" in second.output

    output = Watched("train_models.py", *args).finish()
    assert "resuming audio_emotion_speech_seed after epoch 4" in output
    assert "Epoch 1/6" not in output and "Epoch 5/6" in output and "Epoch 6/6" in output
    assert not backup.exists()  # removed once training finished
    history = (interrupted / "reports" / "audio_emotion_speech_seed_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history] == ["epoch", "0", "1", "2", "3", "4", "5"]
    run = json.loads((interrupted / "reports" / "audio_emotion_speech_seed_run.json").read_text())
    assert run["epochs_run"] == 6

    # The same training without interruption, in this process.
    reference = tmp_path / "reference"
    assert train_models.main(_train_args(demo_speech, reference)) == 0
    capsys.readouterr()
    test = (demo_speech["info"]["actor"] == 6).to_numpy()
    X_test = demo_speech["X"][test][:, :, :TRAIN_FRAMES]  # MFCCs are cut at their end to fit
    resumed_model = EmotionModel.load(interrupted / "models" / "audio_emotion_speech_seed.keras")
    reference_model = EmotionModel.load(reference / "models" / "audio_emotion_speech_seed.keras")
    reference_history = (
        (reference / "reports" / "audio_emotion_speech_seed_history.csv").read_text().splitlines()
    )
    losses = [
        np.genfromtxt(lines, delimiter=",", names=True)["loss"] for lines in (history, reference_history)
    ]
    # Up to the first kill, the very same run.
    np.testing.assert_allclose(losses[0][:2], losses[1][:2], rtol=1e-3)
    # After a restart, dropout and shuffling draw other random numbers (Keras keeps no random
    # state in its backup), so from there on the two runs agree up to that nondeterminism.
    # After 6 epochs the probabilities are still near uniform and the predicted classes of 16
    # test clips flip on small differences: compare the probabilities, not the accuracy.
    assert losses[0][-1] < losses[0][0] - 0.05 and losses[1][-1] < losses[1][0] - 0.05
    assert abs(losses[0][-1] - losses[1][-1]) < 0.3
    resumed, uninterrupted = resumed_model.predict(X_test), reference_model.predict(X_test)
    np.testing.assert_allclose(resumed, uninterrupted, atol=0.1)
    assert np.abs(resumed - uninterrupted).mean() < 0.05


def test_training_killed_during_its_refit_resumes_the_refit(
    demo_speech: dict[str, object], tmp_path: Path
) -> None:
    out = tmp_path / "refit"
    args = [*_train_args(demo_speech, out, epochs=4), "--refit", "--patience", "0"]

    def in_the_refit(watched: Watched, epoch: int) -> bool:
        _, refit, after = watched.output.partition("refit audio_emotion_speech_seed: 4 epochs")
        return bool(refit) and f"Epoch {epoch}/4" in after

    first = Watched("train_models.py", *args)
    assert first.kill_when(lambda: in_the_refit(first, 3)), first.output
    output = Watched("train_models.py", *args).finish()
    # Neither the first fit nor the refit starts over: the refit goes on after its epoch 2.
    assert "resuming the refit of audio_emotion_speech_seed: its first fit finished" in output
    assert "resuming the refit of audio_emotion_speech_seed after epoch 2" in output
    assert "Epoch 1/4" not in output and "Epoch 3/4" in output and "Epoch 4/4" in output
    refit_log = (out / "reports" / "audio_emotion_speech_seed_refit_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in refit_log] == ["epoch", "0", "1", "2", "3"]
    first_log = (out / "reports" / "audio_emotion_speech_seed_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in first_log] == ["epoch", "0", "1", "2", "3"]
    run = json.loads((out / "reports" / "audio_emotion_speech_seed_run.json").read_text())
    assert run["refit"] and run["epochs_run"] == 4
    assert not list((out / "models" / ".backup").iterdir())  # nothing left once it finished


def test_cross_validation_killed_in_its_second_fold_resumes_there(
    demo_speech: dict[str, object], tmp_path: Path
) -> None:
    out = tmp_path / "cv"
    args = [arg if arg != "6" else "none" for arg in _train_args(demo_speech, out, epochs=3)]
    args += ["--folds", "3"]

    def in_fold(watched: Watched, fold: int, epoch: int) -> bool:
        _, started, after = watched.output.partition(f"== audio_emotion_speech_seed_fold{fold}:")
        return bool(started) and f"Epoch {epoch}/3" in after

    first = Watched("train_models.py", *args)
    assert first.kill_when(lambda: in_fold(first, 2, 3)), first.output
    [fold_1] = re.findall(r"^fold 1: .*$", first.output, re.MULTILINE)
    output = Watched("train_models.py", *args).finish()
    # Fold 1 is read back, not trained again; fold 2 goes on after its epoch 2; fold 3 is new.
    assert "audio_emotion_speech_seed_fold1 finished before the interruption" in output
    assert "== audio_emotion_speech_seed_fold1:" in output  # its split is still shown
    fold_1_training = output.partition("== audio_emotion_speech_seed_fold1:")[2].partition("== ")[0]
    assert "Epoch" not in fold_1_training
    assert "resuming audio_emotion_speech_seed_fold2 after epoch 2" in output
    assert re.findall(r"^fold 1: .*$", output, re.MULTILINE) == [fold_1]
    assert "== audio_emotion_speech_seed_fold3:" in output and output.count("Epoch 1/3") == 1
    folds = (out / "reports" / "audio_emotion_speech_seed_cv_folds.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in folds] == ["fold", "1", "2", "3"]
    history = (out / "reports" / "audio_emotion_speech_seed_fold2_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history] == ["epoch", "0", "1", "2"]
    assert not list((out / "models" / ".backup").iterdir())  # nothing left once the run is complete

    # Another run of the same command trains every fold again: kept evaluations are only for a rerun.
    again = Watched("train_models.py", *args).finish()
    assert "finished before the interruption" not in again and again.count("Epoch 1/3") == 3


def test_video_training_killed_resumes_from_the_last_epoch(tmp_path: Path) -> None:
    """Video trains from streamed clips of the frame store, not arrays: its resume is its own path."""
    write_demo_dataset(
        tmp_path / "source", actors=range(1, 5), channels=("speech",), video_size=(64, 36), progress=False
    )
    organize(tmp_path / "source", tmp_path / "organized", progress=False)
    out = tmp_path / "run"
    args = ["--data-dir", tmp_path / "organized", "--models", "video-speech", "--epochs", "4"]
    args += ["--video-frames", "4", "--video-size", "32", "--test-actors", "4", "--verbose", "2"]
    args += [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", out / name)]
    first = Watched("train_models.py", *args)
    assert first.kill_when(lambda: "Epoch 3/4" in first.output, timeout=300), first.output
    [backup] = (out / "models" / ".backup").iterdir()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    output = Watched("train_models.py", *args).finish(timeout=300)
    assert "resuming video_emotion_speech after epoch 2" in output
    assert "Epoch 1/4" not in output and "Epoch 3/4" in output and "Epoch 4/4" in output
    history = (out / "reports" / "video_emotion_speech_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history] == ["epoch", "0", "1", "2", "3"]
    assert EmotionModel.load(out / "models" / "video_emotion_speech.h5").model.input_shape[1:] == (
        4,
        32,
        32,
        3,
    )
    assert not list((out / "models" / ".backup").iterdir())


def test_a_kill_while_the_backup_is_written_resumes_from_the_one_before(
    demo_speech: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    out = tmp_path / "run"
    args = _train_args(demo_speech, out, epochs=4)
    real_save_weights = keras.Model.save_weights
    saved: list[str] = []

    def killed_while_writing(self, filepath, *more, **options):
        saved.append(str(filepath))
        real_save_weights(self, filepath, *more, **options)
        if len(saved) == 2:  # the backup after epoch 2: half of it reaches the disk, then the kill
            written = Path(filepath).read_bytes()
            Path(filepath).write_bytes(written[: len(written) // 2])
            raise KeyboardInterrupt("killed while writing the backup")

    monkeypatch.setattr(keras.Model, "save_weights", killed_while_writing)
    with pytest.raises(KeyboardInterrupt):
        train_models.main(args)
    monkeypatch.undo()
    [backup] = (out / "models" / ".backup").iterdir()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 1
    capsys.readouterr()
    # The half-written file is not the backup: the rerun resumes after epoch 1 and finishes.
    assert train_models.main(args) == 0
    output = capsys.readouterr().out
    assert "resuming audio_emotion_speech_seed after epoch 1" in output and "Epoch 2/4" in output
    assert "Epoch 1/4" not in output
    history = (out / "reports" / "audio_emotion_speech_seed_history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history] == ["epoch", "0", "1", "2", "3"]


def test_model_save_on_a_full_disk(
    demo_speech: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def save_some_then_fill_the_disk(self, filepath, *args, **kwargs) -> None:
        Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)
        _no_space()

    monkeypatch.setattr(keras.Model, "save", save_some_then_fill_the_disk)
    model = AudioEmotionCNNLSTM()
    model.build_model((13, 20))
    for suffix in (".h5", ".keras"):
        with pytest.raises(OSError, match=f"^no space left on device while writing .*model{suffix}$"):
            model.save(tmp_path / f"model{suffix}")
    assert list(tmp_path.iterdir()) == []

    out = tmp_path / "run"
    assert train_models.main(_train_args(demo_speech, out, epochs=1)) == 2
    error = _error_line(capsys.readouterr().err)
    assert error.startswith("error: no space left on device while writing ")
    assert error.endswith("audio_emotion_speech_seed.h5")
    assert [p for p in (out / "models").rglob("*") if p.is_file()] == []
