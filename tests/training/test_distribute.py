"""``--distribute``: refused off the JAX backend, data-parallel training on two virtual CPU devices."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import train_models

ROOT = Path(__file__).resolve().parents[2]


def test_distribute_needs_the_jax_backend(capsys) -> None:
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        pytest.skip("this process runs on JAX: see the test below")
    with pytest.raises(SystemExit) as exit_info:
        train_models.parse_args(["--distribute"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "JAX" in err and "KERAS_BACKEND=jax" in err


def test_distribute_trains_on_two_virtual_cpu_devices(tmp_path: Path) -> None:
    pytest.importorskip(
        "jax", reason="jax is not installed: run ./setup.sh (requirements.txt has it); --distribute needs it"
    )
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        import keras
        from ravdess_emotion.training.distribute import enable_data_parallel
        from ravdess_emotion.models import VideoEmotion3DCNNLSTM
        from ravdess_emotion.batches import VideoBatches

        distribution = enable_data_parallel([4])
        rng = np.random.default_rng(0)
        clips = rng.integers(0, 256, (8, 4, 16, 16, 3), dtype=np.uint8)
        model = VideoEmotion3DCNNLSTM()
        history = model.train(VideoBatches(clips, np.arange(8) % 8, 4, augment=True), None, epochs=1, verbose=0)
        print(json.dumps({"devices": len(distribution.device_mesh.devices.ravel()),
                          "loss": history.history["loss"][0]}))
        """
    )
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and np.isfinite(result["loss"])
