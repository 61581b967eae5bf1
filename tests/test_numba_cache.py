"""Parallel extraction never corrupts librosa's numba cache, and a dying worker is named.

Two workers compiling the same numba function at once on a cold cache can leave the
cache corrupt, after which ``librosa.yin`` segfaults in every process (numba issue
10128). The loader compiles everything its workers run in the parent first
(``ravdess_emotion.features.views.compile_audio_code``). These tests start from an empty cache
(``NUMBA_CACHE_DIR``, so the environment's own cache is never touched):

- when the workers start, the cache already holds every function they use, and they
  add nothing to it (checked at the moment ``joblib.Parallel`` is called);
- afterwards ``librosa.yin`` works in a fresh process, every time;
- a worker killed by a crash ends the run with a message naming its file and what to try.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import organize_data
from ravdess_emotion.corpus.demo import write_demo_dataset

ROOT = Path(__file__).resolve().parents[1]

EXTRACT_AND_SNAPSHOT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import joblib

    from ravdess_emotion.features.loader import RAVDESSDataLoader
    from ravdess_emotion.features.settings import FeatureSettings

    organized, numba_cache, features = map(Path, sys.argv[1:4])
    snapshots = {}


    def snapshot():
        return sorted(
            [str(p.relative_to(numba_cache)), p.stat().st_mtime_ns, p.stat().st_size]
            for p in numba_cache.rglob("*") if p.is_file()
        )


    class SnapshotWhenWorkersStart(joblib.Parallel):
        def __call__(self, iterable):
            snapshots.setdefault("workers start", snapshot())
            return super().__call__(iterable)


    joblib.Parallel = SnapshotWhenWorkersStart  # what data_loader calls to start its workers
    settings = FeatureSettings(audio_features="functionals", sample_rate=16000)
    loader = RAVDESSDataLoader(organized, settings, cache_dir=features, n_jobs=2, progress=False)
    X, y = loader.load_audio_dataset("speech")
    snapshots["after"] = snapshot()
    print(json.dumps({"samples": len(y), **snapshots}))
    """
)

YIN_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import librosa, numpy as np
    sr = 16000
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(sr) / sr)).astype(np.float32)
    f0 = librosa.yin(tone, fmin=60, fmax=800, sr=sr, frame_length=1024)
    print(float(np.median(f0)))
    """
)


@pytest.fixture(scope="module")
def organized_speech(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("numba")
    write_demo_dataset(root / "source", actors=[1, 2], channels=("speech",), video=False, progress=False)
    organize_data.organize(root / "source", root / "organized", progress=False)
    return root / "organized"


def _run(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_parallel_extraction_from_a_cold_numba_cache_leaves_yin_working(
    organized_speech: Path, tmp_path: Path
) -> None:
    # Once is enough: that the workers add nothing to the cache is checked directly, not by
    # waiting for the race to corrupt it.
    numba_cache = tmp_path / "numba"
    numba_cache.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_cache), "PYTHONPATH": str(ROOT)}
    extracted = _run(EXTRACT_AND_SNAPSHOT, str(organized_speech), str(numba_cache), str(tmp_path), env=env)
    assert extracted.returncode == 0, extracted.stderr
    result = json.loads(extracted.stdout.strip().splitlines()[-1])
    assert result["samples"] == 32
    compiled = [name for name, _, _ in result["workers start"]]
    # YIN's parabolic interpolation and the zero-crossing and peak functions, compiled before any worker.
    assert any("pitch._pi_wrapper" in name for name in compiled), compiled
    assert any("audio._zc_wrapper" in name for name in compiled), compiled
    assert result["after"] == result["workers start"], "a worker compiled and wrote to the numba cache"

    yin = _run(YIN_IN_A_FRESH_PROCESS, env=env)
    assert yin.returncode == 0, (
        f"librosa.yin failed after parallel extraction (rc {yin.returncode}): {yin.stderr}"
    )
    assert abs(float(yin.stdout.strip()) - 220.0) < 5.0


CRASHING_JOB = textwrap.dedent(
    """
    import os
    import signal

    from ravdess_emotion.core.ravdess import parse_name
    from ravdess_emotion.features.views.mfcc import MfccView


    class CrashOnAngry(MfccView):
        def extract(self, path, settings):
            # A segfault in native code, on the angry takes only.
            if parse_name(path).emotion == 5:
                os.kill(os.getpid(), signal.SIGSEGV)
            return super().extract(path, settings)
    """
)


@pytest.mark.slow
def test_a_worker_that_dies_is_named_with_its_file_and_what_to_try(
    organized_speech: Path, tmp_path: Path
) -> None:
    (tmp_path / "crashing_job.py").write_text(CRASHING_JOB)
    run_loader = (
        "import sys, data_loader, crashing_job\n"
        "from ravdess_emotion.features import loader\n"
        "# What the loader's workers run: a view they import from crashing_job.\n"
        "loader.RAVDESSDataLoader.views_of = lambda self, kind: [crashing_job.CrashOnAngry()]\n"
        "sys.exit(data_loader.main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    args = ["--data-dir", str(organized_speech), "--kinds", "audio", "--channels", "speech", "--jobs", "2"]
    args += ["--cache-dir", str(tmp_path / "features")]
    result = _run(run_loader, *args, env=env)
    assert result.returncode == 2, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "worker process died while extracting" in error
    angry = sorted(p.name for p in (organized_speech / "audio" / "speech" / "angry").iterdir())
    assert any(name in error for name in angry), error
    assert "NUMBA_CACHE_DIR" in error and "--jobs 1" in error
    assert not list((tmp_path / "features").glob("*.npz")), "no cache is written for a crashed run"
