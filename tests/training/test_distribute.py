"""``--distribute``: refused off the JAX backend; ``train_models.py --distribute`` on two virtual CPU devices."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import train_models
from ravdess_emotion.models import EmotionModel

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

ROOT = Path(__file__).resolve().parents[2]


def test_distribute_needs_the_jax_backend(capsys) -> None:
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        pytest.skip("this process runs on JAX: see the test below")
    with pytest.raises(SystemExit) as exit_info:
        train_models.parse_args(["--distribute"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "JAX" in err and "KERAS_BACKEND=jax" in err


def _train_on_jax(demo_audio: Path, out: Path, *extra: str, devices: int = 2) -> subprocess.CompletedProcess:
    # The seed's recipe: no mixup or masking draws, so one device and two train exactly alike.
    argv = ["--data-dir", demo_audio, "--models", "audio-speech", "--preset", "seed", "--epochs", "3"]
    argv += ["--batch-size", "8"]
    argv += [
        "--max-frames",
        "40",
        "--test-actors",
        "6",
        "--verbose",
        "2",
        "--cache-dir",
        out.parent / "cache",
    ]
    argv += [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", out / name)]
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
        "JAX_PLATFORMS": "cpu",
    }
    command = [sys.executable, str(ROOT / "train_models.py"), *map(str, argv), *extra]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def test_train_models_distribute_trains_as_one_device_does(demo_audio: Path, tmp_path: Path) -> None:
    pytest.importorskip(
        "jax", reason="jax is not installed: run ./setup.sh (requirements.txt has it); --distribute needs it"
    )
    distributed = _train_on_jax(demo_audio, tmp_path / "distributed", "--distribute")
    assert "data parallel over 2 devices: cpu:0, cpu:1" in distributed.stdout
    # A batch of 8 does not split over 3 devices: refused before anything is trained.
    uneven = subprocess.run(
        [sys.executable, str(ROOT / "train_models.py"), "--distribute", "--batch-size", "8"],
        cwd=ROOT,
        env={
            **os.environ,
            "KERAS_BACKEND": "jax",
            "XLA_FLAGS": "--xla_force_host_platform_device_count=3",
            "JAX_PLATFORMS": "cpu",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert uneven.returncode == 2 and "batch size [8] cannot be split evenly over 3 devices" in uneven.stderr
    single = _train_on_jax(demo_audio, tmp_path / "single", devices=1)
    assert "data parallel" not in single.stdout

    run = json.loads(
        (tmp_path / "distributed" / "reports" / "audio_emotion_speech_seed_run.json").read_text()
    )
    assert run["run"]["distribute"] is True and run["epochs_run"] == 3
    # What trained was distributed: the data-parallel distribution was in effect over both devices.
    assert run["data_parallel_devices"] == ["cpu:0", "cpu:1"]
    single_run = json.loads(
        (tmp_path / "single" / "reports" / "audio_emotion_speech_seed_run.json").read_text()
    )
    assert single_run["data_parallel_devices"] == []
    # Each batch split over two devices, gradients averaged: the same training as on one device.
    histories = [
        pd.read_csv(tmp_path / name / "reports" / "audio_emotion_speech_seed_history.csv")
        for name in ("distributed", "single")
    ]
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=2e-3)
    np.testing.assert_allclose(histories[0]["val_loss"], histories[1]["val_loss"], rtol=2e-3)
    # The distributed model is a plain model file: it loads and predicts in this process's backend.
    models = [
        EmotionModel.load(tmp_path / name / "models" / "audio_emotion_speech_seed.h5")
        for name in ("distributed", "single")
    ]
    X = np.random.default_rng(0).normal(size=(4, *models[0].model.input_shape[1:])).astype(np.float32)
    np.testing.assert_allclose(models[0].predict(X), models[1].predict(X), atol=1e-3)
