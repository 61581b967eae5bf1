"""The scripts start without TensorFlow's CPU start-up noise, real errors still show, and --help is plain text."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ravdess_emotion.core.backend import CPU_START_UP_NOISE

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("organize_data.py", "data_loader.py", "emotion_models.py", "train_models.py", "predict.py")
MODULES = (
    "ravdess_emotion.corpus.demo",
    "ravdess_emotion.features.video",
    "benchmarks.audio",
    "benchmarks.video",
    "benchmarks.speech_presence",
)
"""The command lines: the pipeline's scripts, and the modules run with ``python -m``."""

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796161766.222609    9704 port.cc:153] oneDNN custom operations are on. You may see ...",
    "I0000 00:00:1796161766.222984    9704 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.",
    "E0000 00:00:1796161772.274906    9704 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.",
]
KEPT = [
    "E0000 00:00:1796161772.274906    9704 some_op.cc:12] could not allocate 4.0 GiB",
    "Traceback (most recent call last):",
    "error: models/x.h5: no such model file",
    "F0000 00:00:1.0 1 check.cc:1] Check failed",
]


@pytest.mark.parametrize("line", NOISE)
def test_cpu_start_up_notices_are_recognised(line: str) -> None:
    assert CPU_START_UP_NOISE.match(line)


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_kept(line: str) -> None:
    assert not CPU_START_UP_NOISE.match(line)


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    for name in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND"):  # as a user's shell has them
        environment.pop(name, None)
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_scripts_start_quietly_and_errors_still_show(tmp_path: Path) -> None:
    started = _run([sys.executable, "predict.py", "--help"])
    assert started.returncode == 0 and started.stderr == "", started.stderr
    failed = _run([sys.executable, "predict.py", str(tmp_path / "missing.h5"), str(tmp_path)])
    assert failed.returncode == 2
    expected = (
        f"error: {tmp_path / 'missing.h5'}: no such model file (train_models.py writes them to models/)"
    )
    assert failed.stderr.strip() == expected


def test_what_tensorflow_prints_at_start_up_is_filtered_not_swallowed(tmp_path: Path) -> None:
    # A stand-in TensorFlow that prints, at import, what the real one prints on a CPU machine,
    # and one line of a real problem, straight to file descriptor 2 as its C++ code does.
    package = tmp_path / "tensorflow"
    package.mkdir()
    at_import = ("\n".join([*NOISE, KEPT[0]]) + "\n").encode()
    at_device_probe = (NOISE[3] + "\n").encode()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            f"""
            import os
            os.write(2, {at_import!r})

            class config:
                @staticmethod
                def list_physical_devices():
                    os.write(2, {at_device_probe!r})
                    return []
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-c", "import ravdess_emotion.core.backend"],
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stderr == KEPT[0] + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("command", [[script] for script in SCRIPTS] + [["-m", module] for module in MODULES])
def test_help_is_plain_text(command: list[str]) -> None:
    result = _run([sys.executable, *command, "--help"])
    assert result.returncode == 0, result.stderr
    for markup in ("``", ":func:", ":class:", ":meth:", ":data:"):
        assert markup not in result.stdout, f"{' '.join(command)} --help shows {markup}"
